"""Small builders for domain objects used across tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from ingot_core.accounting import (
    Account,
    AccountType,
    Currency,
    Entry,
    EntrySide,
    Ledger,
    Transaction,
    bootstrap_ledger,
    currency,
    post_order_fill,
)
from ingot_core.execution import Fill, OrderSide
from ingot_core.symbols import Symbol

USD = currency("USD")
BTC = currency("BTC")
T0 = datetime(2026, 2, 28, 14, 30, tzinfo=UTC)


def account(
    name: str = "Assets:Cash:USD",
    kind: AccountType = AccountType.ASSET,
    ccy: Currency = USD,
    account_id: UUID | None = None,
) -> Account:
    """An account with a fresh id unless one is given."""
    return Account(account_id or uuid4(), name, kind, ccy)


def transfer(
    debit: Account,
    credit: Account,
    amount: str,
    *,
    at: datetime = T0,
    description: str = "transfer",
    tx_id: UUID | None = None,
) -> Transaction:
    """A two-leg transaction moving `amount` from `credit` to `debit`."""
    value = Decimal(amount)
    return Transaction(
        tx_id or uuid4(),
        at,
        description,
        (
            Entry(debit.id, EntrySide.DEBIT, value, debit.currency),
            Entry(credit.id, EntrySide.CREDIT, value, credit.currency),
        ),
    )


def fill(
    side: OrderSide,
    quantity: str,
    price: str,
    *,
    fee: str = "0",
    symbol: str = "BTC-USD",
    at: datetime = T0,
    order_id: str = "o-1",
) -> Fill:
    """A fill whose cost is quantity x price settled half-even to the quote precision."""
    sym = Symbol.parse(symbol)
    qty, px = Decimal(quantity), Decimal(price)
    unit = Decimal(1).scaleb(-sym.quote_currency.decimals)
    cost = (qty * px).quantize(unit)
    return Fill(order_id, sym, side, qty, px, cost, Decimal(fee), at)


def trading_ledger() -> Ledger:
    """A bootstrapped 100,000 USD ledger with a few BTC and ETH fills posted."""
    ledger = bootstrap_ledger(USD, Decimal("100000.00"), T0)
    fills = [
        fill(OrderSide.BUY, "0.5", "60000", fee="12.00", order_id="o-1"),
        fill(OrderSide.BUY, "0.25", "62000.50", fee="6.20", order_id="o-2"),
        fill(OrderSide.SELL, "0.3", "65000", fee="7.80", order_id="o-3"),
        fill(
            OrderSide.BUY,
            "2.123456789012345678",
            "3000.25",
            fee="3.50",
            symbol="ETH-USD",
            order_id="o-4",
        ),
    ]
    for n, f in enumerate(fills):
        post_order_fill(
            ledger,
            Fill(
                f.order_id,
                f.symbol,
                f.side,
                f.quantity,
                f.price,
                f.cost,
                f.fee,
                T0 + timedelta(minutes=n + 1),
            ),
        )
    return ledger

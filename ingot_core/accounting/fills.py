"""Turning an order fill into one balanced ledger transaction.

A buy of 0.5 BTC for 30,000.00 USD with a 12.00 USD fee posts, through the currency
trading accounts, two self-balancing halves:

    Dr Assets:Holdings:BTC     0.5 BTC      Cr Equity:Trading:BTC   0.5 BTC
    Dr Equity:Trading:USD  30000.00 USD     Cr Assets:Cash:USD  30012.00 USD
    Dr Expenses:Fees:USD      12.00 USD

A sell mirrors it; its fee is paid out of the proceeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple
from uuid import UUID
from weakref import WeakKeyDictionary

from ingot_core.accounting.account import Account, EntrySide
from ingot_core.accounting.bootstrap import (
    IdFactory,
    cash_account_name,
    ensure_currency_accounts,
    fee_account_name,
    holdings_account_name,
    trading_account_name,
)
from ingot_core.accounting.currency import Currency
from ingot_core.accounting.ledger import Ledger
from ingot_core.accounting.transaction import Entry, Transaction
from ingot_core.errors import InvalidFill
from ingot_core.execution import Fill, OrderSide
from ingot_core.ids import new_uuid
from ingot_core.money import EXACT, fraction_digits, magnitude, multiply, negate

__all__ = ["FillPosting", "fill_problems", "post_order_fill"]


@dataclass(frozen=True, slots=True)
class FillPosting:
    """What posting a fill changed.

    Attributes:
      transaction: the balanced transaction now in the ledger.
      accounts_created: accounts the symbol needed that did not exist before, in creation order.
    """

    transaction: Transaction
    accounts_created: tuple[Account, ...]


class _Legs(NamedTuple):
    """The accounts a symbol's fills book to, by id."""

    holdings: UUID
    base_trading: UUID
    quote_trading: UUID
    fees: UUID
    cash: UUID


# Per ledger, the legs of each (base, quote) already booked once. A ledger never drops or
# replaces an account, so once its accounts exist (and were checked) they stay as they are.
_legs: WeakKeyDictionary[Ledger, dict[tuple[Currency, Currency], _Legs]] = WeakKeyDictionary()


def fill_problems(fill: Fill) -> list[str]:
    """Every reason `fill` cannot be booked, as sentences."""
    problems: list[str] = []
    for field, value in (("quantity", fill.quantity), ("price", fill.price), ("cost", fill.cost)):
        if not value.is_finite() or value <= 0:
            problems.append(f"{field} {value} must be a positive number")
    if not fill.fee.is_finite() or fill.fee < 0:
        problems.append(f"fee {fill.fee} must not be negative")
    if fill.filled_at.tzinfo is None:
        problems.append("filled_at must be timezone-aware")
    if problems:
        return problems
    quote = fill.symbol.quote_currency
    unit = Decimal(1).scaleb(-quote.decimals)
    # The exchange settles the notional to its currency's precision; a cost further from
    # quantity x price than one minor unit is not a settlement of this fill.
    exact_notional = multiply(fill.quantity, fill.price)
    if magnitude(EXACT.subtract(fill.cost, exact_notional)) >= unit:
        problems.append(
            f"cost {fill.cost} {quote.code} is not quantity x price ({exact_notional}) "
            f"settled to {quote.decimals} decimals"
        )
    base = fill.symbol.base_currency
    for field, value, ccy in (
        ("quantity", fill.quantity, base),
        ("cost", fill.cost, quote),
        ("fee", fill.fee, quote),
    ):
        if fraction_digits(value) > ccy.decimals:
            problems.append(
                f"{field} {value} has more than the {ccy.decimals} decimals {ccy} allows"
            )
    return problems


def post_order_fill(
    ledger: Ledger, fill: Fill, *, transaction_id: UUID | None = None, new_id: IdFactory = new_uuid
) -> FillPosting:
    """Post `fill` to `ledger` as one balanced transaction, creating accounts on first use.

    The fill is checked before anything changes, so a rejected fill leaves the ledger as it was.
    """
    problems = fill_problems(fill)
    if problems:
        raise InvalidFill(f"fill of order {fill.order_id}", problems)
    base, quote = fill.symbol.base_currency, fill.symbol.quote_currency
    created: list[Account] = []
    booked = _legs.get(ledger)
    legs = None if booked is None else booked.get((base, quote))
    if legs is None:
        created = ensure_currency_accounts(ledger, quote=quote, base=base, new_id=new_id)
        legs = _Legs(
            *(
                ledger.account_named(name).id
                for name in (
                    holdings_account_name(base.code),
                    trading_account_name(base.code),
                    trading_account_name(quote.code),
                    fee_account_name(quote.code),
                    cash_account_name(quote.code),
                )
            )
        )
        _legs.setdefault(ledger, {})[base, quote] = legs

    buy = fill.side is OrderSide.BUY
    debit, credit = EntrySide.DEBIT, EntrySide.CREDIT
    entries = [
        Entry(legs.holdings, debit if buy else credit, fill.quantity, base),
        Entry(legs.base_trading, credit if buy else debit, fill.quantity, base),
        Entry(legs.quote_trading, debit if buy else credit, fill.cost, quote),
    ]
    if fill.fee > 0:
        entries.append(Entry(legs.fees, debit, fill.fee, quote))
    # A buy pays cost plus fee out of cash; a sell receives cost minus fee.
    if buy:
        cash_change = negate(EXACT.add(fill.cost, fill.fee))
    else:
        cash_change = EXACT.subtract(fill.cost, fill.fee)
    if cash_change != 0:
        entries.append(
            Entry(
                legs.cash,
                debit if cash_change > 0 else credit,
                magnitude(cash_change),
                quote,
            )
        )
    verb = "Buy" if buy else "Sell"
    transaction = Transaction(
        id=transaction_id or new_id(),
        posted_at=fill.filled_at,
        description=f"{verb} {fill.quantity} {fill.symbol} @ {fill.price} (order {fill.order_id})",
        entries=tuple(entries),
    )
    ledger.post(transaction)
    return FillPosting(transaction, tuple(created))

"""Property tests of the ledger's invariants (hypothesis, >= 200 examples each)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ingot_core.accounting import (
    bootstrap_ledger,
    cash_account_name,
    holdings_account_name,
    post_order_fill,
)
from ingot_core.execution import Fill, OrderSide
from ingot_core.money import exact_sum, multiply
from ingot_core.symbols import Symbol
from tests.builders import T0, USD

quantities = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("50"), places=8)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("250000"), places=2)
fees = st.decimals(min_value=Decimal("0"), max_value=Decimal("25"), places=2)
trades = st.lists(st.tuples(st.sampled_from(OrderSide), quantities, prices, fees), max_size=12)


@given(trades=trades, mark=prices)
def test_nav_is_cash_plus_holdings_at_the_mark(trades, mark) -> None:
    ledger = bootstrap_ledger(USD, Decimal("1000000.00"), T0)
    symbol = Symbol("BTC", "USD")
    cash = Decimal("1000000.00")
    held = Decimal(0)
    for n, (side, qty, price, fee) in enumerate(trades):
        cost = multiply(qty, price).quantize(Decimal("0.01"))
        if cost == 0:
            continue
        fill = Fill(f"o{n}", symbol, side, qty, price, cost, fee, T0 + timedelta(seconds=n))
        post_order_fill(ledger, fill)
        cash += -cost - fee if side is OrderSide.BUY else cost - fee
        held += qty if side is OrderSide.BUY else -qty
    assert ledger.balance(ledger.account_named(cash_account_name("USD")).id) == cash
    if ledger.find_account(holdings_account_name("BTC")) is not None:
        assert ledger.balance(ledger.account_named(holdings_account_name("BTC")).id) == held
    assert ledger.nav(USD, {"BTC": mark}) == exact_sum([cash, multiply(held, mark)])


@given(trades=trades)
def test_total_debits_equal_total_credits_per_currency(trades) -> None:
    ledger = bootstrap_ledger(USD, Decimal("1000.00"), T0)
    symbol = Symbol("BTC", "USD")
    for n, (side, qty, price, fee) in enumerate(trades):
        cost = multiply(qty, price).quantize(Decimal("0.01"))
        if cost > 0:
            post_order_fill(ledger, Fill(f"o{n}", symbol, side, qty, price, cost, fee, T0))
    by_currency: dict[str, list[Decimal]] = {}
    for tx in ledger.transactions:
        for entry in tx.entries:
            by_currency.setdefault(entry.currency.code, []).append(entry.signed_amount)
    assert all(exact_sum(legs) == 0 for legs in by_currency.values())


limits = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("250000"), places=2)
marks = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("250000"), places=4)


@given(
    side=st.sampled_from(OrderSide),
    qty=quantities,
    limit=limits,
    mark=marks,
    later=marks,
    fee_rate=st.decimals(min_value=Decimal(0), max_value=Decimal("0.01"), places=4),
)
def test_a_limit_order_never_fills_beyond_its_limit(side, qty, limit, mark, later, fee_rate):
    from ingot_core.engine import PaperExchange
    from ingot_core.execution import OrderRequest, OrderStatus, OrderType

    exchange = PaperExchange(fee_rate, Decimal(5))
    request = OrderRequest("c", Symbol("BTC", "USD"), side, OrderType.LIMIT, qty, limit)
    ack = exchange.place(request, mark, "P-1", T0)
    if ack.status is OrderStatus.OPEN:
        ack = exchange.on_tick(request, later, "P-1", T0)
    if ack is None:
        return
    assert ack.fill_price is not None
    assert ack.cost is not None
    assert ack.fee is not None
    if side is OrderSide.BUY:
        assert ack.fill_price <= limit
    else:
        assert ack.fill_price >= limit
    assert ack.fill_price.as_tuple().exponent >= -2
    assert abs(ack.cost - qty * ack.fill_price) <= Decimal("0.005")
    assert ack.fee >= 0

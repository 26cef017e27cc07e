"""The trading engine: paper fills, limits, risk caps, modes, positions, events (seed 000 2.4.4)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest

from ingot_core.accounting import bootstrap_ledger, cash_account_name, holdings_account_name
from ingot_core.engine import (
    AccountCreated,
    EquitySnapshot,
    InvalidOrder,
    LiveTradingUnavailable,
    OrderUpdated,
    PositionSnapshot,
    RiskCaps,
    TickReceived,
    TradingEngine,
    TradingMode,
    TransactionPosted,
    UnknownOrder,
    risk_veto,
)
from ingot_core.execution import OrderRequest, OrderSide, OrderStatus, OrderType
from ingot_core.feed import Quote, Ticker
from ingot_core.symbols import Symbol
from tests.builders import T0, USD

BTC_USD = Symbol("BTC", "USD")


class RecordingSink:
    def __init__(self) -> None:
        self.events: list[object] = []

    def emit(self, events: list[object]) -> None:
        self.events.extend(events)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


def engine(mode: TradingMode = TradingMode.PAPER, sink=None, **kw) -> TradingEngine:
    ledger = bootstrap_ledger(USD, Decimal("100000.00"), T0)
    n = iter(range(1, 10_000))
    return TradingEngine(ledger, USD, sink=sink, mode=mode, new_id=lambda: f"{next(n):06d}", **kw)


def buy(qty: str, client_id: str = "c1", limit: str | None = None) -> OrderRequest:
    kind = OrderType.LIMIT if limit else OrderType.MARKET
    return OrderRequest(client_id, BTC_USD, OrderSide.BUY, kind, Decimal(qty),
                        Decimal(limit) if limit else None)  # fmt: skip


def sell(qty: str, client_id: str, limit: str | None = None) -> OrderRequest:
    kind = OrderType.LIMIT if limit else OrderType.MARKET
    return OrderRequest(client_id, BTC_USD, OrderSide.SELL, kind, Decimal(qty),
                        Decimal(limit) if limit else None)  # fmt: skip


def tick(price: str, seconds: int = 0) -> Ticker:
    return Ticker(BTC_USD, Decimal(price), T0 + timedelta(seconds=seconds))


def balance(e: TradingEngine, name: str) -> Decimal:
    return e.ledger.balance(e.ledger.account_named(name).id)


def test_market_buy_fills_at_mark_plus_slippage_with_fee() -> None:
    e = engine()
    e.on_tick(tick("60000"))
    result = e.place_order(buy("0.05"), T0)
    order = result.order
    assert result.created
    assert order.status is OrderStatus.FILLED
    assert order.fill_price == Decimal("60030.00")  # 5 bps slippage against the taker
    assert order.cost == Decimal("3001.50")
    assert order.fee == Decimal("7.80")  # 0.26% of 3001.50 = 7.8039, settled half-even
    assert balance(e, cash_account_name("USD")) == Decimal("100000.00") - Decimal("3009.30")
    assert balance(e, holdings_account_name("BTC")) == Decimal("0.05")


def test_limit_order_rests_then_fills_when_a_tick_crosses_it() -> None:
    e = engine()
    e.on_tick(tick("60000"))
    placed = e.place_order(buy("0.05", limit="59000"), T0).order
    assert placed.status is OrderStatus.OPEN
    assert e.open_orders() == [placed]
    assert e.on_tick(tick("59500", 1)) == []
    (filled,) = e.on_tick(tick("58900", 2))
    assert filled.status is OrderStatus.FILLED
    assert filled.fill_price == Decimal("59000.00")  # at the limit, no slippage
    assert e.open_orders() == []


def test_a_quote_moves_the_mark_and_nav_but_fills_nothing_and_stores_no_tick() -> None:
    sink = RecordingSink()
    e = engine(sink=sink)
    e.on_tick(tick("60000"))
    assert e.place_order(buy("0.05"), T0).order.status is OrderStatus.FILLED
    resting = e.place_order(sell("0.05", "s1", limit="61000"), T0).order
    before = e.nav()
    e.on_quote(Quote(BTC_USD, Decimal("61999.99"), Decimal("62000.02"), T0 + timedelta(1)))
    assert e.marks[BTC_USD] == Decimal("62000.005")  # the exact mid
    assert e.nav() - before == Decimal("0.05") * (Decimal("62000.005") - Decimal(60000))
    assert e.open_orders() == [resting]  # a quote is not a print
    assert len(sink.of(TickReceived)) == 1
    with pytest.raises(InvalidOrder, match="bid"):
        e.on_quote(Quote(BTC_USD, Decimal(2), Decimal(1), T0))


def test_marketable_limit_fills_at_once_at_the_mark() -> None:
    e = engine()
    e.on_tick(tick("60000"))
    order = e.place_order(buy("0.01", limit="61000"), T0).order
    assert (order.status, order.fill_price) == (OrderStatus.FILLED, Decimal("60000.00"))


def test_cancel_resting_order_by_client_or_exchange_id() -> None:
    e = engine()
    e.on_tick(tick("60000"))
    a = e.place_order(buy("0.01", "a", limit="50000"), T0).order
    b = e.place_order(buy("0.01", "b", limit="50000"), T0).order
    assert e.cancel("a", T0).status is OrderStatus.CANCELLED
    assert e.cancel(b.exchange_id, T0).status is OrderStatus.CANCELLED
    assert e.open_orders() == []
    with pytest.raises(UnknownOrder, match="only open orders"):
        e.cancel("a", T0)
    with pytest.raises(UnknownOrder, match="no order"):
        e.cancel("zzz", T0)
    assert a.exchange_id != b.exchange_id


def test_same_client_id_never_opens_twice() -> None:
    sink = RecordingSink()
    e = engine(sink=sink)
    e.on_tick(tick("60000"))
    first = e.place_order(buy("0.01", "dup"), T0)
    e.on_tick(tick("61000"))
    again = e.place_order(buy("0.01", "dup"), T0)
    assert (first.created, again.created) == (True, False)
    assert again.order == first.order
    assert len(sink.of(TransactionPosted)) == 1


@pytest.mark.parametrize(
    "other",
    [
        sell("0.01", "dup"),
        buy("0.02", "dup"),
        buy("0.01", "dup", limit="59000"),
        OrderRequest("dup", Symbol("ETH", "USD"), OrderSide.BUY, OrderType.MARKET, Decimal("0.01")),
    ],
)
def test_a_used_client_id_refuses_another_order(other: OrderRequest) -> None:
    sink = RecordingSink()
    e = engine(sink=sink)
    e.on_tick(tick("60000"))
    e.place_order(buy("0.01", "dup"), T0)
    before = len(sink.events)
    refused = r"'dup' already names another order \(Buy 0.01 BTC-USD\)"
    with pytest.raises(InvalidOrder, match=refused):
        e.place_order(other, T0)
    assert len(sink.events) == before


def test_the_same_request_again_is_idempotent_with_an_equal_quantity() -> None:
    e = engine()
    e.on_tick(tick("60000"))
    e.place_order(buy("0.01", "dup"), T0)
    assert e.place_order(buy("0.010", "dup"), T0).created is False


@pytest.mark.parametrize(
    ("request_", "problem"),
    [
        (buy("0"), "quantity 0 must be positive"),
        (buy("0.000000001"), "more than the 8 decimals BTC allows"),
        (buy("1", limit="-5"), "limit price -5 must be positive"),
        (buy("1", limit="59999.995"), "limit price 59999.995 has more than the 2 decimals USD"),
        (sell("1", "s", limit="61500.005"), "more than the 2 decimals USD allows"),
        (OrderRequest("c", BTC_USD, OrderSide.BUY, OrderType.LIMIT, Decimal(1)), "needs a limit"),
        (OrderRequest("", BTC_USD, OrderSide.BUY, OrderType.MARKET, Decimal(1)), "client id"),
    ],
)
def test_malformed_orders_raise_and_record_nothing(request_, problem: str) -> None:
    sink = RecordingSink()
    e = engine(sink=sink)
    with pytest.raises(InvalidOrder, match=problem):
        e.place_order(request_, T0)
    assert sink.events == []
    assert e.orders == {}


@pytest.mark.parametrize(
    ("caps", "setup", "request_", "reason"),
    [
        (RiskCaps(), [], buy("0.1"), "no mark for BTC-USD"),
        (RiskCaps(), ["60000"], buy("0.1"), "exposure would be 6000.00, above the cap of 5000"),
        (RiskCaps(max_exposure=Decimal("1000")), ["60000"], buy("0.02"),
         "total exposure would be 1200.00, above the cap of 1000"),
        (RiskCaps(max_open_orders=0), ["60000"], buy("0.01", limit="1"), "max open orders reached"),
        (RiskCaps(max_symbol_exposure=Decimal("10000000"), max_exposure=Decimal("10000000")),
         ["60000"], buy("2"), "insufficient USD"),
        (RiskCaps(), ["60000"], sell("0.1", "s"), "insufficient BTC: hold 0, already selling 0"),
    ],
)  # fmt: skip
def test_refused_orders_are_recorded_as_rejected_with_a_reason(
    caps, setup, request_, reason
) -> None:
    sink = RecordingSink()
    e = engine(sink=sink, caps=caps)
    for price in setup:
        e.on_tick(tick(price))
    order = e.place_order(request_, T0).order
    assert order.status is OrderStatus.REJECTED
    assert order.reason is not None
    assert reason in order.reason
    assert sink.of(OrderUpdated)[-1].order == order
    assert sink.of(TransactionPosted) == []


def test_resting_buys_on_a_symbol_without_a_mark_count_towards_total_exposure() -> None:
    eth_usd = Symbol("ETH", "USD")
    e = engine(caps=RiskCaps(max_exposure=Decimal("1500")))
    resting = OrderRequest("e1", eth_usd, OrderSide.BUY, OrderType.LIMIT, Decimal(1),
                           Decimal(1000))  # fmt: skip
    assert e.place_order(resting, T0).order.status is OrderStatus.OPEN  # no ETH mark: it rests
    e.on_tick(tick("60000"))
    order = e.place_order(buy("0.01"), T0).order  # 600.00 more at the mark: 1600.00 in all
    assert order.status is OrderStatus.REJECTED
    assert order.reason == "total exposure would be 1600.00, above the cap of 1500"


def test_exposure_is_summed_exactly_against_the_caps() -> None:
    # 28 nines plus 0.6 is 0.4 below 10**28; the default 28-digit context rounds the sum up
    # to 10**28, which is above a cap 0.3 below it.
    held = Decimal("9" * 28)
    cap = Decimal("9" * 28 + ".7")
    caps = RiskCaps(max_exposure=cap, max_symbol_exposure=cap)
    veto = partial(risk_veto, caps, symbol="BTC-USD", open_orders=0, rests=False)
    assert veto(added_exposure=Decimal("0.6"), symbol_exposure=held, total_exposure=held) is None
    assert (
        veto(added_exposure=Decimal("0.8"), symbol_exposure=held, total_exposure=Decimal(0))
        == f"BTC-USD exposure would be {held}.8, above the cap of {cap}"
    )
    assert (
        veto(added_exposure=Decimal("0.8"), symbol_exposure=Decimal(0), total_exposure=held)
        == f"total exposure would be {held}.8, above the cap of {cap}"
    )


def test_shadow_mode_records_intended_orders_and_never_fills() -> None:
    sink = RecordingSink()
    e = engine(TradingMode.SHADOW, sink)
    e.on_tick(tick("60000"))
    order = e.place_order(buy("0.01"), T0).order
    assert order.status is OrderStatus.SHADOW
    assert sink.of(TransactionPosted) == []
    assert e.ledger.find_account(holdings_account_name("BTC")) is None


@pytest.mark.parametrize("armed", [False, True])
def test_live_mode_fails_closed(armed: bool) -> None:
    with pytest.raises(LiveTradingUnavailable, match="no live exchange adapter"):
        engine(TradingMode.LIVE, live_armed=armed)


def test_positions_track_average_cost_and_realized_pnl_after_fees() -> None:
    e = engine(caps=RiskCaps(Decimal(10**9), Decimal(10**9), 10))
    e.on_tick(tick("100"))
    e.place_order(buy("3", "b1", limit="100"), T0)
    e.on_tick(tick("130", 1))
    e.place_order(buy("1", "b2", limit="130"), T0)
    e.on_tick(tick("150", 2))
    e.place_order(sell("2", "s1", limit="150"), T0)
    p = e.positions[BTC_USD]
    assert p.quantity == Decimal("2")
    assert p.cost_basis == Decimal("215.00")  # 430 total; half released
    assert p.average_cost(2) == Decimal("107.50")
    assert p.realized_pnl == Decimal("85.00")  # 300 proceeds - 215 basis
    assert p.fees == Decimal("0.78") + Decimal("0.34") + Decimal("0.78")
    assert p.realized_after_fees == Decimal("83.10")
    e.place_order(sell("2", "s2", limit="150"), T0)
    assert e.positions[BTC_USD].cost_basis == 0  # fully closed releases all basis


def test_engine_emits_account_created_on_new_symbol() -> None:
    sink = RecordingSink()
    e = engine(sink=sink)
    e.on_tick(tick("60000"))
    e.place_order(buy("0.01"), T0)
    names = [ev.account.name for ev in sink.of(AccountCreated)]
    assert names == ["Assets:Holdings:BTC", "Equity:Trading:BTC"]


def test_engine_emits_transaction_posted_on_fill() -> None:
    sink = RecordingSink()
    e = engine(sink=sink)
    e.on_tick(tick("60000"))
    e.place_order(buy("0.01"), T0)
    (posted,) = sink.of(TransactionPosted)
    assert posted.transaction == e.ledger.transactions[-1]


def test_engine_emits_order_placed_on_order() -> None:
    sink = RecordingSink()
    e = engine(sink=sink)
    e.on_tick(tick("60000"))
    e.place_order(buy("0.01", limit="50000"), T0)
    (update,) = sink.of(OrderUpdated)
    assert update.order.status is OrderStatus.OPEN


def test_engine_emits_tick_on_market_data() -> None:
    sink = RecordingSink()
    e = engine(sink=sink)
    e.on_tick(tick("60000"))
    assert sink.of(TickReceived)[0].ticker.price == Decimal("60000")


def test_engine_runs_without_storage_channel() -> None:
    e = engine(sink=None)
    e.on_tick(tick("60000"))
    assert e.place_order(buy("0.01"), T0).order.status is OrderStatus.FILLED
    assert e.nav() > 0


def test_fill_events_arrive_in_dependency_order_and_equity_is_throttled() -> None:
    sink = RecordingSink()
    e = engine(sink=sink, equity_interval=timedelta(seconds=60))
    e.on_tick(tick("60000"))
    e.place_order(buy("0.01", "a"), T0 + timedelta(seconds=1))
    e.place_order(buy("0.01", "b"), T0 + timedelta(seconds=2))
    kinds = [type(ev).__name__ for ev in sink.events]
    assert kinds[:7] == ["TickReceived", "EquitySnapshot", "AccountCreated", "AccountCreated",
                         "TransactionPosted", "OrderUpdated", "PositionSnapshot"]  # fmt: skip
    assert len(sink.of(EquitySnapshot)) == 1  # throttled to one a minute
    assert len(sink.of(PositionSnapshot)) == 2


def test_nav_equals_ledger_nav_across_a_trading_session() -> None:
    e = engine(caps=RiskCaps(Decimal(10**9), Decimal(10**9), 10))
    for n, price in enumerate(["60000", "61000", "59000", "62000"]):
        e.on_tick(tick(price, n))
        e.place_order(buy("0.1", f"b{n}") if n % 2 == 0 else sell("0.1", f"s{n}"), T0)
    cash = balance(e, cash_account_name("USD"))
    held = balance(e, holdings_account_name("BTC"))
    assert e.nav() == cash + held * Decimal("62000")


def test_a_book_trades_in_a_second_quote_currency_at_its_rate() -> None:
    eur_usd, btc_eur = Symbol("EUR", "USD"), Symbol("BTC", "EUR")
    e = engine(caps=RiskCaps(Decimal(10**6), Decimal(10**6), 10))
    e.on_tick(Ticker(btc_eur, Decimal("50000"), T0))
    refused = e.place_order(OrderRequest("x1", btc_eur, OrderSide.BUY, OrderType.MARKET,
                                         Decimal("0.01")), T0).order  # fmt: skip
    assert refused.status is OrderStatus.REJECTED
    assert "ingot mark EUR-USD RATE" in (refused.reason or "")
    e.on_tick(Ticker(eur_usd, Decimal("1.25"), T0))
    bought = e.place_order(OrderRequest("e1", eur_usd, OrderSide.BUY, OrderType.MARKET,
                                        Decimal("1000")), T0).order  # fmt: skip
    assert bought.status is OrderStatus.FILLED
    poor = e.place_order(OrderRequest("x2", btc_eur, OrderSide.BUY, OrderType.MARKET,
                                      Decimal("1")), T0).order  # fmt: skip
    assert "insufficient EUR" in (poor.reason or "")  # EUR cash, not USD, pays for BTC-EUR
    filled = e.place_order(OrderRequest("x3", btc_eur, OrderSide.BUY, OrderType.MARKET,
                                        Decimal("0.01")), T0).order  # fmt: skip
    assert filled.status is OrderStatus.FILLED
    # The EUR bought is a position (Holdings:EUR); BTC-EUR settles in Cash:EUR: their sum.
    held_eur = balance(e, cash_account_name("EUR")) + balance(e, holdings_account_name("EUR"))
    assert held_eur == Decimal(1000) - filled.cost - filled.fee
    marks = e.currency_marks()
    assert marks["BTC"] == Decimal("50000") * Decimal("1.25")  # BTC-EUR at EUR-USD, exactly
    nav = e.nav()
    e.on_tick(Ticker(eur_usd, Decimal("1.30"), T0 + timedelta(1)))
    moved = (held_eur + Decimal("0.01") * Decimal(50000)) * (Decimal("1.30") - Decimal("1.25"))
    assert e.nav() - nav == moved  # both EUR cash and BTC priced in EUR move with the rate

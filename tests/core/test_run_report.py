"""A run's figures from a scripted strategy over a known price path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from ingot_core.accounting import bootstrap_ledger
from ingot_core.engine import PaperExchange, RiskCaps, StorageEvent, TradingEngine, run_strategy
from ingot_core.engine.run_report import RunSummary, RunTracker
from ingot_core.execution import OrderSide
from ingot_core.feed import Ticker
from ingot_core.signals import Signal
from ingot_core.symbols import Symbol
from tests.builders import T0, USD

BTC = Symbol("BTC", "USD")


class _Nowhere:
    def emit(self, events: Sequence[StorageEvent]) -> None:
        pass


class _Script:
    """Buys at the second tick and sells at the last: a known round trip."""

    name = "script"

    def __init__(self, sides: dict[int, OrderSide]) -> None:
        self.sides, self.seen = sides, 0

    @property
    def parameters(self) -> dict[str, int]:
        return {}

    def on_tick(self, ticker: Ticker) -> Signal | None:
        self.seen += 1
        side = self.sides.get(self.seen)
        if side is None:
            return None
        return Signal("script", ticker.symbol, side, "SCRIPT", ticker.price, ticker.timestamp, ())


def _run(prices: list[str], sides: dict[int, OrderSide]) -> tuple[RunSummary, TradingEngine]:
    ledger = bootstrap_ledger(USD, Decimal("1000.00"), T0)
    engine = TradingEngine(ledger, USD, sink=_Nowhere(), caps=RiskCaps(Decimal(10**6),
                           Decimal(10**6), 10), exchange=PaperExchange(Decimal("0.001"),
                           Decimal(0)))  # fmt: skip
    tracker = RunTracker(engine)
    ticks = [Ticker(BTC, Decimal(p), T0 + timedelta(minutes=n)) for n, p in enumerate(prices)]
    run = run_strategy(engine, _Script(sides), ticks, Decimal("1"), "r1", on_tick=tracker.observe)
    return tracker.summary(run, "script", {}, "paper", "bt-r1"), engine


def test_a_winning_round_trip_with_a_dip_in_between() -> None:
    s, engine = _run(
        ["100", "100", "90", "95", "120", "120"], {2: OrderSide.BUY, 6: OrderSide.SELL}
    )
    assert (s.trades, s.wins, s.losses) == (2, 1, 0)
    assert s.fees == Decimal("0.10") + Decimal("0.12")  # 0.1% of 100 and of 120
    assert s.net_pnl == Decimal("20") - s.fees  # bought at 100, sold at 120
    assert s.gross_pnl == Decimal("20")
    assert s.first_equity == Decimal("1000.00")
    assert s.last_equity == engine.nav()
    # From the high before the dip (the first tick, 1000.00) to the low at 90, less the fee.
    assert s.max_drawdown == Decimal("10.10")
    assert s.drawdown_peak_at == T0
    assert s.drawdown_trough_at == T0 + timedelta(minutes=2)
    # Held from the second tick to the last: four of the five minutes.
    assert (s.exposed_seconds, s.duration_seconds) == (Decimal(240), Decimal(300))
    assert s.win_rate == Decimal(1)


def test_a_losing_sell_counts_as_a_loss_and_the_summary_round_trips_as_data() -> None:
    s, _ = _run(["100", "100", "80", "80"], {2: OrderSide.BUY, 3: OrderSide.SELL})
    assert (s.wins, s.losses) == (0, 1)
    assert RunSummary.from_data(s.as_data()) == s


def test_a_live_runs_heartbeat_counts_signals_orders_fills_and_vetoes() -> None:
    from ingot_core.execution import Order, OrderRequest, OrderStatus, OrderType
    from ingot_core.feeds.stats import FeedStats
    from ingot_core.symbols import Symbol

    symbol = Symbol("BTC", "USD")
    tick = Ticker(symbol, Decimal(100), T0)

    def placed(n: int, status: OrderStatus) -> tuple[Signal, Order]:
        request = OrderRequest(f"r-{n}", symbol, OrderSide.BUY, OrderType.MARKET, Decimal(1))
        signal = Signal("sma", symbol, OrderSide.BUY, "SMA_CROSSOVER", Decimal(100), T0)
        return signal, Order(request, f"x-{n}", status, T0, T0)

    stats, signals = FeedStats(), list[tuple[Signal, Order]]()
    stats.strategy_took(tick, signals)
    signals += [placed(1, OrderStatus.FILLED), placed(2, OrderStatus.REJECTED)]
    stats.strategy_took(tick, signals)
    signals.append(placed(3, OrderStatus.SHADOW))
    stats.strategy_took(tick, signals)
    stats.strategy_took(tick, signals)  # nothing new: nothing counted twice
    assert (stats.processed, stats.signals, stats.orders, stats.fills, stats.vetoes) == (
        4, 3, 2, 1, 1)  # fmt: skip

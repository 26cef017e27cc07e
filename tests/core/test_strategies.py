"""SMA crossover (seed 003) and a strategy driving the engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ingot_core.accounting import bootstrap_ledger
from ingot_core.engine import (
    PaperExchange,
    SignalRaised,
    TradingEngine,
    TradingMode,
    run_strategy,
)
from ingot_core.errors import ValidationError
from ingot_core.execution import OrderSide, OrderStatus
from ingot_core.feed import Ticker
from ingot_core.strategies import SmaCrossover, create_strategy
from ingot_core.symbols import Symbol
from tests.builders import T0, USD

TEST_USD = Symbol("TEST", "USD")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def seed_scenario() -> list[Ticker]:
    """Seed 003's 50 ticks: flat at 100, up to 110, down to 90; one second apart."""
    ticks = []
    for i in range(50):
        price = 100 if i < 20 else 100 + (i - 19) if i < 30 else 110 - (i - 29)
        ts = EPOCH + timedelta(seconds=1_700_000_000 + i)
        ticks.append(Ticker(TEST_USD, Decimal(price), ts))
    return ticks


def test_sma_crossover_emits_buy_and_sell() -> None:
    strategy = SmaCrossover()
    signals = [s for t in seed_scenario() if (s := strategy.on_tick(t)) is not None]
    assert [s.side for s in signals] == [OrderSide.BUY, OrderSide.SELL]
    assert [int((s.timestamp - EPOCH).total_seconds()) for s in signals] == [
        1_700_000_020,
        1_700_000_037,
    ]
    assert signals[0].reason == "SMA_CROSSOVER"
    assert dict(signals[0].indicators) == {
        "short_sma": Decimal("100.2"),
        "long_sma": Decimal("100.05"),
    }
    assert dict(signals[1].indicators) == {"short_sma": Decimal(104), "long_sma": Decimal("104.95")}


def test_flat_prices_never_signal() -> None:
    strategy = SmaCrossover(short=2, long=3)
    flat = [Ticker(TEST_USD, Decimal(5), T0 + timedelta(seconds=i)) for i in range(30)]
    assert [strategy.on_tick(t) for t in flat] == [None] * 30


def test_windows_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        SmaCrossover(short=0, long=0)
    assert len(caught.value.problems) == 2
    with pytest.raises(ValidationError, match="not a strategy; known: sma"):
        create_strategy("rsi")


def test_thirds_do_not_round_the_decision() -> None:
    # short 1, long 3 over 1, 1, 1, then 1 + 1e-30: the averages differ only beyond 28 digits.
    strategy = create_strategy("sma", short=1, long=3)
    tiny = Decimal("1.000000000000000000000000000001")
    prices = [Decimal(1)] * 3 + [tiny]
    out = [strategy.on_tick(Ticker(TEST_USD, p, T0 + timedelta(seconds=i))) for i, p in
           enumerate(prices)]  # fmt: skip
    assert out[-1] is not None
    assert out[-1].side is OrderSide.BUY


class Sink:
    def __init__(self) -> None:
        self.units: list[list[object]] = []

    def emit(self, events) -> None:
        self.units.append(list(events))


def engine(mode: TradingMode, sink: Sink, slippage: str = "5") -> TradingEngine:
    ledger = bootstrap_ledger(USD, Decimal("10000.00"), T0)
    exchange = PaperExchange(fee_rate=Decimal("0.001"), slippage_bps=Decimal(slippage))
    return TradingEngine(ledger, USD, sink=sink, mode=mode, exchange=exchange, new_id=lambda: "x")


@pytest.mark.parametrize(
    ("mode", "status"),
    [(TradingMode.PAPER, OrderStatus.FILLED), (TradingMode.SHADOW, OrderStatus.SHADOW)],
)
def test_the_replay_drives_one_buy_then_one_sell(mode, status) -> None:
    sink = Sink()
    run = run_strategy(engine(mode, sink), SmaCrossover(), seed_scenario(), Decimal("0.1"), "r1")
    assert run.ticks == 50
    assert [(s.side, o.request.client_id, o.status) for s, o in run.signals] == [
        (OrderSide.BUY, "r1-1", status),
        (OrderSide.SELL, "r1-2", status),
    ]
    units_with_signals = [u for u in sink.units if any(isinstance(e, SignalRaised) for e in u)]
    assert len(units_with_signals) == 2
    for unit in units_with_signals:
        assert isinstance(unit[0], SignalRaised)  # the signal leads its order, same unit


def test_paper_replay_books_the_round_trip() -> None:
    sink = Sink()
    eng = engine(TradingMode.PAPER, sink, slippage="0")
    run = run_strategy(eng, SmaCrossover(), seed_scenario(), Decimal("0.1"), "r1")
    buy, sell = (o for _, o in run.signals)
    assert (buy.fill_price, sell.fill_price) == (Decimal("101.00"), Decimal("102.00"))
    assert (buy.fee, sell.fee) == (Decimal("0.01"), Decimal("0.01"))
    position = eng.positions[TEST_USD]
    assert position.quantity == 0
    assert position.realized_after_fees == Decimal("0.08")  # 10.20 - 10.10 - 2 x 0.01


def test_a_replay_is_deterministic() -> None:
    def signals() -> list[tuple[object, ...]]:
        run = run_strategy(
            engine(TradingMode.PAPER, Sink()), SmaCrossover(), seed_scenario(), Decimal("0.1"), "r"
        )
        return [(s, o.request, o.status, o.fill_price, o.fee) for s, o in run.signals]

    assert signals() == signals()

"""A strategy driving the engine over a stream of ticks (a replay, or bars as closes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ingot_core.engine.engine import TradingEngine
from ingot_core.execution import Order, OrderRequest, OrderType
from ingot_core.feed import Ticker
from ingot_core.signals import Signal
from ingot_core.strategies import Strategy

__all__ = ["StrategyRun", "run_strategy"]


@dataclass
class StrategyRun:
    """What one run did.

    Attributes:
      run_id: names the run; its orders' client ids are "<run_id>-<n>".
      ticks: how many ticks the strategy saw.
      signals: every signal, in order, with the order placed for it.
    """

    run_id: str
    ticks: int = 0
    signals: list[tuple[Signal, Order]] = field(default_factory=list)


def run_strategy(
    engine: TradingEngine,
    strategy: Strategy,
    ticks: Iterable[Ticker],
    quantity: Decimal,
    run_id: str,
    on_tick: Callable[[StrategyRun, Ticker], None] | None = None,
) -> StrategyRun:
    """Feed each tick to the engine (marks, resting fills), then to the strategy.

    A signal becomes a market order for `quantity`, placed at the tick's instant: filled in
    PAPER mode, recorded as intended in SHADOW mode, and recorded with its signal in one unit.
    The same ticks and settings give the same signals and client ids.
    """
    run = StrategyRun(run_id)
    for ticker in ticks:
        engine.on_tick(ticker)
        run.ticks += 1
        signal = strategy.on_tick(ticker)
        if signal is not None:
            request = OrderRequest(
                client_id=f"{run_id}-{len(run.signals) + 1}",
                symbol=signal.symbol,
                side=signal.side,
                type=OrderType.MARKET,
                quantity=quantity,
            )
            placed = engine.place_order(
                request, ticker.timestamp, signal=(signal, run_id, run.ticks)
            )
            run.signals.append((signal, placed.order))
        if on_tick is not None:
            on_tick(run, ticker)  # after the tick and any order it made went through
    return run

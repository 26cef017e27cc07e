"""What a strategy run did, in a trader's figures: trades, wins and losses, gross and net PnL,
fees, the deepest drawdown and when, the time spent holding, first and last equity.

A `RunTracker` watches the engine after every tick of the run (NAV at the tick's marks,
positions, the fills the run placed) and makes the `RunSummary` at the end. Every amount is
exact, in the book's currency:

- net PnL is the change in NAV over the run (fees and slippage included);
- gross PnL is net PnL before fees;
- a win or a loss is a fill that closed (part of) a position: its realized PnL less its fee
  is above or below zero; fills that open or add count as trades only;
- the drawdown is measured on NAV after each tick, from the highest NAV before it;
- exposure is the time between ticks during which a position was held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ingot_core.engine.engine import TradingEngine
from ingot_core.engine.strategy_run import StrategyRun
from ingot_core.errors import MissingMarks
from ingot_core.execution import OrderSide, OrderStatus
from ingot_core.feed import Ticker

__all__ = ["RunSummary", "RunTracker"]

_AMOUNTS = ("gross_pnl", "fees", "net_pnl", "max_drawdown", "first_equity", "last_equity")
_INSTANTS = ("started_at", "ended_at", "drawdown_peak_at", "drawdown_trough_at")


@dataclass(frozen=True)
class RunSummary:
    """One run's figures (see the module docstring for what each means).

    Attributes:
      run_id, strategy, book, mode: which run, of what, where, how (paper or shadow).
      parameters: the strategy's settings.
      ticks: how many ticks it saw; trades: how many of its orders filled.
      wins, losses: closing fills with a positive or negative net result.
      gross_pnl, fees, net_pnl: in `currency`.
      max_drawdown: the deepest fall of NAV from a previous high, with the high's and the
        low's instants (None: NAV never fell).
      exposed_seconds, duration_seconds: time holding a position, and from first to last tick.
      first_equity, last_equity: NAV before the first tick and after the last.
    """

    run_id: str
    strategy: str
    book: str
    mode: str
    parameters: dict[str, int]
    currency: str
    ticks: int
    trades: int
    wins: int
    losses: int
    gross_pnl: Decimal
    fees: Decimal
    net_pnl: Decimal
    max_drawdown: Decimal
    drawdown_peak_at: datetime | None
    drawdown_trough_at: datetime | None
    exposed_seconds: Decimal
    duration_seconds: Decimal
    first_equity: Decimal
    last_equity: Decimal
    started_at: datetime | None
    ended_at: datetime | None

    @property
    def win_rate(self) -> Decimal | None:
        """Wins over closing fills, as a fraction (None: nothing was closed)."""
        closed = self.wins + self.losses
        return None if closed == 0 else Decimal(self.wins) / Decimal(closed)

    def as_data(self) -> dict[str, Any]:
        """Plain JSON data: amounts and seconds as exact strings, instants in ISO 8601."""
        data: dict[str, Any] = dict(self.__dict__)
        for name in (*_AMOUNTS, "exposed_seconds", "duration_seconds"):
            data[name] = str(data[name])
        for name in _INSTANTS:
            data[name] = None if data[name] is None else data[name].isoformat()
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> RunSummary:
        """The summary `as_data` wrote."""
        values = dict(data)
        for name in (*_AMOUNTS, "exposed_seconds", "duration_seconds"):
            values[name] = Decimal(values[name])
        for name in _INSTANTS:
            values[name] = None if values[name] is None else datetime.fromisoformat(values[name])
        return cls(**values)


class RunTracker:
    """Watches `engine` through one run: call `observe` after each tick, `summary` at the end."""

    def __init__(self, engine: TradingEngine) -> None:
        self._engine = engine
        self._first = self._nav()
        self._last = self._first
        self._peak = self._first
        self._peak_at: datetime | None = None
        self._drawdown = Decimal(0)
        self._drawdown_span: tuple[datetime | None, datetime | None] = (None, None)
        self._started: datetime | None = None
        self._previous: datetime | None = None
        self._holding = self._held()
        self._exposed = timedelta(0)
        self._seen = 0  # orders of the run looked at so far
        self._trades = self._wins = self._losses = 0
        self._fees = Decimal(0)
        self._realized = self._realized_by_symbol()

    def observe(self, run: StrategyRun, ticker: Ticker) -> None:
        """Take in the engine's state after `ticker` went through it and the strategy."""
        now = ticker.timestamp
        if self._started is None:
            self._started = now
            self._peak_at = now  # the equity the run starts from stands at its first tick
        if self._previous is not None and self._holding and now > self._previous:
            self._exposed += now - self._previous
        self._previous = now
        self._count_fills(run)
        self._holding = self._held()
        nav = self._nav()
        if nav is None:
            return  # a held currency has no mark yet: no honest NAV at this tick
        self._last = nav
        if self._peak is None or nav > self._peak:
            self._peak, self._peak_at = nav, now
        elif self._peak - nav > self._drawdown:
            self._drawdown, self._drawdown_span = self._peak - nav, (self._peak_at, now)

    def summary(
        self, run: StrategyRun, strategy: str, parameters: dict[str, int], mode: str, book: str
    ) -> RunSummary:
        """The run's figures as they stand."""
        first = self._first if self._first is not None else Decimal(0)
        last = self._last if self._last is not None else first
        net = last - first
        duration = (
            self._previous - self._started if self._previous and self._started else timedelta(0)
        )
        return RunSummary(
            run.run_id, strategy, book, mode, dict(parameters), self._engine.base_currency.code,
            run.ticks, self._trades, self._wins, self._losses, net + self._fees, self._fees,
            net, self._drawdown, *self._drawdown_span, _seconds(self._exposed),
            _seconds(duration), first, last, self._started, self._previous,
        )  # fmt: skip

    def _count_fills(self, run: StrategyRun) -> None:
        realized = self._realized_by_symbol()
        for _, order in run.signals[self._seen :]:
            if order.status is not OrderStatus.FILLED:
                continue
            self._trades += 1
            fee = order.fee or Decimal(0)
            self._fees += fee
            if order.request.side is OrderSide.SELL:  # closes (part of) a long position
                symbol = order.request.symbol
                result = realized.get(symbol, Decimal(0)) - self._realized.get(symbol, Decimal(0))
                if result - fee > 0:
                    self._wins += 1
                elif result - fee < 0:
                    self._losses += 1
        self._seen = len(run.signals)
        self._realized = realized

    def _realized_by_symbol(self) -> dict[Any, Decimal]:
        return {s: p.realized_pnl for s, p in self._engine.positions.items()}

    def _held(self) -> bool:
        return any(p.quantity for p in self._engine.positions.values())

    def _nav(self) -> Decimal | None:
        try:
            return self._engine.nav()
        except MissingMarks:
            return None


def _seconds(span: timedelta) -> Decimal:
    return Decimal(span.days * 86_400 + span.seconds) + Decimal(span.microseconds).scaleb(-6)

"""What a running feed counts (seed 003's heartbeat): per symbol its last price, ticks and
last tick time; in all, ticks received and processed, fills, and the time it has run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ingot_core.execution import Order, OrderStatus
from ingot_core.feed import Ticker
from ingot_core.signals import Signal
from ingot_core.symbols import Symbol

__all__ = ["FeedStats", "SymbolStats"]


@dataclass
class SymbolStats:
    """One symbol's feed so far."""

    last_price: Decimal | None = None
    ticks: int = 0
    last_at: datetime | None = None  # the market time of its last tick
    seen: float | None = None  # when the last tick was taken, on the caller's clock


@dataclass
class FeedStats:
    """A feed's counters.

    Attributes:
      received: ticks the source gave; processed: ticks the engine took.
      fills: resting orders those ticks filled; bars: bars built from them and stored.
      quotes: quotes between the ticks that moved the marks.
      signals, orders, vetoes: a strategy's signals, the orders they placed, and those the
        risk checks refused (a feed without a strategy leaves them 0).
      symbols: each symbol's own counts.
    """

    received: int = 0
    processed: int = 0
    fills: int = 0
    bars: int = 0
    quotes: int = 0
    signals: int = 0
    orders: int = 0
    vetoes: int = 0
    symbols: dict[Symbol, SymbolStats] = field(default_factory=dict)

    def took(self, ticker: Ticker, fills: int, seen: float | None = None) -> None:
        """Count one tick the engine processed, and the fills it made; `seen`: when, on the
        caller's monotonic clock."""
        self.processed += 1
        self.fills += fills
        own = self.symbols.setdefault(ticker.symbol, SymbolStats())
        own.last_price, own.ticks, own.last_at = ticker.price, own.ticks + 1, ticker.timestamp
        own.seen = seen

    def strategy_took(
        self, ticker: Ticker, signals: Sequence[tuple[Signal, Order]], seen: float | None = None
    ) -> None:
        """Count one tick a strategy run took; `signals`: the run's signals so far, each with
        the order placed for it (refused by the risk checks: a veto)."""
        self.took(ticker, 0, seen)
        for _, order in signals[self.signals :]:
            self.signals += 1
            if order.status is OrderStatus.REJECTED:
                self.vetoes += 1
            else:
                self.orders += 1
                self.fills += int(order.status is OrderStatus.FILLED)

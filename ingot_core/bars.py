"""Bars from trades, and the holes in a series of bars."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ingot_core.errors import ValidationError
from ingot_core.feed import BarInterval, OhlcvBar
from ingot_core.money import exact_sum
from ingot_core.symbols import Symbol

__all__ = ["BarBuilder", "Gap", "TradePrint", "find_gaps"]


@dataclass(frozen=True, slots=True)
class TradePrint:
    """One public trade.

    Attributes:
      price: the trade price in the quote currency.
      volume: the base quantity traded.
      timestamp: when it traded (UTC).
      trade_id: the venue's id of the trade, when it gives one.
    """

    price: Decimal
    volume: Decimal
    timestamp: datetime
    trade_id: int | None = None


class BarBuilder:
    """Folds time-ordered trades into closed bars of one width.

    A bar is handed out only once it is closed: a later trade, or `close_until` with an
    instant at or past its end, proves nothing more can land in it.
    """

    def __init__(self, symbol: Symbol, interval: BarInterval) -> None:
        self.symbol = symbol
        self.interval = interval
        self._opening: datetime | None = None
        self._prices: list[Decimal] = []
        self._volumes: list[Decimal] = []
        self._last_trade: datetime | None = None

    @property
    def open_bar(self) -> datetime | None:
        """The opening of the bar still collecting trades, if any."""
        return self._opening

    def add(self, trade: TradePrint) -> list[OhlcvBar]:
        """Take one trade; return the bar it closed, if it closed one."""
        if self._last_trade is not None and trade.timestamp < self._last_trade:
            raise ValidationError(
                "trade",
                [f"{trade.timestamp.isoformat()} is earlier than {self._last_trade.isoformat()}"],
            )
        self._last_trade = trade.timestamp
        opening = self.interval.floor(trade.timestamp)
        closed = self.close_until(opening)
        self._opening = opening
        self._prices.append(trade.price)
        self._volumes.append(trade.volume)
        return closed

    def close_until(self, instant: datetime) -> list[OhlcvBar]:
        """Close the collecting bar if `instant` is at or past its end."""
        if self._opening is None or instant < self._opening + self.interval.duration:
            return []
        prices = self._prices
        bar = OhlcvBar(
            symbol=self.symbol,
            interval=self.interval,
            timestamp=self._opening,
            open=prices[0],
            high=max(prices),
            low=min(prices),
            close=prices[-1],
            volume=exact_sum(self._volumes),
            trade_count=len(prices),
        )
        self._opening = None
        self._prices = []
        self._volumes = []
        return [bar]


@dataclass(frozen=True, slots=True)
class Gap:
    """A run of missing bars.

    Attributes:
      start: the first missing bar's opening.
      end: the last missing bar's opening.
      missing: how many bars are missing.
    """

    start: datetime
    end: datetime
    missing: int


def find_gaps(
    openings: Iterable[datetime], interval: BarInterval, start: datetime, end: datetime
) -> Iterator[Gap]:
    """Runs of bar openings in [start, end] that `openings` (ascending) does not hold."""
    step = interval.duration
    expected = interval.floor(start)
    if expected < start:
        expected += step
    for opening in openings:
        if opening < expected:
            continue
        if opening > end:
            break
        if opening > expected:
            yield Gap(expected, opening - step, (opening - expected) // step)
        expected = opening + step
    if expected <= end:
        last = interval.floor(end)
        yield Gap(expected, last, (last - expected) // step + 1)

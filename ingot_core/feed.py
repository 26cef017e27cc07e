"""Market data the engine consumes: ticks and OHLCV bars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ingot_core.errors import ValidationError
from ingot_core.instants import epoch_seconds, from_epoch
from ingot_core.symbols import Symbol

__all__ = ["BarInterval", "FeedItem", "InvalidBar", "OhlcvBar", "Quote", "Ticker", "bar_problems"]


@dataclass(frozen=True, slots=True)
class Ticker:
    """A last-trade price for one symbol at one instant.

    Attributes:
      symbol: the market.
      price: positive price in the quote currency.
      timestamp: UTC instant.
      volume: traded quantity at that price, when the source gives one.
      seq: the print's place in its source: its trade id when the source gives one, else its
        ordinal among the prints of this symbol at this instant (0 for the first), so that
        every print is kept and the same print read twice is one tick.
    """

    symbol: Symbol
    price: Decimal
    timestamp: datetime
    volume: Decimal | None = None
    seq: int = 0


@dataclass(frozen=True, slots=True)
class Quote:
    """The best bid and ask of one symbol at one instant: a mark between trades.

    A quote moves the mark (its mid) and so NAV; it is not a trade, so it is neither stored on
    the tape nor a fill for a resting order (paper fills follow prints, not quotes).
    """

    symbol: Symbol
    bid: Decimal
    ask: Decimal
    timestamp: datetime

    @property
    def mid(self) -> Decimal:
        """Halfway between bid and ask, exactly (halving a decimal never needs rounding)."""
        return (self.bid + self.ask) / 2


FeedItem = Ticker | Quote
"""What a live feed gives: trades (the tape) and, between them, quotes (marks)."""


class BarInterval(StrEnum):
    """A candlestick width. Bars open at multiples of the width since the Unix epoch (UTC)."""

    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    M30 = "30m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"
    W1 = "1w"

    @classmethod
    def parse(cls, text: str) -> BarInterval:
        """Parse "1m" … "1w" (also "1H", "1D", "1W"); raise ValueError listing the choices.

        Case is ignored except for minutes: "1M" reads as a month elsewhere, so it is refused
        rather than taken for one minute.
        """
        raw = text.strip()
        try:
            if raw.endswith("M"):
                raise ValueError
            return cls(raw.lower())
        except ValueError:
            choices = " ".join(i.value for i in cls)
            hint = (
                " (minutes are a lower-case m; months are not an interval)"
                if raw.endswith("M")
                else ""
            )
            raise ValueError(f"interval {raw[:20]!r} is not one of: {choices}{hint}") from None

    @property
    def minutes(self) -> int:
        """The width in minutes: Kraken's `interval` parameter."""
        return _MINUTES[self]

    @property
    def seconds(self) -> int:
        """The width in seconds."""
        return _MINUTES[self] * 60

    @property
    def duration(self) -> timedelta:
        """The width as a timedelta."""
        return timedelta(minutes=_MINUTES[self])

    def floor(self, instant: datetime) -> datetime:
        """The opening instant of the bar that contains `instant`."""
        return from_epoch(self.floor_seconds(epoch_seconds(instant)))

    def floor_seconds(self, epoch_seconds: int) -> int:
        """The opening of the bar containing `epoch_seconds`, in epoch seconds."""
        return epoch_seconds - epoch_seconds % self.seconds

    def is_aligned(self, instant: datetime) -> bool:
        """Whether `instant` is exactly a bar opening for this width."""
        return instant.tzinfo is not None and self.floor(instant) == instant


_MINUTES = {
    BarInterval.M1: 1,
    BarInterval.M5: 5,
    BarInterval.M15: 15,
    BarInterval.M30: 30,
    BarInterval.H1: 60,
    BarInterval.H4: 240,
    BarInterval.D1: 1440,
    BarInterval.W1: 10080,
}


class InvalidBar(ValidationError):
    """An OHLCV bar whose numbers cannot describe real trading."""


def bar_problems(
    open_: Decimal, high: Decimal, low: Decimal, close: Decimal, volume: Decimal, trades: int
) -> list[str]:
    """Every way these bar values are inconsistent, each named by its field."""
    problems = [
        f"{name} must be positive, got {value}"
        for name, value in (("open", open_), ("high", high), ("low", low), ("close", close))
        if not value > 0
    ]
    if problems:
        return problems
    if high < max(open_, close, low):
        problems.append(f"high {high} is below open, close or low")
    if low > min(open_, close):
        problems.append(f"low {low} is above open or close")
    if volume < 0:
        problems.append(f"volume must not be negative, got {volume}")
    if trades < 0:
        problems.append(f"trades must not be negative, got {trades}")
    return problems


@dataclass(frozen=True, slots=True)
class OhlcvBar:
    """One closed candlestick.

    Attributes:
      symbol: the market.
      interval: the bar's width.
      timestamp: the bar's opening instant (UTC, aligned to the interval).
      open, high, low, close: prices in the quote currency.
      volume: base quantity traded in the bar.
      trade_count: how many trades made the bar.
    """

    symbol: Symbol
    interval: BarInterval
    timestamp: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    trade_count: int

    def __post_init__(self) -> None:
        problems = bar_problems(
            self.open, self.high, self.low, self.close, self.volume, self.trade_count
        )
        if not self.interval.is_aligned(self.timestamp):
            problems.append(
                f"timestamp {self.timestamp.isoformat()} is not a {self.interval} bar opening"
            )
        if problems:
            raise InvalidBar(f"{self.symbol} {self.interval} bar", problems)

    @property
    def closes_at(self) -> datetime:
        """The instant the bar ends (exclusive)."""
        return self.timestamp + self.interval.duration

"""Simple-moving-average crossover (seed 003): buy when the short SMA crosses above the long.

The crossing is decided exactly: the sign of short_sum/short_n - long_sum/long_n is the sign
of short_sum*long_n - long_sum*short_n, which Decimal computes without rounding. The SMA
values a signal reports are indicators, rounded to 28 significant digits for display.
"""

from __future__ import annotations

import decimal
from collections import deque
from decimal import Decimal

from ingot_core.errors import ValidationError
from ingot_core.execution import OrderSide
from ingot_core.feed import Ticker
from ingot_core.money import EXACT, exact_sum
from ingot_core.signals import Signal

__all__ = ["SmaCrossover"]

REASON = "SMA_CROSSOVER"
_DISPLAY = decimal.Context(prec=28)


class SmaCrossover:
    """Seed 003's strategy: windows of `short` and `long` prices, one signal per crossing.

    The first `long` ticks warm up; the tick that fills the window sets the starting side
    without a signal; after that a BUY fires when short - long turns from <= 0 to > 0 and
    a SELL when it turns from >= 0 to < 0.
    """

    name = "sma"

    def __init__(self, short: int = 5, long: int = 20) -> None:
        problems = []
        if short < 1:
            problems.append(f"short window must be at least 1, got {short}")
        if long <= short:
            problems.append(f"long window ({long}) must be longer than the short one ({short})")
        if problems:
            raise ValidationError("sma strategy", problems)
        self.short = short
        self.long = long
        self._prices: deque[Decimal] = deque(maxlen=long)
        self._previous: int | None = None  # sign of short - long at the previous tick

    @property
    def parameters(self) -> dict[str, int]:
        """The windows, for the record of a run."""
        return {"short": self.short, "long": self.long}

    def on_tick(self, ticker: Ticker) -> Signal | None:
        """Take one price; return a signal when the averages cross."""
        self._prices.append(ticker.price)
        if len(self._prices) < self.long:
            return None
        short_sum = exact_sum(list(self._prices)[-self.short :])
        long_sum = exact_sum(self._prices)
        difference = EXACT.subtract(
            EXACT.multiply(short_sum, Decimal(self.long)),
            EXACT.multiply(long_sum, Decimal(self.short)),
        )
        current = (difference > 0) - (difference < 0)
        previous, self._previous = self._previous, current
        if previous is None:
            return None
        if previous <= 0 < current:
            side = OrderSide.BUY
        elif previous >= 0 > current:
            side = OrderSide.SELL
        else:
            return None
        return Signal(
            strategy=self.name,
            symbol=ticker.symbol,
            side=side,
            reason=REASON,
            price=ticker.price,
            timestamp=ticker.timestamp,
            indicators=(
                ("short_sma", _DISPLAY.divide(short_sum, self.short)),
                ("long_sma", _DISPLAY.divide(long_sum, self.long)),
            ),
        )

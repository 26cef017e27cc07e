"""Seed 003's deterministic tick generator, exactly: every symbol starts at 100 and moves by
0.05 times a direction that follows the tick count modulo 5 (up for 0, 2 and 3, down by half a
step for 1 and 4), never below 1.0; only every `sample_every`-th step becomes a tick. Prices are
Decimals (100, 100.05, 100.025, …) and the n-th tick is stamped `start + n * interval`, so two
runs from the same start give the same ticks, to the microsecond.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from ingot_core.feed import Ticker
from ingot_core.symbols import Symbol

__all__ = ["synthetic_ticks"]

_START, _STEP, _FLOOR = Decimal(100), Decimal("0.05"), Decimal("1.0")
_DIRECTIONS = (Decimal(1), Decimal("-0.5"), Decimal(1), Decimal(1), Decimal("-0.5"))


def synthetic_ticks(
    symbols: Sequence[Symbol], start: datetime, interval: timedelta, sample_every: int = 1
) -> Iterator[Ticker]:
    """Ticks for `symbols` in turn, without end (the caller stops): one step of every symbol
    per interval."""
    if sample_every < 1:
        raise ValueError("sample_every must be at least 1")
    prices = {symbol: _START for symbol in symbols}
    counts = dict.fromkeys(symbols, 0)
    for sequence in itertools.count(1):
        at = start + interval * sequence
        if sequence % sample_every:
            continue
        for symbol in symbols:
            step = _STEP * _DIRECTIONS[counts[symbol] % 5]
            counts[symbol] += 1
            prices[symbol] = max(prices[symbol] + step, _FLOOR)
            yield Ticker(symbol, prices[symbol], at, Decimal(1))

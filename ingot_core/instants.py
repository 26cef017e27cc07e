"""Instants as Unix time: the one place Ingot converts between datetimes and epoch numbers.

Every conversion is exact integer arithmetic on timedelta's days, seconds and microseconds;
no float is involved at any step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

__all__ = ["EPOCH", "epoch_micros", "epoch_seconds", "from_epoch"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds since the epoch (floored) of a timezone-aware instant."""
    delta = moment - EPOCH
    return delta.days * 86_400 + delta.seconds


def epoch_micros(moment: datetime) -> int:
    """Microseconds since the epoch of a timezone-aware instant."""
    return (moment - EPOCH) // _MICRO


def from_epoch(seconds: int | Decimal, *, truncate: bool = False) -> datetime:
    """The UTC instant `seconds` after the epoch.

    A Decimal finer than a microsecond raises ValueError, or is cut to the microsecond
    below with `truncate` (for sources such as Kraken's trade times, which carry more).
    """
    if isinstance(seconds, int):
        return EPOCH + timedelta(seconds=seconds)
    micros = seconds.scaleb(6)
    whole = int(micros)
    if not truncate and micros != whole:
        raise ValueError("has more precision than microseconds")
    return EPOCH + timedelta(microseconds=whole)

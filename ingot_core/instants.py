"""Instants: the one place Ingot converts between datetimes and epoch numbers, and the one
parser of ISO-8601 text into instants.

Every conversion is exact integer arithmetic on timedelta's days, seconds and microseconds;
no float is involved at any step.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

__all__ = [
    "EPOCH",
    "WHEN_FORMS",
    "epoch_micros",
    "epoch_seconds",
    "from_epoch",
    "parse_instant",
    "parse_when",
]

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


def parse_instant(text: str, *, zone_required: bool = False) -> datetime:
    """ISO-8601 text (`Z` allowed) as a timezone-aware UTC instant; ValueError saying why.

    Without `zone_required` a date alone means its midnight UTC and a time without a zone is
    UTC (a trader's `--since 2024-01-05`); with it, both are refused (a data file must say
    which instant it means). ASCII only; an instant outside years 1-9999 in UTC is refused.
    """
    raw = text.strip()
    if len(raw) > 40 or not raw.isascii():
        raise ValueError("is not an ISO-8601 date or instant")
    try:
        if len(raw) == 10 and not zone_required:
            return datetime.combine(date.fromisoformat(raw), time(0), tzinfo=UTC)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("is not an ISO-8601 date or instant") from None
    if moment.tzinfo is None:
        if zone_required:
            raise ValueError("has no time zone (add Z or +00:00)")
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("falls outside the years 1-9999 in UTC") from None


_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
          "w": timedelta(weeks=1)}  # fmt: skip
_RELATIVE = re.compile(r"-([0-9]{1,6})([mhdw])")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_YEAR = re.compile(r"[0-9]{4}")

WHEN_FORMS = (
    "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z], YYYY-MM, YYYY, today, yesterday, "
    "or -N followed by m, h, d or w (minutes, hours, days, weeks ago)"
)
"""The forms `parse_when` accepts, for the one error message that lists them."""


def parse_when(text: str, now: datetime) -> datetime:
    """What a trader types for an instant, as a UTC instant: an ISO date or instant (see
    `parse_instant`), `today` or `yesterday` (their midnight UTC), a month `2024-01` or a
    year `2024` (their first midnight), or a span back from `now` (`-7d`, `-12h`, `-30m`,
    `-2w`). ValueError otherwise."""
    raw = text.strip().lower()
    midnight = datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)
    if raw == "today":
        return midnight
    if raw == "yesterday":
        return midnight - timedelta(days=1)
    if relative := _RELATIVE.fullmatch(raw):
        try:
            return now.astimezone(UTC) - int(relative.group(1)) * _UNITS[relative.group(2)]
        except OverflowError:
            raise ValueError("falls outside the years 1-9999 in UTC") from None
    try:
        if month := _MONTH.fullmatch(raw):
            return datetime(int(month.group(1)), int(month.group(2)), 1, tzinfo=UTC)
        if _YEAR.fullmatch(raw):
            return datetime(int(raw), 1, 1, tzinfo=UTC)
    except ValueError:
        raise ValueError("is not a date") from None
    return parse_instant(text)

"""The time zone tables and lines show times in: UTC unless `--tz ZONE` (or the environment's
`TZ`, when it names an IANA zone) asks for another. Stored values, JSON and exports stay UTC;
every shown time is labelled with its zone.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["MINUTES", "label", "use_zone", "when"]

MINUTES = "%Y-%m-%d %H:%M"

_zone: tzinfo | None = None  # None: not chosen yet (TZ is read on first use)


def _named(name: str) -> tzinfo | None:
    text = name.strip().removeprefix(":")
    if not text or text.startswith(("/", ".")) or ".." in text:
        return None
    if text.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def use_zone(name: str | None) -> None:
    """Show times in `name` from now on (None: as TZ says, else UTC); ValueError naming the
    problem when it is no zone."""
    global _zone
    if name is None:
        _zone = None
        return
    zone = _named(name)
    if zone is None:
        raise ValueError(f"{name!r} is not a time zone (e.g. UTC, Europe/Paris, America/New_York)")
    _zone = zone


def _current() -> tzinfo:
    global _zone
    if _zone is None:
        _zone = _named(os.environ.get("TZ", "")) or UTC
    return _zone


def label() -> str:
    """The zone's name as tables label their times: UTC, Europe/Paris, …"""
    zone = _current()
    return "UTC" if zone is UTC else str(zone)


def when(moment: datetime, form: str = "%Y-%m-%d %H:%M:%S") -> str:
    """`moment` in the shown zone, as `form`."""
    return f"{moment.astimezone(_current()):{form}}"

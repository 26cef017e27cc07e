"""Parsing command-line values into domain values, with messages naming the flag."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from ingot_cli.errors import BadInput

__all__ = ["parse_since"]


def parse_since(text: str | None, flag: str = "--since") -> datetime | None:
    """An ISO date or date-time as a UTC instant; a date means its midnight UTC."""
    if text is None:
        return None
    raw = text.strip()
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(0), tzinfo=UTC)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(
            flag, [f"{text!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM]"]
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

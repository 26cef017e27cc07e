"""Parsing command-line values into domain values, with messages naming the flag.

Every number goes through `ingot_core.numbers` (ASCII digits, bounded); the option parsers
here hand Typer those rules for its integer options, which Click would read with `int()`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import typer

from ingot_cli.errors import BadInput
from ingot_core.feed import BarInterval
from ingot_core.instants import WHEN_FORMS, parse_when
from ingot_core.numbers import parse_decimal, parse_whole, shown
from ingot_core.symbols import Symbol

__all__ = [
    "MAX_ROWS",
    "MAX_SEQ",
    "MAX_WINDOW",
    "parse_age",
    "parse_amount",
    "parse_interval",
    "parse_period",
    "parse_since",
    "parse_symbol",
    "positive_seconds",
    "whole_number",
]

MAX_ROWS = 10_000_000  # rows a listing may ask for
MAX_SEQ = 2**63 - 1  # a BIGINT sequence number
MAX_WINDOW = 100_000  # ticks in a strategy window


def parse_symbol(text: str) -> Symbol:
    """A SYMBOL argument."""
    try:
        return Symbol.parse(text)
    except ValueError as error:
        raise BadInput("SYMBOL", [str(error)]) from None


def parse_amount(text: str, what: str) -> Decimal:
    """A positive QTY or PRICE argument."""
    try:
        value = parse_decimal(text, "")
    except ValueError as error:
        raise BadInput(what, [str(error)]) from None
    if value <= 0:
        raise BadInput(what, [f"{shown(text)} must be positive"])
    return value


def parse_interval(text: str) -> BarInterval:
    """An INTERVAL argument."""
    try:
        return BarInterval.parse(text)
    except ValueError as error:
        raise BadInput("INTERVAL", [str(error)]) from None


def parse_since(text: str | None, flag: str = "--since") -> datetime | None:
    """A date or instant as a trader types it (ingot_core.instants.parse_when: ISO dates and
    instants, `today`, `yesterday`, `2024-01`, `2024`, `-7d`, `-12h`), as a UTC instant."""
    if text is None:
        return None
    try:
        return parse_when(text, datetime.now(UTC))
    except ValueError as error:
        if "outside" in str(error):
            raise BadInput(flag, [f"{shown(text)} {error}"]) from None
        raise BadInput(flag, [f"{shown(text)} is not a date; use {WHEN_FORMS}"]) from None


def parse_period(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """`--since` (inclusive) and `--until` (exclusive) as instants; the second after the first."""
    start, end = parse_since(since), parse_since(until, "--until")
    if start is not None and end is not None and end <= start:
        raise BadInput("--until", ["must be after --since"])
    return start, end


def whole_number(low: int | None = None, high: int | None = None) -> Callable[[object], int]:
    """A Typer `parser` for an integer option or argument: ASCII digits within [low, high]."""

    def parse(value: object) -> int:
        if isinstance(value, int):  # the default
            return value
        try:
            return parse_whole(str(value), "", low, high)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None

    return parse


def positive_seconds(value: object) -> float | None:
    """A Typer `parser` for a duration in seconds (a wait, not money: float from here on)."""
    if value is None or isinstance(value, float):
        return value
    try:
        seconds = parse_decimal(str(value), "")
    except ValueError as error:
        raise typer.BadParameter(str(error).strip()) from None
    if seconds <= 0 or seconds > Decimal(366 * 86_400):
        raise typer.BadParameter(f"{shown(str(value))} must be above 0 and at most a year")
    return float(seconds)


def parse_age(text: str, flag: str = "--older-than") -> timedelta:
    """An age as `90d`, `12h`, `2w` or `30m` (whole numbers)."""
    cleaned = text.strip().lower()
    units = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
             "w": timedelta(weeks=1)}  # fmt: skip
    number, unit = cleaned[:-1], cleaned[-1:]
    if unit not in units or not number.isascii() or not number.isdigit() or len(number) > 6:
        raise BadInput(flag, [f"{text!r} is not an age such as 90d, 12h, 2w or 30m"])
    return int(number) * units[unit]

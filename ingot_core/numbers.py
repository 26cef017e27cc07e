"""The one parser for every number Ingot reads: arguments, script lines, files, venue JSON and
environment values all go through these functions.

A number Ingot accepts can be stored and booked without loss. Decimals are bounded to what a
NUMERIC(38,18) column holds (the trade log's type, and far beyond any real price or quantity):
at most 20 digits before the point and 18 after, so 10^20 is refused and so is 1E-19. Only
ASCII digits count as digits: Python's `Decimal` and `int` also read fullwidth, Arabic-Indic or
Thai digits, so Arabic-Indic zero, point, five would be a quantity of 0.5. An underscore may
only stand between two digits. The text is bounded before it is converted, so a million-digit
argument costs nothing, and a message echoes at most a short prefix of what it refuses.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "MAX_FRACTION_DIGITS",
    "MAX_INTEGER_DIGITS",
    "bounded_decimal",
    "loads_json",
    "parse_decimal",
    "parse_whole",
    "shown",
]

MAX_INTEGER_DIGITS = 20
MAX_FRACTION_DIGITS = 18
# Longest text read as a number: 38 digits with underscores, a sign, a point and an exponent.
MAX_NUMBER_TEXT = 80
_SHOWN = 40  # characters of refused input a message echoes

_DIGITS = r"[0-9]+(?:_[0-9]+)*"
_DECIMAL = re.compile(
    rf"[+-]?(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?"
)
_WHOLE = re.compile(rf"[+-]?{_DIGITS}")
_LIMIT = Decimal(10) ** MAX_INTEGER_DIGITS


def shown(text: str, limit: int = _SHOWN) -> str:
    """`text` quoted for a message, cut to `limit` characters with the full length named."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


def _subject(what: str, text: str) -> str:
    return f"{what} {shown(text)}" if what else shown(text)


def bounded_decimal(value: Decimal, what: str, text: str | None = None) -> Decimal:
    """`value` if it is finite and within the bounds; ValueError naming `what` otherwise."""
    quoted = _subject(what, text if text is not None else str(value))
    if not value.is_finite():
        raise ValueError(f"{quoted} is not a finite number")
    if value.is_zero():
        return value
    # adjusted() and as_tuple() read the digits as they are: abs() and normalize() would
    # round them to the context's 28 digits first.
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError(
            f"{quoted} is too large: at most {MAX_INTEGER_DIGITS} digits before the decimal point"
        )
    _, digits, exponent = value.as_tuple()
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if isinstance(exponent, int) and -(exponent + trailing) > MAX_FRACTION_DIGITS:
        raise ValueError(f"{quoted} has more than {MAX_FRACTION_DIGITS} decimal places")
    return value


def parse_decimal(text: str, what: str = "value") -> Decimal:
    """User or file text as a bounded, finite Decimal; ValueError naming `what` otherwise.

    Accepts plain and scientific notation (`12.5`, `1e3`, `.5`), surrounding spaces, and
    underscores between digits; never goes through float.
    """
    cleaned = text.strip()
    if len(cleaned) > MAX_NUMBER_TEXT:
        raise ValueError(f"{_subject(what, text)} is too long to be a number")
    if not _DECIMAL.fullmatch(cleaned):
        raise ValueError(f"{_subject(what, text)} is not a number")
    try:
        value = Decimal(cleaned.replace("_", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid forms
        raise ValueError(f"{_subject(what, text)} is not a number") from None
    return bounded_decimal(value, what, text)


def parse_whole(text: str, what: str = "", low: int | None = None, high: int | None = None) -> int:
    """User or file text as an int within [low, high]; ValueError naming `what` (when given)
    and the text otherwise."""
    cleaned = text.strip()
    subject = _subject(what, text)
    if len(cleaned) > MAX_NUMBER_TEXT or not _WHOLE.fullmatch(cleaned):
        raise ValueError(f"{subject} is not a whole number")
    value = int(cleaned.replace("_", ""))
    if low is not None and high is not None and not low <= value <= high:
        raise ValueError(f"{subject} is out of range {low}-{high}")
    if low is not None and value < low:
        raise ValueError(f"{subject} must be at least {low}")
    if high is not None and value > high:
        raise ValueError(f"{subject} must be at most {high}")
    return value


def _json_int(text: str) -> int:
    if len(text) > MAX_NUMBER_TEXT:
        raise ValueError(f"number {shown(text)} is too long")
    return int(text)


def _json_decimal(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_TEXT:
        raise ValueError(f"number {shown(text)} is too long")
    return Decimal(text)


def _json_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number JSON allows")


def loads_json(text: str | bytes) -> Any:
    """JSON from outside (files, venues): fractions as Decimal, never float; NaN/Infinity,
    over-long numbers and nesting too deep for the parser refused with ValueError.

    Numbers are not bounded here (a venue's trade id may be any width): the reader of each
    field bounds it with `bounded_decimal` or `parse_whole`.
    """
    try:
        return json.loads(
            text, parse_int=_json_int, parse_float=_json_decimal, parse_constant=_json_constant
        )
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"not JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None

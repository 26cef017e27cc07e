"""Exact Decimal arithmetic for money, prices and quantities.

Python's default decimal context keeps 28 significant digits and rounds silently
beyond that. Ingot never rounds: sums and products run in a context wide enough to
be exact, with rounding trapped, so an operation that would lose a digit raises.

Unary minus and abs() on a Decimal also round to the default context, and copy_negate()
turns 0 into -0; money code uses `negate` and `magnitude`, which do neither. EXACT is for
add, subtract, multiply, minus, abs and quantize: its unbounded precision makes a
non-terminating division exhaust memory.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import Decimal

__all__ = [
    "EXACT",
    "exact_sum",
    "fraction_digits",
    "magnitude",
    "multiply",
    "negate",
]

EXACT = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.Inexact, decimal.Rounded, decimal.InvalidOperation, decimal.Overflow],
)


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """Sum Decimals without rounding."""
    total = Decimal(0)
    for value in values:
        total = EXACT.add(total, value)
    return total


def multiply(a: Decimal, b: Decimal) -> Decimal:
    """Multiply two Decimals without rounding."""
    return EXACT.multiply(a, b)


def negate(value: Decimal) -> Decimal:
    """-value, exactly, and never a negative zero."""
    return EXACT.minus(value)


def magnitude(value: Decimal) -> Decimal:
    """|value|, exactly."""
    return EXACT.abs(value)


def fraction_digits(value: Decimal) -> int:
    """How many digits a finite Decimal carries after the decimal point (0 for 1E+3)."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    # Read off the plain string: a tenth of the cost of as_tuple(), and every ledger check
    # asks. Without an exponent mark, str() shows exactly -exponent digits after the point.
    text = str(value)
    if "E" in text:
        return max(0, -int(value.as_tuple().exponent))  # an int: the value is finite
    point = text.find(".")
    return 0 if point < 0 else len(text) - point - 1

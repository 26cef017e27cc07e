"""A terminal price chart: closes drawn as a column per bar, scaled to the range shown."""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import Decimal

__all__ = ["price_chart"]

_SCALE = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)  # display only


def price_chart(
    closes: Sequence[Decimal], height: int = 10, width: int = 72, label_decimals: int = 2
) -> list[str]:
    """Lines of a chart of `closes` (the last `width` of them), high label on top."""
    if not closes:
        return []
    shown = list(closes[-width:])
    low, high = min(shown), max(shown)
    span = high - low
    levels = []
    for close in shown:
        if span == 0:
            levels.append(height // 2)
        else:
            fraction = _SCALE.divide(close - low, span)
            levels.append(int(_SCALE.multiply(fraction, Decimal(height - 1)).to_integral_value()))
    top, bottom = f"{high:,.{label_decimals}f}", f"{low:,.{label_decimals}f}"
    pad = max(len(top), len(bottom))
    lines = []
    for row in range(height - 1, -1, -1):
        label = top if row == height - 1 else bottom if row == 0 else ""
        cells = "".join("█" if level == row else "│" if level > row else " " for level in levels)
        lines.append(f"{label:>{pad}} ┤{cells}")
    return lines

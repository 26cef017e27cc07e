"""Terminal line charts over time (closes of stored bars, NAV from equity snapshots), drawn by
plotext with a time axis, at the terminal's width.

Values leave Decimal only here, for the picture: plotext plots floats. Every number a chart
stands for is printed exactly elsewhere (the table above it, `--json`, `--csv`).

plotext is held below 6: its 6.x releases replaced the plotting API with a new one.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from ingot_cli.zone import when

__all__ = ["time_chart"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The time axis's labels, by the span shown: seconds within an hour, minutes within days.
_FORMS = ((timedelta(hours=1), "%H:%M:%S"), (timedelta(days=3), "%Y-%m-%d %H:%M"))
_TICKS = 5
_WIDTH = (40, 200)  # narrower is unreadable, wider is a wall


def _date_form(span: timedelta) -> str:
    return next((form for limit, form in _FORMS if span <= limit), "%Y-%m-%d")


def time_chart(
    times: Sequence[datetime],
    values: Sequence[Decimal],
    title: str,
    *,
    width: int | None = None,
    height: int = 15,
) -> list[str]:
    """Lines of a chart of `values` at `times` (ascending), `width` columns wide (default:
    the terminal's). Fewer than two points make no chart."""
    if len(times) != len(values):
        raise ValueError("a chart needs one value per instant")
    if len(values) < 2:
        return []
    import plotext as plt

    columns = width or shutil.get_terminal_size((100, 24)).columns
    plt.clf()
    plt.theme("clear")
    plt.plot_size(max(_WIDTH[0], min(_WIDTH[1], columns)), height)
    # The x axis is seconds since the first point, labelled here: plotext's own date axis
    # parses its labels back, and a label without a year fails on 29 February.
    start = times[0]
    offsets = [(t - start).total_seconds() for t in times]
    plt.plot(offsets, [float(v) for v in values])
    form, span = _date_form(times[-1] - start), offsets[-1]
    ticks = [span * n / (_TICKS - 1) for n in range(_TICKS)] if span else [0.0]
    plt.xticks(ticks, [when(start + timedelta(seconds=t), form) for t in ticks])
    plt.title(title)
    drawn = _ANSI.sub("", plt.build())
    return [line.rstrip() for line in drawn.splitlines() if line.strip()]

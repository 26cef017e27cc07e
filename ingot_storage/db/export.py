"""Streaming CSV and JSON export (seed 000, Step 2.9): constant memory for any size.

Rows come through a server-side cursor and go straight to the writer; nothing is collected.
What is exported lives with its table: the audit log's in `ingot_storage.audit.export`, the
order history's in `ingot_storage.trading.export`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TextIO

__all__ = ["Tick", "text_of", "write_csv", "write_json_array"]

Tick = Callable[[int], None] | None
"""Called with the running count every few thousand rows (a progress display), or None."""
_PROGRESS_EVERY = 5000


def write_csv(
    writer: TextIO, columns: Sequence[str], rows: Iterable[Sequence[object]], progress: Tick
) -> int:
    """Write a header of `columns`, then `rows`, as CSV; return how many rows."""
    out = csv.writer(writer, lineterminator="\n")
    out.writerow(columns)
    count = 0
    for row in rows:
        out.writerow(row)
        count += 1
        if progress is not None and not count % _PROGRESS_EVERY:
            progress(count)
    return count


def write_json_array(writer: TextIO, objects: Iterable[str], progress: Tick) -> int:
    """Write `objects` (each one JSON object, already serialized) as a JSON array streamed
    around them; return how many."""
    writer.write("[")
    count = 0
    for text in objects:
        writer.write(("\n  " if count == 0 else ",\n  ") + text)
        count += 1
        if progress is not None and not count % _PROGRESS_EVERY:
            progress(count)
    writer.write("\n]\n" if count else "]\n")
    return count


def text_of(value: object) -> str:
    """A stored value as export text: empty for NULL, ISO 8601 instants, plain decimals."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "is_finite"):
        return format(value, "f")
    return str(value)

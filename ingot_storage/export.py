"""Streaming CSV and JSON export (seed 000, Step 2.9): constant memory for any size.

Rows come through a server-side cursor and go straight to the writer; nothing is collected.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TextIO

from sqlalchemy.engine import Connection

from ingot_core.audit import AuditEntry
from ingot_storage.audit import iter_audit
from ingot_storage.order_history import OrderRow, iter_orders

Tick = Callable[[int], None] | None
_PROGRESS_EVERY = 5000

__all__ = [
    "AUDIT_CSV_COLUMNS",
    "ORDER_CSV_COLUMNS",
    "export_audit_csv",
    "export_audit_json",
    "export_orders_csv",
    "export_orders_json",
]

AUDIT_CSV_COLUMNS = ("timestamp", "event_type", "actor", "entity_id", "payload")


def _write_csv(
    writer: TextIO, columns: Sequence[str], rows: Iterable[Sequence[object]], progress: Tick
) -> int:
    out = csv.writer(writer, lineterminator="\n")
    out.writerow(columns)
    count = 0
    for row in rows:
        out.writerow(row)
        count += 1
        if progress is not None and not count % _PROGRESS_EVERY:
            progress(count)
    return count


def _write_json_array(writer: TextIO, objects: Iterable[str], progress: Tick) -> int:
    # Each item is one already-serialized JSON object; the array is streamed around them.
    writer.write("[")
    count = 0
    for text in objects:
        writer.write(("\n  " if count == 0 else ",\n  ") + text)
        count += 1
        if progress is not None and not count % _PROGRESS_EVERY:
            progress(count)
    writer.write("\n]\n" if count else "]\n")
    return count


def _audit_csv_rows(entries: Iterable[AuditEntry]) -> Iterable[tuple[str, ...]]:
    for e in entries:
        entity = "" if e.entity_id is None else str(e.entity_id)
        yield (e.timestamp.isoformat(), e.event_type, e.actor, entity, e.payload_text)


def _audit_json(e: AuditEntry) -> str:
    head = json.dumps(
        {
            "seq": e.seq,
            "timestamp": e.timestamp.isoformat(),
            "event_type": e.event_type,
            "actor": e.actor,
            "entity_id": None if e.entity_id is None else str(e.entity_id),
        },
        ensure_ascii=False,
    )
    # The payload is embedded as the very canonical text that was hashed.
    return head[:-1] + ', "payload": ' + e.payload_text + "}"


def export_audit_csv(
    conn: Connection, writer: TextIO, since: datetime | None = None, progress: Tick = None
) -> int:
    """Write the audit log (oldest first) as CSV; return the number of entries written."""
    return _write_csv(writer, AUDIT_CSV_COLUMNS, _audit_csv_rows(iter_audit(conn, since)), progress)


def export_audit_json(
    conn: Connection, writer: TextIO, since: datetime | None = None, progress: Tick = None
) -> int:
    """Write the audit log (oldest first) as a JSON array; return the number written.

    Each object carries seq, timestamp, event_type, actor, entity_id and the payload as the
    very canonical JSON that was hashed, embedded unchanged.
    """
    return _write_json_array(writer, map(_audit_json, iter_audit(conn, since)), progress)


# Seed 000 Task 2.9.3's columns, then the settlement fields Ingot adds.
ORDER_CSV_COLUMNS = (
    "timestamp",
    "symbol",
    "side",
    "order_type",
    "quantity",
    "price",
    "status",
    "exchange_id",
    "client_id",
    "fill_price",
    "fill_quantity",
    "cost",
    "fee",
    "reason",
)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "is_finite"):
        return format(value, "f")
    return str(value)


def _order_values(r: OrderRow) -> tuple[object, ...]:
    return (
        r.event_at,
        r.symbol,
        r.side,
        r.order_type,
        r.quantity,
        r.price,
        r.status,
        r.exchange_id,
        r.client_id,
        r.fill_price,
        r.fill_quantity,
        r.cost,
        r.fee,
        r.reason,
    )


def _order_json(r: OrderRow) -> str:
    values = _order_values(r)
    data = {
        k: (None if v is None else _text(v)) for k, v in zip(ORDER_CSV_COLUMNS, values, strict=True)
    }
    return json.dumps(data, ensure_ascii=False)


def export_orders_csv(
    conn: Connection, writer: TextIO, since: datetime | None = None, progress: Tick = None
) -> int:
    """Write the order history (oldest first) as CSV; return the number of rows."""
    rows = ([_text(v) for v in _order_values(r)] for r in iter_orders(conn, since))
    return _write_csv(writer, ORDER_CSV_COLUMNS, rows, progress)


def export_orders_json(
    conn: Connection, writer: TextIO, since: datetime | None = None, progress: Tick = None
) -> int:
    """Write the order history (oldest first) as a JSON array; amounts as exact strings."""
    return _write_json_array(writer, map(_order_json, iter_orders(conn, since)), progress)

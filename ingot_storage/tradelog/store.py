"""Reading the trade log: filtered listings (newest first), one event, a streaming export.

Time filters are on local_ts_us, the partition key, so a range reads only its days.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.instants import epoch_micros
from ingot_core.tradelog.events import EventType, label_of
from ingot_storage.db.database import stream_rows
from ingot_storage.db.export import Tick, text_of, write_csv
from ingot_storage.db.tables import tradelog
from ingot_storage.errors import translate_db_errors

__all__ = ["EXPORT_COLUMNS", "export_csv", "export_jsonl", "get_event", "list_events", "row_data"]

EXPORT_COLUMNS = ("id", "local_ts_us", "exchange_ts_us", "local_ts", "exchange_ts",
                  "event_type", "req_id", "cl_ord_id", "native_ord_id", "market_id",
                  "account_id", "exec_type", "ord_status", "side", "is_taker", "last_px",
                  "last_qty", "leaves_qty", "ord_px", "ord_qty", "fee", "response_status",
                  "error_code", "error_message", "source", "symbol", "book", "raw")  # fmt: skip
_SELECTED = [tradelog.c[name] for name in EXPORT_COLUMNS]


def _filtered(
    query: sa.Select[Any],
    *,
    types: list[EventType] | None = None,
    order: str | None = None,
    source: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_id: int | None = None,
) -> sa.Select[Any]:
    c = tradelog.c
    if types:
        query = query.where(c.event_type.in_([int(t) for t in types]))
    if order is not None:
        query = query.where(sa.or_(c.cl_ord_id == order, c.native_ord_id == order))
    if source is not None:
        query = query.where(c.source == source)
    if since is not None:
        query = query.where(c.local_ts_us >= epoch_micros(since))
    if until is not None:
        query = query.where(c.local_ts_us < epoch_micros(until))
    if after_id is not None:
        query = query.where(c.id > after_id)
    return query


@translate_db_errors
def list_events(conn: Connection, limit: int, **filters: Any) -> list[sa.Row[Any]]:
    """Events matching `filters` (types, order, source, since, until, after_id), newest
    first, at most `limit`."""
    query = _filtered(sa.select(*_SELECTED), **filters)
    order = (tradelog.c.local_ts_us.desc(), tradelog.c.id.desc())
    return list(conn.execute(query.order_by(*order).limit(limit)))


@translate_db_errors
def get_event(conn: Connection, event_id: int) -> Any:
    """One event with its body as PostgreSQL holds it (`body`), or None."""
    query = sa.select(*_SELECTED, tradelog.c.body).where(tradelog.c.id == event_id)
    return conn.execute(query).first()


def _oldest_first(conn: Connection, since: datetime | None, until: datetime | None) -> Any:
    query = _filtered(sa.select(*_SELECTED), since=since, until=until)
    return stream_rows(conn, query.order_by(tradelog.c.local_ts_us, tradelog.c.id))


def row_data(row: sa.Row[Any]) -> dict[str, Any]:
    """A row as JSON data: amounts as strings, exactly; instants in ISO 8601; the raw text."""
    out: dict[str, Any] = {}
    for name in EXPORT_COLUMNS:
        value = getattr(row, name)
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f") if value else "0"
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[name] = value
    if out["event_type"] is not None:
        out["event_type_name"] = label_of(out["event_type"])
    return out


def export_jsonl(
    conn: Connection,
    stream: TextIO,
    since: datetime | None,
    progress: Tick,
    until: datetime | None = None,
) -> int:
    """One JSON object per line, oldest first, streaming; return how many."""
    count = 0
    for row in _oldest_first(conn, since, until):
        stream.write(json.dumps(row_data(row), ensure_ascii=False) + "\n")
        count += 1
        if progress is not None and not count % 5000:
            progress(count)
    return count


def export_csv(
    conn: Connection,
    stream: TextIO,
    since: datetime | None,
    progress: Tick,
    until: datetime | None = None,
) -> int:
    """CSV with a header of EXPORT_COLUMNS, oldest first, streaming; return how many."""
    rows = ([text_of(getattr(r, name)) for name in EXPORT_COLUMNS]
            for r in _oldest_first(conn, since, until))  # fmt: skip
    return write_csv(stream, EXPORT_COLUMNS, rows, progress)

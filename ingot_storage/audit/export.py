"""The audit log exported as CSV or as a JSON array, streaming, oldest entry first."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import TextIO

from sqlalchemy.engine import Connection

from ingot_core.audit import AuditEntry
from ingot_storage.audit.log import iter_audit
from ingot_storage.db.export import Tick, write_csv, write_json_array

__all__ = ["AUDIT_CSV_COLUMNS", "export_audit_csv", "export_audit_json"]

AUDIT_CSV_COLUMNS = ("timestamp", "event_type", "actor", "entity_id", "payload")


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
    conn: Connection,
    writer: TextIO,
    since: datetime | None = None,
    progress: Tick = None,
    until: datetime | None = None,
) -> int:
    """Write the audit log (oldest first) as CSV; return the number of entries written."""
    rows = _audit_csv_rows(iter_audit(conn, since, until))
    return write_csv(writer, AUDIT_CSV_COLUMNS, rows, progress)


def export_audit_json(
    conn: Connection,
    writer: TextIO,
    since: datetime | None = None,
    progress: Tick = None,
    until: datetime | None = None,
) -> int:
    """Write the audit log (oldest first) as a JSON array; return the number written.

    Each object carries seq, timestamp, event_type, actor, entity_id and the payload as the
    very canonical JSON that was hashed, embedded unchanged.
    """
    return write_json_array(writer, map(_audit_json, iter_audit(conn, since, until)), progress)

"""The audit log in PostgreSQL: append, head, query and streaming reads.

Appends are serialized by one transaction-scoped advisory lock per batch: the batch reads
the head, computes every row (canonical payload, leaf and chain hash) in Python, and writes
them with one COPY. The lock is released when the caller's transaction ends, so data rows
and their audit rows commit together, and two writers, in two processes too, can never
fork the chain or leave a gap in `seq`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.audit import (
    ZERO_HASH,
    AuditEntry,
    AuditEvent,
    canonical_json,
    chain_hash,
    entity_bytes,
    leaf_hash,
    to_micros,
)
from ingot_storage.db.database import driver_connection, in_period, stream_rows
from ingot_storage.db.locks import AUDIT_LOCK, lock_book
from ingot_storage.db.tables import audit_log
from ingot_storage.errors import translate_db_errors

__all__ = [
    "COPY_COLUMNS",
    "AuditHead",
    "AuditRecord",
    "append_audit",
    "append_audit_batch",
    "append_audit_texts",
    "audit_head",
    "audit_record",
    "audit_timestamp",
    "copy_row",
    "entry_at",
    "iter_audit",
    "lock_audit_log",
    "query_audit",
]


COPY_COLUMNS = 'seq, "timestamp", event_type, actor, entity_id, payload_text, leaf_hash, chain_hash'
_COPY = f"COPY audit_log ({COPY_COLUMNS}) FROM STDIN"


class AuditRecord(NamedTuple):
    """An audit event whose payload is already canonical JSON text."""

    event_type: str
    actor: str
    entity_id: UUID | None
    text: str


@dataclass(frozen=True)
class AuditHead:
    """The end of the log: how many entries, and the last chain hash (zeros when empty)."""

    size: int
    chain_hash: bytes


def lock_audit_log(conn: Connection) -> None:
    """Take the audit append lock until the current transaction ends."""
    lock_book(conn, AUDIT_LOCK)


@translate_db_errors
def audit_head(conn: Connection) -> AuditHead:
    """The current head, as this transaction sees it."""
    row = conn.execute(
        sa.select(audit_log.c.seq, audit_log.c.chain_hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    return AuditHead(0, ZERO_HASH) if row is None else AuditHead(row.seq, bytes(row.chain_hash))


def audit_timestamp(now: datetime | None = None) -> datetime:
    """The instant entries appended now carry: `now` (timezone-aware) or the clock, in UTC."""
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(UTC)


@translate_db_errors
def append_audit_batch(
    conn: Connection, events: Sequence[AuditEvent], now: datetime | None = None
) -> list[AuditEntry]:
    """Append `events` in order inside the caller's transaction; return the entries written.

    Raises CanonicalJsonError (before anything is written) when a payload has no canonical
    form.
    """
    return append_audit_texts(conn, [audit_record(e) for e in events], now)


def audit_record(event: AuditEvent) -> AuditRecord:
    """`event` with its payload made canonical; raises CanonicalJsonError when it has none."""
    text = canonical_json(event.payload)
    return AuditRecord(event.event_type, event.actor, event.entity_id, text)


@translate_db_errors
def append_audit_texts(
    conn: Connection,
    records: Sequence[AuditRecord],
    now: datetime | None = None,
    head: AuditHead | None = None,
) -> list[AuditEntry]:
    """`append_audit_batch` for events whose payloads are already canonical text.

    A caller that already holds the audit lock in this transaction passes the `head` it
    read under it.
    """
    if not records:
        return []
    timestamp = audit_timestamp(now)
    ts_us = to_micros(timestamp)
    if head is None:
        lock_audit_log(conn)
        head = audit_head(conn)
    entries: list[AuditEntry] = []
    previous = head.chain_hash
    for seq, (event_type, actor, entity_id, text) in enumerate(records, start=head.size + 1):
        leaf = leaf_hash(seq, ts_us, event_type, actor, entity_bytes(entity_id), text.encode())
        previous = chain_hash(previous, leaf)
        entries.append(
            AuditEntry(seq, timestamp, event_type, actor, entity_id, text, leaf, previous)
        )
    with driver_connection(conn).cursor() as cursor, cursor.copy(_COPY) as copy:
        for entry in entries:
            copy.write_row(copy_row(entry))
    return entries


def copy_row(e: AuditEntry) -> tuple[Any, ...]:
    """An entry as the row COPY writes, in COPY_COLUMNS order."""
    return (
        e.seq,
        e.timestamp,
        e.event_type,
        e.actor,
        e.entity_id,
        e.payload_text,
        e.leaf_hash,
        e.chain_hash,
    )


def append_audit(
    conn: Connection,
    event_type: str,
    actor: str,
    entity_id: UUID | None,
    payload: Any,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry (seed 000's `append_audit`) inside the caller's transaction."""
    (entry,) = append_audit_batch(conn, [AuditEvent(event_type, actor, entity_id, payload)], now)
    return entry


_ENTRY_COLUMNS = (
    audit_log.c.seq,
    audit_log.c.timestamp,
    audit_log.c.event_type,
    audit_log.c.actor,
    audit_log.c.entity_id,
    audit_log.c.payload_text,
    audit_log.c.leaf_hash,
    audit_log.c.chain_hash,
)


def entry_at(conn: Connection, seq: int) -> AuditEntry | None:
    """Entry `seq` of the log, or None when there is none."""
    row = conn.execute(sa.select(*_ENTRY_COLUMNS).where(audit_log.c.seq == seq)).first()
    return None if row is None else _row_to_entry(row)


def _row_to_entry(row: Any) -> AuditEntry:
    return AuditEntry(
        row.seq,
        row.timestamp,
        row.event_type,
        row.actor,
        row.entity_id,
        row.payload_text,
        bytes(row.leaf_hash),
        bytes(row.chain_hash),
    )


@translate_db_errors
def query_audit(
    conn: Connection,
    event_type: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    until: datetime | None = None,
) -> list[AuditEntry]:
    """Entries matching the filters, newest first (seed 000, Task 2.5.3); `since` inclusive,
    `until` exclusive."""
    query = sa.select(*_ENTRY_COLUMNS).order_by(audit_log.c.seq.desc()).limit(limit)
    if event_type is not None:
        query = query.where(audit_log.c.event_type == event_type)
    query = in_period(query, audit_log.c.timestamp, since, until)
    return [_row_to_entry(row) for row in conn.execute(query)]


def iter_audit(
    conn: Connection, since: datetime | None = None, until: datetime | None = None
) -> Iterator[AuditEntry]:
    """Stream entries oldest first through a server-side cursor: constant memory; `since`
    inclusive, `until` exclusive."""
    query = sa.select(*_ENTRY_COLUMNS).order_by(audit_log.c.seq)
    query = in_period(query, audit_log.c.timestamp, since, until)
    for row in stream_rows(conn, query):
        yield _row_to_entry(row)

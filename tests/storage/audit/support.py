"""Helpers for audit tests: a trail on the test database, and tampering as a superuser."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from sqlalchemy.engine import URL, Engine

from ingot_core.audit import AuditEvent
from ingot_storage import StorageConfig, open_database
from ingot_storage.audit.log import append_audit_batch
from ingot_storage.audit.trail import AuditTrail
from ingot_storage.db.database import Database

T0 = datetime(2026, 2, 28, 14, 30, 1, 123456, tzinfo=UTC)


def open_trail(url: URL, data_dir: Path, **env: str) -> tuple[Database, AuditTrail]:
    """An open database and its audit trail, keys and external file under `data_dir`."""
    config = StorageConfig.from_env(
        {"DATABASE_URL": url.render_as_string(False), "INGOT_DATA_DIR": str(data_dir), **env}
    )
    database = open_database(config)
    return database, AuditTrail(database, config)


def event(n: int, event_type: str = "order_placed", actor: str = "engine") -> AuditEvent:
    """A small distinct event."""
    return AuditEvent(event_type, actor, UUID(int=n), {"n": n, "qty": f"{n}.5"})


def append_events(engine: Engine, count: int, *, batch: int = 50, start: int = 1) -> None:
    """Append `count` events in committed batches, one second apart per batch."""
    for offset in range(0, count, batch):
        with engine.begin() as conn:
            events = [event(start + offset + i) for i in range(min(batch, count - offset))]
            append_audit_batch(conn, events, T0 + timedelta(seconds=offset))


def tamper(engine: Engine, statements: Sequence[str], table: str = "audit_log") -> None:
    """Run statements with the append-only triggers disabled, as a superuser could."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        for statement in statements:
            conn.exec_driver_sql(statement)
        for trigger in ("refuse_update_delete", "refuse_truncate"):
            conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_{trigger}")

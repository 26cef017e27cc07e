"""Retention of the trade log: whole days older than the cutoff go, archived first
(ingot_storage.db.retention's rules; each day of local_ts_us is a partition)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ingot_core.instants import epoch_micros
from ingot_storage.db.retention import Partition, PruneResult, prune_partitioned
from ingot_storage.errors import db_errors, translate_db_errors
from ingot_storage.tradelog.store import EXPORT_COLUMNS, row_data

__all__ = ["DayPartition", "PruneResult", "day_partitions", "prune_tradelog"]

_PARTITIONS = sa.text(
    "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
    "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'public.tradelog'::regclass "
    "ORDER BY c.relname"
)


@dataclass(frozen=True)
class DayPartition:
    """One day of the trade log: its table and its range of local_ts_us, [start, end)."""

    name: str
    start_us: int
    end_us: int


def _bound(expression: str) -> tuple[int, int]:
    # FOR VALUES FROM ('1733011200000000') TO ('1733097600000000')
    numbers = [int(part.strip(" ()'")) for part in expression.split("FROM")[1].split("TO")]
    return numbers[0], numbers[1]


@translate_db_errors
def day_partitions(conn: Connection) -> list[DayPartition]:
    """Every day of the trade log, oldest first."""
    rows = conn.execute(_PARTITIONS).all()
    return sorted((DayPartition(name, *_bound(bound)) for name, bound in rows),
                  key=lambda p: p.start_us)  # fmt: skip


def _records(conn: Connection, name: str, before_us: int | None) -> Iterable[dict[str, Any]]:
    table = sa.table(name, *[sa.column(c) for c in EXPORT_COLUMNS], schema="public")
    query = sa.select(*[table.c[c] for c in EXPORT_COLUMNS])
    if before_us is not None:
        query = query.where(table.c.local_ts_us < before_us)
    return (row_data(row) for row in conn.execute(query.order_by(table.c.local_ts_us,
                                                                  table.c.id)))  # fmt: skip


def prune_tradelog(
    engine: Engine, cutoff: datetime, archive: Path | None, *, dry_run: bool = False
) -> PruneResult:
    """Remove the trade log's rows before `cutoff` (archived first to `archive` when given)."""
    cut = epoch_micros(cutoff)
    with db_errors(), engine.begin() as conn:
        parts = [Partition(p.name, p.start_us, p.end_us) for p in day_partitions(conn)]
        return prune_partitioned(conn, "tradelog", "local_ts_us", parts, cut,
                                 cutoff.astimezone(UTC), archive,
                                 lambda name, before: _records(conn, name, before),
                                 dry_run=dry_run)  # fmt: skip

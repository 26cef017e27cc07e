"""Retention of the trade log: whole days older than the cutoff go, archived first.

Each day is a partition; a day wholly older than the cutoff is archived (every row, as gzip
compressed JSONL, fsync'd) and then detached and dropped in one transaction. The day the
cutoff falls in keeps its newer rows: its older ones are archived and deleted, so what stays
is exactly the rows from the cutoff on, and the archive holds every row that went.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ingot_core.instants import epoch_micros
from ingot_storage.db.tables import tradelog
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


@dataclass(frozen=True)
class PruneResult:
    """What a prune did (or, dry, would do).

    Attributes:
      cutoff: rows before it go.
      dropped: the days that went whole, with their row counts.
      trimmed: rows deleted from the day the cutoff falls in.
      archived: the archive files written.
      kept: rows left.
    """

    cutoff: datetime
    dropped: list[tuple[str, int]]
    trimmed: int
    archived: list[Path]
    kept: int


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


def _archive(path: Path, rows: Iterable[Any]) -> int:
    """Write `rows` to a gzip JSONL file, durably, under a temporary name then renamed."""
    temporary = path.with_name(path.name + ".part")
    count = 0
    with open(temporary, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as packed:
        for row in rows:
            packed.write((json.dumps(row_data(row), ensure_ascii=False) + "\n").encode())
            count += 1
        packed.close()
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(temporary, path)
    return count


def _rows(conn: Connection, name: str, before_us: int | None = None) -> Any:
    table = sa.table(name, *[sa.column(c) for c in EXPORT_COLUMNS], schema="public")
    query = sa.select(*[table.c[c] for c in EXPORT_COLUMNS])
    if before_us is not None:
        query = query.where(table.c.local_ts_us < before_us)
    return conn.execute(query.order_by(table.c.local_ts_us, table.c.id))


def prune_tradelog(
    engine: Engine, cutoff: datetime, archive: Path | None, *, dry_run: bool = False
) -> PruneResult:
    """Remove the trade log's rows before `cutoff` (archived first to `archive` when given)."""
    cut = epoch_micros(cutoff)
    dropped: list[tuple[str, int]] = []
    archived: list[Path] = []
    trimmed = 0
    with db_errors(), engine.begin() as conn:
        for part in day_partitions(conn):
            if part.start_us >= cut:
                continue
            whole = part.end_us <= cut
            count_query = f'SELECT count(*) FROM public."{part.name}"'
            if not whole:
                count_query += f" WHERE local_ts_us < {cut}"
            count = conn.execute(sa.text(count_query)).scalar_one()
            if dry_run:
                if whole:
                    dropped.append((part.name, count))
                else:
                    trimmed = count
                continue
            if archive is not None and count:
                stem = part.name if whole else f"{part.name}.before-{cut}"
                path = archive / f"{stem}.jsonl.gz"
                if _archive(path, _rows(conn, part.name, None if whole else cut)) != count:
                    raise RuntimeError(f"{path}: the archive does not hold every row")
                archived.append(path)
            if whole:
                conn.execute(
                    sa.text(f'ALTER TABLE public.tradelog DETACH PARTITION public."{part.name}"')
                )
                conn.execute(sa.text(f'DROP TABLE public."{part.name}"'))
                dropped.append((part.name, count))
            else:
                conn.execute(sa.text(f'DELETE FROM public."{part.name}" WHERE local_ts_us < {cut}'))
                trimmed = count
        kept = conn.execute(sa.select(sa.func.count()).select_from(tradelog)).scalar_one()
        if dry_run:
            kept -= trimmed + sum(n for _, n in dropped)
    return PruneResult(cutoff.astimezone(UTC), dropped, trimmed, archived, kept)

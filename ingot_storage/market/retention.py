"""Retention of market data (seed 001's RetentionManager): ticks go a whole UTC day (a
partition) at a time, the day the cutoff falls in trimmed (ingot_storage.db.retention); bars
(off by default) are deleted row by row, archived first alike. QuestDB, when configured, drops
its own partitions older than the cutoff."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ingot_storage.db.retention import Partition, PruneResult, prune_partitioned, write_archive
from ingot_storage.errors import db_errors

__all__ = ["prune_bars", "prune_questdb", "prune_ticks", "tick_partitions"]

_log = logging.getLogger(__name__)
_PARTITIONS = sa.text(
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'public.ticks'::regclass ORDER BY c.relname"
)
_TICK_COLUMNS = ("symbol", "ts", "seq", "price", "volume")
_BAR_COLUMNS = ("symbol", "interval", "ts", "open", "high", "low", "close", "volume",
                "trade_count", "source")  # fmt: skip


def _record(row: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in columns:
        value = getattr(row, name)
        if isinstance(value, Decimal):
            value = format(value, "f")  # exactly as stored
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[name] = value
    return out


def tick_partitions(conn: Connection) -> list[Partition]:
    """Every day of ticks (ticks_pYYYYMMDD), oldest first."""
    parts = []
    for (name,) in conn.execute(_PARTITIONS):
        day = datetime.strptime(name.removeprefix("ticks_p"), "%Y%m%d").replace(tzinfo=UTC)
        parts.append(Partition(name, day, day + timedelta(days=1)))
    return sorted(parts, key=lambda p: p.start)


def _tick_records(conn: Connection, name: str, before: datetime | None) -> Iterable[dict[str, Any]]:
    where = "" if before is None else " WHERE ts < :before"
    query = f'SELECT {", ".join(_TICK_COLUMNS)} FROM public."{name}"{where} ORDER BY ts, symbol'
    rows = conn.execute(sa.text(query + ", seq"), {"before": before})
    return (_record(row, _TICK_COLUMNS) for row in rows)


def prune_ticks(
    engine: Engine, cutoff: datetime, archive: Path | None, *, dry_run: bool = False
) -> PruneResult:
    """Remove the ticks of market time before `cutoff` (archived first when `archive`)."""
    cut = cutoff.astimezone(UTC)
    with db_errors(), engine.begin() as conn:
        return prune_partitioned(conn, "ticks", "ts", tick_partitions(conn), cut, cut, archive,
                                 lambda name, before: _tick_records(conn, name, before),
                                 dry_run=dry_run, stamp=f"{cut:%Y%m%dT%H%M%SZ}")  # fmt: skip


def prune_bars(
    engine: Engine, cutoff: datetime, archive: Path | None, *, dry_run: bool = False
) -> PruneResult:
    """Remove the bars opening before `cutoff`, archived first (one file) when `archive`."""
    cut = cutoff.astimezone(UTC)
    archived: list[Path] = []
    with db_errors(), engine.begin() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM ohlcv_bars WHERE ts < :cut"),
                             {"cut": cut}).scalar_one()  # fmt: skip
        total = conn.execute(sa.text("SELECT count(*) FROM ohlcv_bars")).scalar_one()
        if not dry_run and count:
            if archive is not None:
                path = archive / f"ohlcv_bars.before-{cut:%Y%m%dT%H%M%SZ}.jsonl.gz"
                rows = conn.execute(sa.text(f"SELECT {', '.join(_BAR_COLUMNS)} FROM ohlcv_bars "
                                            "WHERE ts < :cut ORDER BY symbol, interval, ts"),
                                    {"cut": cut})  # fmt: skip
                if write_archive(path, (_record(r, _BAR_COLUMNS) for r in rows)) != count:
                    raise RuntimeError(f"{path}: the archive does not hold every bar")
                archived.append(path)
            conn.execute(sa.text("DELETE FROM ohlcv_bars WHERE ts < :cut"), {"cut": cut})
    return PruneResult(cut, [], count, archived, total - count)


def prune_questdb(pg_url: str | None, table: str, cutoff: datetime) -> str | None:
    """Drop QuestDB's partitions of `table` older than `cutoff`; None, or why it could not."""
    if pg_url is None:
        return "QUESTDB_PG_URL is not set"
    import psycopg

    stamp = cutoff.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    try:
        with psycopg.connect(pg_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"ALTER TABLE {table} DROP PARTITION WHERE timestamp < '{stamp}'")
    except psycopg.Error as error:
        problem = str(error).strip().splitlines()[0] if str(error).strip() else "failed"
        _log.warning("QuestDB %s partitions not dropped: %s", table, problem)
        return problem
    return None

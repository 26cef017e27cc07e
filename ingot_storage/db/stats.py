"""How big the store is and how it is doing (seed 001's storage statistics and pool status):
per table its rows, sizes, partitions and the market and recorded times it spans; the
database's size; the server's version and uptime; the pool; the local spill files; QuestDB.

Rows are counted exactly up to ESTIMATE_ABOVE (PostgreSQL's own estimate, `reltuples`, says
which side a table is on); above it they are the estimate, marked as such. Sizes of a
partitioned table are the sums over its partitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_storage.db.database import Database
from ingot_storage.db.local_files import bytes_waiting
from ingot_storage.db.tables import metadata
from ingot_storage.errors import translate_db_errors

__all__ = ["ESTIMATE_ABOVE", "QuestDbStats", "StoreStats", "TableStats", "store_stats"]

ESTIMATE_ABOVE = 1_000_000
"""Tables PostgreSQL estimates above this many rows are not counted one by one."""

# Each table's market-time column and recorded-time column, where it has them.
_TIMES: dict[str, tuple[str | None, str | None]] = {
    "ticks": ("ts", None),
    "ohlcv_bars": ("ts", None),
    "tradelog": ("exchange_ts", "local_ts"),
    "audit_log": (None, "timestamp"),
    "order_history": ("event_at", "recorded_at"),
    "transactions": ("posted_at", "created_at"),
    "equity_snapshots": ("at", None),
    "position_snapshots": ("at", None),
    "signals": ("ts", None),
    "audit_checkpoint": (None, "created_at"),
    "strategy_runs": ("ended_at", "recorded_at"),
}


@dataclass(frozen=True)
class TableStats:
    """One table."""

    name: str
    rows: int
    estimated: bool
    table_bytes: int
    index_bytes: int
    total_bytes: int
    partitions: int
    market: tuple[datetime | None, datetime | None] = (None, None)
    recorded: tuple[datetime | None, datetime | None] = (None, None)


@dataclass(frozen=True)
class QuestDbStats:
    """QuestDB, when configured: reachable or why not, and its tables' row counts."""

    reachable: bool
    problem: str | None = None
    rows: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StoreStats:
    """The whole store."""

    tables: list[TableStats]
    database_bytes: int
    server_version: str
    uptime: timedelta
    pool_size: int
    pool_in_use: int
    server_connections: int
    spill_bytes: int
    tradelog_spill_bytes: int
    questdb: QuestDbStats | None


def _columns(conn: Connection, name: str) -> set[str]:
    rows = conn.execute(
        sa.text(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(:t) AND attnum > 0 "
            "AND NOT attisdropped"
        ),
        {"t": name},
    )
    return {row[0] for row in rows}


def _span(conn: Connection, name: str, column: str | None) -> tuple[datetime | None, ...]:
    if column is None or column not in _columns(conn, name):
        return (None, None)
    row = conn.execute(sa.text(f'SELECT min("{column}"), max("{column}") FROM "{name}"')).one()
    return (row[0], row[1])


def _table(conn: Connection, name: str) -> TableStats | None:
    row = conn.execute(
        sa.text(
            # pg_partition_tree gives a plain table nothing: then the table is its own part
            "SELECT c.relkind, greatest(c.reltuples, 0)::bigint AS guess, "
            "sum(pg_table_size(coalesce(t.relid, c.oid)))::bigint AS tbytes, "
            "sum(pg_indexes_size(coalesce(t.relid, c.oid)))::bigint AS ibytes, "
            "count(*) FILTER (WHERE t.isleaf AND t.relid <> c.oid) AS parts "
            "FROM pg_class c LEFT JOIN LATERAL pg_partition_tree(c.oid) t ON true "
            "WHERE c.oid = to_regclass(:t) GROUP BY c.relkind, c.reltuples"
        ),
        {"t": name},
    ).first()
    if row is None:
        return None
    guess = int(row.guess)
    if row.relkind == "p":  # a partitioned table keeps no estimate of its own
        guess = int(conn.execute(
            sa.text("SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint FROM "
                    "pg_partition_tree(to_regclass(:t)) t JOIN pg_class c ON c.oid = t.relid "
                    "WHERE t.isleaf"), {"t": name}).scalar_one())  # fmt: skip
    estimated = guess > ESTIMATE_ABOVE
    rows = guess if estimated else int(conn.execute(sa.text(f'SELECT count(*) FROM "{name}"'))
                                       .scalar_one())  # fmt: skip
    market, recorded = _TIMES.get(name, (None, None))
    return TableStats(name, rows, estimated, int(row.tbytes), int(row.ibytes),
                      int(row.tbytes) + int(row.ibytes), int(row.parts),
                      _span(conn, name, market), _span(conn, name, recorded))  # type: ignore[arg-type]  # fmt: skip


def _questdb(pg_url: str | None, configured: bool) -> QuestDbStats | None:
    if not configured:
        return None
    if pg_url is None:
        return QuestDbStats(False, "QUESTDB_PG_URL is not set: its tables cannot be counted")
    import psycopg

    try:
        with psycopg.connect(pg_url, autocommit=True, connect_timeout=3) as conn:
            rows = {t: int(conn.execute(f"SELECT count() FROM {t}").fetchone()[0])  # type: ignore[index]
                    for t in ("ticks", "ohlcv_bars")}  # fmt: skip
    except psycopg.Error as error:
        return QuestDbStats(False, str(error).strip().splitlines()[0] if str(error) else "down")
    return QuestDbStats(True, None, rows)


@translate_db_errors
def store_stats(
    database: Database,
    spill: Path,
    tradelog_spill: Path,
    questdb_pg_url: str | None = None,
    questdb_configured: bool = False,
) -> StoreStats:
    """Everything `ingot db stats` shows, read in one connection."""
    pool = database.engine.pool
    with database.engine.connect() as conn:
        tables = [t for t in (_table(conn, table.name) for table in metadata.sorted_tables) if t]
        facts = conn.execute(
            sa.text(
                "SELECT pg_database_size(current_database()), current_setting("
                "'server_version'), now() - pg_postmaster_start_time(), (SELECT count(*) "
                "FROM pg_stat_activity WHERE datname = current_database())"
            )
        ).one()
        in_use = pool.checkedout() if hasattr(pool, "checkedout") else 0
    return StoreStats(
        tables=tables,
        database_bytes=int(facts[0]),
        server_version=str(facts[1]).split()[0],
        uptime=facts[2],
        pool_size=pool.size() if hasattr(pool, "size") else 0,
        pool_in_use=int(in_use),
        server_connections=int(facts[3]),
        spill_bytes=bytes_waiting(spill),
        tradelog_spill_bytes=bytes_waiting(tradelog_spill),
        questdb=_questdb(questdb_pg_url, questdb_configured),
    )

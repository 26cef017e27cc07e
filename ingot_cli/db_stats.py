"""What `ingot db stats` shows: the store's tables, sizes and spans, the server, the pool, the
local spill files and QuestDB."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ingot_cli.output import Column, Output, format_count
from ingot_cli.zone import label, when

if TYPE_CHECKING:
    from ingot_storage.db.stats import StoreStats

__all__ = ["render_stats", "size_text"]


def size_text(n: int) -> str:
    """Bytes as a person reads them: 812 B, 1.4 MiB."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n:,} B" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{n:,} B"  # pragma: no cover - the loop returns


def _span(span: tuple[datetime | None, datetime | None]) -> str:
    first, last = span
    return "" if first is None or last is None else f"{when(first)} .. {when(last)}"


def _uptime(age: timedelta) -> str:
    days, rest = divmod(int(age.total_seconds()), 86_400)
    hours, rest = divmod(rest, 3600)
    return (f"{days} d " if days else "") + f"{hours} h {rest // 60} min"


def render_stats(out: Output, stats: StoreStats) -> None:
    """The statistics as tables, or JSON (sizes in bytes)."""
    if out.json_mode:
        out.json({
            "database_bytes": stats.database_bytes, "server_version": stats.server_version,
            "uptime_seconds": int(stats.uptime.total_seconds()), "pool_size": stats.pool_size,
            "pool_in_use": stats.pool_in_use, "server_connections": stats.server_connections,
            "spill_bytes": stats.spill_bytes, "tradelog_spill_bytes": stats.tradelog_spill_bytes,
            "questdb": None if stats.questdb is None else stats.questdb.__dict__,
            "tables": [{**t.__dict__, "market": list(t.market), "recorded": list(t.recorded)}
                       for t in stats.tables],
        })  # fmt: skip
        return
    quest = stats.questdb
    facts = [
        ("Server", f"PostgreSQL {stats.server_version}, up {_uptime(stats.uptime)}"),
        ("Database", size_text(stats.database_bytes)),
        ("Pool", f"{stats.pool_in_use} of {stats.pool_size} in use; "
                 f"{stats.server_connections} connections to this database"),
        ("Spill", size_text(stats.spill_bytes)),
        ("Trade log spill", size_text(stats.tradelog_spill_bytes)),
        ("QuestDB", "not configured" if quest is None else
         ("reachable; " + ", ".join(f"{k} {v:,} rows" for k, v in quest.rows.items())
          if quest.reachable else f"unreachable ({quest.problem})")),
    ]  # fmt: skip
    out.table([Column("Store"), Column("")], facts)
    out.line("")
    out.table(
        [Column("Table"), Column("Rows", "right"), Column("Table", "right"),
         Column("Indexes", "right", drop=2), Column("Total", "right"),
         Column("Parts", "right", drop=1), Column(f"Market time ({label()})", drop=3),
         Column("Recorded", drop=3)],
        [(t.name, ("~" if t.estimated else "") + format_count(t.rows), size_text(t.table_bytes),
          size_text(t.index_bytes), size_text(t.total_bytes), str(t.partitions or ""),
          _span(t.market), _span(t.recorded)) for t in stats.tables],
    )  # fmt: skip
    if any(t.estimated for t in stats.tables):
        out.line("~ PostgreSQL's estimate (tables of more than 1,000,000 rows are not counted)")

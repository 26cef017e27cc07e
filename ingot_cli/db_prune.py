"""`ingot db prune`: retention of the tables that age (ticks, the trade log, bars), whole
partitions at a time, archived first; the tables that hold money or its proof are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ingot_cli.errors import BadInput
from ingot_cli.output import Output, format_count
from ingot_cli.parsing import parse_age
from ingot_cli.session import Session
from ingot_cli.zone import label, when

if TYPE_CHECKING:
    from ingot_storage.db.retention import PruneResult

__all__ = ["PRUNABLE", "prune_tables", "render_prunes"]

PRUNABLE = ("ticks", "tradelog", "bars")
_NEVER = {
    **dict.fromkeys(("ledger", "accounts", "transactions", "entries"),
                    "it is the ledger: every balance is the sum of all its entries"),
    **dict.fromkeys(("orders", "order_history", "positions", "position_snapshots",
                     "equity_snapshots", "signals", "book_snapshots", "strategy_runs"),
                    "it is the book's history: its state is rebuilt from it"),
    **dict.fromkeys(("audit", "audit_log", "audit_checkpoint"),
                    "it is the audit trail: a pruned log can no longer be verified"),
}  # fmt: skip


def _tables(wanted: list[str], bars_days: int) -> list[str]:
    if not wanted:  # each table with a retention policy
        return ["ticks", "tradelog"] + (["bars"] if bars_days else [])
    for name in wanted:
        if name in _NEVER:
            raise BadInput("--table", [f"{name} is never pruned: {_NEVER[name]}"])
        if name not in PRUNABLE:
            raise BadInput("--table", [f"{name!r} is not one of {', '.join(PRUNABLE)}"])
    return list(dict.fromkeys(wanted))


def prune_tables(
    session: Session, wanted: list[str], older_than: str | None, archive: Path | None,
    dry_run: bool,
) -> list[tuple[str, PruneResult, str | None]]:  # fmt: skip
    """Prune each table; with each result, why QuestDB's copy was not pruned (or None)."""
    config = session.config
    tables = _tables(wanted, config.retention_bars_days)
    age = None if older_than is None else parse_age(older_than)
    if archive is not None and not dry_run:
        archive = archive.expanduser()
        if not archive.is_dir():
            raise BadInput("--archive", [f"{archive} is not a directory"])
    from ingot_storage.market.retention import prune_bars, prune_questdb, prune_ticks
    from ingot_storage.tradelog.retention import prune_tradelog

    days = {"ticks": config.retention_ticks_days, "tradelog": config.tradelog_retention_days,
            "bars": config.retention_bars_days}  # fmt: skip
    pruners = {"ticks": prune_ticks, "tradelog": prune_tradelog, "bars": prune_bars}
    now, engine = datetime.now(UTC), session.database.owner_engine
    done = []
    for table in tables:
        keep = age if age is not None else timedelta(days=days[table])
        if not keep:
            problem = f"{table} has no retention (INGOT_RETENTION_BARS_DAYS is 0): say how old"
            raise BadInput("--older-than", [problem])
        result = pruners[table](engine, now - keep, archive, dry_run=dry_run)
        quest = None
        if config.questdb_ilp_addr is not None and table != "tradelog" and not dry_run:
            quest = prune_questdb(config.questdb_pg_url, "ohlcv_bars" if table == "bars"
                                  else "ticks", result.cutoff)  # fmt: skip
        done.append((table, result, quest))
    return done


def render_prunes(
    out: Output, done: list[tuple[str, PruneResult, str | None]], dry_run: bool
) -> None:
    """One line per table (and each archive written), or JSON."""
    if out.json_mode:
        out.json([{"table": t, "cutoff": r.cutoff.isoformat(), "dry_run": dry_run,
                   "dropped": [{"partition": n, "rows": c} for n, c in r.dropped],
                   "trimmed": r.trimmed, "kept": r.kept,
                   "archived": [str(p) for p in r.archived], "questdb_problem": q}
                  for t, r, q in done])  # fmt: skip
        return
    verb = "Would remove" if dry_run else "Removed"
    for table, result, quest in done:
        gone = sum(c for _, c in result.dropped) + result.trimmed
        out.line(f"{table}: {verb.lower()} {format_count(gone)} rows before "
                 f"{when(result.cutoff)} {label()} ({len(result.dropped)} whole days dropped); "
                 f"{format_count(result.kept)} kept", markup=False)  # fmt: skip
        for path in result.archived:
            out.line(f"  archived: {path}", markup=False)
        if quest is not None:
            out.line(f"  QuestDB not pruned: {quest}", markup=False)

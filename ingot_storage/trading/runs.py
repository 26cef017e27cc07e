"""Strategy run summaries in PostgreSQL: kept when a run ends, read back by `ingot report`."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection

from ingot_core.engine.run_report import RunSummary
from ingot_core.numbers import loads_json
from ingot_storage.db.tables import strategy_runs
from ingot_storage.errors import translate_db_errors

__all__ = ["find_runs", "list_runs", "save_run"]


@translate_db_errors
def save_run(conn: Connection, summary: RunSummary) -> bool:
    """Keep `summary`; False when that run of that book is kept already (a run named again
    places nothing twice, and its first summary stands)."""
    stored = conn.execute(
        insert(strategy_runs)
        .values(
            run_id=summary.run_id,
            book=summary.book,
            strategy=summary.strategy,
            ended_at=summary.ended_at,
            summary_text=json.dumps(summary.as_data(), sort_keys=True),
        )
        .on_conflict_do_nothing()
        .returning(strategy_runs.c.run_id)
    ).first()
    return stored is not None


@translate_db_errors
def find_runs(conn: Connection, run_id: str) -> list[RunSummary]:
    """Every kept run named `run_id` (one per book it ran in)."""
    rows = conn.execute(
        sa.select(strategy_runs.c.summary_text)
        .where(strategy_runs.c.run_id == run_id)
        .order_by(strategy_runs.c.book)
    )
    return [RunSummary.from_data(loads_json(text)) for (text,) in rows]


@translate_db_errors
def list_runs(conn: Connection, limit: int) -> list[RunSummary]:
    """The newest `limit` kept runs, newest first."""
    rows = conn.execute(
        sa.select(strategy_runs.c.summary_text)
        .order_by(strategy_runs.c.recorded_at.desc(), strategy_runs.c.run_id)
        .limit(limit)
    )
    return [RunSummary.from_data(loads_json(text)) for (text,) in rows]

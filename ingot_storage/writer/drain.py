"""Writing what an earlier process spilled, at start-up, before the ledger is recovered."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from ingot_storage.errors import db_errors
from ingot_storage.writer.batch import write_events
from ingot_storage.writer.spill import DrainResult, SpilledBatch, SpillFile

__all__ = ["drain_spill"]


def drain_spill(
    engine: Engine, spill_path: Path, actor: str = "engine", *, set_aside: bool = False
) -> DrainResult:
    """At start-up, before the ledger is recovered: write what an earlier process spilled,
    each batch in its own transaction (see SpillFile.drain for `set_aside`)."""

    def write(batch: SpilledBatch) -> None:
        with db_errors(), engine.begin() as conn:
            write_events(conn, batch.events, actor, epoch=batch.epoch)

    return SpillFile(spill_path).drain(write, set_aside=set_aside)

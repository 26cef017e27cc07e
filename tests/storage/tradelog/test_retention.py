"""Retention: whole days older than the cutoff archived then dropped, the cutoff's day
trimmed, nothing newer touched; the archive holds every row that went, row for row."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ingot_core.instants import epoch_micros
from ingot_core.tradelog.events import EventType, TradeLogEvent
from ingot_storage.tradelog.retention import day_partitions, prune_tradelog
from ingot_storage.tradelog.writer import TradeLogWriter

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


def _fill_days(engine: Engine, tmp_path: Path, days: int) -> None:
    """Three events a day for `days` days back from NOW: at 01:00, 15:30 and 23:00."""
    writer = TradeLogWriter(engine, tmp_path / "tl.jsonl", batch_size=10_000, flush_ms=1)
    for back in range(days):
        day = (NOW - timedelta(days=back)).replace(hour=0, minute=0)
        for hour, minute in ((1, 0), (15, 30), (23, 0)):
            moment = day.replace(hour=hour, minute=minute)
            if moment <= NOW:
                raw = json.dumps({"at": moment.isoformat()})
                kind = EventType.CONNECTIVITY_INFO
                writer.emit(TradeLogEvent(epoch_micros(moment), kind, raw, "test"))
    writer.close()


def _raws(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        query = sa.text("SELECT raw FROM tradelog ORDER BY local_ts_us")
        return list(conn.execute(query).scalars())


def test_prune_keeps_exactly_the_last_90_days_and_archives_the_rest(
    engine: Engine, tmp_path: Path
) -> None:
    _fill_days(engine, tmp_path, 120)
    before = _raws(engine)
    cutoff = NOW - timedelta(days=90)
    archive = tmp_path / "archive"
    archive.mkdir()
    dry = prune_tradelog(engine, cutoff, archive, dry_run=True)
    assert _raws(engine) == before
    assert not list(archive.iterdir())
    done = prune_tradelog(engine, cutoff, archive)
    kept = _raws(engine)
    assert kept == [r for r in before if datetime.fromisoformat(json.loads(r)["at"]) >= cutoff]
    assert done.kept == dry.kept == len(kept)
    assert len(done.dropped) == dry.dropped.__len__() == 29  # whole days 91..119 back
    archived = []
    for path in sorted(archive.iterdir()):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            archived += [json.loads(line)["raw"] for line in handle]
    assert sorted(archived + kept) == sorted(before)  # row for row, nothing lost or doubled
    with engine.connect() as conn:
        days = day_partitions(conn)
    assert epoch_micros(cutoff) - days[0].start_us < 86_400_000_000  # the cutoff's day first


def test_prune_without_an_archive_and_with_nothing_old_is_a_no_op(
    engine: Engine, tmp_path: Path
) -> None:
    _fill_days(engine, tmp_path, 3)
    before = _raws(engine)
    result = prune_tradelog(engine, NOW - timedelta(days=90), None)
    assert (result.dropped, result.trimmed, result.kept) == ([], 0, len(before))
    assert _raws(engine) == before

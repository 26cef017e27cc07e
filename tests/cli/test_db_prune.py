"""`ingot db prune`: 200 days of ticks and trade log pruned to exactly the last 90 days, the
archive holding the rest row for row, `db stats` showing the sizes before and after; the
ledger, the book's history and the audit trail are never pruned."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from ingot_core.instants import epoch_micros
from ingot_core.tradelog.events import EventType, TradeLogEvent
from ingot_storage.db.database import create_db_engine
from ingot_storage.tradelog.writer import TradeLogWriter


def _two_hundred_days(invoke, database_url: URL, tmp_path: Path) -> datetime:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    ticks, events = [], []
    for back in range(200):
        day = (now - timedelta(days=back)).replace(hour=0, minute=0, second=0, microsecond=0)
        for hour in (1, 12, 23):
            moment = day + timedelta(hours=hour, minutes=back % 60)
            if moment < now - timedelta(minutes=5):
                ticks.append({"symbol": "BTC-USD", "ts": moment.isoformat(),
                              "price": f"{60000 + back}.{hour:02d}", "volume": "0.5"})  # fmt: skip
                raw = json.dumps({"at": moment.isoformat()})
                kind = EventType.CONNECTIVITY_INFO
                events.append(TradeLogEvent(epoch_micros(moment), kind, raw, "test"))
    path = tmp_path / "ticks.jsonl"
    path.write_text("\n".join(json.dumps(t) for t in ticks) + "\n")
    assert invoke("ingest", "ticks", str(path)).exit_code == 0
    engine = create_db_engine(database_url)
    try:
        writer = TradeLogWriter(engine, tmp_path / "tl.jsonl", batch_size=10_000, flush_ms=1)
        for event in events:
            writer.emit(event)
        writer.close()
    finally:
        engine.dispose()
    return now


def _rows(database_url: URL, query: str) -> list[tuple]:  # type: ignore[type-arg]
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(query))]
    finally:
        engine.dispose()


def _archived(folder: Path, prefix: str) -> list[dict]:  # type: ignore[type-arg]
    rows = []
    for path in sorted(folder.glob(f"{prefix}*.jsonl.gz")):
        with gzip.open(path, "rt") as handle:
            rows += [json.loads(line) for line in handle]
    return rows


def test_prune_keeps_exactly_the_last_90_days_and_archives_the_rest(
    invoke, database_url: URL, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _two_hundred_days(invoke, database_url, tmp_path)
    ticks_before = _rows(database_url, "SELECT ts, price FROM ticks ORDER BY ts")
    log_before = _rows(database_url, "SELECT local_ts_us, raw FROM tradelog ORDER BY local_ts_us")
    stats_before = {t["name"]: t for t in json.loads(invoke("db", "stats", "--json").stdout)
                    ["tables"]}  # fmt: skip
    assert stats_before["ticks"]["partitions"] >= 199
    folder = tmp_path / "archive"
    folder.mkdir()
    dry = invoke("db", "prune", "--older-than", "90d", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert _rows(database_url, "SELECT count(*) FROM ticks")[0][0] == len(ticks_before)
    done = invoke("db", "prune", "--older-than", "90d", "--archive", str(folder), "--json")
    assert done.exit_code == 0, done.output
    results = {r["table"]: r for r in json.loads(done.stdout)}
    cutoff = datetime.fromisoformat(results["ticks"]["cutoff"])
    assert {k: v for k, v in json.loads(dry.stdout)[0].items() if k in ("kept", "trimmed")} == {
        k: v for k, v in results["ticks"].items() if k in ("kept", "trimmed")}  # fmt: skip
    ticks_after = _rows(database_url, "SELECT ts, price FROM ticks ORDER BY ts")
    assert ticks_after == [t for t in ticks_before if t[0] >= cutoff]
    assert [(r["ts"], r["price"]) for r in sorted(_archived(folder, "ticks_p"),
                                                  key=lambda r: r["ts"])] == [
        (t[0].isoformat(), format(t[1], "f")) for t in ticks_before if t[0] < cutoff]  # fmt: skip
    log_after = _rows(database_url, "SELECT local_ts_us, raw FROM tradelog ORDER BY local_ts_us")
    cut_us = epoch_micros(datetime.fromisoformat(results["tradelog"]["cutoff"]))
    assert log_after == [e for e in log_before if e[0] >= cut_us]
    assert sorted(r["raw"] for r in _archived(folder, "tradelog_p")) == sorted(
        e[1] for e in log_before if e[0] < cut_us)  # fmt: skip
    stats_after = {t["name"]: t for t in json.loads(invoke("db", "stats", "--json").stdout)
                   ["tables"]}  # fmt: skip
    assert stats_after["ticks"]["rows"] == len(ticks_after)
    assert stats_after["ticks"]["partitions"] <= 91
    assert stats_after["ticks"]["total_bytes"] < stats_before["ticks"]["total_bytes"]
    assert stats_after["tradelog"]["rows"] == len(log_after)
    first_kept = stats_after["ticks"]["market"][0]
    assert datetime.fromisoformat(first_kept) >= cutoff
    table = invoke("db", "stats")
    assert "ticks" in table.stdout


@pytest.mark.parametrize("table", ["entries", "order_history", "audit_log", "ledger", "audit"])
def test_money_and_its_proof_are_never_pruned(invoke, table: str) -> None:  # type: ignore[no-untyped-def]
    refused = invoke("db", "prune", "--table", table, "--older-than", "1d")
    assert refused.exit_code == 11
    assert refused.stderr.startswith(f"error: --table: {table} is never pruned")


def test_bars_are_kept_unless_asked(invoke) -> None:  # type: ignore[no-untyped-def]
    refused = invoke("db", "prune", "--table", "bars")
    assert refused.exit_code == 11
    assert "INGOT_RETENTION_BARS_DAYS" in refused.stderr
    assert invoke("db", "prune", "--table", "bars", "--older-than", "30d").exit_code == 0

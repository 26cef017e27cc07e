"""The trade log's writer against a real PostgreSQL: COPY into daily partitions, the exact
text kept, drop-oldest under a flood, the spill through an outage, drained in order."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ingot_core.instants import epoch_micros
from ingot_core.tradelog.events import EventType, OrdStatus, Side, TradeLogEvent
from ingot_storage.db.database import create_db_engine
from ingot_storage.tradelog.writer import TradeLogWriter
from tests.storage.market.test_questdb import free_port


def _event(n: int, at: datetime | None = None, raw: str | None = None) -> TradeLogEvent:
    moment = at or datetime(2026, 12, 1, 12, 0, tzinfo=UTC) + timedelta(microseconds=n)
    return TradeLogEvent(
        epoch_micros(moment), EventType.API_EVENT_ORDER_UPDATE,
        raw or f'{{"n":{n}, "px":60000.10,"note":"é"}}', "test",
        cl_ord_id=f"c{n}", side=Side.SELL, ord_status=OrdStatus.FILLED,
        last_px=Decimal("60000.100000000000000001"), symbol="BTC/USD",
    )  # fmt: skip


def _rows(engine: Engine) -> list[sa.Row]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT cl_ord_id, raw, body, local_ts_us, local_ts, last_px, side, ord_status, "
            "tableoid::regclass::text AS part FROM tradelog ORDER BY id")))  # fmt: skip


def test_events_land_by_copy_in_their_days_partition_with_the_exact_text(
    engine: Engine, tmp_path: Path
) -> None:
    day_two = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    events = [_event(1), _event(2, day_two), _event(3, raw='{"b":1,  "a":1.50}')]
    writer = TradeLogWriter(engine, tmp_path / "tl.jsonl", flush_ms=1)
    for event in events:
        writer.emit(event)
    writer.close()
    rows = _rows(engine)
    assert [r.raw for r in rows] == [e.raw for e in events]  # byte for byte
    assert rows[2].body == {"a": Decimal("1.50"), "b": 1} or rows[2].body == {"a": 1.5, "b": 1}
    assert [r.part for r in rows] == ["tradelog_p20261201", "tradelog_p20261202",
                                      "tradelog_p20261201"]  # fmt: skip
    assert rows[1].local_ts == day_two  # the generated column, to the microsecond
    assert rows[0].local_ts_us == events[0].local_ts_us
    assert epoch_micros(rows[0].local_ts) == events[0].local_ts_us
    assert rows[0].last_px == Decimal("60000.100000000000000001")
    assert (rows[0].side, rows[0].ord_status) == (2, 2)
    metrics = writer.snapshot()
    assert (metrics.rows, metrics.dropped, metrics.spilled) == (3, 0, 0)


def test_a_body_that_is_not_json_keeps_its_text_and_an_empty_body(
    engine: Engine, tmp_path: Path
) -> None:
    writer = TradeLogWriter(engine, tmp_path / "tl.jsonl", flush_ms=1)
    writer.emit(_event(1, raw="<html>502 Bad Gateway</html>"))
    writer.emit(_event(2, raw='{"x":"nul\\u0000"}'))
    writer.emit(_event(3, raw="a\x00b"))
    writer.close()
    rows = _rows(engine)
    assert [r.body for r in rows] == [{}, {}, {}]
    assert [r.raw for r in rows] == ["<html>502 Bad Gateway</html>", '{"x":"nul\\u0000"}',
                                     "a\\u0000b"]  # fmt: skip


def test_a_flood_drops_the_oldest_counts_them_and_warns_once(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = TradeLogWriter(engine, tmp_path / "tl.jsonl", capacity=100, batch_size=10_000,
                            flush_ms=3_000)  # fmt: skip
    with caplog.at_level(logging.WARNING, "ingot_storage.tradelog.writer"):
        for n in range(1000):
            writer.emit(_event(n))
        dropped = writer.snapshot().dropped
        writer.close()
    assert dropped == 900
    assert [r.cl_ord_id for r in _rows(engine)] == [f"c{n}" for n in range(900, 1000)]
    warnings = [r for r in caplog.records if "queue full" in r.getMessage()]
    assert len(warnings) == 1


def test_an_outage_spills_in_order_and_the_next_start_drains_it(
    engine: Engine, tmp_path: Path, database_url: sa.URL
) -> None:
    spill = tmp_path / "tl.jsonl"
    down = create_db_engine(database_url.set(host="127.0.0.1", port=free_port(), query={}),
                            pool_size=1)  # fmt: skip
    try:
        writer = TradeLogWriter(down, spill, batch_size=3, flush_ms=1, backoff_s=0.01,
                                backoff_max_s=0.02)  # fmt: skip
        for n in range(10):
            writer.emit(_event(n))
        writer.close()
    finally:
        down.dispose()
    lines = spill.read_text().splitlines()
    assert sum(len(json.loads(line)) for line in lines) == 10  # nothing lost
    assert writer.snapshot().errors >= 1
    assert _rows(engine) == []
    again = TradeLogWriter(engine, spill, flush_ms=1)
    again.emit(_event(10))
    again.close()
    assert [r.cl_ord_id for r in _rows(engine)] == [f"c{n}" for n in range(11)]
    assert spill.read_bytes() == b""

#!/usr/bin/env python3
"""The trade log's writer against a raw COPY of the very same rows, and its producer's cost.

    .venv/bin/python bench/tradelog_bench.py [--events 200000] [--batch 1000]
                                             [--database-url URL]

1. Ingot: the paper exchange's messages (a market buy's request, answer, execution and
   update, over and over) are emitted into TradeLogWriter, which batches them (--batch, 1,000
   by default, or 50 ms), makes the day's partition and COPYs each batch in its own
   transaction; timed from the first emit until close() returns (everything committed).
2. Raw COPY: the same rows (row_of of the same events), COPY'd into an unpartitioned copy of
   the table with the same columns, in the same batches, one commit each.
3. The producer: emit() timed one call at a time (perf_counter_ns) while the worker writes,
   median and p99 in microseconds. The queue is sized so nothing is dropped.

PostgreSQL keeps its durable defaults (fsync, synchronous_commit on).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from bench_support import bench_database

from ingot_core.execution import Order, OrderRequest, OrderSide, OrderStatus, OrderType
from ingot_core.symbols import Symbol
from ingot_core.tradelog.events import TradeLogEvent
from ingot_core.tradelog.paper import PaperWire
from ingot_storage.db.database import driver_connection
from ingot_storage.tradelog.rows import COLUMNS, row_of
from ingot_storage.tradelog.writer import TradeLogWriter

BTC = Symbol("BTC", "USD")
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def messages(count: int) -> list[TradeLogEvent]:
    """`count` events of the paper exchange: each market buy gives four."""
    events: list[TradeLogEvent] = []
    wire = PaperWire(events.append, "main", first_req=1)
    n = 0
    while len(events) < count:
        n += 1
        request = OrderRequest(f"cli-{n:012d}", BTC, OrderSide.BUY, OrderType.MARKET,
                               Decimal("0.01"))  # fmt: skip
        at = T0 + timedelta(microseconds=n)
        wire.placed(Order(request, f"P-{n:032x}", OrderStatus.FILLED, at, at,
                          Decimal("60030.00"), Decimal("0.01"), Decimal("600.30"),
                          Decimal("1.56")))  # fmt: skip
    return events[:count]


def ingot(engine: sa.Engine, events: list[TradeLogEvent], batch: int, spill) -> float:  # type: ignore[no-untyped-def]
    writer = TradeLogWriter(engine, spill, capacity=len(events) + 1, batch_size=batch)
    started = time.perf_counter()
    for event in events:
        writer.emit(event)
    writer.close(timeout_s=3600)
    elapsed = time.perf_counter() - started
    assert writer.snapshot().rows == len(events), writer.snapshot()
    return len(events) / elapsed


def raw_copy(engine: sa.Engine, events: list[TradeLogEvent], batch: int) -> float:
    rows = [row_of(e) for e in events]  # built before the clock: the baseline only writes
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_raw_tradelog")
        conn.exec_driver_sql("CREATE TABLE bench_raw_tradelog (LIKE tradelog INCLUDING DEFAULTS)")
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    started = time.perf_counter()
    for at in range(0, len(rows), batch):
        with engine.begin() as conn:
            raw = driver_connection(conn)
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY bench_raw_tradelog ({names}) FROM STDIN") as cp,
            ):
                for row in rows[at : at + batch]:
                    cp.write_row(row)
    return len(rows) / (time.perf_counter() - started)


def enqueue_cost(
    engine: sa.Engine, events: list[TradeLogEvent], batch: int, spill
) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    writer = TradeLogWriter(engine, spill, capacity=len(events) + 1, batch_size=batch)
    costs = []
    clock = time.perf_counter_ns
    for event in events:
        before = clock()
        writer.emit(event)
        costs.append(clock() - before)
        if len(costs) % 200 == 0:
            time.sleep(0)  # let the worker run, as a trading loop would
    writer.close(timeout_s=3600)
    costs.sort()
    return statistics.median(costs) / 1000, costs[int(len(costs) * 0.99)] / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    events = messages(args.events)
    with bench_database(args.database_url) as (engine, _url, workdir):
        ours = ingot(engine, events, args.batch, workdir / "tl-spill.jsonl")
        with engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE tradelog")
        raw = raw_copy(engine, events, args.batch)
        with engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE tradelog")
        median, p99 = enqueue_cost(engine, events[: min(len(events), 100_000)], args.batch,
                                   workdir / "tl-spill-2.jsonl")  # fmt: skip
    print(f"events: {args.events:,} in batches of {args.batch:,}")
    print(f"persisted: {ours:,.0f}/s vs raw COPY {raw:,.0f}/s -> {ours / raw:.0%} of raw "
          "(target >= 40%)")  # fmt: skip
    print(f"enqueue with the worker running: median {median:.2f} us, p99 {p99:.2f} us "
          "(target p99 < 20 us)")  # fmt: skip


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Audit trail throughput against the raw PostgreSQL limit, measured in one run.

    .venv/bin/python bench/audit_bench.py [--entries 1000000] [--batch 1000] [--database-url URL]

1. append: `append_audit_batch` (canonical JSON, leaf and chain hashes, advisory lock, one
   COPY per batch, one commit per batch) vs raw COPY of the very same rows into an
   identical table, same batch size, same commits.
2. verify: `ingot`'s streaming verify vs a plain server-side-cursor read of the same rows
   (no hashing).
3. memory: verify of the whole log in a fresh process; its peak RSS.

PostgreSQL keeps its durable defaults (fsync, synchronous_commit on); the script prints
them. Without --database-url it starts a throwaway embedded server.
"""

from __future__ import annotations

import argparse
import time
from uuid import UUID

import sqlalchemy as sa
from bench_support import ROOT, bench_database, run_child
from sqlalchemy.engine import URL

from ingot_core.audit import AuditEvent
from ingot_storage.audit.log import (
    COPY_COLUMNS,
    append_audit_batch,
    copy_row,
)
from ingot_storage.db.database import driver_connection


def events(start: int, count: int) -> list[AuditEvent]:
    """Order-fill-shaped events, like the engine's."""
    return [
        AuditEvent(
            "order_filled",
            "engine",
            UUID(int=n),
            {
                "order_id": f"o-{n}",
                "symbol": "BTC-USD",
                "side": "Buy",
                "quantity": "0.00150000",
                "price": "67432.50",
                "fee": "0.17",
                "status": "Filled",
            },
        )
        for n in range(start, start + count)
    ]


def measure_append(engine: sa.Engine, total: int, batch: int) -> tuple[float, list[tuple]]:
    rows: list[tuple] = []
    elapsed = 0.0
    for offset in range(0, total, batch):
        todo = events(offset, min(batch, total - offset))  # the caller's work, not timed
        started = time.perf_counter()
        with engine.begin() as conn:
            written = append_audit_batch(conn, todo)
        elapsed += time.perf_counter() - started
        rows.extend(copy_row(entry) for entry in written)
    return elapsed, rows


def measure_raw_copy(engine: sa.Engine, rows: list[tuple], batch: int) -> float:
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS audit_log_raw")
        conn.exec_driver_sql("CREATE TABLE audit_log_raw (LIKE audit_log INCLUDING ALL)")
    started = time.perf_counter()
    for offset in range(0, len(rows), batch):
        with engine.begin() as conn:
            raw = driver_connection(conn)
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY audit_log_raw ({COPY_COLUMNS}) FROM STDIN") as cp,
            ):
                for row in rows[offset : offset + batch]:
                    cp.write_row(row)
    return time.perf_counter() - started


def measure_raw_read(engine: sa.Engine) -> float:
    # The same rows, every stored column, no hashing.
    query = (
        'SELECT seq, "timestamp", event_type, actor, entity_id, payload_text, leaf_hash, '
        "chain_hash FROM audit_log ORDER BY seq"
    )
    started = time.perf_counter()
    with engine.begin() as conn:
        raw = driver_connection(conn)
        with raw.cursor(name="bench_raw_read", binary=True) as cursor:
            cursor.itersize = 10_000
            cursor.execute(query)
            count = 0
            while rows := cursor.fetchmany(10_000):
                count += len(rows)
    return time.perf_counter() - started


VERIFY_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
sys.path.insert(0, sys.argv[2] + "/bench")
from sqlalchemy.engine import make_url
from bench_support import peak_rss_mb
from ingot_storage.audit.verify import verify_audit_chain
from ingot_storage.db.database import create_db_engine
engine = create_db_engine(make_url(sys.argv[1]), pool_size=1)
started = time.perf_counter()
with engine.connect() as conn:
    report = verify_audit_chain(conn)
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "entries": report.entries, "valid": report.valid,
                  "peak_rss_mb": peak_rss_mb()}))
"""


def measure_verify(url: URL) -> dict:
    return run_child(VERIFY_CHILD, url.render_as_string(False), str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--database-url", help="an empty database to use (default: embedded)")
    args = parser.parse_args()

    with bench_database(args.database_url) as (engine, url, _workdir):
        n, batch = args.entries, args.batch

        append_s, rows = measure_append(engine, n, batch)
        copy_s = measure_raw_copy(engine, rows, batch)
        del rows
        read_s = measure_raw_read(engine)
        verify = measure_verify(url)
        if not verify["valid"] or verify["entries"] != n:
            raise SystemExit(f"verify did not pass on the benchmark log: {verify}")

        append_rate, copy_rate = n / append_s, n / copy_s
        verify_rate, read_rate = n / verify["seconds"], n / read_s
        print(f"entries: {n:,} in batches of {batch:,}")
        print(
            f"append: {append_rate:,.0f}/s vs raw COPY {copy_rate:,.0f}/s "
            f"-> {append_rate / copy_rate:.0%} of raw (target >= 40%)"
        )
        print(
            f"verify: {verify_rate:,.0f}/s vs raw read {read_rate:,.0f}/s "
            f"-> {verify_rate / read_rate:.0%} of raw (target >= 40% and >= 100,000/s)"
        )
        print(
            f"verify peak RSS: {verify['peak_rss_mb']:.0f} MB for {n:,} entries (target < 200 MB)"
        )


if __name__ == "__main__":
    main()

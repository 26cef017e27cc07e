#!/usr/bin/env python3
"""End-to-end persisted financial events per second, against two baselines in one run.

    .venv/bin/python bench/engine_bench.py [--orders 5000] [--batch 50] [--group 1000]
                                           [--repeat 1] [--database-url URL]

1. Ingot: the TradingEngine places market orders on the paper exchange; the StorageWorker
   persists every event (ledger transaction and entries, order row, position snapshot,
   equity snapshot, and an audit entry for each) by COPY straight into each table (through a
   stage and INSERT … SELECT only for a replayed batch), a batch every STORAGE_BATCH_SIZE
   (--batch, default 50) events, and what arrives during a commit grouped into the next, up
   to STORAGE_GROUP_COMMIT_MAX (--group, default 1000); timed until the final flush returns.
2. Raw COPY: the very rows Ingot wrote, every table, COPY'd into identical tables with
   as many commits as Ingot made.
3. Per-event ORM: the same rows, each added through a SQLAlchemy ORM Session and committed
   on its own (the way freqtrade and hummingbot persist trades): the target's baseline. Also
   printed, a stricter reading: the same rows committed an event's worth at a time (rows ÷
   events, 3.25, on average), which is about three times faster.
4. The engine's hot path with storage attached: ticks per second through on_tick while the
   worker runs, against the engine with no storage at all.

PostgreSQL keeps its durable defaults (fsync, synchronous_commit on).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from bench_support import bench_database
from sqlalchemy.orm import Session, registry

from ingot_core.accounting import bootstrap_ledger, currency
from ingot_core.engine import RiskCaps, TradingEngine
from ingot_core.execution import OrderRequest, OrderSide, OrderType
from ingot_core.feed import Ticker
from ingot_core.symbols import Symbol
from ingot_storage import persist_ledger
from ingot_storage.db.database import driver_connection
from ingot_storage.writer.worker import StorageWorker

TABLES = (
    "transactions",
    "entries",
    "order_history",
    "position_snapshots",
    "equity_snapshots",
    "audit_log",
)
BTC = Symbol("BTC", "USD")
CAPS = RiskCaps(Decimal(10**15), Decimal(10**15), 10**9)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one() for t in TABLES}


def run_ingot(
    engine: sa.Engine, orders: int, spill: Path, batch: int, group: int
) -> tuple[float, int, dict[str, int], int]:
    """Ingot's run: (seconds, financial events, rows by table, commits)."""
    ledger = bootstrap_ledger(currency("USD"), Decimal("1000000000.00"), T0)
    with engine.begin() as conn:
        persist_ledger(conn, ledger)
    before = counts(engine)
    events = 0

    class Counting(StorageWorker):
        def emit(self, unit):  # type: ignore[no-untyped-def]
            nonlocal events
            events += sum(1 for e in unit if type(e).__name__ != "TickReceived")
            super().emit(unit)

    worker = Counting(
        engine, spill, batch_size=batch, flush_interval_ms=100, group_commit_max=group
    ).start()
    trading = TradingEngine(
        ledger, currency("USD"), sink=worker, caps=CAPS, equity_interval=timedelta(0)
    )
    trading.on_tick(Ticker(BTC, Decimal("60000"), T0))
    started = time.perf_counter()
    for n in range(orders):
        side = OrderSide.BUY if n % 2 == 0 else OrderSide.SELL
        at = T0 + timedelta(milliseconds=n)
        trading.place_order(
            OrderRequest(f"b{n}", BTC, side, OrderType.MARKET, Decimal("0.001")), at
        )
    worker.flush()
    elapsed = time.perf_counter() - started
    worker.close()
    after = counts(engine)
    rows = {t: after[t] - before[t] for t in TABLES}
    return elapsed, events, rows, worker.metrics().batches


def raw_copy(engine: sa.Engine, commits: int) -> float:
    with engine.begin() as conn:
        data = {t: conn.exec_driver_sql(f"SELECT * FROM {t}").all() for t in TABLES}
        columns = {
            t: [
                c.name
                for c in sa.Table(t, sa.MetaData(), autoload_with=conn).columns
                if not (t == "audit_log" and c.name == "payload")
            ]
            for t in TABLES
        }
        for t in TABLES:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {t}_raw")
            conn.exec_driver_sql(f"CREATE TABLE {t}_raw (LIKE {t} INCLUDING ALL)")
    rows = {t: [tuple(getattr(r, c) for c in columns[t]) for r in data[t]] for t in TABLES}
    started = time.perf_counter()
    for k in range(commits):
        with engine.begin() as conn:
            raw = driver_connection(conn)
            with raw.cursor() as cur:
                for t in TABLES:
                    part = rows[t][k::commits]
                    if not part:
                        continue
                    cols = ", ".join(f'"{c}"' for c in columns[t])
                    with cur.copy(f"COPY {t}_raw ({cols}) FROM STDIN") as copy:
                        for row in part:
                            copy.write_row(row)
    return time.perf_counter() - started


def orm_per_event(engine: sa.Engine, limit: int, rows_per_commit: float = 1) -> tuple[float, int]:
    """Rows added by the ORM and committed `rows_per_commit` at a time (on average; 1: each
    row alone); returns (seconds, rows)."""
    metadata = sa.MetaData()
    mapper = registry()
    classes = {}
    with engine.begin() as conn:
        for t in TABLES:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {t}_orm")
            conn.exec_driver_sql(f"CREATE TABLE {t}_orm (LIKE {t} INCLUDING DEFAULTS)")
            table = sa.Table(f"{t}_orm", metadata, autoload_with=conn)
            if not table.primary_key.columns:
                table.append_constraint(sa.PrimaryKeyConstraint(*list(table.columns)[:2]))
            cls = type(f"Orm_{t}", (), {})
            mapper.map_imperatively(cls, table)
            classes[t] = (
                cls,
                [c.name for c in table.columns if not (t == "audit_log" and c.name == "payload")],
            )
        data = {t: conn.exec_driver_sql(f"SELECT * FROM {t}").mappings().all() for t in TABLES}
    # An even sample across every table (each row of a table in its turn), so the timed rows
    # are the batch's own mix: ledger entries and audit entries as well as transactions.
    every = [(t, row) for t in TABLES for row in data[t]]
    step = max(1, len(every) // limit)
    work = every[::step][:limit]
    started = time.perf_counter()
    with Session(engine) as session:
        for n, (t, row) in enumerate(work, 1):
            cls, cols = classes[t]
            obj = cls()
            for c in cols:
                setattr(obj, c, row[c])
            session.add(obj)
            if int(n / rows_per_commit) > int((n - 1) / rows_per_commit) or n == len(work):
                session.commit()
    return time.perf_counter() - started, len(work)


def ticks_per_second(engine: sa.Engine | None, spill: Path, ticks: int) -> float:
    ledger = bootstrap_ledger(currency("USD"), Decimal("1000.00"), T0)
    worker = StorageWorker(engine, spill).start() if engine is not None else None
    trading = TradingEngine(ledger, currency("USD"), sink=worker, caps=CAPS)
    started = time.perf_counter()
    for n in range(ticks):
        trading.on_tick(Ticker(BTC, Decimal(60000 + n % 100), T0 + timedelta(microseconds=n)))
    elapsed = time.perf_counter() - started
    if worker is not None:
        worker.close()
    return ticks / elapsed


def one_run(args: argparse.Namespace) -> tuple[float, float, float, float]:
    """One run on a fresh database, in events per second: (Ingot, raw COPY, ORM committing
    each row, ORM committing each event's rows)."""
    with bench_database(args.database_url) as (engine, _url, workdir):
        seconds, events, rows, commits = run_ingot(
            engine, args.orders, workdir / "spill.jsonl", args.batch, args.group
        )
        total_rows = sum(rows.values())
        copy_s = raw_copy(engine, commits)
        orm_s, orm_rows = orm_per_event(engine, args.orm_rows)
        grouped_s, _ = orm_per_event(engine, args.orm_rows, total_rows / events)
        ingot_rate = events / seconds
        copy_rate = events / copy_s  # the same rows, as events per second
        orm_rate = events / (orm_s * total_rows / orm_rows)  # scaled to all rows
        grouped_rate = events / (grouped_s * total_rows / orm_rows)
        print(
            f"orders: {args.orders:,}; financial events: {events:,}; rows written: "
            f"{total_rows:,} {rows}"
        )
        print(
            f"Ingot end to end: {ingot_rate:,.0f} events/s ({args.orders / seconds:,.0f} "
            f"orders/s, {commits:,} commits)"
        )
        print(
            f"raw COPY of the same rows ({commits:,} commits): {copy_rate:,.0f} events/s "
            f"-> Ingot at {ingot_rate / copy_rate:.0%} (target >= 30%)"
        )
        print(
            f"per-event ORM add+commit ({orm_rows:,} rows timed): {orm_rate:,.0f} events/s "
            f"-> Ingot {ingot_rate / orm_rate:.0f}x faster (target >= 30x)"
        )
        print(
            f"stricter: ORM add+commit of each event's rows ({total_rows / events:.2f} on "
            f"average): {grouped_rate:,.0f} events/s -> Ingot {ingot_rate / grouped_rate:.0f}x"
        )
        if args.ticks:
            bare = ticks_per_second(None, workdir / "t0.jsonl", args.ticks)
            attached = ticks_per_second(engine, workdir / "t1.jsonl", args.ticks)
            print(
                f"engine hot path: {attached:,.0f} ticks/s with storage attached vs {bare:,.0f} "
                f"without ({attached / bare:.0%}; target: >= 10,000 ticks/s, never blocked)"
            )
            args.ticks = 0  # once is enough
    return ingot_rate, copy_rate, orm_rate, grouped_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--orm-rows", type=int, default=3000, help="rows for the ORM baseline")
    parser.add_argument("--ticks", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=50, help="STORAGE_BATCH_SIZE (default 50)")
    parser.add_argument(
        "--group", type=int, default=1000, help="STORAGE_GROUP_COMMIT_MAX (default 1000)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs, each on a fresh embedded database"
    )
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if args.repeat > 1 and args.database_url:
        parser.error("--repeat needs a fresh database per run: leave out --database-url")
    runs = [one_run(args) for _ in range(args.repeat)]
    if len(runs) > 1:
        ingot, copy, orm, grouped = (statistics.median(r[i] for r in runs) for i in range(4))
        vs_copy = ", ".join(f"{r[0] / r[1]:.0%}" for r in runs)
        vs_orm = ", ".join(f"{r[0] / r[2]:.0f}x" for r in runs)
        vs_grouped = ", ".join(f"{r[0] / r[3]:.0f}x" for r in runs)
        print(f"medians of {len(runs)} runs (each on a fresh database):")
        print(f"  Ingot {ingot:,.0f} events/s; raw COPY {copy:,.0f}; ORM {orm:,.0f}; "
              f"ORM by event {grouped:,.0f}")  # fmt: skip
        print(f"  Ingot vs raw COPY: median {statistics.median(r[0] / r[1] for r in runs):.0%} "
              f"(runs: {vs_copy}; target >= 30%)")  # fmt: skip
        print(f"  Ingot vs ORM: median {statistics.median(r[0] / r[2] for r in runs):.0f}x "
              f"(runs: {vs_orm}; target >= 30x)")  # fmt: skip
        strict = statistics.median(r[0] / r[3] for r in runs)
        print(f"  stricter, vs ORM by event: median {strict:.0f}x (runs: {vs_grouped})")


if __name__ == "__main__":
    main()

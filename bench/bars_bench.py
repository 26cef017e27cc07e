"""OHLCV CSV ingestion into PostgreSQL against a raw COPY of the same file, in one run.

    .venv/bin/python bench/bars_bench.py                  # 1,000,000 rows
    .venv/bin/python bench/bars_bench.py --rows 100000    # a quicker look
    .venv/bin/python bench/bars_bench.py --repeat 9       # more alternating runs (default 5)

Ingot: `ingest_ohlcv_csv` in a fresh process, timed end to end with its peak RSS: a loader on
a second connection COPYs the file's bytes chunk by chunk into tables of their own (PostgreSQL
parses them) and checks the bar rules over each; meanwhile the ingesting transaction stores each
checked chunk in ohlcv_bars with one INSERT … SELECT (ON CONFLICT DO NOTHING once the range
overlaps stored bars), one commit. Baseline: psql-style `COPY … FROM STDIN (FORMAT csv)` of the
very same file into a table of the same columns, one commit, no checks, no index. For context
it also times the same COPY into a table with a primary key on ts (Ingot's table is keyed, so
re-ingestion is idempotent).
Raw COPY and Ingot run alternately (--repeat times, each from a checkpoint and an empty
ohlcv_bars) and the medians are compared: on a shared disk one run of either can be 30% off.
Memory is measured at two file sizes to show it stays flat.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import sqlalchemy as sa
from bench_support import ROOT, bench_database, run_child
from sqlalchemy.engine import URL

from ingot_storage.db.database import driver_connection

START = 1_577_836_800  # 2020-01-01T00:00:00Z, a minute-bar opening


def write_csv(path: Path, rows: int) -> None:
    """Kraken OHLCVT rows: 1-minute bars with varied, valid prices."""
    with path.open("w") as out:
        price = 7_000_00  # cents
        for i in range(rows):
            step = (i * 7919) % 201 - 100
            open_ = price
            close = max(100, price + step)
            high = max(open_, close) + (i % 13)
            low = min(open_, close) - (i % 11)
            volume = f"{(i % 997) + 1}.{i % 100_000_000:08d}"
            out.write(
                f"{START + 60 * i},{open_ / 100:.2f},{high / 100:.2f},{low / 100:.2f},"
                f"{close / 100:.2f},{volume},{i % 500}\n"
            )
            price = close


def raw_copy(engine: sa.Engine, path: Path, keyed: bool = False) -> float:
    key = " PRIMARY KEY" if keyed else ""
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE raw_bars (ts bigint{key}, open numeric, high numeric, low numeric, "
            "close numeric, volume numeric, trades integer)"
        )
    started = time.perf_counter()
    with (
        engine.begin() as conn,
        path.open("rb") as source,
        driver_connection(conn).cursor() as cursor,
        cursor.copy("COPY raw_bars FROM STDIN (FORMAT csv)") as copy,
    ):
        while chunk := source.read(1 << 20):
            copy.write(chunk)
    elapsed = time.perf_counter() - started
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE raw_bars")
    return elapsed


CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[3])
sys.path.insert(0, sys.argv[3] + "/bench")
from sqlalchemy.engine import make_url
from bench_support import peak_rss_mb
from ingot_core.feed import BarInterval
from ingot_core.symbols import Symbol
from ingot_storage.db.database import create_db_engine
from ingot_storage.market.files import ingest_ohlcv_csv
engine = create_db_engine(make_url(sys.argv[1]), pool_size=1)
started = time.perf_counter()
with engine.begin() as conn, open(sys.argv[2], "rb") as data:
    report = ingest_ohlcv_csv(conn, data, Symbol.parse(sys.argv[4]), BarInterval.M1,
                              source=sys.argv[2])
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "stored": report.stored, "bad": report.bad_count,
                  "peak_rss_mb": peak_rss_mb()}))
"""


def ingot(url: URL, path: Path, symbol: str) -> dict:
    return run_child(CHILD, url.render_as_string(False), str(path), str(ROOT), symbol)


def checkpoint(engine: sa.Engine) -> None:
    """Start each timed run from a checkpoint, so none pays for another's dirty pages."""
    with engine.connect() as conn:
        conn.exec_driver_sql("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="alternating runs of each side")
    parser.add_argument("--database-url", help="a migrated-or-empty database to use")
    args = parser.parse_args()
    with bench_database(args.database_url) as (engine, url, workdir):
        big, small = workdir / "bars.csv", workdir / "bars_small.csv"
        write_csv(big, args.rows)
        write_csv(small, max(1, args.rows // 10))
        size_mb = big.stat().st_size / 1e6
        raws, runs = [], []
        for _ in range(args.repeat):  # alternate, so drift on the machine hits both sides
            with engine.begin() as conn:
                conn.exec_driver_sql("TRUNCATE ohlcv_bars")
            checkpoint(engine)
            raws.append(raw_copy(engine, big))
            checkpoint(engine)
            runs.append(ingot(url, big, "BTC-USD"))
        checkpoint(engine)
        keyed = raw_copy(engine, big, keyed=True)
        small_result = ingot(url, small, "ETH-USD")
        again = ingot(url, big, "BTC-USD")  # re-ingestion: every row already stored
        n = args.rows
        raw = statistics.median(raws)
        result = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]  # the median run
        ingot_rate, raw_rate = n / result["seconds"], n / raw
        ratios = sorted(r / i["seconds"] for r, i in zip(raws, runs, strict=True))
        print(f"file: {n:,} rows, {size_mb:.0f} MB; medians of {args.repeat} alternating runs")
        print(
            f"ingest: {ingot_rate:,.0f} bars/s vs raw COPY {raw_rate:,.0f} rows/s -> "
            f"{ingot_rate / raw_rate:.0%} of raw (target >= 30%); "
            f"run by run: {', '.join(f'{r:.0%}' for r in ratios)}"
        )
        print(
            f"context: raw COPY into a table with a primary key on ts: {n / keyed:,.0f} rows/s; "
            f"Ingot is {ingot_rate / (n / keyed):.0%} of that"
        )
        print(
            f"stored {result['stored']:,} new, bad {result['bad']}; "
            f"re-ingest stored {again['stored']:,} new in {again['seconds']:.1f} s"
        )
        print(
            f"peak RSS: {result['peak_rss_mb']:.0f} MB for {n:,} rows, "
            f"{small_result['peak_rss_mb']:.0f} MB for {max(1, n // 10):,} rows (flat in file size)"
        )


if __name__ == "__main__":
    main()

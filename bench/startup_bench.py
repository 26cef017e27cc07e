#!/usr/bin/env python3
"""Start-up that does not grow with history: one-shot commands and the REPL on books of 0,
10,000 and 100,000 orders.

    .venv/bin/python bench/startup_bench.py [--sizes 0,10000,100000] [--runs 7]

Each book is built through the library (one trading session placing market orders through the
engine and the storage worker, not a CLI call per order) in an embedded server of its own,
which then stays up (INGOT_SERVER_IDLE_SECONDS) so every timed command finds it running, as a
trader's second command does. Timed, as medians of --runs: `ingot nav`, `ingot positions`,
`ingot buy BTC-USD 0.001` (a market order, committed) and the REPL from launch to its first
prompt in a pseudo-terminal. Each is reported as a ratio to the same command on the empty book
in the same run; baselines: a bare interpreter and `ingot --help`.
Targets (issue "Books that stay right"): at 100,000 orders each one-shot command within 1.3x
its empty-book time and under 0.6 s; the REPL's first prompt under 1.0 s.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUILD = """
import sys
from datetime import UTC, datetime
from decimal import Decimal
from ingot_cli.session import Session
from ingot_core.execution import OrderRequest, OrderSide, OrderType
from ingot_core.feed import Ticker
from ingot_core.symbols import Symbol

orders = int(sys.argv[1])
session = Session()
try:
    engine = session.trading_engine
    btc = Symbol("BTC", "USD")
    engine.on_tick(Ticker(btc, Decimal("60000"), datetime.now(UTC)))
    for n in range(orders):
        side = OrderSide.BUY if n % 2 == 0 else OrderSide.SELL
        request = OrderRequest(f"b{n}", btc, side, OrderType.MARKET, Decimal("0.001"))
        engine.place_order(request, datetime.now(UTC))
        if n % 5000 == 4999:
            session.commit()
    session.commit()
finally:
    session.close()
"""


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def repl_open(env: dict[str, str]) -> float:
    """Seconds from launch until the REPL prompt appears, then leave it."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.clear()
        os.environ.update(env)
        os.execv(str(BIN / "ingot"), [str(BIN / "ingot")])
    screen = b""
    while b"ingot>" not in screen:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            raise SystemExit("the REPL did not open within 60 s")
        screen += os.read(fd, 65536)
    elapsed = time.perf_counter() - started
    os.write(fd, b"exit\r")
    while True:  # drain until the child has gone
        ready, _, _ = select.select([fd], [], [], 10)
        try:
            if not ready or not os.read(fd, 65536):
                break
        except OSError:
            break
    os.waitpid(pid, 0)
    os.close(fd)
    return elapsed


def measure(size: int, runs: int, base_env: dict[str, str]) -> dict[str, float]:
    data = Path(tempfile.mkdtemp(prefix=f"ingot-startup-{size}-"))
    env = {**base_env, "INGOT_DATA_DIR": str(data)}
    try:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", BUILD, str(size)], env=env, check=True)
        print(f"built a book of {size:,} orders in {time.perf_counter() - started:.1f} s",
              flush=True)  # fmt: skip
        ingot = str(BIN / "ingot")

        def median(fn, *a) -> float:  # type: ignore[no-untyped-def]
            fn(*a)  # warm: page cache, the server's buffers
            return statistics.median(fn(*a) for _ in range(runs))

        return {
            "nav": median(timed, [ingot, "nav"], env),
            "positions": median(timed, [ingot, "positions"], env),
            "buy": median(timed, [ingot, "buy", "BTC-USD", "0.001"], env),
            "repl": median(repl_open, env),
        }
    finally:
        subprocess.run([str(BIN / "ingot"), "db", "stop"], env=env, capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,10000,100000")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    # As scripts/dev.py does: timed commands read compiled modules, even where
    # PYTHONDONTWRITEBYTECODE would have every run compile them from source.
    packages = [str(ROOT / name) for name in ("ingot_cli", "ingot_core", "ingot_storage")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        TERM="xterm",
        INGOT_SERVER_IDLE_SECONDS="600",
        INGOT_OPENING_CAPITAL="100000000.00",
        INGOT_MAX_EXPOSURE="1000000000",
        INGOT_MAX_SYMBOL_EXPOSURE="1000000000",
        INGOT_LOCK_WAIT_MS="30000",
    )
    bare = statistics.median(timed([sys.executable, "-c", "pass"], env) for _ in range(args.runs))
    scratch = Path(tempfile.mkdtemp(prefix="ingot-help-"))
    try:
        help_env = {**env, "INGOT_DATA_DIR": str(scratch)}
        help_s = statistics.median(
            timed([str(BIN / "ingot"), "--help"], help_env) for _ in range(args.runs)
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results = {size: measure(size, args.runs, env) for size in sizes}
    empty = results[sizes[0]]
    print(f"{os.cpu_count()} cores; medians of {args.runs} runs, the server already up")
    print(f"python -c pass: {bare:.3f} s; ingot --help: {help_s:.3f} s")
    print(f"{'orders':>8}  " + "  ".join(f"{name:>17}" for name in empty))
    for size, figures in results.items():
        cells = [f"{figures[n]:.3f} s ({figures[n] / empty[n]:.2f}x)" for n in empty]
        print(f"{size:>8,}  " + "  ".join(f"{cell:>17}" for cell in cells))
    print("targets at 100,000: one-shot within 1.3x the empty book and < 0.6 s; REPL < 1.0 s")


if __name__ == "__main__":
    main()

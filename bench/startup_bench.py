#!/usr/bin/env python3
"""Start-up time: `ingot --help`, and opening the REPL on an existing embedded database.

    .venv/bin/python bench/startup_bench.py [--runs 10]

Baselines measured in the same run: a bare `python -c pass` (the interpreter alone) and
`python -c "import typer"` (the CLI framework alone). The REPL is timed from launch to its
first prompt in a pseudo-terminal, on a data directory whose database already exists (the
embedded server starts, the schema is checked, the ledger is recovered).
Targets: --help under 0.5 s; the REPL open under 2 s on a 2-core machine.
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
        ready, _, _ = select.select([fd], [], [], 30)
        if not ready:
            raise SystemExit("the REPL did not open within 30 s")
        screen += os.read(fd, 65536)
    elapsed = time.perf_counter() - started
    os.write(fd, b"exit\r")
    os.waitpid(pid, 0)
    os.close(fd)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="ingot-startup-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(INGOT_DATA_DIR=str(data), TERM="xterm")
    try:
        timed([str(BIN / "ingot"), "nav"], env)  # create the database and the book once

        def median(fn, *a) -> float:  # type: ignore[no-untyped-def]
            return statistics.median(fn(*a) for _ in range(args.runs))

        bare = median(timed, [sys.executable, "-c", "pass"], env)
        typer_only = median(timed, [sys.executable, "-c", "import typer"], env)
        help_s = median(timed, [str(BIN / "ingot"), "--help"], env)
        repl_s = median(repl_open, env)
        print(f"{os.cpu_count()} cores; medians of {args.runs} runs")
        print(f"python -c pass: {bare:.3f} s; import typer: {typer_only:.3f} s")
        print(
            f"ingot --help: {help_s:.3f} s = {help_s / bare:.1f}x a bare interpreter, "
            f"{help_s / typer_only:.1f}x importing typer (target < 0.5 s)"
        )
        print(
            f"REPL open on an existing embedded database: {repl_s:.3f} s = "
            f"{repl_s / bare:.1f}x a bare interpreter (target < 2 s)"
        )
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()

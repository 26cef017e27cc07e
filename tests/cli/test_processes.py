"""Separate `ingot` processes on the embedded PostgreSQL: data persists, NAV survives exactly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

INGOT = str(Path(sys.executable).with_name("ingot"))

WRITER = textwrap.dedent(
    """
    import json, sys
    from datetime import UTC, datetime
    from decimal import Decimal
    from ingot_core.accounting import post_order_fill
    from ingot_core.execution import Fill, OrderSide
    from ingot_core.symbols import Symbol
    from ingot_storage import StorageConfig, open_book, open_database, persist_ledger

    config = StorageConfig.from_env()
    database = open_database(config)
    try:
        book = open_book(database, config, datetime.now(UTC))
        at = datetime(2026, 11, 1, tzinfo=UTC)
        for n, (side, qty, px, cost, fee) in enumerate([
            (OrderSide.BUY, "0.75", "61000.10", "45750.08", "45.75"),
            (OrderSide.SELL, "0.25", "63999.99", "16000.00", "16.00"),
            (OrderSide.BUY, "3.000000000000000001", "3100", "9300.00", "9.30"),
        ]):
            symbol = Symbol.parse("ETH-USD" if n == 2 else "BTC-USD")
            post_order_fill(book.ledger, Fill(f"o{n}", symbol, side, Decimal(qty), Decimal(px),
                                              Decimal(cost), Decimal(fee), at))
        with database.begin() as conn:
            persist_ledger(conn, book.ledger)
        marks = {"BTC": Decimal("62500.5"), "ETH": Decimal("3050.25")}
        print(json.dumps({"nav": str(book.ledger.nav(book.base_currency, marks))}))
    finally:
        database.close()
    """
)


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["INGOT_DATA_DIR"] = str(tmp_path / "data")
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def postmaster_pid(env: dict[str, str]) -> Path:
    return Path(env["INGOT_DATA_DIR"]) / "pgdata" / "postmaster.pid"


def test_data_written_by_one_process_is_there_for_the_next(embedded_env) -> None:
    first = json.loads(run([INGOT, "accounts", "--json"], embedded_env).stdout)
    assert not postmaster_pid(embedded_env).exists()  # the embedded server stopped cleanly
    second = json.loads(run([INGOT, "accounts", "--json"], embedded_env).stdout)
    assert second == first  # recovered, not bootstrapped again

    written = json.loads(run([sys.executable, "-c", WRITER], embedded_env).stdout)
    shown = json.loads(
        run(
            [INGOT, "nav", "--mark", "BTC=62500.5", "--mark", "ETH=3050.25", "--json"], embedded_env
        ).stdout
    )
    assert shown["nav"] == written["nav"]  # exactly, digit for digit
    assert not postmaster_pid(embedded_env).exists()

    status = json.loads(run([INGOT, "db", "status", "--json"], embedded_env).stdout)
    assert status["kind"] == "embedded"
    assert status["row_counts"]["transactions"] == 4


def test_stderr_stays_clean_on_success(embedded_env) -> None:
    done = run([INGOT, "nav"], embedded_env)
    assert done.stdout.strip() == "NAV: 100,000.00 USD"
    assert done.stderr == ""


def test_bad_input_through_the_real_binary(embedded_env) -> None:
    done = subprocess.run(
        [INGOT, "nav", "--mark", "BTC=oops"], env=embedded_env, capture_output=True, text=True
    )
    assert done.returncode == 11
    assert done.stdout == ""
    assert done.stderr.strip() == "error: marks: price of BTC 'oops' is not a number"


def test_the_embedded_server_outlives_its_last_user_then_stops_by_itself(embedded_env) -> None:
    env = {**embedded_env, "INGOT_SERVER_IDLE_SECONDS": "2"}
    run([INGOT, "nav"], env)
    pid = int(postmaster_pid(env).read_text().split()[0])
    run([INGOT, "nav"], env)  # joins the running server
    assert int(postmaster_pid(env).read_text().split()[0]) == pid
    deadline = time.monotonic() + 20
    while postmaster_pid(env).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not postmaster_pid(env).exists()


def test_db_stop_stops_it_now_and_a_user_keeps_it_up(embedded_env) -> None:
    env = {**embedded_env, "INGOT_SERVER_IDLE_SECONDS": "300"}
    run([INGOT, "nav"], env)
    assert postmaster_pid(env).exists()
    holder = subprocess.Popen(
        [INGOT], env={**env, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdin is not None
        assert holder.stdout is not None
        holder.stdin.write("nav\n")
        holder.stdin.flush()
        assert holder.stdout.readline().startswith("NAV:")
        busy = subprocess.run([INGOT, "db", "stop"], env=env, capture_output=True, text=True)
        assert busy.returncode == 13
        assert "in use by another Ingot process" in busy.stderr
    finally:
        holder.communicate(timeout=60)
    stopped = run([INGOT, "db", "stop"], env)
    assert stopped.stdout.startswith("Stopped the embedded PostgreSQL")
    assert not postmaster_pid(env).exists()
    assert run([INGOT, "db", "stop"], env).stdout.strip() == "Not running"


def test_a_start_after_the_postmaster_was_killed_is_clean(embedded_env) -> None:
    env = {**embedded_env, "INGOT_SERVER_IDLE_SECONDS": "300"}
    run([INGOT, "mark", "BTC-USD", "100"], env)
    for _ in range(10):
        os.kill(int(postmaster_pid(env).read_text().split()[0]), signal.SIGKILL)
        done = subprocess.run([INGOT, "buy", "BTC-USD", "0.01"], env=env, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    run([INGOT, "db", "stop"], env)

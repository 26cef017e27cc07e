"""Separate `ingot` processes on the embedded PostgreSQL: data persists, NAV survives exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
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

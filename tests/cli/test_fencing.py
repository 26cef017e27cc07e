"""One writer per book, fenced: a session that lost its lock (a dropped connection, a
restarted server, a killed postmaster) never commits again once another process took the
book, so two processes can never spend the same cash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.cli.faults import PipedSession
from tests.postgres import query_rows

INGOT = str(Path(sys.executable).with_name("ingot"))
CAPS = {"INGOT_MAX_EXPOSURE": "1000000", "INGOT_MAX_SYMBOL_EXPOSURE": "1000000"}


def ingot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([INGOT, *args], env=env, capture_output=True, text=True, timeout=120)


def cash(env: dict[str, str]) -> Decimal:
    balances = json.loads(ingot(env, "balances", "--json").stdout)
    return next(Decimal(b["balance"]) for b in balances if b["account"] == "Assets:Cash:USD")


def double_spend(env: dict[str, str], lose_the_lock) -> None:
    env = {**env, **CAPS}
    assert ingot(env, "mark", "BTC-USD", "60000").returncode == 0
    start = cash(env)
    holder = PipedSession(env)
    try:
        first = holder.send("buy BTC-USD 0.05 --client-id a-1")
        assert first.startswith("Filled: Buy 0.05"), first
        lose_the_lock(holder.child.pid)
        second = ingot(env, "buy", "BTC-USD", "0.05", "--client-id", "b-1")
        assert second.returncode == 0, second.stderr
        again = holder.send("buy BTC-USD 0.05 --client-id a-2")
        assert not again.startswith("Filled: Buy"), again  # in memory only, then refused
        code, err = holder.finish()
    finally:
        holder.kill()
    assert code == 13, err
    [error] = [line for line in err.splitlines() if line.startswith("error:")]
    assert error.startswith("error: <stdin>, line 2: this session lost the book to ingot pid")
    assert "orders a-2" in error
    spent = Decimal("3001.50") + Decimal("7.80")  # each accepted buy: cost + fee
    assert cash(env) == start - 2 * spent
    history = json.loads(ingot(env, "history", "--json").stdout)
    assert sorted(r["client_id"] for r in history) == ["a-1", "b-1"]
    assert ingot(env, "audit", "verify").returncode == 0
    retried = ingot(env, "buy", "BTC-USD", "0.05", "--client-id", "a-2")
    assert retried.returncode == 0, retried.stderr  # never committed: placing it is no retry


def test_external_server_dropping_the_holders_connections(cli_env, database_url: URL) -> None:
    env = {**os.environ, **cli_env}

    def drop_connections(pid: int) -> None:
        url = database_url
        terminated = query_rows(
            url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE application_name = 'ingot pid {pid}'",
        )
        assert terminated  # its lock connection and its worker's both go, as in a restart

    double_spend(env, drop_connections)


def test_embedded_postmaster_killed_under_the_holder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["INGOT_DATA_DIR"] = str(tmp_path / "data")
    pid_file = tmp_path / "data" / "pgdata" / "postmaster.pid"

    def kill_postmaster(_holder: int) -> None:
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if ingot(env, "db", "status").returncode == 0:  # the next start brings it back
                return
            time.sleep(0.2)
        pytest.fail("the embedded server did not come back")

    double_spend(env, kill_postmaster)

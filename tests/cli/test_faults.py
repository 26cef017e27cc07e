"""Faults around the durability core, through the installed `ingot`: an outage during a
session, two spellings of one server, the embedded postmaster killed again and again."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from tests.cli.faults import CAPS, PipedSession, ingot
from tests.postgres import query_rows


def other_spelling(url: URL) -> URL:
    """The same server and database under another URL text."""
    socket_dir = url.query.get("host")
    if isinstance(socket_dir, str):
        return url.update_query_dict({"host": socket_dir.rstrip("/") + "/./"})
    swap = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}
    if url.host not in swap:
        pytest.skip(f"no second spelling known for host {url.host}")
    return url.set(host=swap[url.host])


def admin(database_url: URL, statement: str) -> None:
    """Run `statement` from the server's `postgres` database, outside a transaction."""
    engine = sa.create_engine(
        database_url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
    )
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def outage(database_url: URL, pid: int) -> None:
    """No new connection to the test database, and the session's own ones dropped."""
    admin(database_url, f'ALTER DATABASE "{database_url.database}" ALLOW_CONNECTIONS false')
    admin(
        database_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE application_name = 'ingot pid {pid}'",
    )


def traded_then_cut_off(
    cli_env: dict[str, str], database_url: URL, options: str = ""
) -> tuple[dict[str, str], PipedSession]:
    """A session that bought once, then lost its database (the caller ends the outage)."""
    env = {**os.environ, **cli_env, **CAPS}
    assert ingot(env, "mark", "BTC-USD", "100").returncode == 0
    session = PipedSession(env)
    try:
        assert session.send(f"buy BTC-USD 0.01 {options}").startswith("Filled")
        outage(database_url, session.child.pid)
    except BaseException:
        session.kill()
        recovery(database_url)
        raise
    return env, session


def recovery(database_url: URL) -> None:
    admin(database_url, f'ALTER DATABASE "{database_url.database}" ALLOW_CONNECTIONS true')


def test_a_session_that_spilled_its_last_orders_exits_0_and_they_drain_first_under_any_spelling(
    cli_env: dict[str, str], database_url: URL
) -> None:
    env, session = traded_then_cut_off(cli_env, database_url, "--client-id before")
    try:
        for _ in range(2):  # no --client-id: checking one for reuse needs the database
            line = session.send("buy BTC-USD 0.01")
            if not line.startswith("Filled"):
                session.child.wait(timeout=30)
                err = session.child.stderr.read()  # type: ignore[union-attr]
                pytest.fail(f"{line!r}: {session.child.returncode} {err}")
        code, err = session.finish()
    finally:
        session.kill()
        recovery(database_url)
    assert code == 0, err  # every line succeeded: its work waits in the spill
    assert "saved to the local spill file" in err
    assert "error:" not in err
    other = {**env, "DATABASE_URL": other_spelling(database_url).render_as_string(False)}
    after = ingot(other, "buy", "BTC-USD", "0.01", "--client-id", "after")
    assert after.returncode == 0, after.stderr
    rows = query_rows(database_url, "SELECT client_id FROM order_history ORDER BY seq")
    ids = [r[0] for r in rows]
    assert len(ids) == 4
    assert ids[0] == "before"
    assert ids[1].startswith("cli-")
    assert ids[2].startswith("cli-")
    assert ids[3] == "after"
    shown = json.loads(ingot(env, "db", "spill", "--json").stdout)
    assert shown["bytes"] == 0
    # The trade log lost nothing either: what the outage spilled went in first, in order.
    logged = query_rows(database_url, "SELECT cl_ord_id FROM tradelog WHERE event_type = 10 "
                        "ORDER BY local_ts_us, id")  # fmt: skip
    assert [r[0] for r in logged] == ids


def test_db_spill_reads_the_spill_with_the_server_down(
    cli_env: dict[str, str], database_url: URL
) -> None:
    env, session = traded_then_cut_off(cli_env, database_url)
    try:
        assert session.send("buy BTC-USD 0.02").startswith("Filled")
        assert session.finish()[0] == 0
        shown = ingot(env, "db", "spill", "--json")
        assert shown.returncode == 0, shown.stderr
        report = json.loads(shown.stdout)
        assert report["batches"] >= 1
        assert "OrderUpdated" in report["events"]
        assert b"out of reach" in shown.stderr
    finally:
        session.kill()
        recovery(database_url)


def test_ten_postmaster_kills_during_trading_each_followed_by_a_clean_start(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(CAPS, INGOT_DATA_DIR=str(tmp_path / "data"))
    pid_file = tmp_path / "data" / "pgdata" / "postmaster.pid"
    assert ingot(env, "mark", "BTC-USD", "100").returncode == 0
    placed = 0
    for kill in range(10):
        session = PipedSession(env)
        try:
            assert session.send(f"buy BTC-USD 0.01 --client-id k{kill}").startswith("Filled")
            placed += 1
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
            session.send(f"buy BTC-USD 0.01 --client-id lost{kill}")  # spilled or refused
            session.finish()
        finally:
            session.kill()
        started = ingot(env, "db", "status")
        assert started.returncode == 0, started.stderr  # a clean start, at once
        assert b"Traceback" not in started.stderr
    shown = ingot(env, "history", "--json", "--limit", "1000")
    assert shown.returncode == 0, shown.stderr
    rows = [(r["client_id"],) for r in reversed(json.loads(shown.stdout))]  # oldest first
    ids = [r[0] for r in rows]
    assert [i for i in ids if i.startswith("k")] == [f"k{n}" for n in range(10)]
    assert len(ids) == len(set(ids))  # nothing twice
    assert ingot(env, "audit", "verify").returncode == 0
    assert ingot(env, "db", "check").returncode == 0
    deadline = time.monotonic() + 10
    while ingot(env, "db", "stop").returncode == 13 and time.monotonic() < deadline:
        time.sleep(0.2)


def test_the_repl_toolbar_survives_an_outage_after_a_spilled_trade(
    cli_env: dict[str, str], database_url: URL
) -> None:
    from ingot_cli.commands.orders import place
    from ingot_cli.repl.toolbar import read_toolbar
    from ingot_cli.session import Session as CliSession
    from ingot_core.execution import OrderSide
    from ingot_storage.writer.metrics import FlushOutcome

    session = CliSession({**cli_env, **CAPS})
    try:
        assert ingot({**os.environ, **cli_env}, "mark", "BTC-USD", "100").returncode == 0
        first = place(session, OrderSide.BUY, "BTC-USD", "0.01", None, None)  # holds the book
        assert first.outcome is FlushOutcome.COMMITTED
        before = read_toolbar(session)
        outage(database_url, os.getpid())
        try:
            done = place(session, OrderSide.BUY, "BTC-USD", "0.01", None, None)
            assert done.outcome is FlushOutcome.SPILLED
            state = read_toolbar(session, previous=before)  # the REPL's next refresh
        finally:
            recovery(database_url)
        assert state.database == "unreachable"
        assert state.nav == before.nav
        assert "unreachable PostgreSQL" in state.render()
    finally:
        session.close()


def test_live_mode_fails_closed_at_once_even_while_another_process_trades(
    cli_env: dict[str, str],
) -> None:
    env = {**os.environ, **cli_env, **CAPS, "INGOT_LOCK_WAIT_MS": "5000"}
    assert ingot(env, "mark", "BTC-USD", "100").returncode == 0
    holder = PipedSession(env)
    try:
        assert holder.send("buy BTC-USD 0.01").startswith("Filled")  # holds the book
        started = time.monotonic()
        live = ingot({**env, "INGOT_MODE": "live"}, "buy", "BTC-USD", "0.01")
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
    assert live.returncode == 12, live.stderr
    assert b"LIVE mode" in live.stderr
    assert elapsed < 4  # not the 5 s wait for the book

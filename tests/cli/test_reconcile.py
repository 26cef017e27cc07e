"""`ingot db check` reconciles: every stored entry, order and signal row is what its audit
entry says, every audit entry has its row, each filled order has one ledger transaction with
its quantity, cost and fee. A hand edit that keeps the books balanced and the audit log intact
is found and named; a healthy book passes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import URL

from ingot_storage.db.database import create_db_engine
from tests.storage.audit.support import tamper

CAPS = {"INGOT_MAX_EXPOSURE": "1000000", "INGOT_MAX_SYMBOL_EXPOSURE": "1000000"}


def _traded(invoke) -> None:  # type: ignore[no-untyped-def]
    assert invoke("mark", "BTC-USD", "60000").exit_code == 0
    assert invoke("buy", "BTC-USD", "0.05", env=CAPS).exit_code == 0
    assert invoke("sell", "BTC-USD", "0.02", env=CAPS).exit_code == 0
    assert invoke("buy", "BTC-USD", "0.01", "--limit", "59000").exit_code == 0


def _edit(database_url: URL, table: str, statement: str) -> None:
    """A hand edit, as a superuser could make it (the audit tables' triggers switched off)."""
    engine = create_db_engine(database_url)
    try:
        if table.startswith("audit"):
            tamper(engine, [statement], table)
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def test_a_healthy_book_reconciles(invoke) -> None:  # type: ignore[no-untyped-def]
    _traded(invoke)
    done = invoke("db", "check", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)[0]["problems"] == []


@pytest.mark.parametrize(
    ("table", "statement", "named"),
    [
        # A balanced edit of two entries of one fill: the books still balance.
        ("entries", "UPDATE entries SET amount = amount * 2 WHERE transaction_id = (SELECT id "
         "FROM transactions ORDER BY seq DESC LIMIT 1) AND position IN (0, 1)",
         "its entries are not what audit entry"),
        ("order_history", "UPDATE order_history SET fill_price = fill_price * 2 "
         "WHERE status = 'Filled' AND side = 'Buy'", "fill_price is"),
        ("order_history", "DELETE FROM order_history WHERE status = 'Open'",
         "whose order_history row is missing"),
        ("audit_log", "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log "
         "WHERE event_type = 'transaction_posted')", "has no audit entry"),
        # An audit row edited by hand: its payload no longer says what the row holds.
        ("audit_log", "UPDATE audit_log SET payload_text = replace(payload_text, '\"fee\":\"', "
         "'\"fee\":\"9') WHERE event_type = 'order_filled'", "but its audit entry says 9"),
    ],
)  # fmt: skip
def test_a_hand_edit_is_found_and_named(
    invoke, database_url: URL, table: str, statement: str, named: str
) -> None:  # type: ignore[no-untyped-def]
    _traded(invoke)
    _edit(database_url, table, statement)
    done = invoke("db", "check", "--json")
    assert done.exit_code == 1, done.output
    problems = json.loads(done.stdout)[0]["problems"]
    assert any(named in p for p in problems), problems
    table_view = invoke("db", "check")
    assert table_view.exit_code == 1
    assert "PROBLEMS" in table_view.stdout


def test_every_inconsistency_is_reported_not_only_the_first(invoke, database_url: URL) -> None:  # type: ignore[no-untyped-def]
    _traded(invoke)
    _edit(database_url, "order_history", "UPDATE order_history SET fee = fee + 1, cost = cost "
          "+ 1 WHERE status = 'Filled'")  # fmt: skip
    problems = json.loads(invoke("db", "check", "--json").stdout)[0]["problems"]
    assert sum("fee is" in p for p in problems) == 2
    assert sum("cost is" in p for p in problems) == 2
    assert sum("its transaction" in p and "books quantity" in p for p in problems) == 2


def test_signals_reconcile_and_an_edited_one_is_named(invoke, database_url: URL) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "crossover_scenario.jsonl"
    run = invoke("strategy", "run", "sma", "--replay", str(example), "--book", "bt-check")
    assert run.exit_code == 0, run.output
    assert invoke("db", "check").exit_code == 0
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE book_bt_check.signals SET price = price + 1")
    finally:
        engine.dispose()
    done = invoke("db", "check", "--book", "bt-check", "--json")
    assert done.exit_code == 1
    problems = json.loads(done.stdout)[0]["problems"]
    assert sum("price is" in p and p.startswith("signal ") for p in problems) == 2


def test_questdbs_daily_counts_are_held_to_postgresqls(invoke, database_url: URL, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """QuestDB's PostgreSQL wire answers the same count query; a PostgreSQL database holding
    a QuestDB-shaped ticks table (a `timestamp` column) stands in for it here."""
    import sqlalchemy as sa

    rows = [{"symbol": "BTC-USD", "ts": f"2024-01-0{d}T12:00:0{n}+00:00", "price": "100"}
            for d in (1, 2) for n in range(3)]  # fmt: skip
    path = tmp_path / "ticks.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert invoke("ingest", "ticks", str(path)).exit_code == 0
    quest_url = database_url.set(database=database_url.database + "_q")
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{quest_url.database}"')
    admin.dispose()
    quest = sa.create_engine(quest_url, poolclass=sa.NullPool)
    try:
        with quest.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE ticks (symbol text, seq bigint, price float8, "
                                 'volume float8, "timestamp" timestamptz)')  # fmt: skip
            for r in rows[:5]:  # the second day misses one
                conn.execute(sa.text("INSERT INTO ticks VALUES (:s, 0, 100, NULL, :t)"),
                             {"s": r["symbol"], "t": r["ts"]})  # fmt: skip
        env = {"QUESTDB_ILP_ADDR": "127.0.0.1:1",
               "QUESTDB_PG_URL": quest_url.render_as_string(hide_password=False)
               .replace("postgresql+psycopg://", "postgresql://")}  # fmt: skip
        done = invoke("db", "check", "--json", env=env)
        problems = json.loads(done.stdout)[0]["problems"]
        assert problems == ["QuestDB's ticks holds 2 rows of 2024-01-02, PostgreSQL 3"]
        assert done.exit_code == 1
    finally:
        quest.dispose()
        admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT",
                                 poolclass=sa.NullPool)  # fmt: skip
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{quest_url.database}" WITH (FORCE)')
        admin.dispose()

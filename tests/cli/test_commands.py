"""The first CLI: db upgrade/status, accounts, balances, nav; errors and exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.engine import URL

from ingot_core.accounting import post_order_fill
from ingot_core.execution import OrderSide
from ingot_storage import StorageConfig, open_book, open_database, persist_ledger
from ingot_storage.db.migrations import SCHEMA_HEAD
from ingot_storage.db.tables import metadata
from tests.builders import fill


def test_help_lists_the_commands(invoke) -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "accounts" in result.output
    assert "nav" in result.output


def test_no_arguments_and_an_empty_pipe_does_nothing_and_succeeds(invoke) -> None:
    result = invoke()
    assert result.exit_code == 0
    assert result.output == ""


def test_db_status_reports_external_server_schema_and_counts(invoke) -> None:
    result = invoke("db", "status")
    assert result.exit_code == 0, result.output
    assert "external PostgreSQL" in result.output
    assert f"{SCHEMA_HEAD} (head)" in result.output
    assert "accounts" in result.output


def test_db_status_json(invoke) -> None:
    result = invoke("db", "status", "--json")
    status = json.loads(result.stdout)  # stderr warns: the test role is a superuser
    assert status["kind"] == "external"
    assert status["up_to_date"] is True
    assert status["row_counts"] == {
        **{table.name: 0 for table in metadata.sorted_tables},
        "books": 1,  # main, before the first command that opens it
    }


def test_db_status_never_shows_the_password(invoke, database_url: URL) -> None:
    # The test server trusts local connections, so any password is accepted and must be masked.
    with_password = database_url.set(password="top-secret-pw")
    result = invoke(
        "db", "status", env={"DATABASE_URL": with_password.render_as_string(hide_password=False)}
    )
    assert result.exit_code == 0, result.output
    assert "top-secret-pw" not in result.output
    assert "***" in result.output


def test_db_status_on_an_empty_database_changes_nothing(invoke, empty_database_url: URL) -> None:
    env = {"DATABASE_URL": empty_database_url.render_as_string(hide_password=False)}
    result = invoke("db", "status", "--json", env=env)
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert (status["revision"], status["up_to_date"], status["row_counts"]) == (None, False, {})


def test_db_upgrade_on_empty_database(invoke, empty_database_url: URL) -> None:
    env = {"DATABASE_URL": empty_database_url.render_as_string(hide_password=False)}
    first = invoke("db", "upgrade", env=env)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == f"Database upgraded from empty to revision {SCHEMA_HEAD} (head)."
    second = invoke("db", "upgrade", env=env)
    assert second.output.strip() == f"Database already at revision {SCHEMA_HEAD} (head)."


def test_a_spilled_batch_postgresql_refuses_is_named_and_can_be_set_aside(
    invoke, cli_env: dict[str, str]
) -> None:
    from ingot_cli.session import Session
    from ingot_core.engine import EquitySnapshot
    from ingot_storage.writer.spill import SpillFile

    assert invoke("balances").exit_code == 0
    session = Session(cli_env)
    spill = SpillFile(session.spill_path)
    session.close()
    at = datetime(2026, 3, 1, tzinfo=UTC)
    spill.append([EquitySnapshot(Decimal("NaN"), "USD", at)])  # no canonical payload
    spill.append([EquitySnapshot(Decimal("12.5"), "USD", at)])
    refused = invoke("balances")
    assert refused.exit_code == 1
    [message] = refused.output.splitlines()
    assert message.startswith(f"error: the spill file {spill.path} holds a batch that cannot ")
    assert "NaN is not a finite number" in message
    assert "'ingot db spill --set-aside'" in message
    shown = json.loads(invoke("db", "spill", "--json").output)
    assert (shown["batches"], shown["events"]) == (2, {"EquitySnapshot": 2})
    result = invoke("db", "spill", "--set-aside")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        f"Batches written to PostgreSQL: 1; set aside: 1 (kept in {spill.set_aside_path})",
        f"The spill file is empty; what PostgreSQL refused is in {spill.set_aside_path}",
    ]
    assert invoke("balances").exit_code == 0
    assert "NaN" in spill.set_aside_path.read_text()


def test_a_trading_command_waits_for_another_process_then_says_who_trades(invoke, engine) -> None:
    from ingot_storage.db.database import Database
    from ingot_storage.trading.lock import TradingLock

    assert invoke("mark", "BTC-USD", "50000").exit_code == 0
    before = invoke("history", "--json").output
    lock = TradingLock.acquire(Database(engine, "external", "test"), wait_s=0)  # "another"
    try:
        quick = {"INGOT_LOCK_WAIT_MS": "200"}
        for args in (("buy", "BTC-USD", "0.01"), ("mark", "BTC-USD", "1"), ("cancel", "x")):
            result = invoke(*args, env=quick)
            assert result.exit_code == 13, result.output
            [message] = result.output.splitlines()
            assert message.startswith("error: another Ingot process is trading this book (")
            assert message.endswith(
                "waited 0.2 s (run the command in that session, or close it first)"
            )
        for reading in ("status", "positions", "balances", "orders"):
            assert invoke(reading).exit_code == 0  # reading needs no lock
    finally:
        lock.release()
    assert invoke("history", "--json").output == before  # nothing was written
    assert invoke("buy", "BTC-USD", "0.01").exit_code == 0


def test_a_session_rereads_the_book_when_it_starts_to_trade(invoke, cli_env) -> None:
    from ingot_cli.session import Session

    assert invoke("mark", "BTC-USD", "50000").exit_code == 0
    session = Session(cli_env)  # as the REPL: it has read the book, it has not traded yet
    try:
        assert session.engine.positions == {}
        assert invoke("buy", "BTC-USD", "0.01").exit_code == 0  # another process trades
        [(symbol, position)] = session.trading_engine.positions.items()
        assert (str(symbol), position.quantity) == ("BTC-USD", Decimal("0.01"))
        cash = {b.account.name: b.amount for b in session.book.ledger.balances()}
        assert cash["Assets:Cash:USD"] == Decimal("100000.00") - Decimal("500.25") - Decimal("1.30")
    finally:
        session.close()


def test_first_command_bootstraps_the_ledger(invoke) -> None:
    result = invoke("balances")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["ACCOUNT", "TYPE", "BALANCE", "CURRENCY"]
    assert all(line == line.rstrip() for line in lines)  # piped output carries no padding
    assert any(line.split() == ["Assets:Cash:USD", "Asset", "100,000.00", "USD"] for line in lines)
    assert any(line.split() == ["Expenses:Fees:USD", "Expense", "0.00", "USD"] for line in lines)
    assert any(line.split() == ["Equity:Trading:USD", "Equity", "0.00", "USD"] for line in lines)


def test_accounts_table_and_json_agree(invoke) -> None:
    table = invoke("accounts")
    listed = json.loads(invoke("accounts", "--json").output)
    assert [a["name"] for a in listed] == [
        "Equity:Capital:USD",
        "Assets:Cash:USD",
        "Equity:Trading:USD",
        "Expenses:Fees:USD",
    ]
    for entry in listed:
        assert entry["id"] in table.output


def test_nav_of_fresh_book(invoke) -> None:
    result = invoke("nav")
    assert result.exit_code == 0
    assert result.output.strip() == "NAV: 100,000.00 USD"


@pytest.fixture
def book_with_btc(database_url: URL) -> None:
    config = StorageConfig.from_env({"DATABASE_URL": database_url.render_as_string(False)})
    database = open_database(config)
    try:
        book = open_book(database, config, datetime(2026, 1, 1, tzinfo=UTC))
        post_order_fill(book.ledger, fill(OrderSide.BUY, "0.5", "60000", fee="12.00"))
        with database.begin() as conn:
            persist_ledger(conn, book.ledger)
    finally:
        database.close()


@pytest.mark.usefixtures("book_with_btc")
def test_nav_with_marks_is_exact(invoke) -> None:
    result = invoke("nav", "--mark", "BTC=61234.56789")
    assert result.exit_code == 0, result.output
    # 69,988.00 cash + 0.5 x 61,234.56789
    # In cents, marked as rounded, and exactly.
    assert result.output.strip() == "NAV: ≈100,605.28 USD (exactly 100,605.283945)"
    data = json.loads(invoke("nav", "--mark", "BTC=61234.56789", "--json").output)
    assert Decimal(data["nav"]) == Decimal("100605.283945")


@pytest.mark.usefixtures("book_with_btc")
def test_nav_without_a_needed_mark_is_bad_input(invoke) -> None:
    result = invoke("nav")
    assert result.exit_code == 11
    assert result.output.strip() == (
        "error: no mark in USD for: BTC (give each price with --mark CODE=PRICE)"
    )


@pytest.mark.usefixtures("book_with_btc")
def test_nav_values_a_held_currency_at_its_last_recorded_mark(invoke) -> None:
    assert invoke("mark", "BTC-USD", "60000").exit_code == 0
    assert invoke("mark", "BTC-USD", "61000").exit_code == 0
    assert invoke("mark", "BTC-EUR", "1").exit_code == 0  # another quote: not a USD price
    result = invoke("nav")
    assert result.exit_code == 0, result.output
    # 69,988.00 cash + 0.5 x 61,000 (the latest mark)
    assert result.output.splitlines() == [
        "NAV: 100,488.00 USD",
        "at the last recorded marks: BTC 61000",
    ]
    data = json.loads(invoke("nav", "--json").output)
    assert (Decimal(data["nav"]), data["recorded"]) == (Decimal("100488.00"), ["BTC"])
    given = invoke("nav", "--mark", "BTC=62000")  # a given mark wins over the recorded one
    assert given.output.strip() == "NAV: 100,988.00 USD"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nav", "--mark", "BTC"], "must be CODE=PRICE"),
        (["nav", "--mark", "BTC=abc"], "price of BTC 'abc' is not a number"),
        (["nav", "--mark", "BTC=-1"], "must be positive"),
        (["nav", "--mark", "B$=1"], "currency code"),
        (["nav", "--quote", "??"], "currency code"),
        (["nav", "--frobnicate"], "No such option: --frobnicate"),
        (["teleport"], "No such command"),
    ],
)
def test_bad_input_is_one_line_and_exit_11(invoke, args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 11
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert "Traceback" not in result.output


def test_every_bad_mark_is_reported_at_once(invoke) -> None:
    result = invoke("nav", "--mark", "BTC", "--mark", "ETH=x")
    assert result.exit_code == 11
    assert "must be CODE=PRICE" in result.output
    assert "price of ETH 'x' is not a number" in result.output


def test_malformed_environment_is_exit_12_naming_the_variable(invoke) -> None:
    result = invoke("balances", env={"PG_POOL_SIZE": "many"})
    assert result.exit_code == 12
    assert result.output.strip() == "error: PG_POOL_SIZE: 'many' is not a whole number"


def test_unreachable_database_is_exit_10_without_password(invoke) -> None:
    result = invoke("nav", env={"DATABASE_URL": "postgresql://u:pw-9f8e7d@127.0.0.1:9/ingot"})
    assert result.exit_code == 10
    assert result.output.startswith("error: database unavailable")
    assert "pw-9f8e7d" not in result.output
    assert "Traceback" not in result.output

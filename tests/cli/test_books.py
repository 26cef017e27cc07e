"""Books: one ledger each (a schema each), market data shared; scratch books for runs."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy.engine import URL

from tests.postgres import query_rows

CAPS = {"INGOT_MAX_EXPOSURE": "1000000", "INGOT_MAX_SYMBOL_EXPOSURE": "1000000"}


def edit_by_hand(url: URL, statement: str) -> None:
    from ingot_storage.db.database import create_db_engine

    engine = create_db_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def nav(invoke, *book: str) -> Decimal:
    return Decimal(json.loads(invoke(*book, "nav", "--json").output)["nav"])


def test_books_keep_their_own_ledgers_and_share_market_data(invoke, database_url: URL) -> None:
    assert invoke("mark", "BTC-USD", "60000").exit_code == 0
    made = invoke("strategy", "run", "sma", "--replay", "-", "--run-id", "a", input="")
    assert made.exit_code == 0, made.output
    assert invoke("buy", "BTC-USD", "0.01", env=CAPS).exit_code == 0
    bought = invoke("--book", "bt-a", "buy", "BTC-USD", "0.02", env=CAPS)
    assert bought.exit_code == 0, bought.output  # bt-a sees main's mark: market data is shared
    main_positions = json.loads(invoke("positions", "--json").output)
    other_positions = json.loads(invoke("--book", "bt-a", "positions", "--json").output)
    assert [p["quantity"] for p in main_positions] == ["0.01"]
    assert [p["quantity"] for p in other_positions] == ["0.02"]
    assert nav(invoke) != nav(invoke, "--book", "bt-a")
    listed = json.loads(invoke("books", "--json").output)
    assert [(b["name"], b["kind"], b["orders"]) for b in listed] == [
        ("main", "paper", 1),
        ("bt-a", "scratch", 1),
    ]
    assert listed[0]["nav"] == str(nav(invoke))
    for book in ((), ("--book", "bt-a")):
        verified = invoke(*book, "audit", "verify")
        assert verified.exit_code == 0, verified.output
    env_chosen = invoke("positions", "--json", env={"INGOT_BOOK": "bt-a"})
    assert json.loads(env_chosen.output) == other_positions


def test_dropping_a_scratch_book_leaves_main_and_market_data(invoke, database_url: URL) -> None:
    invoke("mark", "BTC-USD", "60000")
    invoke("strategy", "run", "sma", "--replay", "-", "--run-id", "gone", input="")
    before = nav(invoke)
    dropped = invoke("books", "drop", "bt-gone")
    assert dropped.exit_code == 0, dropped.output
    assert [b["name"] for b in json.loads(invoke("books", "--json").output)] == ["main"]
    assert query_rows(database_url, "SELECT count(*) FROM ticks")[0][0] == 1
    assert nav(invoke) == before
    schemas = query_rows(
        database_url, "SELECT count(*) FROM pg_namespace WHERE nspname = 'book_bt_gone'"
    )
    assert schemas[0][0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("books", "drop", "main"), "the main book is kept; drop it only with --force"),
        (("books", "drop", "nope"), "no book 'nope'"),
        (("--book", "nope", "nav"), "no book 'nope' ('ingot books' lists them)"),
        (("--book", "Bad Name", "nav"), "is not a book name"),
        (("nav",), "INGOT_BOOK: 'x y' is not a book name"),
    ],
)
def test_book_mistakes_exit_11_or_12_with_one_line(invoke, args, message) -> None:
    env = {"INGOT_BOOK": "x y"} if args == ("nav",) else None
    result = invoke(*args, env=env)
    assert result.exit_code == (12 if env else 11), result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_main_dropped_with_force_starts_again_empty(invoke) -> None:
    invoke("mark", "BTC-USD", "60000")
    assert invoke("buy", "BTC-USD", "0.01", env=CAPS).exit_code == 0
    assert invoke("books", "drop", "main", "--force").exit_code == 0
    assert json.loads(invoke("positions", "--json").output) == []
    assert nav(invoke) == Decimal("100000.00")
    assert invoke("audit", "verify").exit_code == 0


def test_a_book_held_by_a_session_does_not_stop_trading_in_another(
    invoke, cli_env, database_url: URL
) -> None:
    from ingot_cli.session import Session

    invoke("mark", "BTC-USD", "60000")
    invoke("strategy", "run", "sma", "--replay", "-", "--run-id", "side", input="")
    holder = Session({**cli_env, **CAPS, "INGOT_LOCK_WAIT_MS": "0"})
    try:
        assert holder.trading_engine is not None  # holds main's trading lock and lease
        other = invoke("--book", "bt-side", "buy", "BTC-USD", "0.01",
                       env={**CAPS, "INGOT_LOCK_WAIT_MS": "0"})  # fmt: skip
        assert other.exit_code == 0, other.output
        busy = invoke("buy", "BTC-USD", "0.01", env={**CAPS, "INGOT_LOCK_WAIT_MS": "0"})
        assert busy.exit_code == 13
    finally:
        holder.close()


def test_db_check_passes_on_healthy_books_and_names_an_edited_entry(
    invoke, database_url: URL
) -> None:
    invoke("mark", "BTC-USD", "60000")
    assert invoke("buy", "BTC-USD", "0.01", env=CAPS).exit_code == 0
    invoke("strategy", "run", "sma", "--replay", "-", "--run-id", "chk", input="")
    healthy = invoke("db", "check")
    assert healthy.exit_code == 0, healthy.output
    assert "Book main: OK" in healthy.output
    assert "Book bt-chk: OK" in healthy.output
    edit_by_hand(database_url, "UPDATE entries SET amount = amount + 1 WHERE id = "
                               "(SELECT max(id) FROM entries)")  # fmt: skip
    broken = invoke("db", "check")
    assert broken.exit_code == 1
    assert "Book main: " in broken.output
    assert "error: book main: replay: stored transaction" in broken.output
    assert "does not balance" in broken.output
    only = invoke("db", "check", "--book", "bt-chk", "--json")
    assert only.exit_code == 0
    assert json.loads(only.output)[0]["problems"] == []

"""Batch writes through COPY and a temporary stage (ingot_storage.db.copy)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import psycopg.errors
import pytest
import sqlalchemy as sa
from psycopg import pq
from sqlalchemy.engine import Connection, Engine

from ingot_storage import StorageError
from ingot_storage.db.copy import copy_rows, insert_new_rows, working_while_waiting
from ingot_storage.db.database import driver_connection
from ingot_storage.db.tables import accounts, equity_snapshots, order_history
from ingot_storage.errors import db_errors

T0 = datetime(2026, 1, 1, tzinfo=UTC)
COLUMNS = ["client_id", "symbol", "side", "order_type", "quantity", "status"]
COLUMNS += ["submitted_at", "event_at", "seq", "recorded_at"]
_SEQ = itertools.count(1)


def order(client_id: str, status: str = "Filled", quantity: str = "1") -> list[object]:
    row = [client_id, "BTC-USD", "Buy", "Market", Decimal(quantity), status, T0, T0]
    return [*row, next(_SEQ), T0]


def stored(conn: Connection) -> list[tuple[str, str, Decimal]]:
    query = "SELECT client_id, status, quantity FROM order_history ORDER BY id"
    return [tuple(row) for row in conn.execute(sa.text(query))]  # type: ignore[misc]


def test_rows_are_inserted_in_the_order_given_and_their_keys_returned(conn: Connection) -> None:
    rows = [order(f"c{n}") for n in (5, 3, 9, 1)]
    new = insert_new_rows(conn, order_history, COLUMNS, rows, ["client_id", "status"])
    assert new == {("c5", "Filled"), ("c3", "Filled"), ("c9", "Filled"), ("c1", "Filled")}
    assert [r[0] for r in stored(conn)] == ["c5", "c3", "c9", "c1"]  # ids follow the batch


def test_stored_keys_are_skipped_and_not_returned(conn: Connection) -> None:
    keys = ["client_id", "status"]
    insert_new_rows(conn, order_history, COLUMNS, [order("a"), order("b")], keys)
    again = [order("b", quantity="7"), order("c"), order("a", status="Open")]
    new = insert_new_rows(conn, order_history, COLUMNS, again, keys)
    assert new == {("c", "Filled"), ("a", "Open")}
    assert stored(conn) == [
        ("a", "Filled", Decimal(1)),
        ("b", "Filled", Decimal(1)),  # the stored row stands; the replay did not change it
        ("c", "Filled", Decimal(1)),
        ("a", "Open", Decimal(1)),
    ]


def test_a_key_repeated_within_one_batch_is_stored_once(conn: Connection) -> None:
    new = insert_new_rows(
        conn, order_history, COLUMNS, [order("a"), order("a")], ["client_id", "status"]
    )
    assert new == {("a", "Filled")}
    assert len(stored(conn)) == 1


def test_a_second_batch_in_the_same_transaction_sees_only_its_own_rows(engine: Engine) -> None:
    # The stage is emptied at commit; within one transaction each call must select its own rows.
    keys = ["at", "currency"]
    columns = ["at", "currency", "nav"]
    with engine.begin() as conn:
        first = insert_new_rows(conn, equity_snapshots, columns, [[T0, "USD", Decimal(1)]], keys)
        second_rows = [[T0 + timedelta(seconds=1), "USD", Decimal(2)]]
        second = insert_new_rows(conn, equity_snapshots, columns, second_rows, keys)
        assert first == {(T0, "USD")}
        assert second == {(T0 + timedelta(seconds=1), "USD")}
    with engine.begin() as conn:  # a new transaction: the stage starts empty again
        third = insert_new_rows(conn, equity_snapshots, columns, [[T0, "USD", Decimal(1)]], keys)
        assert third == set()
        count = conn.execute(sa.text("SELECT count(*) FROM equity_snapshots")).scalar_one()
        assert count == 2


def test_a_unique_constraint_other_than_the_key_fails_the_batch(engine: Engine) -> None:
    # ON CONFLICT names the natural key only: another account under a stored name is an
    # error, never silently skipped.
    columns = ["id", "name", "account_type", "currency_code", "decimals"]
    first = [uuid4(), "Assets:Cash:USD", "Asset", "USD", 2]
    with engine.begin() as conn:
        insert_new_rows(conn, accounts, columns, [first], ["id"])
    same_name = [uuid4(), "Assets:Cash:USD", "Asset", "USD", 2]
    other = [uuid4(), "Assets:Cash:EUR", "Asset", "EUR", 2]
    with pytest.raises(StorageError, match="name"), db_errors(), engine.begin() as conn:
        insert_new_rows(conn, accounts, columns, [other, same_name], ["id"])
    with engine.connect() as conn:
        names = conn.execute(sa.text("SELECT name FROM accounts")).scalars().all()
    assert names == ["Assets:Cash:USD"]  # the batch's other row rolled back with it


def test_nothing_to_insert_sends_nothing(conn: Connection) -> None:
    assert insert_new_rows(conn, order_history, COLUMNS, [], ["client_id", "status"]) == set()
    assert stored(conn) == []


def test_steps_run_while_the_server_works_and_stop_when_there_is_none_left(
    conn: Connection,
) -> None:
    link = driver_connection(conn).pgconn
    seen: list[pq.TransactionStatus] = []

    def step() -> bool:
        seen.append(link.transaction_status)  # ACTIVE: a command whose answer is not read yet
        return len(seen) < 3

    with working_while_waiting(conn, step):
        assert conn.execute(sa.text("SELECT 7 FROM pg_sleep(0.2)")).scalar_one() == 7
    assert seen == [pq.TransactionStatus.ACTIVE] * 3  # then it waited as usual


def test_the_answer_ends_the_steps_even_when_work_remains(conn: Connection) -> None:
    steps = 0

    def step() -> bool:
        nonlocal steps
        steps += 1
        return True  # always more to do

    with working_while_waiting(conn, step):
        assert conn.execute(sa.text("SELECT 7 FROM pg_sleep(0.05)")).scalar_one() == 7
        copy_rows(conn, order_history, COLUMNS, [order("a"), order("b")])
    assert steps > 0
    assert [r[0] for r in stored(conn)] == ["a", "b"]


def test_a_refusal_while_working_raises_by_its_kind_and_the_session_goes_on(
    conn: Connection,
) -> None:
    copy_rows(conn, order_history, COLUMNS, [order("a")])
    savepoint = conn.begin_nested()
    with (
        working_while_waiting(conn, lambda: True),
        pytest.raises(psycopg.errors.UniqueViolation, match="uq_order_history_client"),
    ):
        copy_rows(conn, order_history, COLUMNS, [order("b"), order("a")])
    savepoint.rollback()
    assert [r[0] for r in stored(conn)] == ["a"]


def test_the_connection_waits_as_usual_afterwards(conn: Connection) -> None:
    raw = driver_connection(conn)
    with working_while_waiting(conn, lambda: False):
        assert "wait" in vars(raw)
    assert "wait" not in vars(raw)  # psycopg's own method again
    assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1

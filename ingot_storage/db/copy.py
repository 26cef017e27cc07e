"""Batch writes through COPY: rows straight into a table (`copy_rows`, for rows known to be
new), or into a session's temporary stage and then one INSERT … SELECT (`insert_new_rows`).

A multi-row INSERT costs the client a parameter list to build and the server a statement
with thousands of parameters to parse and plan, per batch. COPY sends the rows as a stream
the server parses in C; one INSERT … SELECT then moves them, skipping the rows whose natural
key is already stored (ON CONFLICT on that key only, so any other broken constraint still
fails the batch) and returning the keys that were new, in the order given.

Each stage is a temporary table with ON COMMIT DELETE ROWS, named after the schema revision
so a migrated schema never meets a stale stage. It holds only the columns written, plus each
row's number. Every call states it with CREATE … IF NOT EXISTS (one round trip; the table is
made on a session's first use): remembering it per connection would be wrong after a rollback
of the transaction that created it.

`working_while_waiting` lends the time a connection waits for the server to other work.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from psycopg.abc import PQGen
from psycopg.waiting import Ready, Wait
from sqlalchemy.engine import Connection

from ingot_storage.db.database import driver_connection
from ingot_storage.db.migrations import SCHEMA_HEAD

__all__ = ["copy_rows", "insert_new_rows", "working_while_waiting"]

_T = TypeVar("_T")

_numbers_lock = threading.Lock()
_next_number = 0


def _reserve_row_numbers(count: int) -> int:
    global _next_number
    with _numbers_lock:
        first = _next_number
        _next_number += count
    return first


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def copy_rows(
    conn: Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """COPY rows straight into `table` (for rows known to be new, such as a new
    transaction's entries)."""
    statement = f"COPY {table.name} ({_quoted(columns)}) FROM STDIN"
    with driver_connection(conn).cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


@contextmanager
def working_while_waiting(conn: Connection, step: Callable[[], bool]) -> Iterator[None]:
    """While the server works on a statement of `conn`, run `step` again and again instead
    of idling, until the server's answer is ready or `step` says there is nothing left to do
    (returns False). The answer is looked for between steps, so each step must be short.

    A batch writer spends more than a third of its time waiting for the server (checking foreign
    keys at the end of a COPY, filling indexes, flushing the commit to disk); with this it
    prepares the next batch in that time, on the same thread, without handing the
    interpreter lock to another. `step` must not raise: the statement being waited on would
    be left half read.
    """
    raw = driver_connection(conn)
    usual = raw.wait

    def wait(gen: PQGen[_T], *args: Any, **kwargs: Any) -> _T:
        try:
            state = next(gen)
            while True:
                ready = _ready_now(raw.pgconn.socket, state)
                if ready:
                    state = gen.send(ready)
                elif not step():
                    return usual(_resumed(state, gen), *args, **kwargs)
        except StopIteration as done:
            result: _T = done.value
            return result

    setattr(raw, "wait", wait)  # noqa: B010 - an instance attribute over psycopg's method
    try:
        yield
    finally:
        delattr(raw, "wait")


def _ready_now(sock: int, state: Wait) -> Ready:
    """What the socket is ready for right now, of what `state` waits for (never blocks)."""
    readable, writable, _ = select.select(
        [sock] if state & Wait.R else [], [sock] if state & Wait.W else [], [], 0
    )
    return Ready((Ready.R if readable else 0) | (Ready.W if writable else 0))


def _resumed(state: Wait, gen: PQGen[_T]) -> PQGen[_T]:
    """`gen` again, from the state it last yielded."""
    ready = yield state
    while True:
        try:
            ready = yield gen.send(ready)
        except StopIteration as done:
            result: _T = done.value
            return result


def insert_new_rows(
    conn: Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    keys: Sequence[str],
) -> set[tuple[Any, ...]]:
    """Insert `rows` (values in `columns` order) in order, skipping those whose `keys` are
    already stored; return the key tuples of the rows that were new."""
    if not rows:
        return set()
    stage = f"ingot_stage_{SCHEMA_HEAD}_{table.name}"
    names = _quoted(columns)
    # Rows are numbered across calls, so a second call in the same transaction (the stage
    # empties only at commit) selects its own rows without a DELETE.
    first = _reserve_row_numbers(len(rows))
    with driver_connection(conn).cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
            f"SELECT 0::bigint AS ingot_row, {names} FROM {table.name} WITH NO DATA"
        )
        with cursor.copy(f"COPY {stage} (ingot_row, {names}) FROM STDIN") as copy:
            for n, row in enumerate(rows, start=first):
                copy.write_row((n, *row))
        cursor.execute(
            f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {stage} "
            f"WHERE ingot_row >= {first} ORDER BY ingot_row "
            f"ON CONFLICT ({_quoted(keys)}) DO NOTHING RETURNING {_quoted(keys)}"
        )
        return {tuple(row) for row in cursor.fetchall()}

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
"""

from __future__ import annotations

import select
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import psycopg
import psycopg.errors
import sqlalchemy as sa
from psycopg import pq
from psycopg.copy import LibpqWriter
from sqlalchemy.engine import Connection

from ingot_storage.audit import driver_connection
from ingot_storage.migrations import SCHEMA_HEAD

__all__ = ["copy_rows", "insert_new_rows"]

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
    conn: Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    meanwhile: Callable[[], object] | None = None,
) -> None:
    """COPY rows straight into `table` (for rows known to be new, such as a new
    transaction's entries).

    `meanwhile`, when given, runs after the last row has gone and before the server's answer
    is read: the server checks foreign keys and fills indexes at the end of a COPY, and that
    time is Python's to use.
    """
    statement = f"COPY {table.name} ({_quoted(columns)}) FROM STDIN"
    with driver_connection(conn).cursor() as cursor:
        writer = None if meanwhile is None else _MeanwhileWriter(cursor, meanwhile)
        with cursor.copy(statement, writer=writer) as copy:
            for row in rows:
                copy.write_row(row)


class _MeanwhileWriter(LibpqWriter):
    """psycopg's COPY writer, with Python work slipped in between the end of the data and the
    server's answer."""

    def __init__(self, cursor: psycopg.Cursor[Any], meanwhile: Callable[[], object]) -> None:
        super().__init__(cursor)
        self._meanwhile = meanwhile

    def finish(self, exc: BaseException | None = None) -> None:
        if exc is not None:
            super().finish(exc)  # the usual way: tell the server why, and fail the COPY
            return
        pgconn = self.connection.pgconn
        while pgconn.put_copy_end() == 0:
            _wait(pgconn.socket, write=True)
        while pgconn.flush() != 0:
            # As libpq asks: while the output waits, read what the server sends meanwhile.
            readable, _, _ = select.select([pgconn.socket], [pgconn.socket], [])
            if readable:
                pgconn.consume_input()
        try:
            self._meanwhile()
        finally:  # the answer is read whatever happened, so the connection stays usable
            self._read_answer(pgconn)

    @staticmethod
    def _read_answer(pgconn: pq.abc.PGconn) -> None:
        pgconn.consume_input()
        while pgconn.is_busy():
            _wait(pgconn.socket, write=False)
            pgconn.consume_input()
        failure = None
        while (result := pgconn.get_result()) is not None:
            if result.status != pq.ExecStatus.COMMAND_OK and failure is None:
                failure = result
        if failure is not None:
            state = (failure.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
            try:
                kind: type[psycopg.Error] = psycopg.errors.lookup(state)
            except KeyError:
                kind = psycopg.DatabaseError
            raise kind(failure.get_error_message())


def _wait(sock: int, *, write: bool) -> None:
    # select() lets go of the interpreter lock while the socket is not ready.
    select.select([] if write else [sock], [sock] if write else [], [])


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

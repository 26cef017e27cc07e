"""The book's trading lock: one process at a time trades a book.

An engine keeps the book's balances, positions and open orders in memory, read from the
database when it starts. A second process trading the same book meanwhile would leave the
first one's picture stale: its risk checks and position snapshots would work from balances
that are no longer true. So a process takes this lock before it trades (places, cancels or
marks, runs a strategy) and keeps it until its engine has written everything and closed.
Reading (balances, history, status) needs no lock.

The lock is a PostgreSQL session-level advisory lock, held on a connection of its own, outside
the pool (PG_POOL_SIZE stays whole for the work): it goes with that connection, so a process
that dies (even by SIGKILL) lets go of it at once.

A lock alone is not enough: when its connection drops (the server restarts, the embedded
postmaster dies) the lock is gone and its holder does not know. So holding the book is also a
lease: under the lock, the holder raises the book's epoch and keeps it as its fencing token
(`ingot_storage.writer.fence`), which every write transaction it makes checks.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ingot_storage.db.database import Database, application_name, create_db_engine
from ingot_storage.db.locks import TRADING_LOCK, book_key
from ingot_storage.errors import BookBusy, db_errors
from ingot_storage.writer.fence import take_lease

__all__ = ["TradingLock"]

_POLL_S = 0.05


class TradingLock:
    """The held lock; `release` (or the end of the process) lets it go."""

    def __init__(self, engine: Engine, conn: Connection | None) -> None:
        self._engine = engine
        self._conn = conn
        self.epoch = 0  # the fencing token, once the lease is taken

    @classmethod
    def acquire(
        cls, database: Database, wait_s: float, before_lease: Callable[[], object] = lambda: None
    ) -> TradingLock:
        """Take the lock, waiting up to `wait_s` seconds for another process to let it go
        (raise BookBusy, naming the holder, if it does not); then run `before_lease` (what
        an earlier holder left to write goes in under its own epoch) and take the lease."""
        engine = create_db_engine(database.engine.url, pool_size=1, book=database.book)
        lock = cls(engine, None)
        try:
            with db_errors():
                lock._conn = conn = engine.connect()
                deadline = time.monotonic() + wait_s
                while not _try_lock(conn):
                    if time.monotonic() >= deadline:
                        raise BookBusy(_holder(conn), wait_s)
                    time.sleep(_POLL_S)
            before_lease()
            with db_errors():
                lock.epoch = take_lease(conn, application_name())
                conn.commit()
        except BaseException:
            lock.release()
            raise
        return lock

    def release(self) -> None:
        """Let the lock go (idempotent)."""
        conn, self._conn = self._conn, None
        # Closing the connection ends its server session, and the lock with it.
        try:
            if conn is not None:
                conn.close()
        finally:
            self._engine.dispose()


def _try_lock(conn: Connection) -> bool:
    key = book_key(conn, TRADING_LOCK)
    got = bool(conn.execute(sa.select(sa.func.pg_try_advisory_lock(key))).scalar_one())
    conn.commit()  # a session-level lock outlives the transaction; no transaction stays open
    return got


def _holder(conn: Connection) -> str:
    """Who holds the lock: its client's application name, address and start, as far as the
    server can say."""
    key = book_key(conn, TRADING_LOCK)
    row = conn.execute(
        sa.text(
            "SELECT a.pid, a.application_name, a.client_addr, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid::bigint = :high AND l.objid::bigint = :low"
        ),
        {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF},
    ).first()
    conn.commit()
    if row is None:
        return "a process that has just let go"
    pid, application, address, started = row
    who = application or f"PostgreSQL backend {pid}"
    if address is not None:
        who += f" at {address}"
    return who if started is None else f"{who}, connected since {started:%Y-%m-%d %H:%M:%S} UTC"

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
postmaster dies) the lock is gone and its holder does not know. So holding the book is a
lease: under the lock, the holder raises the book's epoch (book_lease) and keeps the new
value as its fencing token, and every write transaction it makes checks that the epoch is
still its own (`check_lease`, holding the row FOR SHARE until commit, so a new taker's raise
waits for that commit). Once another process has taken the book, the old holder's next
batch is refused with BookTaken: it can never commit again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ingot_storage.database import Database, application_name, create_db_engine
from ingot_storage.errors import BookBusy, BookTaken, db_errors
from ingot_storage.locks import TRADING_LOCK, book_key

__all__ = ["TradingLock", "check_lease", "take_lease"]

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


def take_lease(conn: Connection, holder: str) -> int:
    """Raise the book's epoch for `holder` in the caller's transaction; return the new epoch
    (this writer's fencing token)."""
    return int(
        conn.execute(
            sa.text(
                "INSERT INTO book_lease (id, epoch, holder, taken_at) VALUES (1, 1, :holder, "
                "now()) ON CONFLICT (id) DO UPDATE SET epoch = book_lease.epoch + 1, "
                "holder = EXCLUDED.holder, taken_at = EXCLUDED.taken_at RETURNING epoch"
            ),
            {"holder": holder},
        ).scalar_one()
    )


def check_lease(conn: Connection, epoch: int) -> None:
    """Refuse (BookTaken, naming the new holder) unless the book's epoch is still `epoch`;
    the lease row stays share-locked until the caller's transaction ends, so no one takes
    the book between this check and the commit."""
    row = conn.execute(
        sa.text("SELECT epoch, holder, taken_at FROM book_lease WHERE id = 1 FOR SHARE")
    ).first()
    current = 0 if row is None else int(row.epoch)
    if current != epoch:
        holder = "another writer" if row is None or not row.holder else row.holder
        if row is not None and row.taken_at is not None:
            holder += f", which took it at {row.taken_at:%Y-%m-%d %H:%M:%S} UTC"
        raise BookTaken(holder)


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

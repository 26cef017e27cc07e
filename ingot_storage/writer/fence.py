"""The book's lease: the fencing token that keeps a writer which lost the book from writing.

A process that trades a book holds its trading lock (`ingot_storage.trading.lock`), and under
it raises the book's epoch (the one row of book_lease) and keeps the new value as its fencing
token. Every write transaction the writer makes checks that the epoch is still its own,
holding the row FOR SHARE until commit, so a new taker's raise waits for that commit. Once
another process has taken the book, the old holder's next batch is refused with BookTaken: it
can never commit again, even when its lock went with a dropped connection unnoticed.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_storage.errors import BookTaken

__all__ = ["check_lease", "take_lease"]


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

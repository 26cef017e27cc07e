"""Every PostgreSQL advisory-lock key Ingot takes, in one table.

Each key is eight ASCII bytes read as a big-endian integer ("ingot-au" …), so a glance at
pg_locks tells them apart from another program's. A book's own locks are keyed by the
book too (`book_key`: the key XOR a hash of the schema the connection searches first), so
two books are written and traded side by side and never wait on each other.

| key              | text     | scope    | held                                                  |
|------------------|----------|----------|-------------------------------------------------------|
| AUDIT_LOCK       | ingot-au | book     | per write transaction: the audit chain's next seq     |
| TRADING_LOCK     | ingot-tr | book     | per session, on its own connection: who trades        |
| BOOTSTRAP_LOCK   | ingot-bk | book     | opening a fresh book: bootstrapped once               |
| MIGRATION_LOCK   | ingot-mg | database | a migration run                                       |
| REGISTRY_LOCK    | ingot-bs | database | making or dropping a book                             |
| TRADELOG_PARTITION_LOCK | ingot-tl | database | making a day's trade log partition       |
| BAR_LOAD_LOCK    | inld     | one load | a fast OHLCV load, with a second int4 naming the load |

BAR_LOAD_LOCK is the one two-key lock: `pg_advisory_lock(BAR_LOAD_LOCK, n)`, both int4, where
`n` names one load's chunk tables (`ingot_bar_load_<n>_…`), so a sweep of tables left by a
killed load can tell a live load's tables (locked) from a dead one's.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = [
    "AUDIT_LOCK",
    "BAR_LOAD_LOCK",
    "BOOTSTRAP_LOCK",
    "MIGRATION_LOCK",
    "REGISTRY_LOCK",
    "TRADELOG_PARTITION_LOCK",
    "TRADING_LOCK",
    "book_key",
    "lock_book",
]

AUDIT_LOCK = 0x696E676F742D6175
TRADING_LOCK = 0x696E676F742D7472
BOOTSTRAP_LOCK = 0x696E676F742D626B
MIGRATION_LOCK = 0x696E676F742D6D67
REGISTRY_LOCK = 0x696E676F742D6273
BAR_LOAD_LOCK = 0x696E6C64
TRADELOG_PARTITION_LOCK = 0x696E676F742D746C

_BOOK_KEY = sa.text("SELECT CAST(:key AS bigint) # hashtextextended(current_schema(), 0)")
_LOCK_BOOK = sa.text(
    "SELECT pg_advisory_xact_lock(CAST(:key AS bigint) # hashtextextended(current_schema(), 0))"
)


def book_key(conn: Connection, key: int) -> int:
    """`key` as the book `conn` works on holds it."""
    return int(conn.execute(_BOOK_KEY, {"key": key}).scalar_one())


def lock_book(conn: Connection, key: int) -> None:
    """Take the book's `key` until the current transaction ends."""
    conn.execute(_LOCK_BOOK, {"key": key})

"""Books: one ledger each, with its orders, positions, audit trail and checkpoints.

A book is a PostgreSQL schema: `main` is public (where Ingot has always kept its ledger),
every other book `book_<name>`, holding the same tables (BOOK_TABLES). A connection for a
book searches its schema first and public second, so every query, COPY and trigger of the
ledger, the writer and the audit trail is the same for every book and can never reach into
another one, while the market data in public (ticks, bars, cursors) is shared by all. A
book's advisory locks are keyed by its schema too: two books trade side by side, and a
scratch book is dropped whole with its schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.accounting import AccountType
from ingot_core.money import exact_sum, multiply
from ingot_core.symbols import Symbol
from ingot_storage.config import MAIN_BOOK, book_problem, book_schema
from ingot_storage.db.database import Database, grant_if_missing
from ingot_storage.db.local_files import (
    bytes_waiting,
    checkpoint_file_for,
    files_label,
    signed_heads_for,
    spill_file_for,
)
from ingot_storage.db.locks import REGISTRY_LOCK
from ingot_storage.db.tables import BOOK_TABLES, books, metadata
from ingot_storage.errors import SpillError, UnknownBook, translate_db_errors

__all__ = [
    "BookSummary",
    "UnknownBook",
    "book_exists",
    "create_book",
    "drop_book",
    "ensure_book",
    "list_book_names",
    "list_books",
    "retire_book_files",
]


@dataclass(frozen=True)
class BookSummary:
    """One line of `ingot books`.

    Attributes:
      name: the book's name.
      kind: paper (kept) or scratch (a backtest's or replay's, made to be dropped).
      created_at: when it was made.
      nav: NAV in its base currency at the last recorded marks (None: a held currency has
        no mark).
      currency: its base currency.
      orders: how many orders it placed.
      last_activity: when it last recorded an event (None: never).
      booking: how its sells close lots (fifo, lifo, hifo or average).
    """

    name: str
    kind: str
    created_at: datetime
    nav: Decimal | None
    currency: str
    orders: int
    last_activity: datetime | None
    booking: str = "average"


@translate_db_errors
def book_exists(conn: Connection, name: str) -> bool:
    """Whether the database holds book `name`."""
    return bool(conn.execute(sa.select(books.c.name).where(books.c.name == name)).first())


def ensure_book(database: Database, make_kind: str | None = None) -> None:
    """Check that the database's book exists; make it as `make_kind` when it is missing and
    one is given, else raise UnknownBook. Main always exists."""
    if database.book == MAIN_BOOK:
        return
    with database.begin() as conn:
        exists = book_exists(conn, database.book)
    if exists:
        grant_if_missing(database, book_schema(database.book))  # tables a migration added
        return
    if make_kind is None:
        raise UnknownBook(f"no book {database.book!r} ('ingot books' lists them)")
    with database.owner_begin() as conn:  # a schema and its tables: the owner's to make
        create_book(conn, database.book, make_kind)
    grant_if_missing(database, book_schema(database.book))


@translate_db_errors
def create_book(conn: Connection, name: str, kind: str = "scratch") -> bool:
    """Make book `name` (its schema and tables, empty) in the caller's transaction; False
    when it exists already."""
    problem = book_problem(name)
    if problem is not None:
        raise UnknownBook(problem)
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(REGISTRY_LOCK)))
    if book_exists(conn, name):
        return False
    schema = book_schema(name)
    taken = conn.execute(sa.select(books.c.name).where(books.c.schema_name == schema)).first()
    if taken is not None:
        raise UnknownBook(f"book name {name!r} is too close to {taken.name!r}; choose another")
    conn.execute(books.insert().values(name=name, schema_name=schema, kind=kind))
    conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    _create_tables(conn, schema)
    return True


def _create_tables(conn: Connection, schema: str) -> None:
    """Main's DDL in `schema`: the tables, their triggers and the function those call land
    in the first schema on the search path."""
    searched = conn.execute(sa.text("SELECT current_setting('search_path')")).scalar_one()
    conn.execute(sa.text(f'SET LOCAL search_path = "{schema}", public'))
    tables = [metadata.tables[t] for t in BOOK_TABLES]
    metadata.create_all(conn, tables=tables, checkfirst=False)
    conn.execute(sa.text("SELECT set_config('search_path', :path, true)"), {"path": searched})


@translate_db_errors
def drop_book(
    conn: Connection,
    name: str,
    *,
    force: bool = False,
    data_dir: Path | None = None,
    identity: str = "",
) -> None:
    """Remove book `name` with everything in it; `main` only with `force` (it is then made
    again, empty, at the next start). With `data_dir`, a book whose spill still holds
    batches is refused (SpillError): they would be lost with it."""
    if not book_exists(conn, name):
        raise UnknownBook(f"no book {name!r} ('ingot books' lists them)")
    if name == MAIN_BOOK and not force:
        raise UnknownBook("the main book is kept; drop it only with --force")
    if data_dir is not None:
        spill = spill_file_for(data_dir, files_label(identity, name))
        if bytes_waiting(spill):
            raise SpillError(
                f"{spill} holds batches of book {name} not written yet; "
                f"'ingot --book {name} db spill' shows them"
            )
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(REGISTRY_LOCK)))
    if name == MAIN_BOOK:
        for table in reversed(BOOK_TABLES):
            conn.execute(sa.text(f'DROP TABLE IF EXISTS public."{table}" CASCADE'))
        conn.execute(sa.text("DROP FUNCTION IF EXISTS public.ingot_refuse_audit_change()"))
        _create_tables(conn, "public")
        return
    conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{book_schema(name)}" CASCADE'))
    conn.execute(books.delete().where(books.c.name == name))


def retire_book_files(
    data_dir: Path, identity: str, name: str, key_path: Path | None = None
) -> list[Path]:
    """Keep a dropped book's external audit checkpoints (and the signer's memory of them,
    beside `key_path`) aside, renamed with the time, so a new book of that name starts a new
    log; return the files kept aside."""
    label = files_label(identity, name)
    paths = [checkpoint_file_for(data_dir, label)]
    if key_path is not None:
        paths.append(signed_heads_for(key_path, label))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    kept = []
    for path in paths:
        if path.exists():
            aside = path.with_name(f"{path.stem}.dropped-{stamp}{path.suffix}")
            path.rename(aside)
            kept.append(aside)
    return kept


_BALANCES = """
SELECT a.account_type, a.currency_code, a.name,
       coalesce(sum(CASE e.side WHEN 'Debit' THEN e.amount ELSE -e.amount END), 0) AS net
FROM "{schema}".accounts a LEFT JOIN "{schema}".entries e ON e.account_id = a.id
GROUP BY a.id, a.account_type, a.currency_code, a.name
"""

_ACTIVITY = """
SELECT (SELECT count(DISTINCT client_id) FROM "{schema}".order_history),
       (SELECT max("timestamp") FROM "{schema}".audit_log)
"""


@translate_db_errors
def list_book_names(conn: Connection) -> list[str]:
    """Every book's name, oldest first."""
    query = sa.select(books.c.name).order_by(books.c.created_at, books.c.name)
    return list(conn.execute(query).scalars())


@translate_db_errors
def list_books(conn: Connection, marks: dict[Symbol, Decimal]) -> list[BookSummary]:
    """Every book, oldest first, with its NAV at `marks` and its activity."""
    summaries = []
    for row in conn.execute(sa.select(books).order_by(books.c.created_at, books.c.name)):
        schema = row.schema_name
        balances = conn.execute(sa.text(_BALANCES.format(schema=schema))).all()
        orders, last = conn.execute(sa.text(_ACTIVITY.format(schema=schema))).one()
        base = next(
            (b.currency_code for b in balances if b.name == f"Equity:Capital:{b.currency_code}"),
            "USD",
        )
        nav = _nav(balances, base, marks)
        summaries.append(
            BookSummary(row.name, row.kind, row.created_at, nav, base, orders, last, row.booking)
        )
    return summaries


def _nav(
    balances: Sequence[sa.Row[Any]], base: str, marks: dict[Symbol, Decimal]
) -> Decimal | None:
    rates = {s.base: p for s, p in marks.items() if s.quote == base}
    terms = []
    for row in balances:
        net, code = row.net, row.currency_code
        if row.account_type not in (AccountType.ASSET.value, AccountType.LIABILITY.value):
            continue
        if not net:
            continue
        rate = Decimal(1) if code == base else rates.get(code)
        if rate is None:
            return None
        terms.append(multiply(net, rate))  # a liability's net debit is negative already
    return exact_sum(terms)

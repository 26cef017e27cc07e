"""Opening Ingot's PostgreSQL: external when DATABASE_URL is set, embedded otherwise."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from ingot_storage.config import MAIN_BOOK, StorageConfig, book_schema
from ingot_storage.db import migrations
from ingot_storage.db.embedded import EmbeddedServer
from ingot_storage.db.local_files import (
    adopt_url_files,
    files_label,
    remember_identity,
    server_key,
)
from ingot_storage.db.roles import OWNER_ROLE, grant_app
from ingot_storage.errors import ConfigError, ServerInUse, StorageError, db_errors

__all__ = [
    "Database",
    "ServerKind",
    "application_name",
    "create_db_engine",
    "driver_connection",
    "in_period",
    "open_database",
    "stop_embedded_server",
    "stream_rows",
]

ServerKind = Literal["embedded", "external"]
_Q = TypeVar("_Q", bound="sa.Select[Any]")
_IDENTITY = sa.text(
    "SELECT system_identifier::text || '/' || current_database() FROM pg_control_system()"
)


def stream_rows(conn: Connection, query: sa.Select[Any], batch: int = 5000) -> Iterator[Any]:
    """Rows of `query` through a server-side cursor: constant memory, closed even when the
    consumer stops early or raises, driver errors translated."""
    with db_errors():
        # The option rides on the statement: set on the connection it would stick to it.
        rows = conn.execute(query.execution_options(yield_per=batch))
        try:
            yield from rows
        finally:
            rows.close()


def in_period(query: _Q, column: Any, since: datetime | None, until: datetime | None) -> _Q:
    """`query` kept to rows whose `column` is from `since` (inclusive) to `until` (exclusive);
    either end None leaves that side open. Every date-filtered read goes through it."""
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def driver_connection(conn: Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under `conn`, for COPY and server-side cursors."""
    raw = conn.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise StorageError("Ingot needs a psycopg 3 connection")
    return raw


def application_name() -> str:
    """What this process's connections call themselves (pg_stat_activity, the lease holder)."""
    return f"ingot pid {os.getpid()}"


def create_db_engine(url: URL, pool_size: int = 5, book: str = MAIN_BOOK) -> Engine:
    """A pooled SQLAlchemy engine on psycopg 3 for `url`, its connections working on `book`
    (its schema searched first, then public's shared tables)."""
    options = "-c TimeZone=UTC"
    if book != MAIN_BOOK:
        options += f" -c search_path={book_schema(book)},public"
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        # Every timestamp Ingot reads back is UTC, whatever the server's TimeZone says; the
        # application name tells a waiting process (or pg_stat_activity) who holds a lock.
        connect_args={
            "options": options,
            "connect_timeout": 10,
            "application_name": application_name(),
        },
    )


@dataclass
class Database:
    """A connected PostgreSQL and, when embedded, the server Ingot started for it.

    Attributes:
      engine: the connection pool.
      kind: "embedded" or "external".
      display_url: the URL with any password masked.
      book: the book this database's connections work on.
      identity: the server's system identifier and the database's name, as read when it
        connected: what names local files, whatever the URL's spelling.
    """

    engine: Engine
    kind: ServerKind
    display_url: str
    server: EmbeddedServer | None = None
    book: str = MAIN_BOOK
    identity: str = ""
    owner_url: URL | None = field(default=None, repr=False)
    _owner: Engine | None = field(default=None, repr=False)

    @property
    def owner_engine(self) -> Engine:
        """Connections as the owner role (migrations, books, partition drops): the
        application role's own engine when no separate owner is configured."""
        if self.owner_url is None:
            return self.engine
        if self._owner is None:
            self._owner = create_db_engine(self.owner_url, 2, self.book)
        return self._owner

    @contextmanager
    def owner_begin(self) -> Iterator[Connection]:
        """A transaction as the owner role, committed on success."""
        with db_errors(), self.owner_engine.begin() as conn:
            yield conn

    @property
    def files_label(self) -> str:
        """What names this book's local files (spill, external checkpoints)."""
        if not self.identity:  # never guess: two servers would share one spill
            raise StorageError("the server's identity is read when it connects (open_database)")
        return files_label(self.identity, self.book)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection inside one database transaction, committed on success."""
        with db_errors(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads; the caller manages any transaction."""
        with db_errors(), self.engine.connect() as conn:
            yield conn

    def close(self) -> None:
        """Release the pool and leave the embedded server (it outlives its last user for
        INGOT_SERVER_IDLE_SECONDS)."""
        self.engine.dispose()
        if self._owner is not None:
            self._owner.dispose()
            self._owner = None
        if self.server is not None:
            self.server.release()
            self.server = None


def open_database(config: StorageConfig, *, upgrade: bool = True) -> Database:
    """Connect to the configured PostgreSQL for the configured book; bring its schema to head
    unless `upgrade` is off. (A book other than main is made or checked by
    ingot_storage.ledger.books.ensure_book.)"""
    server: EmbeddedServer | None = None
    owner: URL | None = config.owner_database_url
    if config.database_url is None:
        server = EmbeddedServer(config.data_dir, config.server_idle_seconds)
        url = server.start()
        owner = server.url(role=OWNER_ROLE)
        kind: ServerKind = "embedded"
    else:
        url = config.database_url
        kind = "external"
    database = Database(
        create_db_engine(url, config.pg_pool_size, config.book),
        kind,
        url.render_as_string(hide_password=True),
        server,
        config.book,
        owner_url=owner,
    )
    try:
        with database.connect() as conn:
            database.identity = conn.execute(_IDENTITY).scalar_one()
        remember_identity(config.data_dir, server_key(config.database_url), database.identity)
        try:
            adopt_url_files(config.data_dir, database.display_url, database.identity, config.book)
        except OSError as error:
            raise ConfigError("INGOT_DATA_DIR", f"cannot take over {error.filename}: "
                              f"{error.strerror}") from None  # fmt: skip
        if upgrade:
            migrations.ensure_head(database.owner_engine)
        if owner is not None:  # the application role's privileges, after any migration
            grant_if_missing(database)
    except BaseException:
        database.close()
        raise
    return database


def grant_if_missing(database: Database, schema: str = "public") -> None:
    """Give the application role its privileges in `schema` when it lacks them (after the
    migrations made new tables, or a book was made)."""
    with db_errors(), database.connect() as conn:
        role = conn.execute(sa.text("SELECT current_user")).scalar_one()
        held = conn.execute(
            sa.text(
                "SELECT bool_and(has_table_privilege(c.oid, 'SELECT')) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s "
                "AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
            ),
            {"s": schema},
        ).scalar()
    if held is False:
        with database.owner_begin() as conn:
            owner = conn.execute(sa.text("SELECT current_user")).scalar_one()
            if owner != role:
                grant_app(conn, schema, role)


def stop_embedded_server(config: StorageConfig) -> bool:
    """Stop the embedded server now; False when it was not running. Refused (ServerInUse)
    while another Ingot process uses it, and with DATABASE_URL set (Ingot never stops a
    server it did not start)."""
    if config.database_url is not None:
        raise ConfigError("DATABASE_URL", "points at an external server; Ingot stops only its own")
    server = EmbeddedServer(config.data_dir, config.server_idle_seconds)
    if not server.running:
        return False
    if not server.stop():
        raise ServerInUse(
            f"the embedded PostgreSQL in {server.pgdata} is in use by another Ingot process; "
            "it stops by itself once they are done"
        )
    return True

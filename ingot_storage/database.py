"""Opening Ingot's PostgreSQL: external when DATABASE_URL is set, embedded otherwise."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine

from ingot_storage import migrations
from ingot_storage.config import StorageConfig
from ingot_storage.embedded import EmbeddedServer
from ingot_storage.errors import db_errors

__all__ = ["Database", "ServerKind", "create_db_engine", "open_database", "stream_rows"]

ServerKind = Literal["embedded", "external"]


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


def create_db_engine(url: URL, pool_size: int = 5) -> Engine:
    """A pooled SQLAlchemy engine on psycopg 3 for `url`."""
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        # Every timestamp Ingot reads back is UTC, whatever the server's TimeZone says; the
        # application name tells a waiting process (or pg_stat_activity) who holds a lock.
        connect_args={
            "options": "-c TimeZone=UTC",
            "connect_timeout": 10,
            "application_name": f"ingot pid {os.getpid()}",
        },
    )


@dataclass
class Database:
    """A connected PostgreSQL and, when embedded, the server Ingot started for it.

    Attributes:
      engine: the connection pool.
      kind: "embedded" or "external".
      display_url: the URL with any password masked.
    """

    engine: Engine
    kind: ServerKind
    display_url: str
    server: EmbeddedServer | None = None

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
        """Release the pool and leave the embedded server."""
        self.engine.dispose()
        if self.server is not None:
            self.server.stop()
            self.server = None


def open_database(config: StorageConfig, *, upgrade: bool = True) -> Database:
    """Connect to the configured PostgreSQL; bring its schema to head unless `upgrade` is off."""
    server: EmbeddedServer | None = None
    if config.database_url is None:
        server = EmbeddedServer(config.data_dir)
        url = server.start()
        kind: ServerKind = "embedded"
    else:
        url = config.database_url
        kind = "external"
    database = Database(
        create_db_engine(url, config.pg_pool_size),
        kind,
        url.render_as_string(hide_password=True),
        server,
    )
    try:
        with database.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        if upgrade:
            migrations.ensure_head(database.engine)
    except BaseException:
        database.close()
        raise
    return database

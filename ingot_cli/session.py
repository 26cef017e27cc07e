"""One command line's (or one REPL's) view of Ingot: configuration, database and book.

Everything opens lazily, so `ingot --help` and bad flags never start a database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from ingot_storage import Book, Database, StorageConfig, open_book, open_database

__all__ = ["Session", "utc_now"]


def utc_now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


class Session:
    """Lazily opened configuration, database and book, closed together."""

    def __init__(
        self, env: Mapping[str, str] | None = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._env = env
        self._clock = clock
        self._config: StorageConfig | None = None
        self._database: Database | None = None
        self._book: Book | None = None

    @property
    def config(self) -> StorageConfig:
        """Configuration read from the environment on first use."""
        if self._config is None:
            self._config = StorageConfig.from_env(self._env)
        return self._config

    def open_database(self, *, upgrade: bool = True) -> Database:
        """The database, opened on first use; `upgrade` brings a stale schema to head then."""
        if self._database is None:
            self._database = open_database(self.config, upgrade=upgrade)
        return self._database

    @property
    def database(self) -> Database:
        """The database with its schema at head."""
        return self.open_database(upgrade=True)

    @property
    def book(self) -> Book:
        """The ledger, recovered from the database or bootstrapped in a fresh one."""
        if self._book is None:
            self._book = open_book(self.database, self.config, self._clock())
        return self._book

    def close(self) -> None:
        """Release the database (and leave the embedded server)."""
        database, self._database, self._book = self._database, None, None
        if database is not None:
            database.close()

"""One command line's (or one REPL's) view of Ingot: configuration, database and book.

Everything opens lazily, so `ingot --help` and bad flags never start a database. How a book is
opened, traded and left lives in storage (`ingot_storage.trading.startup.TradingBook`); a
session chooses the book, opens its database and hands the rest over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ingot_storage.writer.metrics import FlushOutcome

if TYPE_CHECKING:  # storage loads on first use, keeping `ingot --help` fast
    from ingot_core.engine import TradingEngine
    from ingot_storage import Book, Database, StorageConfig
    from ingot_storage.audit.trail import AuditTrail
    from ingot_storage.market.questdb import QuestDbMirror
    from ingot_storage.settings import Settings
    from ingot_storage.trading.startup import TradingBook, TradingView
    from ingot_storage.writer.worker import StorageWorker

__all__ = ["Session", "utc_now"]


def utc_now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


class Session:
    """Lazily opened configuration, database and book, closed together."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = utc_now,
        *,
        book: str | None = None,
        make_book: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        self._env = env
        self.settings = settings  # --config, --db-url, --data-dir (None: neither)
        self._environment: tuple[dict[str, str], dict[str, str]] | None = None
        self._clock = clock
        self._book_name = book  # over INGOT_BOOK
        self._make_book = make_book  # the kind to make the book as when it is missing
        self._config: StorageConfig | None = None
        self._database: Database | None = None
        self._trading: TradingBook | None = None
        self._fresh_ids: set[str] = set()  # client ids this session made up: never used before

    def new_client_id(self) -> str:
        """A client id for an order the user gave none: fresh, so placing it needs no lookup
        of earlier orders (and works while PostgreSQL is out of reach)."""
        from uuid import uuid4

        client_id = f"cli-{uuid4().hex[:12]}"
        self._fresh_ids.add(client_id)
        return client_id

    @property
    def config(self) -> StorageConfig:
        """Configuration read from the environment on first use."""
        if self._config is None:
            from ingot_storage import StorageConfig

            config = StorageConfig.from_env(self.environment()[0])
            if self._book_name is not None:
                from dataclasses import replace

                from ingot_storage.config import book_problem
                from ingot_storage.errors import UnknownBook

                problem = book_problem(self._book_name)
                if problem is not None:
                    raise UnknownBook(problem)
                config = replace(config, book=self._book_name)
            self._config = config
        return self._config

    def environment(self) -> tuple[dict[str, str], dict[str, str]]:
        """The variables in effect (options, environment, configuration file) and where
        each came from."""
        if self._environment is None:  # read once: the config file is not read per question
            from ingot_storage.settings import Settings

            self._environment = (self.settings or Settings()).resolve(self._env)
        return self._environment

    @property
    def book_chosen(self) -> bool:
        """Whether this session's book was chosen (--book, INGOT_BOOK), not the default."""
        return self._book_name is not None or "INGOT_BOOK" in self.environment()[0]

    def for_book(self, name: str, make_book: str | None = None) -> Session:
        """A session of its own on book `name` (this one's environment and clock)."""
        return Session(self._env, self._clock, book=name, make_book=make_book,
                       settings=self.settings)  # fmt: skip

    def choose_book(self, name: str) -> None:
        """Work on book `name` from now on (before anything was opened)."""
        if self._database is not None and self.config.book != name:
            raise RuntimeError("a session's book is chosen before it opens the database")
        self._book_name, self._config = name, None

    def open_database(self, *, upgrade: bool = True) -> Database:
        """The database, opened on first use; `upgrade` brings a stale schema to head then."""
        if self._database is None:
            from ingot_storage import open_database
            from ingot_storage.config import MAIN_BOOK

            database = open_database(self.config, upgrade=upgrade)
            if database.book != MAIN_BOOK:  # main always exists
                from ingot_storage.ledger.books import ensure_book

                try:
                    ensure_book(database, self._make_book)
                except BaseException:
                    database.close()
                    raise
            self._database = database
        return self._database

    @property
    def trading(self) -> TradingBook:
        """The book as this process holds it (schema at head first)."""
        if self._trading is None:
            from ingot_storage.trading.startup import TradingBook

            database = self.open_database(upgrade=True)
            self._trading = TradingBook(
                database, self.config, self._clock, self._fresh_ids.__contains__
            )
        return self._trading

    @property
    def database(self) -> Database:
        """The database, started: schema at head and the book open."""
        self.trading.book  # noqa: B018 - opening the book is what "started" means
        return self.trading.database

    @property
    def book(self) -> Book:
        """The ledger, recovered from the database or bootstrapped in a fresh one."""
        return self.trading.book

    @property
    def spill_path(self) -> Path:
        """This database's spill file."""
        return self.trading.spill_path

    @property
    def engine(self) -> TradingEngine:
        """The trading engine over the book, its state restored, persisting through a worker."""
        return self.trading.engine

    @property
    def view(self) -> TradingView:
        """What a reading command shows: positions, resting orders, marks, NAV."""
        return self.trading.view

    @property
    def trading_engine(self) -> TradingEngine:
        """The engine, for a command that trades (places, cancels, marks, runs a strategy):
        checked, the book's lock taken (waiting up to INGOT_LOCK_WAIT_MS), leased and read
        again; kept until the session closes."""
        return self.trading.trading_engine

    def commit(self) -> FlushOutcome:
        """Wait until everything the engine emitted is committed (or spilled); BookTaken when
        another writer took the book, SpillError when PostgreSQL refused a batch."""
        if self._trading is None:
            return FlushOutcome.COMMITTED
        return self._trading.commit()

    @property
    def worker(self) -> StorageWorker | None:
        """The storage worker, once the engine started."""
        return None if self._trading is None else self._trading.worker

    @property
    def questdb(self) -> QuestDbMirror | None:
        """The QuestDB mirror for ticks and bars, when QUESTDB_ILP_ADDR is set."""
        return self.trading.questdb

    @property
    def audit(self) -> AuditTrail:
        """The audit trail of this session's database."""
        return self.trading.audit

    def close(self) -> None:
        """Leave the book in order (worker drained, snapshot, checkpoint, lock released),
        then release the database and server."""
        database, trading = self._database, self._trading
        self._database, self._trading = None, None
        if database is None:
            return
        try:
            if trading is not None:
                trading.close()
        finally:
            database.close()

"""One command line's (or one REPL's) view of Ingot: configuration, database and book.

Everything opens lazily, so `ingot --help` and bad flags never start a database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from ingot_storage.metrics import FlushOutcome

if TYPE_CHECKING:  # storage loads on first use, keeping `ingot --help` fast
    from ingot_core.accounting import Currency, Ledger
    from ingot_core.engine import Position, TradingEngine
    from ingot_core.execution import Order
    from ingot_core.symbols import Symbol
    from ingot_storage import Book, Database, StorageConfig
    from ingot_storage.audit_trail import AuditTrail
    from ingot_storage.questdb import QuestDbMirror
    from ingot_storage.trading_lock import TradingLock
    from ingot_storage.worker import StorageWorker

__all__ = ["Session", "TradingView", "utc_now"]


@dataclass(frozen=True)
class TradingView:
    """The book as reading commands show it.

    Attributes:
      mode: paper, shadow or live.
      ledger: the ledger.
      base_currency: what NAV is in.
      positions: each traded symbol's position.
      open_orders: the resting orders, oldest first.
      marks: each symbol's last recorded price.
    """

    mode: str
    ledger: Ledger
    base_currency: Currency
    positions: dict[Symbol, Position]
    open_orders: list[Order]
    marks: dict[Symbol, Decimal]

    def nav(self) -> Decimal:
        """NAV in the base currency at the marks (MissingMarks names any held without)."""
        code = self.base_currency.code
        marks = {s.base: p for s, p in self.marks.items() if s.quote == code}
        return self.ledger.nav(self.base_currency, marks)


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
    ) -> None:
        self._env = env
        self._clock = clock
        self._book_name = book  # over INGOT_BOOK
        self._make_book = make_book  # the kind to make the book as when it is missing
        self._config: StorageConfig | None = None
        self._database: Database | None = None
        self._book: Book | None = None
        self._audit: AuditTrail | None = None
        self._engine: TradingEngine | None = None
        self._worker: StorageWorker | None = None
        self._questdb: QuestDbMirror | None = None
        self._lock: TradingLock | None = None
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

            config = StorageConfig.from_env(self._env)
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

    @property
    def book_chosen(self) -> bool:
        """Whether this session's book was chosen (--book, INGOT_BOOK), not the default."""
        import os

        env = os.environ if self._env is None else self._env
        return self._book_name is not None or "INGOT_BOOK" in env

    def for_book(self, name: str, make_book: str | None = None) -> Session:
        """A session of its own on book `name` (this one's environment and clock)."""
        return Session(self._env, self._clock, book=name, make_book=make_book)

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
                from ingot_storage.books import ensure_book

                try:
                    ensure_book(database, self._make_book)
                except BaseException:
                    database.close()
                    raise
            self._database = database
        return self._database

    def _start(self) -> tuple[Database, Book]:
        # Start-up, the same for every command: schema at head, ledger recovered (or
        # bootstrapped and audited in a fresh database).
        from ingot_storage import open_book

        database = self.open_database(upgrade=True)
        if self._book is None:
            self._drain_spill(database)
            self._book = open_book(database, self.config, self._clock())
        return database, self._book

    def _drain_spill(self, database: Database) -> None:
        """Batches an earlier process spilled go in before recovery, in order; one that
        PostgreSQL refuses stops the start, named, with the way out."""
        spill = self.spill_path
        if not (spill.is_file() and spill.stat().st_size):
            return  # the usual start: nothing waits, and neither spill nor writer need load
        from ingot_core.errors import IngotError
        from ingot_storage.errors import DatabaseUnavailable, SpillError
        from ingot_storage.spill import SpillFile
        from ingot_storage.worker import drain_spill

        try:
            drain_spill(database.engine, self.spill_path)
        except DatabaseUnavailable:
            raise
        except IngotError as error:
            aside = SpillFile(self.spill_path).set_aside_path
            raise SpillError(
                f"the spill file {self.spill_path} holds a batch that cannot be written "
                f"({error}); the batches after it wait behind it. 'ingot db spill' shows "
                f"them; 'ingot db spill --set-aside' writes the rest and keeps such batches "
                f"in {aside}"
            ) from None

    @property
    def database(self) -> Database:
        """The database, started: schema at head and the book open."""
        return self._start()[0]

    @property
    def book(self) -> Book:
        """The ledger, recovered from the database or bootstrapped in a fresh one."""
        return self._start()[1]

    @property
    def spill_path(self) -> Path:
        """This database's spill file."""
        from ingot_storage.spill import spill_file_for

        return spill_file_for(self.config.data_dir, self.open_database(upgrade=True).files_label)

    @property
    def engine(self) -> TradingEngine:
        """The trading engine over the book, its state restored, persisting through a worker."""
        if self._engine is None:
            from ingot_core.engine import PaperExchange, RiskCaps, TradingEngine, TradingMode
            from ingot_storage.order_history import find_order, load_trading_state
            from ingot_storage.worker import StorageWorker

            database, book = self._start()
            config = self.config
            audit = self.audit
            worker = StorageWorker(
                database.engine,
                self.spill_path,
                batch_size=config.batch_size,
                flush_interval_ms=config.flush_interval_ms,
                group_commit_max=config.group_commit_max,
                # Checkpoints every N entries / T seconds of activity; shutdown adds one.
                after_commit=audit.after_commit,
                tick_mirror=None if self.questdb is None else self.questdb.send_ticks,
                epoch=None if self._lock is None else self._lock.epoch,
            )
            engine = TradingEngine(
                book.ledger,
                book.base_currency,
                sink=worker,
                mode=TradingMode(config.mode),
                caps=RiskCaps(
                    config.max_exposure, config.max_symbol_exposure, config.max_open_orders
                ),
                exchange=PaperExchange(config.fee_rate, config.slippage_bps),
                find_order=lambda client_id: self._find_order(find_order, client_id),
            )
            with database.connect() as conn:
                state = load_trading_state(
                    conn, None if book.state is None else book.state.positions
                )
            engine.restore(
                marks=state.marks,
                orders=state.orders,
                positions=state.positions,
            )
            self._worker, self._engine = worker.start(), engine
        return self._engine

    def _find_order(self, find: Callable[..., Order | None], client_id: str) -> Order | None:
        if client_id in self._fresh_ids:
            return None
        with self.database.connect() as conn:
            return find(conn, client_id)

    @property
    def view(self) -> TradingView:
        """What a reading command shows (positions, resting orders, marks, NAV): the engine's
        picture once this session trades, else read from the book without building one."""
        from ingot_storage.order_history import load_trading_state

        if self._engine is not None:
            e = self._engine
            return TradingView(e.mode.value, e.ledger, e.base_currency, dict(e.positions),
                               e.open_orders(), dict(e.marks))  # fmt: skip
        database, book = self._start()
        positions = None if book.state is None else book.state.positions
        with database.connect() as conn:
            state = load_trading_state(conn, positions)
        held = {p.symbol: p for p in state.positions}
        orders = sorted(state.open_orders, key=lambda o: o.submitted_at)
        return TradingView(self.config.mode, book.ledger, book.base_currency, held, orders,
                           state.marks)  # fmt: skip

    @property
    def trading_engine(self) -> TradingEngine:
        """The engine, for a command that trades (places, cancels, marks, runs a strategy).

        What the session will need later (the mode, the data directory, the signing key) is
        checked first. Then it takes the book's trading lock, waiting up to
        INGOT_LOCK_WAIT_MS for another process to let go, and keeps it until it closes. What
        an earlier holder left in the spill goes in under that holder's epoch; then the
        session takes the lease (a new epoch, its fencing token). What it read of the book
        before it held the lock is read again, as another process may have traded since.
        """
        if self._lock is None:
            from ingot_storage.preflight import check_before_trading
            from ingot_storage.trading_lock import TradingLock

            check_before_trading(self.config.mode, self.audit, self.spill_path)
            database = self.open_database(upgrade=True)
            self._lock = TradingLock.acquire(
                database,
                self.config.lock_wait_ms / 1000,
                before_lease=lambda: self._drain_spill(database),
            )
            worker, self._worker, self._engine, self._book = self._worker, None, None, None
            if worker is not None:
                worker.close()  # whatever it was given is written before the book is reread
        return self.engine

    def commit(self) -> FlushOutcome:
        """Wait until everything the engine emitted is committed (or spilled).

        Raises BookTaken when another writer took the book meanwhile: this session's engine
        is dropped with what it had not committed, and its next trading command takes the
        book again, from what is stored. Raises SpillError when PostgreSQL refused a batch:
        it waits in the spill, with everything after it, and nothing of it is done.
        """
        if self._worker is None:
            return FlushOutcome.COMMITTED
        outcome = self._worker.flush()
        taken = self._worker.fenced_error()
        if taken is not None:
            self._drop_trading()
            raise taken
        if outcome is FlushOutcome.REFUSED:
            from ingot_storage.errors import SpillError

            raise SpillError(
                f"PostgreSQL refused this session's events ({self._worker.refusal}); they wait, "
                f"in order, in {self._worker.spill.path}: 'ingot db spill' shows them, "
                "'ingot db spill --set-aside' keeps the refused batch aside and writes the rest"
            )
        return outcome

    def _drop_trading(self) -> None:
        """Let the engine, its worker and the lock go, after the book was taken."""
        worker, lock = self._worker, self._lock
        self._worker, self._engine, self._book, self._lock = None, None, None, None
        try:
            if worker is not None:
                worker.close()
        finally:
            if lock is not None:
                lock.release()

    @property
    def worker(self) -> StorageWorker | None:
        """The storage worker, once the engine started."""
        return self._worker

    @property
    def questdb(self) -> QuestDbMirror | None:
        """The QuestDB mirror for ticks and bars, when QUESTDB_ILP_ADDR is set."""
        if self._questdb is None and self.config.questdb_ilp_addr is not None:
            from ingot_storage.questdb import QuestDbMirror

            self._questdb = QuestDbMirror(self.config.questdb_ilp_addr, self.config.questdb_pg_url)
            self._questdb.ensure_tables()  # best effort: a warning when QuestDB is down
        return self._questdb

    @property
    def audit(self) -> AuditTrail:
        """The audit trail of this session's database."""
        if self._audit is None:
            from ingot_storage.audit_trail import AuditTrail

            self._audit = AuditTrail(self.database, self.config)
        return self._audit

    def close(self) -> None:
        """Checkpoint the audit log if it grew, then release the database and server."""
        database, book, audit = self._database, self._book, self._audit
        worker, questdb, lock = self._worker, self._questdb, self._lock
        self._database, self._book, self._audit = None, None, None
        self._engine, self._worker, self._questdb, self._lock = None, None, None, None
        if database is None:
            return
        try:
            if worker is not None:
                worker.close()  # drains: everything the engine emitted is written or spilled
            if questdb is not None:
                questdb.close()
            # Shutdown is one of the moments a checkpoint is taken (with N entries and T s);
            # only a started session (schema at head) has an audit log to sign.
            if book is not None:
                from ingot_storage.audit_trail import AuditTrail

                trail = audit or AuditTrail(database, self.config)
                trail.at_session_end(snapshot=worker is not None)
        finally:
            if lock is not None:
                lock.release()  # only now: everything this session traded is written
            database.close()

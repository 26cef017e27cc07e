"""A book as one process holds it: opened from storage, traded through an engine whose events
a storage worker writes, and left in order when the process lets go.

The rules of opening and closing live here, once, for every front end:

- Batches an earlier process spilled go in before the book is recovered, in order; one that
  PostgreSQL refuses stops the start, named, with the way out.
- A process that trades first checks what it will need later (the mode, the data directory,
  the signing key), then takes the book's trading lock; what an earlier holder left in the
  spill goes in under that holder's epoch, then the process takes the lease (its fencing
  token). Whatever it read of the book before it held the lock is read again, since another
  process may have traded meanwhile.
- The engine starts from the newest state snapshot and what came after it, and its events are
  written behind it by the storage worker (`ingot_storage.writer.worker`).
- Every `snapshot_every` audit entries the book's state is snapshotted; checkpoints follow
  their own cadence (`AuditTrail.after_commit`). Closing drains the worker, snapshots a book
  that traded, signs a checkpoint when the log grew, and only then lets go of the lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingot_storage.config import StorageConfig
from ingot_storage.db.database import Database
from ingot_storage.db.local_files import bytes_waiting, spill_file_for
from ingot_storage.writer.metrics import FlushOutcome

if TYPE_CHECKING:  # loaded on first use: a reading command builds no engine and no worker
    from ingot_core.accounting import Currency, Ledger
    from ingot_core.engine import Position, TradingEngine
    from ingot_core.execution import Order
    from ingot_core.symbols import Symbol
    from ingot_storage.audit.trail import AuditTrail
    from ingot_storage.ledger.book import Book
    from ingot_storage.market.questdb import QuestDbMirror
    from ingot_storage.tradelog.writer import TradeLogMetrics, TradeLogWriter
    from ingot_storage.trading.lock import TradingLock
    from ingot_storage.trading.published import MetricsPublisher
    from ingot_storage.writer.worker import StorageWorker

__all__ = ["TradingBook", "TradingView"]

_log = logging.getLogger(__name__)


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


class TradingBook:
    """One process's hold on the book of `database`, opened lazily and closed together.

    `is_fresh(client_id)` tells whether a client id was made up by this process (so placing
    its order needs no lookup of earlier ones, and works while PostgreSQL is out of reach).
    """

    def __init__(
        self,
        database: Database,
        config: StorageConfig,
        clock: Callable[[], datetime],
        is_fresh: Callable[[str], bool] = lambda client_id: False,
    ) -> None:
        self.database = database
        self.config = config
        self._clock = clock
        self._is_fresh = is_fresh
        self._book: Book | None = None
        self._audit: AuditTrail | None = None
        self._engine: TradingEngine | None = None
        self._worker: StorageWorker | None = None
        self._questdb: QuestDbMirror | None = None
        self._lock: TradingLock | None = None
        self._tradelog: TradeLogWriter | None = None
        self.publisher: MetricsPublisher | None = None  # while it trades (trading.published)
        self._unsnapshotted = 0  # audit entries this process wrote since its last snapshot

    @property
    def spill_path(self) -> Path:
        """This book's spill file."""
        return spill_file_for(self.config.data_dir, self.database.files_label)

    @property
    def book(self) -> Book:
        """The ledger, recovered (after what waits in the spill went in) or bootstrapped."""
        if self._book is None:
            from ingot_storage.ledger.book import open_book

            self._drain_spill()
            self._book = open_book(self.database, self.config, self._clock())
        return self._book

    def _drain_spill(self) -> None:
        if not bytes_waiting(self.spill_path):
            return  # the usual start: nothing waits, and neither spill nor writer need load
        from ingot_core.errors import IngotError
        from ingot_storage.errors import DatabaseUnavailable, SpillError
        from ingot_storage.writer.drain import drain_spill
        from ingot_storage.writer.spill import SpillFile

        try:
            drain_spill(self.database.engine, self.spill_path)
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
    def audit(self) -> AuditTrail:
        """The audit trail of the book (opened first: a fresh book's bootstrap is audited)."""
        if self._audit is None:
            from ingot_storage.audit.trail import AuditTrail

            self.book  # noqa: B018 - the book opens first: a fresh book's bootstrap is audited
            self._audit = AuditTrail(self.database, self.config)
        return self._audit

    @property
    def questdb(self) -> QuestDbMirror | None:
        """The QuestDB mirror for ticks and bars, when QUESTDB_ILP_ADDR is set."""
        if self._questdb is None and self.config.questdb_ilp_addr is not None:
            from ingot_storage.market.questdb import QuestDbMirror

            self._questdb = QuestDbMirror(self.config.questdb_ilp_addr, self.config.questdb_pg_url)
            self._questdb.ensure_tables()  # best effort: a warning when QuestDB is down
        return self._questdb

    @property
    def tradelog(self) -> TradeLogWriter:
        """The trade log's writer (seed 002), started on first use, its spill drained first."""
        if self._tradelog is None:
            from ingot_storage.db.local_files import tradelog_spill_for
            from ingot_storage.tradelog.writer import TradeLogWriter

            config = self.config
            spill = tradelog_spill_for(config.data_dir, self.database.identity)
            self._tradelog = TradeLogWriter(self.database.engine, spill,
                                            capacity=config.tradelog_queue,
                                            batch_size=config.tradelog_batch,
                                            flush_ms=config.tradelog_flush_ms)  # fmt: skip
        return self._tradelog

    def tradelog_status(self) -> tuple[TradeLogMetrics | None, int]:
        """The trade log writer's metrics (None: not started by this process) and the bytes
        its spill holds."""
        from ingot_storage.db.local_files import tradelog_spill_for

        spill = tradelog_spill_for(self.config.data_dir, self.database.identity)
        metrics = None if self._tradelog is None else self._tradelog.snapshot()
        return metrics, bytes_waiting(spill)

    @property
    def worker(self) -> StorageWorker | None:
        """The storage worker, once the engine started."""
        return self._worker

    @property
    def engine(self) -> TradingEngine:
        """The trading engine over the book, its state restored, persisting through a worker."""
        if self._engine is None:
            from ingot_core.engine import PaperExchange, RiskCaps, TradingEngine, TradingMode
            from ingot_core.tradelog.paper import PaperWire
            from ingot_storage.market.mirror import tick_mirror
            from ingot_storage.trading.orders import load_trading_state
            from ingot_storage.writer.worker import StorageWorker

            book, config = self.book, self.config
            trail = self.audit  # opened here, never by the worker's hook on its own thread
            worker = StorageWorker(
                self.database.engine,
                self.spill_path,
                batch_size=config.batch_size,
                flush_interval_ms=config.flush_interval_ms,
                group_commit_max=config.group_commit_max,
                after_commit=lambda appended: self._after_commit(trail, appended),
                tick_mirror=tick_mirror(self.questdb),
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
                find_order=self._find_order,
                booking=book.booking,
                wire=PaperWire(self.tradelog.emit, self.database.book),
            )
            with self.database.connect() as conn:
                state = load_trading_state(
                    conn, None if book.state is None else book.state.positions
                )
            engine.restore(marks=state.marks, orders=state.orders, positions=state.positions)
            self._worker, self._engine = worker.start(), engine
        return self._engine

    def _find_order(self, client_id: str) -> Order | None:
        if self._is_fresh(client_id):
            return None
        from ingot_storage.trading.orders import find_order

        with self.database.connect() as conn:
            return find_order(conn, client_id)

    def _after_commit(self, trail: AuditTrail, appended: int) -> None:
        """The worker's per-batch hook: a book snapshot every `snapshot_every` entries this
        process wrote, and the audit trail's checkpoint cadence."""
        moment = self._clock()
        self._unsnapshotted += appended
        if self._unsnapshotted >= self.config.snapshot_every:
            self.snapshot(moment)
        trail.after_commit(appended, moment)

    def snapshot(self, now: datetime | None = None) -> int:
        """Store the book's state as it stands (`ingot_storage.ledger.book_state`), unless the
        newest snapshot covers it; return its seq (0: none taken)."""
        from ingot_storage.ledger.book_state import take_book_snapshot

        self._unsnapshotted = 0
        with self.database.begin() as conn:
            return take_book_snapshot(conn, now=now)

    @property
    def view(self) -> TradingView:
        """What a reading command shows (positions, resting orders, marks, NAV): the engine's
        picture once this process trades, else read from the book without building one."""
        if self._engine is not None:
            e = self._engine
            return TradingView(e.mode.value, e.ledger, e.base_currency, dict(e.positions),
                               e.open_orders(), dict(e.marks))  # fmt: skip
        from ingot_storage.trading.orders import load_trading_state

        book = self.book
        positions = None if book.state is None else book.state.positions
        with self.database.connect() as conn:
            state = load_trading_state(conn, positions)
        held = {p.symbol: p for p in state.positions}
        orders = sorted(state.open_orders, key=lambda o: o.submitted_at)
        return TradingView(self.config.mode, book.ledger, book.base_currency, held, orders,
                           state.marks)  # fmt: skip

    @property
    def trading_engine(self) -> TradingEngine:
        """The engine, for a command that trades: checked, locked, leased and read again.

        The lock is waited for up to INGOT_LOCK_WAIT_MS and kept until `close`.
        """
        if self._lock is None:
            from ingot_storage.trading.lock import TradingLock
            from ingot_storage.trading.preflight import check_before_trading

            check_before_trading(self.config.mode, self.audit, self.spill_path)
            self._lock = TradingLock.acquire(
                self.database, self.config.lock_wait_ms / 1000, before_lease=self._drain_spill
            )
            worker, self._worker, self._engine, self._book = self._worker, None, None, None
            if worker is not None:
                worker.close()  # whatever it was given is written before the book is reread
            engine = self.engine
            from ingot_storage.trading.published import MetricsPublisher

            database, folder = self.database, self.config.data_dir  # others see it live
            publisher = MetricsPublisher(folder, database.book, database.identity, self.counters)
            self.publisher = publisher.start()
            return engine
        return self.engine

    def counters(self) -> dict[str, Any]:
        """This process's worker and trade log writer counters as data (`ingot status`, and
        what the publisher writes for other processes)."""
        m = self._worker.metrics() if self._worker is not None else None
        logged, spill = self.tradelog_status()
        return {
            "worker": None if m is None else {**m.__dict__, "mean_insert_ms": m.mean_insert_ms},
            "tradelog": {**(logged.__dict__ if logged is not None else {}), "spill_bytes": spill},
        }

    def commit(self) -> FlushOutcome:
        """Wait until everything the engine emitted is committed (or spilled).

        Raises BookTaken when another writer took the book meanwhile: the engine is dropped
        with what it had not committed, and the next trading command takes the book again,
        from what is stored. Raises SpillError when PostgreSQL refused a batch: it waits in
        the spill, with everything after it, and nothing of it is done.
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

            if self._worker.crashed is not None:
                raise SpillError(
                    f"the storage worker stopped ({self._worker.crashed}); what this session "
                    f"did not commit is in {self._worker.spill.path} as far as it could be "
                    "written: 'ingot db spill' shows it"
                )
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

    def close(self) -> None:
        """Drain the worker, snapshot a book that traded, checkpoint a log that grew, then
        let go of the lock. The database stays open: its owner closes it."""
        book, audit, worker = self._book, self._audit, self._worker
        questdb, lock, tradelog = self._questdb, self._lock, self._tradelog
        self._book, self._audit, self._engine, self._worker = None, None, None, None
        self._questdb, self._lock, self._tradelog = None, None, None
        publisher, self.publisher = self.publisher, None
        if publisher is not None:
            publisher.close()
        try:
            if worker is not None:
                worker.close()  # drains: everything the engine emitted is written or spilled
            if tradelog is not None:
                tradelog.close()
            if questdb is not None:
                questdb.close()
            if book is not None:  # only an opened book (schema at head) has a log to sign
                self._leave_behind(audit, traded=worker is not None)
        finally:
            if lock is not None:
                lock.release()  # only now: everything this process traded is written

    def _leave_behind(self, audit: AuditTrail | None, *, traded: bool) -> None:
        """A snapshot when the book traded (the next open folds in nothing it wrote), and a
        checkpoint when the log grew (shutdown is one of a checkpoint's moments).

        Neither may fail the session once its work is kept: a snapshot only saves the next
        open some work, and with PostgreSQL out of reach there is nothing new to sign (what
        the session traded waits in the spill); each failure is a warning.
        """
        from ingot_storage.audit.trail import AuditTrail
        from ingot_storage.errors import StorageError

        if traded:
            try:
                self.snapshot()
            except StorageError as error:
                _log.warning("no book snapshot taken: %s", error)
        (audit or AuditTrail(self.database, self.config)).at_session_end()

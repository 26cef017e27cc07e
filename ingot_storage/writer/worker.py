"""The storage worker: write-behind persistence of engine events that loses nothing.

One background thread takes events from the engine, batches them (STORAGE_BATCH_SIZE events
or STORAGE_FLUSH_INTERVAL_MS, whichever first) and writes each batch in ONE PostgreSQL
transaction: data rows and their audit entries together, through COPY (ingot_storage.db.copy).

- Group commit: the events that arrive while a batch is being written join the next one, up
  to STORAGE_GROUP_COMMIT_MAX events, so a burst costs a commit (and its flush to disk) per
  group rather than per STORAGE_BATCH_SIZE. A quiet stream is written as before.
- A unit whose audit payload has no canonical form (a NaN) is refused in a batch of its own,
  so it never takes the events gathered before it down with it.
- Financial events go through a bounded queue: when it is full, `emit` blocks the engine
  rather than drop one. Ticks go to a ring buffer that drops the oldest, counted and logged.
- `flush()` is a barrier: it returns once everything emitted before it is committed (or,
  during an outage, fsync'd to the spill file).
- When PostgreSQL is unreachable, batches are appended to the spill file and retried with
  exponential backoff; once spilling, every later batch goes behind them, so order holds.
  At start-up the spill drains first, before anything new.
- Every write is idempotent on natural keys, so a batch replayed after a crash never
  duplicates a row or an audit entry.
- A worker that writes for the holder of the book's lease carries its epoch: every batch
  checks it in its transaction, spilled batches keep it, and once another writer has taken
  the book (BookTaken) nothing more is written, spilled or retried. What was not committed
  is counted and named in the error every later flush returns.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from ingot_core.audit import AuditEntry
from ingot_core.engine import StorageEvent, TickReceived, is_financial
from ingot_core.errors import IngotError
from ingot_core.feed import Ticker
from ingot_storage.config import StorageConfig
from ingot_storage.db.copy import working_while_waiting
from ingot_storage.errors import BookTaken, DatabaseUnavailable, SpillError, StorageError, db_errors
from ingot_storage.writer.batch import PreparedBatch, prepare_events, write_events
from ingot_storage.writer.crash import keep_after_crash
from ingot_storage.writer.lost_work import LostWork
from ingot_storage.writer.metrics import FlushOutcome, WorkerMetrics
from ingot_storage.writer.pending import STOP, Barrier, PendingBatch, answer
from ingot_storage.writer.spill import SpilledBatch, SpillFile
from ingot_storage.writer.ticks import TickBuffer

__all__ = ["FlushOutcome", "StorageWorker", "WorkerMetrics"]

_log = logging.getLogger(__name__)
_ALIVE_CHECK_S = 0.5  # how often a waiting flush looks whether the thread still runs


class StorageWorker:
    """Persists engine events in the background; implements the engine's StorageSink."""

    def __init__(
        self,
        engine: Engine,
        spill_path: Path,
        *,
        batch_size: int = StorageConfig.batch_size,
        flush_interval_ms: int = StorageConfig.flush_interval_ms,
        group_commit_max: int = StorageConfig.group_commit_max,
        queue_capacity: int = 10_000,
        tick_capacity: int = 10_000,
        actor: str = "engine",
        max_backoff_s: float = 30.0,
        after_commit: Callable[[int], object] | None = None,
        tick_mirror: Callable[[list[Ticker]], object] | None = None,
        epoch: int | None = None,
    ) -> None:
        self._engine = engine
        self._conn: Connection | None = None  # the worker's own, held between batches
        self.spill = SpillFile(spill_path)
        self.batch_size = batch_size
        self.group_commit_max = max(batch_size, group_commit_max)
        self.interval = flush_interval_ms / 1000
        self.actor = actor
        self.max_backoff = max_backoff_s
        # Called on the worker thread after each committed batch with the number of audit
        # entries it appended (checkpoints every N entries or T seconds); its failures are
        # logged and never lose a batch.
        self._after_commit = after_commit
        # Ticks PostgreSQL has committed go on to QuestDB (best effort), when one is set.
        self._tick_mirror = tick_mirror
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_capacity)
        self._ticks = TickBuffer(tick_capacity)
        self._metrics = WorkerMetrics()
        self._backoff = 0.1
        self._next_retry = 0.0
        self._next: PendingBatch | None = None  # gathered while the batch before it is written
        self._held: list[StorageEvent] | None = None  # a refused unit, to go alone next
        # The lease epoch this worker writes under (None: unfenced), and once the book was
        # taken from it, why, with the operations that were never committed.
        self.epoch = epoch
        self.fenced: BookTaken | None = None
        # Why the head of the spill cannot be written, when PostgreSQL refuses it (None: it
        # is only unreachable, or nothing is spilled).
        self.refusal: str | None = None
        self._lost = LostWork()
        # Set when the thread met an error no rule covers (a bug): from then on it only
        # spills what it is given and answers every flush REFUSED, with this as the reason.
        self.crashed: str | None = None
        self._current: PendingBatch | None = None  # the batch being gathered or written
        self._thread = threading.Thread(target=self._run, name="ingot-storage", daemon=True)
        self._started = False

    # -- the engine's side ----------------------------------------------------------------

    def start(self) -> StorageWorker:
        """Start the thread; any spilled batches are written before anything new."""
        self._started = True
        self._thread.start()
        return self

    def emit(self, events: Sequence[StorageEvent]) -> None:
        """Accept one operation's events, to be committed together.

        The financial ones go in as one unit (blocking while the queue is full); ticks go to
        the drop-oldest buffer.
        """
        unit = [e for e in events if is_financial(e)]
        for event in events:
            if isinstance(event, TickReceived):
                self._metrics.dropped_ticks += self._ticks.add(event)
        if unit:
            self._put(unit)

    def _put(self, item: object) -> None:
        # Blocks while the queue is full, but never on a thread that is gone.
        while True:
            try:
                self._queue.put(item, timeout=_ALIVE_CHECK_S)
                return
            except queue.Full:
                self._check_alive()

    def _check_alive(self) -> None:
        if self._started and not self._thread.is_alive():
            raise StorageError(
                f"the storage worker has stopped ({self.crashed or 'no reason given'}); "
                f"what it was given waits in {self.spill.path}"
            )

    def flush(self, timeout: float | None = None) -> FlushOutcome:
        """Wait until every event emitted so far is committed (or spilled, during an outage)."""
        barrier = Barrier()
        self._put(barrier)
        deadline = None if timeout is None else time.monotonic() + timeout
        while not barrier.done.wait(_ALIVE_CHECK_S):
            self._check_alive()  # a thread that is gone never answers: say so, never hang
            if deadline is not None and time.monotonic() >= deadline:
                raise StorageError(f"storage did not flush within {timeout} s")
        return barrier.outcome

    def close(self, timeout: float | None = None) -> None:
        """Drain everything, then stop the thread."""
        if not self._started:
            return
        with contextlib.suppress(StorageError):  # a thread that is gone needs no stop
            self._put(STOP)
        self._thread.join(timeout)
        self._started = False

    def metrics(self) -> WorkerMetrics:
        """A snapshot of the counters."""
        m, ahead = self._metrics, self._next
        # Waiting to be written: in the queue, or already gathered for the next batch.
        depth = self._queue.qsize() + (ahead.units if ahead is not None else 0)
        now = {"queue_depth": depth, "spill_bytes": self.spill.size(),
               "latency_counts": list(m.latency_counts)}  # fmt: skip
        return WorkerMetrics(**{**m.__dict__, **now})

    # -- the worker thread ----------------------------------------------------------------

    def _collect(self) -> PendingBatch:
        """The next batch: what was gathered while the last one was written, then more from
        the queue until it is full, closed, or its interval has run out."""
        pending, self._next = self._next or self._new_pending(), None
        self._current = pending
        deadline = pending.started + self.interval
        while len(pending.batch) < self.batch_size and not pending.closed:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                break
            try:
                self._take(pending, self._queue.get(timeout=timeout))
            except queue.Empty:
                break
        return pending

    def _gather_next(self) -> bool:
        """One short step of work on the next batch, run while the server works on this
        one: take one item off the queue and prepare its events. False when there is none
        waiting, or the next batch is closed or holds STORAGE_GROUP_COMMIT_MAX events (it
        may pass STORAGE_BATCH_SIZE: what arrives during a commit joins the next one)."""
        pending = self._next
        if pending is None:
            pending = self._next = self._new_pending()
        if pending.closed or len(pending.batch) >= self.group_commit_max:
            return False
        try:
            self._take(pending, self._queue.get_nowait())
        except queue.Empty:
            return False
        return True

    def _new_pending(self) -> PendingBatch:
        pending = PendingBatch(self.actor)
        held, self._held = self._held, None
        if held is not None:
            pending.take(held)  # alone, and ahead of everything that came after it
        return pending

    def _take(self, pending: PendingBatch, item: object) -> None:
        held = pending.take(item)
        if held is not None:
            self._held = held

    def _run(self) -> None:
        try:
            self._serve()
        # The thread's outermost frame, the one place an error of any kind is caught: it is
        # a bug (every expected failure is handled below), so it is logged with its
        # traceback, everything given to the worker is spilled, and every flush says so.
        except Exception as error:
            if isinstance(error, SpillError):  # the spill cannot be written: disk full
                _log.error("%s; the storage worker stops", error)
            else:
                _log.exception("the storage worker met an error it has no rule for")
            self._release_connection()
            self._after_crash(error)

    def _after_crash(self, error: Exception) -> None:
        self.crashed = self.refusal = f"{type(error).__name__}: {error}"
        self._metrics.errors += 1
        self._metrics.last_error = self.crashed
        gathered = [p for p in (self._current, self._next) if p is not None]
        self._current = self._next = None
        keep_after_crash(gathered, self._queue, self.spill, self.epoch)

    def _serve(self) -> None:
        stop = False
        while not stop:
            pending = self._collect()
            stop = pending.stop
            pending.batch.add(self._ticks.take())
            outcome = self._persist(pending.batch) if pending.batch else self._retry_spill()
            self._current = None
            answer(pending.barriers, outcome)
        # Leave nothing behind: whatever is still spilled gets one last try.
        self._retry_spill(force=True)
        self._release_connection()

    def _connection(self) -> Connection:
        # Held from batch to batch: a checkout per batch would cost a ping and a reset, two
        # round trips more than the batch itself needs. Dropped on any error, so the next
        # batch starts on a fresh one.
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect()
        return self._conn

    def _write_on_connection(self, batch: PreparedBatch) -> list[AuditEntry]:
        try:
            with db_errors():
                conn = self._connection()
                with working_while_waiting(conn, self._gather_next), conn.begin():
                    return write_events(conn, batch, epoch=self.epoch)
        except BaseException:
            self._release_connection()
            raise

    def _release_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # a broken link may refuse even to close
                conn.close()

    def _write(self, batch: PreparedBatch) -> None:
        started = time.perf_counter()
        held = self._conn is not None
        try:
            written = self._write_on_connection(batch)
        except DatabaseUnavailable:
            if not held:
                raise
            # The connection kept since the last batch may have died with a server restart
            # in between (the pool's ping used to catch that): one more try on a new one.
            written = self._write_on_connection(batch)
        events = batch.events
        elapsed = (time.perf_counter() - started) * 1000
        m = self._metrics
        m.batches += 1
        m.rows += len(events)
        m.audit_entries += len(written)
        m.last_insert_ms = elapsed
        m.max_insert_ms = max(m.max_insert_ms, elapsed)
        m.insert_ms_total += elapsed
        m.observe_latency(elapsed)
        if self._tick_mirror is not None:
            mirrored = [e.ticker for e in events if isinstance(e, TickReceived)]
            if mirrored:
                self._tick_mirror(mirrored)
        if self._after_commit is not None:
            try:
                self._after_commit(len(written))
            except StorageError as error:
                m.errors += 1
                m.last_error = f"after commit: {error}"
                _log.warning("after-commit step failed: %s", error)

    def _spill_batch(self, events: list[StorageEvent], error: Exception) -> FlushOutcome:
        self.spill.append(events, self.epoch)
        self._metrics.spilled_batches += 1
        self._metrics.errors += 1
        self._metrics.last_error = str(error)
        self._next_retry = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self.max_backoff)
        if isinstance(error, DatabaseUnavailable):
            where = self.spill.path
            _log.warning("PostgreSQL unreachable; batch of %d spilled to %s", len(events), where)
            return FlushOutcome.SPILLED
        _log.error("batch refused (%s); kept in %s", error, self.spill.path)
        self.refusal = str(error)
        return FlushOutcome.REFUSED

    def _waiting(self) -> FlushOutcome:
        """What a batch that waits in the spill came to: refused, or not written yet."""
        return FlushOutcome.SPILLED if self.refusal is None else FlushOutcome.REFUSED

    def _drain_spill(self) -> bool:
        def write(batch: SpilledBatch) -> None:
            if batch.epoch != self.epoch:  # another writer's: written only under its epoch
                with db_errors(), self._engine.begin() as conn:
                    write_events(conn, batch.events, self.actor, epoch=batch.epoch)
                return
            self._write(prepare_events(batch.events, self.actor))

        try:
            self.spill.drain(write)
        except (StorageError, IngotError) as error:
            self._metrics.errors += 1
            self._metrics.last_error = str(error)
            self.refusal = None if isinstance(error, DatabaseUnavailable) else str(error)
            self._next_retry = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, self.max_backoff)
            return False
        self._backoff, self.refusal = 0.1, None
        return True

    def _retry_spill(self, force: bool = False) -> FlushOutcome:
        if not self.spill.size():
            return FlushOutcome.COMMITTED
        if (force or time.monotonic() >= self._next_retry) and self._drain_spill():
            return FlushOutcome.COMMITTED
        return self._waiting()

    def _persist(self, batch: PreparedBatch) -> FlushOutcome:
        events = batch.events
        if self.fenced is not None:
            return self._lose(events, self.fenced)
        if self.spill.size() and not self._drain_spill():
            # Still down (or refused): queue behind what is already spilled, so order holds.
            self.spill.append(events, self.epoch)
            self._metrics.spilled_batches += 1
            return self._waiting()
        try:
            self._write(batch)
        except BookTaken as taken:
            self.fenced = taken
            # The command that waits for this batch reports it, as its one error line.
            _log.debug("fenced: %s; this batch and every later one is not written", taken)
            return self._lose(events, taken)
        except (StorageError, IngotError) as error:  # IngotError: a payload with no JSON form
            return self._spill_batch(events, error)
        return FlushOutcome.COMMITTED

    def _lose(self, events: list[StorageEvent], taken: BookTaken) -> FlushOutcome:
        """Count a batch that will never be written: another writer took the book."""
        self._lost.add(events)
        self._metrics.errors += 1
        self._metrics.last_error = str(taken)
        return FlushOutcome.FENCED

    def fenced_error(self) -> BookTaken | None:
        """Why this worker writes nothing more, with what it never committed; None while
        it holds the book."""
        return None if self.fenced is None else self._lost.error(self.fenced)

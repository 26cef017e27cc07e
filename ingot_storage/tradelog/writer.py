"""The trade log's writer (seed 002's ingestion): producers never wait, a worker batches.

- `emit` appends to a bounded queue and returns: on overflow the oldest event goes, counted,
  with one warning per burst (seed 002's drop-oldest answer), so trading never waits on the
  log. It costs a lock and a deque append.
- A worker thread takes batches of up to `batch_size` events, or what came within
  `flush_ms` of the first, and writes each in one transaction by COPY, making the day's
  partition first when it is new.
- A batch it cannot write goes to the trade log's spill (a local JSONL file, fsync'd), and
  the worker retries with exponential backoff; while the spill holds batches, new ones join
  it behind them, so the table gets them in order. The spill is drained first at every start.
  A crash between a drained batch's commit and its removal from the spill writes it twice;
  nothing is ever lost.

Hand-written rather than a queue library: the behaviour (drop-oldest with a count, a
time-or-size batch, spill-behind ordering) is the contract seed 002 states, in 200 lines.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ingot_core.errors import IngotError
from ingot_core.tradelog.events import TradeLogEvent
from ingot_storage.db.copy import copy_rows
from ingot_storage.db.jsonl import JsonlFile, complete_lines
from ingot_storage.db.locks import TRADELOG_PARTITION_LOCK
from ingot_storage.db.tables import tradelog
from ingot_storage.errors import DatabaseUnavailable, SpillError, StorageError, db_errors
from ingot_storage.tradelog.rows import (
    COLUMNS,
    day_bounds_us,
    day_start_us,
    event_from_line,
    event_line,
    row_of,
)

__all__ = ["TradeLogMetrics", "TradeLogSpill", "TradeLogWriter", "write_batch"]

_log = logging.getLogger(__name__)


def ensure_partitions(
    conn: Connection, events: Sequence[TradeLogEvent], known: set[str]
) -> list[str]:
    """Make the daily partitions `events` fall in that are not in `known`, in the caller's
    transaction; return their names (known only once that transaction commits)."""
    days = [day_bounds_us(start) for start in {day_start_us(e.local_ts_us) for e in events}]
    missing = sorted(d for d in days if d[2] not in known)
    if not missing:
        return []
    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(TRADELOG_PARTITION_LOCK)))
    for start, _, _ in missing:  # the owner's function: the application role owns nothing
        conn.execute(sa.select(sa.func.public.ingot_tradelog_partition(start)))
    return [d[2] for d in missing]


def write_batch(
    engine: Engine, events: Sequence[TradeLogEvent], known: set[str], checked: bool = False
) -> None:
    """Write `events` in one transaction (storage errors raised, nothing written); `checked`
    parses every body first, so a producer's body that is not JSON cannot fail the batch."""
    with db_errors(), engine.begin() as conn:
        made = ensure_partitions(conn, events, known)
        copy_rows(conn, tradelog, COLUMNS, (row_of(e, checked) for e in events))
    known.update(made)


class TradeLogSpill(JsonlFile):
    """The batches not written yet, one JSON line each, oldest first."""

    def append(self, events: Sequence[TradeLogEvent]) -> None:
        """Keep one batch, durably."""
        line = json.dumps([event_line(e) for e in events], separators=(",", ":"))
        self.append_lines(line.encode("utf-8"))

    @property
    def set_aside_path(self) -> Path:
        """Where a batch PostgreSQL refuses (for anything but being out of reach) is kept."""
        return self.path.with_name(f"{self.path.stem}.set-aside.jsonl")

    def set_aside(self, line: bytes, error: Exception) -> None:
        """Keep a refused batch apart, with the reason: it must not hold up the rest."""
        note = json.dumps({"reason": str(error)}).encode("utf-8")
        JsonlFile(self.set_aside_path).append_lines(note, line)
        _log.error("trade log batch refused by PostgreSQL (%s): kept in %s", error,
                   self.set_aside_path)  # fmt: skip

    def drain(self, engine: Engine, known: set[str]) -> int:
        """Write every batch in order, taking each out once committed; return how many. A
        line that cannot be read stops it (SpillError), left where it is; a batch refused
        for its content is set aside and the drain goes on."""
        if not self.path.exists() or not self.path.stat().st_size:
            return 0
        written = 0
        with self.locked() as fd:
            lines = complete_lines(fd)
            try:
                for number, line in enumerate(lines, 1):
                    try:
                        events = [event_from_line(d) for d in json.loads(line)]
                    except (ValueError, KeyError, TypeError) as error:
                        problem = f"{type(error).__name__}: {error}"
                        raise SpillError(
                            f"{self.path}, batch {number}: cannot be read ({problem})"
                        ) from None
                    try:
                        write_batch(engine, events, known, checked=True)
                    except DatabaseUnavailable:
                        raise
                    except StorageError as error:
                        self.set_aside(line, error)
                    written += 1
            finally:
                self.keep(fd, lines, written)
        return written


@dataclass
class TradeLogMetrics:
    """What the trade log's writer has done (seed 002's metrics).

    Attributes:
      queued: events waiting in the queue now; capacity: its bound.
      enqueued, dropped: events emitted, and dropped on overflow, since start.
      batches, rows: batches and rows committed; last_batch, max_batch: their sizes.
      spilled: batches written to the spill; errors: failed writes.
      last_insert_ms: how long the last committed batch took.
    """

    queued: int = 0
    capacity: int = 0
    enqueued: int = 0
    dropped: int = 0
    batches: int = 0
    rows: int = 0
    last_batch: int = 0
    max_batch: int = 0
    spilled: int = 0
    errors: int = 0
    last_insert_ms: float = 0.0


class TradeLogWriter:
    """A bounded queue and the worker that empties it into the tradelog table."""

    def __init__(
        self,
        engine: Engine,
        spill_path: Path,
        *,
        capacity: int = 100_000,
        batch_size: int = 1000,
        flush_ms: int = 50,
        backoff_s: float = 0.1,
        backoff_max_s: float = 5.0,
    ) -> None:
        self._engine = engine
        self.spill = TradeLogSpill(spill_path)
        self._queue: deque[TradeLogEvent] = deque()
        self._capacity, self._batch, self._flush_s = capacity, batch_size, flush_ms / 1000
        self._backoff, self._backoff_max = backoff_s, backoff_max_s
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._stop = False
        self._known: set[str] = set()
        self._burst = False  # dropping now: warned once until the queue has room again
        self.metrics = TradeLogMetrics(capacity=capacity)
        self._thread = threading.Thread(target=self._run, name="ingot-tradelog", daemon=True)
        self._thread.start()

    def emit(self, event: TradeLogEvent) -> None:
        """Queue `event`; never waits. A full queue drops its oldest event."""
        with self._lock:
            if len(self._queue) >= self._capacity:
                self._queue.popleft()
                self.metrics.dropped += 1
                if not self._burst:
                    self._burst = True
                    _log.warning("trade log queue full (%d): dropping the oldest events",
                                 self._capacity)  # fmt: skip
            elif self._burst and len(self._queue) < self._capacity // 2:
                self._burst = False
            self._queue.append(event)
            self.metrics.enqueued += 1
        self._wake.set()

    def close(self, timeout_s: float = 30.0) -> None:
        """Write (or spill) everything queued, then stop the worker."""
        self._stop = True
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout_s)

    def snapshot(self) -> TradeLogMetrics:
        """The metrics as they stand."""
        with self._lock:
            self.metrics.queued = len(self._queue)
            return TradeLogMetrics(**self.metrics.__dict__)

    # -- the worker -------------------------------------------------------------------------

    def _take(self) -> list[TradeLogEvent]:
        with self._lock:
            count = min(len(self._queue), self._batch)
            return [self._queue.popleft() for _ in range(count)]

    def _run(self) -> None:
        retry_at, delay = 0.0, self._backoff
        pending = bool(self.spill.path.exists() and self.spill.path.stat().st_size)
        while True:
            if not self._queue and not self._stop:
                self._wake.wait(self._backoff_max if pending else None)
                self._wake.clear()
            if self._queue and len(self._queue) < self._batch and not self._stop:
                self._stopping.wait(self._flush_s)  # let a batch gather (not when closing)
            if pending and time.monotonic() >= retry_at:
                pending, delay, retry_at = self._drain(delay)
            batch = self._take()
            if batch:
                if pending:
                    self._spill(batch)
                else:
                    pending = not self._write(batch)
                    if pending:
                        retry_at, delay = time.monotonic() + delay, self._backoff
            if self._stop and not self._queue:
                if pending:
                    self._drain(delay)
                return

    def _drain(self, delay: float) -> tuple[bool, float, float]:
        """Try the spill; (still pending, next delay, when to try next)."""
        try:
            self.spill.drain(self._engine, self._known)
        except (IngotError, OSError) as error:
            self.metrics.errors += 1
            _log.warning("trade log spill not written yet (%s); retrying in %.1fs", error, delay)
            later = min(delay * 2, self._backoff_max)
            return True, later, time.monotonic() + delay
        return False, self._backoff, 0.0

    def _write(self, batch: list[TradeLogEvent]) -> bool:
        started = time.perf_counter()
        try:
            try:
                write_batch(self._engine, batch, self._known)
            except DatabaseUnavailable:
                raise
            except StorageError:  # refused for its content: again, every body checked
                write_batch(self._engine, batch, self._known, checked=True)
        except StorageError as error:
            self.metrics.errors += 1
            _log.warning("trade log batch of %d not written (%s); spilled", len(batch), error)
            self._spill(batch)
            return False
        m = self.metrics
        m.batches, m.rows, m.last_batch = m.batches + 1, m.rows + len(batch), len(batch)
        m.max_batch, m.last_insert_ms = max(m.max_batch, len(batch)), (
            time.perf_counter() - started) * 1000  # fmt: skip
        return True

    def _spill(self, batch: list[TradeLogEvent]) -> None:
        try:
            self.spill.append(batch)
        except OSError as error:  # the disk too: nothing left to keep them in
            self.metrics.dropped += len(batch)
            _log.error("trade log: %d events lost, the spill cannot be written: %s",
                       len(batch), error)  # fmt: skip
            return
        self.metrics.spilled += 1

"""The spill file: batches that could not reach PostgreSQL, kept on local disk, in order.

Each line is one batch of engine events as JSON, appended and fsync'd before the worker
moves on, so a batch told to the user as done survives a database outage and a crash.
On the next chance (and at start-up) the batches are written back in order; writes are
idempotent, so a batch replayed twice is written once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingot_core.engine import StorageEvent
from ingot_core.errors import IngotError
from ingot_storage.db.jsonl import JsonlFile, complete_lines
from ingot_storage.db.local_files import bytes_waiting
from ingot_storage.errors import BookTaken, DatabaseUnavailable, SpillError
from ingot_storage.writer.codec import decode_event, encode_event

__all__ = ["DrainResult", "SpillFile", "SpilledBatch"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpilledBatch:
    """One batch as it waits in the spill.

    Attributes:
      events: the engine events, in order.
      epoch: the lease epoch of the writer that spilled it (None: written unfenced, or by
        a release before batches carried one).
    """

    events: list[StorageEvent]
    epoch: int | None


@dataclass(frozen=True)
class DrainResult:
    """What a drain did.

    Attributes:
      written: batches written to PostgreSQL (or found already there) and taken out.
      set_aside: batches moved to the set-aside file instead.
    """

    written: int = 0
    set_aside: int = 0


class SpillFile(JsonlFile):
    """Append-only JSONL of event batches, fsync'd on every append.

    Every access holds an exclusive lock on the file (flock), so two processes of one book
    never interleave their lines, and a drain never truncates a batch appended while it ran.
    A line is a batch only once its newline is written: an unfinished last line is a write
    cut off by a crash, never acknowledged, and is cut away before the next append (it would
    otherwise run into the next batch's line). Any other line that cannot be read is an error,
    never skipped.
    """

    @property
    def set_aside_path(self) -> Path:
        """Where `drain(..., set_aside=True)` keeps the batches PostgreSQL refuses."""
        return self.path.with_name(f"{self.path.stem}.set-aside.jsonl")

    def append(self, batch: Sequence[StorageEvent], epoch: int | None = None) -> None:
        """Write one batch durably, with the lease epoch of the writer that made it;
        SpillError when the file cannot be written (a full disk)."""
        events = [encode_event(e) for e in batch]
        line = json.dumps({"epoch": epoch, "events": events}, separators=(",", ":"))
        try:
            self.append_lines(line.encode("utf-8"))
        except OSError as error:
            raise SpillError(f"the spill file {self.path} cannot be written "
                             f"({error.strerror or error})") from None  # fmt: skip

    def batches(self) -> list[SpilledBatch]:
        """Every spilled batch, oldest first."""
        if not self.path.exists():
            return []
        with self.locked() as fd:
            lines = complete_lines(fd)
        return [self._decode(line, number) for number, line in enumerate(lines, 1)]

    def drain(
        self, write: Callable[[SpilledBatch], object], *, set_aside: bool = False
    ) -> DrainResult:
        """Write every batch in order with `write`, taking each out of the spill once written.

        A batch that cannot be read, or that `write` refuses (anything but PostgreSQL being
        unreachable), stops the drain and is raised, left at the head of the spill so that
        nothing after it is written out of order. With `set_aside`, it is appended to
        `set_aside_path` instead (kept, never deleted) and the drain goes on. A batch of a
        writer that has lost the book since (BookTaken) is always set aside, with a report:
        applying it now would write over a book another writer has traded meanwhile.
        """
        if not self.size():
            return DrainResult()
        written = moved = 0
        with self.locked() as fd:
            lines = complete_lines(fd)
            try:
                for number, line in enumerate(lines, 1):
                    try:
                        write(self._decode(line, number))
                    except DatabaseUnavailable:
                        raise
                    except IngotError as error:
                        if not set_aside and not isinstance(error, BookTaken):
                            raise
                        self._set_aside(line, error)
                        moved += 1
                    else:
                        written += 1
            finally:
                self.keep(fd, lines, written + moved)
                if written:
                    _log.info("%d spilled batches written to PostgreSQL", written)
        return DrainResult(written, moved)

    def size(self) -> int:
        """Bytes waiting in the spill."""
        return bytes_waiting(self.path)

    def _decode(self, line: bytes, number: int) -> SpilledBatch:
        try:
            data = json.loads(line)
            if isinstance(data, list):  # written before batches carried their epoch
                return SpilledBatch([decode_event(d) for d in data], None)
            epoch = data["epoch"]
            if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int)):
                raise TypeError(f"epoch {epoch!r} is not a whole number")
            return SpilledBatch([decode_event(d) for d in data["events"]], epoch)
        except (ValueError, KeyError, TypeError) as error:
            raise SpillError(
                f"{self.path}, batch {number}: cannot be read ({type(error).__name__}: {error})"
            ) from None

    def _set_aside(self, line: bytes, error: Exception) -> None:
        aside = SpillFile(self.set_aside_path)
        note = json.dumps({"set_aside_at": datetime.now(UTC).isoformat(), "reason": str(error)})
        aside.append_lines(note.encode("utf-8"), line)
        _log.warning("spilled batch set aside in %s: %s", aside.path, error)

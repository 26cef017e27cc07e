"""The batch the storage worker is gathering, and what its queue carries besides events:
flush barriers (someone waits for a commit) and the stop."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ingot_core.engine import StorageEvent
from ingot_storage.writer.batch import PreparedBatch
from ingot_storage.writer.metrics import FlushOutcome

__all__ = ["STOP", "Barrier", "PendingBatch", "answer"]


@dataclass
class Barrier:
    """A flush: set once everything queued before it is committed, with where it went."""

    done: threading.Event = field(default_factory=threading.Event)
    outcome: FlushOutcome = FlushOutcome.COMMITTED


def answer(barriers: list[Barrier], outcome: FlushOutcome) -> None:
    """Tell everyone waiting on `barriers` that their events came to `outcome`."""
    for barrier in barriers:
        barrier.outcome = outcome
        barrier.done.set()


STOP = object()  # the worker's last item: write what is gathered, then end


class PendingBatch:
    """The batch being gathered, its events prepared as they come, and what else the queue
    said: flush barriers, and the stop. A barrier or the stop closes it (write it now)."""

    def __init__(self, actor: str) -> None:
        self.batch = PreparedBatch(actor)
        self.barriers: list[Barrier] = []
        self.stop = False
        self.closed = False
        self.started = time.monotonic()
        self.units = 0  # operations taken in

    def take(self, item: object) -> list[StorageEvent] | None:
        """Take the next item off the queue; a unit this batch would be refused for is
        handed back, closing it, to head the next batch alone."""
        if item is STOP:
            self.stop = self.closed = True
        elif isinstance(item, Barrier):
            self.barriers.append(item)
            self.closed = True  # someone is waiting: write now
        elif isinstance(item, list):  # one operation's events, never split across batches
            if not self.batch.add(item):
                self.closed = True
                return item
            self.units += 1
            if self.batch.error is not None:
                self.closed = True  # refused as it stands: nothing more joins it
        return None

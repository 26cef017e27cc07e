"""What a storage worker does once it met an error no rule covers (a bug, not an outage).

It keeps everything it was given: what it had gathered, then each operation still queued or
still to come, goes to the spill file in order, and every flush is answered REFUSED, so the
command waiting on it reports the error and exits instead of waiting forever. The spill is
written again at the next start (or shown by `ingot db spill`).
"""

from __future__ import annotations

import logging
import queue

from ingot_core.engine import StorageEvent, is_financial
from ingot_core.errors import IngotError
from ingot_storage.writer.metrics import FlushOutcome
from ingot_storage.writer.pending import STOP, Barrier, PendingBatch, answer
from ingot_storage.writer.spill import SpillFile

__all__ = ["keep_after_crash"]

_log = logging.getLogger(__name__)


def keep_after_crash(
    gathered: list[PendingBatch], waiting: queue.Queue[object], spill: SpillFile, epoch: int | None
) -> None:
    """Spill the `gathered` batches, then everything `waiting` brings until the stop,
    answering each flush REFUSED."""
    for pending in gathered:
        _spill(spill, pending.batch.events, epoch)
        answer(pending.barriers, FlushOutcome.REFUSED)
    while True:
        item = waiting.get()
        if isinstance(item, list):
            _spill(spill, item, epoch)
        elif isinstance(item, Barrier):
            answer([item], FlushOutcome.REFUSED)
        elif item is STOP:
            return


def _spill(spill: SpillFile, events: list[StorageEvent], epoch: int | None) -> None:
    financial = [e for e in events if is_financial(e)]
    if financial:
        try:
            spill.append(financial, epoch)
        except (OSError, IngotError):  # the spill refusing too is logged; flushes still answered
            _log.exception("could not spill %d events after the worker stopped", len(financial))

"""The storage worker's tick buffer: ticks are not money, so when storage falls behind the
oldest are dropped (counted, and logged at most every ten seconds) rather than block the
engine, as financial events do."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from ingot_core.engine import StorageEvent, TickReceived

__all__ = ["TickBuffer"]

_log = logging.getLogger(__name__)
_WARN_EVERY_S = 10  # a warning, not a flood


class TickBuffer:
    """A ring of at most `capacity` ticks waiting to be written, shared by two threads."""

    def __init__(self, capacity: int) -> None:
        self._ticks: deque[TickReceived] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._dropped = 0
        self._last_warning = -1e9

    def add(self, event: TickReceived) -> int:
        """Keep `event`; return how many ticks that dropped (0 or 1, the oldest)."""
        with self._lock:
            dropped = int(len(self._ticks) == self._ticks.maxlen)
            if dropped:
                self._dropped += 1
                now = time.monotonic()
                if now - self._last_warning >= _WARN_EVERY_S:
                    self._last_warning = now
                    _log.warning(
                        "storage is behind: %d ticks dropped so far (oldest first)",
                        self._dropped,
                    )
            self._ticks.append(event)
            return dropped

    def take(self) -> list[StorageEvent]:
        """Every tick waiting, oldest first; the buffer is left empty."""
        with self._lock:
            taken: list[StorageEvent] = list(self._ticks)
            self._ticks.clear()
        return taken

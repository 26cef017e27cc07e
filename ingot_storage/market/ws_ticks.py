"""A generic WebSocket of JSON ticks (seed 003's mock WS): every message one tick, or an array
of ticks, in the replay format ({"symbol", "price", "volume"?, "ts", "trade_id"?}), read by the
same parser as a file of ticks. It reconnects as every feed does (sources.reconnect); a message
that is no tick is counted and skipped; a tick seen already (same symbol, time and place) is
dropped, so a server that resends after a reconnect stores nothing twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from websockets.sync.client import connect

from ingot_core.feed import Ticker
from ingot_core.numbers import loads_json, shown
from ingot_core.symbols import Symbol
from ingot_core.tradelog.events import TradeLogEvent
from ingot_core.tradelog.http import connectivity_event
from ingot_storage.market.ingest_report import BadRow
from ingot_storage.market.tick_lines import parse_tick_data
from ingot_storage.sources.reconnect import reconnecting

__all__ = ["JsonTickFeed"]

_log = logging.getLogger(__name__)
_SOURCE = "ws"


class JsonTickFeed:
    """Ticks of `symbols` from a JSON-ticks WebSocket at `url`, reconnecting, without end."""

    def __init__(
        self,
        url: str,
        symbols: Sequence[Symbol],
        *,
        idle_s: float = 10.0,
        retries: int = 5,
        backoff_s: float = 1.0,
        trade_log: Callable[[TradeLogEvent], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url, self.symbols = url, set(symbols)
        self.idle_s, self.retries, self.backoff_s = idle_s, retries, backoff_s
        self._log, self._sleep = trade_log, sleep
        self.connects = self.skipped = 0
        self._last: dict[Symbol, tuple[datetime, int]] = {}

    def _note(self, what: str, detail: str = "", **facts: object) -> None:
        if self._log is not None:
            self._log(connectivity_event(_SOURCE, what, detail, **facts))

    def ticks(self) -> Iterator[Ticker]:
        """Every tick of the symbols, in the order the server sends them."""
        return reconnecting(self._connection, name=f"the WebSocket at {self.url}",
                            variable="--source", retries=self.retries, backoff_s=self.backoff_s,
                            sleep=self._sleep, note=self._note,
                            connected=lambda: self.connects)  # fmt: skip

    def _connection(self, attempt: int) -> Iterator[Ticker]:
        with connect(self.url, open_timeout=max(self.idle_s, 10), close_timeout=1) as ws:
            self.connects += 1
            self._note("connect", self.url, attempt=attempt)
            while True:
                raw = ws.recv(timeout=self.idle_s)  # TimeoutError: silent, reconnect
                yield from self._ticks(
                    raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
                )

    def _ticks(self, raw: str) -> Iterator[Ticker]:
        try:
            data = loads_json(raw)
        except ValueError:
            data = None
        for item in data if isinstance(data, list) else [data]:
            parsed = parse_tick_data(0, item)
            if isinstance(parsed, BadRow):
                self.skipped += 1
                _log.warning("WebSocket message skipped (%s): %s", parsed, shown(raw[:80]))
                continue
            if parsed.symbol not in self.symbols:
                continue
            key = (parsed.timestamp, parsed.seq)
            last = self._last.get(parsed.symbol)
            if last is not None and key <= last:
                continue
            self._last[parsed.symbol] = key
            yield parsed

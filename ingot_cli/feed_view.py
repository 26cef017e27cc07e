"""A running feed's live status on a terminal: per symbol its last price, ticks a second and
the age of its last tick; the source's connection; the queues between feed, engine and storage.
Piped, a feed prints its heartbeat lines instead (ingot_cli.feeding.heartbeat_line).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ingot_cli.output import counted, format_amount
from ingot_cli.session import Session
from ingot_core.feeds.stats import FeedStats

__all__ = ["FeedView"]

_REFRESH_S = 0.25


class FeedView:
    """The live status of one feed, redrawn at most four times a second while it runs."""

    def __init__(self, session: Session, stats: FeedStats, describe: Callable[[], str]) -> None:
        self._session, self._stats, self._describe = session, stats, describe
        self.console = Console(stderr=True, highlight=False)
        self._live = Live(console=self.console, auto_refresh=False, transient=False)
        self._began = time.monotonic()
        self._drawn = 0.0
        self._counts: dict[object, tuple[float, int]] = {}  # symbol: (when, ticks) last drawn
        self._rates: dict[object, float] = {}

    def __enter__(self) -> FeedView:
        self._live.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: object
    ) -> None:
        self.update(0, force=True)
        self._live.stop()

    def say(self, line: str) -> None:
        """A line above the status (the heartbeat, a warning), kept in the scrollback."""
        self._live.console.print(line, markup=False, soft_wrap=True)

    def update(self, waiting: int, *, force: bool = False) -> None:
        """Redraw if a quarter of a second has passed; `waiting`: ticks the engine has yet to
        take from the source."""
        now = time.monotonic()
        if not force and now - self._drawn < _REFRESH_S:
            return
        self._drawn = now
        self._live.update(self._render(now, waiting), refresh=True)

    def _render(self, now: float, waiting: int) -> Group:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for name, justify in (("Symbol", "left"), ("Last", "right"), ("Ticks", "right"),
                              ("Ticks/s", "right"), ("Last tick", "right")):  # fmt: skip
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for symbol, own in sorted(self._stats.symbols.items(), key=lambda i: str(i[0])):
            then, before = self._counts.get(symbol, (self._began, 0))
            if now - then >= 1.0:  # ticks a second over the last second or more
                self._rates[symbol] = (own.ticks - before) / (now - then)
                self._counts[symbol] = (now, own.ticks)
            age = "" if own.seen is None else f"{now - own.seen:.1f} s ago"
            table.add_row(str(symbol), format_amount(own.last_price or 0), f"{own.ticks:,}",
                          f"{self._rates.get(symbol, 0.0):,.1f}", age)  # fmt: skip
        worker = self._session.worker
        m = worker.metrics() if worker is not None else None
        queues = f"waiting: engine {waiting:,}"
        if m is not None:
            queues += (f", storage {m.queue_depth:,} ({m.dropped_ticks:,} dropped), "
                       f"spill {m.spill_bytes:,} B")  # fmt: skip
        tradelog = self._session.trading.tradelog_status()[0]
        if tradelog is not None:
            queues += f", trade log {tradelog.queued:,} ({tradelog.dropped:,} dropped)"
        s = self._stats
        head = (f"feed {now - self._began:.1f} s: {counted(s.received, 'tick')}, "
                f"{counted(s.fills, 'fill')}, {counted(s.quotes, 'quote')}"
                f"{self._describe()}")  # fmt: skip
        return Group(Text(head), table, Text(queues, style="grey50"))

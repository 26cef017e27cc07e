"""A feed running in the background of the REPL (`feed start SYMBOL… [--source S]`,
`feed stop`, `feed status`): ticks reach the engine while the trader keeps typing.

The REPL's commands and the feed take turns on the engine under one lock, so a command sees
the book between two ticks, never in the middle of one.
"""

from __future__ import annotations

import shlex
import threading
import time
from datetime import timedelta

from ingot_cli.errors import BadInput, report_error
from ingot_cli.feeding import feed_ticks, source_for
from ingot_cli.output import counted
from ingot_cli.parsing import parse_symbol
from ingot_cli.session import Session
from ingot_core.feed import Quote
from ingot_core.feeds.stats import FeedStats

__all__ = ["ENGINE_LOCK", "BackgroundFeed"]

ENGINE_LOCK = threading.Lock()
"""Held by each REPL command and by each tick of a background feed."""


class BackgroundFeed:
    """At most one feed running beside the REPL."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.stats = FeedStats()
        self.symbols: list[str] = []
        self.error: str | None = None
        self.began = 0.0

    @property
    def running(self) -> bool:
        """Whether a feed is running now."""
        return self._thread is not None and self._thread.is_alive()

    def command(self, line: str) -> None:
        """Run `feed start|stop|status …` (one line of the REPL)."""
        words = shlex.split(line)[1:]
        verb = words[0] if words else "status"
        if verb == "start":
            self.start(words[1:])
        elif verb == "stop":
            self.stop()
        elif verb == "status":
            print(self.status())
        else:
            report_error(f"feed {verb}: not one of start, stop, status")

    def start(self, args: list[str]) -> None:
        """Start a feed of the symbols in `args` (`--source S`: synthetic by default)."""
        if self.running:
            report_error("a feed is running already; 'feed stop' first")
            return
        source = "synthetic"
        if "--source" in args:
            at = args.index("--source")
            source, args = args[at + 1] if at + 1 < len(args) else "", args[:at] + args[at + 2 :]
        try:
            symbols = [parse_symbol(a) for a in args] or [parse_symbol("")]
            feed = source_for(self._session, source, symbols, None, 100, None, None)
        except BadInput as error:
            report_error(str(error))
            return
        engine = self._session.trading_engine  # the lock on the book, for the whole session
        self.stats, self.symbols, self.error = FeedStats(), [str(s) for s in symbols], None
        self._stop.clear()
        self.began = time.monotonic()
        paced = timedelta(milliseconds=100) if source == "synthetic" else None  # real time

        def quote(item: Quote) -> None:
            with ENGINE_LOCK:
                engine.on_quote(item)

        ticks = feed_ticks(self._session, feed, self.stats, seconds=None, heartbeat=1e9,
                           paced=paced, quotes=quote)  # fmt: skip

        def run() -> None:
            try:
                for ticker in ticks:
                    if self._stop.is_set():
                        return
                    with ENGINE_LOCK:
                        self.stats.took(ticker, len(engine.on_tick(ticker)))
                    time.sleep(0)  # the trader's next command gets its turn
            except Exception as error:  # shown by `feed status` and the toolbar
                self.error = str(error)

        self._thread = threading.Thread(target=run, name="ingot-repl-feed", daemon=True)
        self._thread.start()
        print(f"Feed started: {', '.join(self.symbols)} from {source}")

    def stop(self) -> None:
        """Stop the feed; what it brought is committed with the session's next commit."""
        if not self.running:
            print("No feed is running.")
            return
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=5)
        print(f"Feed stopped: {counted(self.stats.processed, 'tick')}, "
              f"{counted(self.stats.fills, 'fill')}")  # fmt: skip

    def status(self) -> str:
        """One line: running or not, ticks, fills, last prices, an error if it stopped on one."""
        if self._thread is None:
            return "No feed has run in this session."
        state = "running" if self.running else "stopped"
        last = ", ".join(f"{s} {o.last_price}" for s, o in self.stats.symbols.items())
        error = f"; stopped on: {self.error}" if self.error else ""
        return (f"Feed {state} ({', '.join(self.symbols)}): "
                f"{counted(self.stats.processed, 'tick')}, {counted(self.stats.fills, 'fill')}"
                + (f"; last {last}" if last else "") + error)  # fmt: skip

    def toolbar(self) -> str:
        """What the toolbar says of the feed (empty when none ran)."""
        if self._thread is None:
            return ""
        return f"feed {'on' if self.running else 'off'} {self.stats.processed:,}"

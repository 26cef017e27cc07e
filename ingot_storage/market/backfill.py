"""Kraken history into ohlcv_bars: the OHLC window, and a resumable Trades backfill before it.

1. OHLC gives the most recent 720 bars; the closed ones at or after `since` are stored.
2. If `since` is older than the first of them, the trade tape is read from `since` up to
   that first bar and folded into bars. Each page's closed bars are committed together with
   a cursor (ingest_cursors) that points at the start of the bar still collecting trades,
   so an interrupted run resumes where it stopped and rebuilds that bar whole.
3. OHLC is then polled again by `last` until no newer closed bar appears.

Bars are stored with ON CONFLICT DO NOTHING: running the same range twice stores nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from ingot_core.bars import BarBuilder
from ingot_core.errors import ValidationError
from ingot_core.feed import BarInterval, OhlcvBar
from ingot_core.instants import epoch_seconds, from_epoch
from ingot_core.symbols import Symbol
from ingot_storage.errors import db_errors
from ingot_storage.market.stage import save_bars
from ingot_storage.market.store import clear_cursor, load_cursor, save_cursor
from ingot_storage.sources.kraken import KrakenClient, OhlcPage

__all__ = ["BACKFILL_SOURCE", "HistoryReport", "ingest_kraken_history"]

log = logging.getLogger(__name__)

BACKFILL_SOURCE = "kraken-trades"
OHLC_SOURCE = "kraken-ohlc"
_NS = 1_000_000_000
_MAX_OHLC_POLLS = 10

Progress = Callable[[int, int], None]
Stored = Callable[[Sequence[OhlcvBar]], None]


@dataclass
class HistoryReport:
    """What one Kraken ingestion did.

    Attributes:
      from_ohlc: new bars from the OHLC endpoint.
      from_trades: new bars rebuilt from the trade tape.
      resumed_from: where an interrupted backfill was picked up, if one was.
      forming: the bar still forming at the end (shown, never stored).
      calls: HTTP calls made.
    """

    from_ohlc: int = 0
    from_trades: int = 0
    resumed_from: datetime | None = None
    forming: OhlcvBar | None = None
    calls: int = 0

    @property
    def stored(self) -> int:
        """New bars in all."""
        return self.from_ohlc + self.from_trades


def ingest_kraken_history(
    engine: Engine,
    client: KrakenClient,
    symbol: Symbol,
    interval: BarInterval,
    since: datetime | None,
    now: datetime,
    *,
    progress: Progress | None = None,
    on_stored: Stored | None = None,
) -> HistoryReport:
    """Fetch and store closed bars from `since` (or the OHLC window) up to `now`."""
    if since is not None and since > now:
        raise ValidationError("--since", [f"{since.isoformat()} is in the future"])
    report = HistoryReport()
    run = _Run(engine, client, symbol, interval, now, report, progress, on_stored)
    with db_errors(), engine.connect() as conn:
        cursor = load_cursor(conn, BACKFILL_SOURCE, symbol, interval)
    if cursor is not None:
        report.resumed_from = from_epoch((cursor.position + 1) // _NS)
        log.info("resuming the %s %s backfill from %s", symbol, interval, report.resumed_from)
        run.backfill(cursor.position, cursor.target)
        poll_from = cursor.target // _NS
    else:
        start = None if since is None else interval.floor(since)
        page = run.ohlc(None if start is None else epoch_seconds(start), start)
        window = page.bars[0] if page.bars else page.forming
        first = None if window is None else window.timestamp
        if start is not None and first is not None and start < first:
            position, target = epoch_seconds(start) * _NS - 1, epoch_seconds(first) * _NS
            with db_errors(), engine.begin() as conn:
                save_cursor(conn, BACKFILL_SOURCE, symbol, interval, position, target)
            run.backfill(position, target)
        poll_from = page.last
    run.poll(poll_from)
    report.calls = client.calls
    return report


@dataclass
class _Run:
    engine: Engine
    client: KrakenClient
    symbol: Symbol
    interval: BarInterval
    now: datetime
    report: HistoryReport
    progress: Progress | None
    on_stored: Stored | None

    def store(
        self,
        bars: list[OhlcvBar],
        source: str,
        cursor: tuple[int, int] | None = None,
        finished: bool = False,
    ) -> int:
        """Commit bars with the backfill's new cursor, or with its removal when `finished`."""
        with db_errors(), self.engine.begin() as conn:
            new = save_bars(conn, bars, source)
            if cursor is not None:
                save_cursor(conn, BACKFILL_SOURCE, self.symbol, self.interval, *cursor)
            if finished:
                clear_cursor(conn, BACKFILL_SOURCE, self.symbol, self.interval)
        if bars and self.on_stored is not None:
            self.on_stored(bars)
        return new

    def ohlc(self, since: int | None, start: datetime | None) -> OhlcPage:
        """One OHLC call; store its closed bars at or after `start`."""
        page = self.client.ohlc(self.symbol, self.interval, since, self.now)
        wanted = [b for b in page.bars if start is None or b.timestamp >= start]
        self.report.from_ohlc += self.store(wanted, OHLC_SOURCE)
        self.report.forming = page.forming
        return page

    def poll(self, since: int) -> None:
        """Follow `last` until OHLC has no newer closed bar."""
        newest: datetime | None = None
        for _ in range(_MAX_OHLC_POLLS):
            page = self.ohlc(since, None)
            latest = page.bars[-1].timestamp if page.bars else None
            if latest is None or (newest is not None and latest <= newest) or page.last == since:
                return
            newest, since = latest, page.last

    def backfill(self, position: int, target: int) -> None:
        """Fold trades after `position` (ns) into bars until `target` (ns, exclusive)."""
        builder = BarBuilder(self.symbol, self.interval)
        start = position
        target_at = from_epoch(target // _NS)
        while True:
            page = self.client.trades(self.symbol, position)
            closed: list[OhlcvBar] = []
            done = not page.trades or page.last <= position
            for trade in page.trades:
                if trade.timestamp >= target_at:
                    done = True
                    break
                closed += builder.add(trade)
            if done:
                closed += builder.close_until(target_at)
                self.report.from_trades += self.store(closed, BACKFILL_SOURCE, finished=True)
                self._progress(target - start, target - start)
                return
            position = page.last
            # A resumed run starts at the bar still collecting trades and rebuilds it whole.
            opening = builder.open_bar
            resume = position if opening is None else epoch_seconds(opening) * _NS - 1
            self.report.from_trades += self.store(closed, BACKFILL_SOURCE, (resume, target))
            self._progress(position - start, target - start)

    def _progress(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(max(0, done) // _NS, max(1, total // _NS))

"""Feeding the engine: where ticks come from (synthetic, the stored tape, a file, Kraken's
WebSocket), read on a thread of their own into a bounded queue, handed out on the feed's own
clock (--seconds, --count, pacing, a heartbeat). `ingot feed` and `strategy run --live` share it.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import typer

from ingot_cli.errors import BadInput, FeedBehind
from ingot_cli.feed_view import FeedView
from ingot_cli.output import counted, format_amount
from ingot_cli.parsing import parse_period, parse_since
from ingot_cli.session import Session
from ingot_cli.tick_files import file_ticks
from ingot_core.bars import BarBuilder, TradePrint
from ingot_core.errors import ValidationError
from ingot_core.feed import BarInterval, FeedItem, Quote, Ticker
from ingot_core.feeds.stats import FeedStats
from ingot_core.symbols import Symbol

__all__ = ["QUEUE_BOUND", "Source", "feed_ticks", "heartbeat_line", "run_feed", "source_for"]


@dataclass(frozen=True)
class Source:
    """Where a feed's ticks come from, what its heartbeat adds about it, and whether it is
    live (a live source never waits for the engine: falling behind stops the run, exit 13)."""

    ticks: Iterable[FeedItem]
    describe: Callable[[], str] = lambda: ""
    live: bool = False
    counters: Callable[[], dict[str, int]] = dict  # for the metrics: reconnects, skipped, …


QUEUE_BOUND = 10_000
"""Ticks a live source may be ahead of the engine before the run stops (seed 003's S6)."""
_END = object()


class _Pump:
    """Reads a source on a thread of its own into a bounded queue, so the engine's loop can
    keep its own time (--seconds, the heartbeat) however long the source is quiet."""

    def __init__(self, source: Source, bound: int = QUEUE_BOUND) -> None:
        self.queue: queue.Queue[object] = queue.Queue(maxsize=bound)
        self.stopping = threading.Event()
        self.behind = False
        self._source = source
        threading.Thread(target=self._run, name="ingot-feed", daemon=True).start()

    def _run(self) -> None:
        try:
            for ticker in self._source.ticks:
                if self.stopping.is_set():
                    return
                if not self._source.live:  # a replay waits for the engine, until it stops
                    while not self.stopping.is_set():
                        try:
                            self.queue.put(ticker, timeout=0.2)
                            break
                        except queue.Full:
                            continue
                    continue
                try:
                    self.queue.put_nowait(ticker)
                except queue.Full:
                    self.behind = True
                    return
            self.queue.put(_END)
        except BaseException as error:  # handed to the engine's loop, which raises it
            self.queue.put(error)

    def get(self, timeout: float) -> object:
        """The next tick, _END, an exception from the source, or None when none came."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None


def source_for(
    session: Session,
    source: str,
    symbols: list[Symbol],
    start: str | None,
    interval_ms: int,
    since: str | None,
    until: str | None,
    record: Path | None = None,
) -> Source:
    """The source named by --source (synthetic, replay-db, kraken, a file or -); `record`:
    where a live source keeps every raw message it receives."""
    if record is not None and source != "kraken" and not source.startswith("ws"):
        raise BadInput("--record", ["only a live source (kraken) is recorded"])
    if source == "synthetic":
        from ingot_core.feeds.synthetic import synthetic_ticks

        moment = parse_since(start, "--start") or datetime.now(UTC)
        return Source(synthetic_ticks(symbols, moment, timedelta(milliseconds=interval_ms)))
    if source == "replay-db":
        begin, end = parse_period(since, until)
        return Source(_replayed(session, symbols, begin, end))
    if source == "kraken":
        return _kraken(session, symbols, record)
    if source.startswith(("ws://", "wss://")):
        return _json_ws(session, source, symbols, record)
    wanted = set(symbols)
    if source != "-" and _is_recording(Path(source)):
        return Source(_recorded(Path(source), symbols))
    return Source(t for t in file_ticks(source) if t.symbol in wanted)


def _is_recording(path: Path) -> bool:
    """Whether `path` holds a recorded feed (--record) rather than ticks (seed 003)."""
    try:
        with path.open(encoding="utf-8") as handle:
            first = next((line for line in handle if line.strip()), "")
        data = json.loads(first)
    except (OSError, UnicodeDecodeError, ValueError):
        return False  # file_ticks says what is wrong with it
    return isinstance(data, dict) and "raw" in data and "at" in data


def _recorded(path: Path, symbols: list[Symbol]) -> Iterator[Ticker]:
    from ingot_storage.sources.kraken_ws import replay_recording

    with path.open(encoding="utf-8") as handle:
        yield from replay_recording(iter(handle), symbols)


def _kraken(session: Session, symbols: list[Symbol], record: Path | None) -> Source:
    """Kraken's WebSocket trades, the REST Trades endpoint backfilling after a reconnect."""

    from ingot_storage.sources.kraken import KrakenClient
    from ingot_storage.sources.kraken_ws import KrakenFeed

    config, log = session.config, session.trading.tradelog.emit
    rest = KrakenClient.configured(config, log)
    kept = None if record is None else record.open("a", encoding="utf-8")

    def keep(raw: str) -> None:  # every message as received, with when it came
        assert kept is not None
        kept.write(json.dumps({"at": datetime.now(UTC).isoformat(), "raw": raw}) + "\n")
        kept.flush()

    feed = KrakenFeed(config.kraken_ws_url, symbols, rest, retries=config.kraken_retries,
                      idle_s=config.kraken_ws_idle_s, backoff_s=config.kraken_backoff_ms / 1000,
                      trade_log=log,
                      record=None if kept is None else keep)  # fmt: skip

    def ticks() -> Iterator[Ticker]:
        with rest.http:
            try:
                yield from feed.ticks()
            finally:
                if kept is not None:
                    kept.close()

    def describe() -> str:
        state = feed.state
        return (f"; Kraken {state.link}, {state.system}, {counted(state.reconnects, 'reconnect')}, "
                f"{state.backfilled} backfilled, {counted(state.quotes, 'quote')}, "
                f"{state.skipped} skipped")  # fmt: skip

    def counters() -> dict[str, int]:
        state = feed.state
        return {"reconnects": state.reconnects, "backfilled": state.backfilled,
                "skipped": state.skipped, "heartbeats": state.heartbeats}  # fmt: skip

    return Source(ticks(), describe, live=True, counters=counters)


def _json_ws(session: Session, url: str, symbols: list[Symbol], record: Path | None) -> Source:
    """A WebSocket of JSON ticks (seed 003's mock WS), reconnecting."""
    from ingot_storage.market.ws_ticks import JsonTickFeed

    if record is not None:
        raise BadInput("--record", ["only Kraken's feed is recorded"])
    config = session.config
    feed = JsonTickFeed(url, symbols, retries=config.kraken_retries,
                        backoff_s=config.kraken_backoff_ms / 1000,
                        trade_log=session.trading.tradelog.emit)  # fmt: skip

    def describe() -> str:
        return f"; {counted(feed.connects, 'connection')}, {feed.skipped} skipped"

    def counters() -> dict[str, int]:
        return {"reconnects": max(0, feed.connects - 1), "skipped": feed.skipped}

    return Source(feed.ticks(), describe, live=True, counters=counters)


def _replayed(
    session: Session, symbols: list[Symbol], since: datetime | None, until: datetime | None
) -> Iterator[Ticker]:
    from ingot_storage.market.store import replay_ticks

    with session.database.connect() as conn:
        yield from replay_ticks(conn, symbols, since, until)


def publish_feed(session: Session, stats: FeedStats, source: Source) -> None:
    """Add the feed's counters to what this process publishes (`ingot status`, `metrics`)."""
    publisher = session.trading.publisher
    if publisher is not None:
        publisher.extras["feed"] = lambda: {
            "received": stats.received, "processed": stats.processed, "fills": stats.fills,
            "quotes": stats.quotes, "signals": stats.signals, "orders": stats.orders,
            "vetoes": stats.vetoes, "about": source.describe().lstrip("; "),
            **source.counters(),
        }  # fmt: skip


def heartbeat_line(session: Session, stats: FeedStats, elapsed: float, about: str = "") -> str:
    """One line of seed 003's counters: ticks received and processed, signals, orders, fills
    and risk vetoes, what storage wrote and failed to, drops per channel, the source."""
    worker = session.worker
    m = worker.metrics() if worker is not None else None
    log = session.trading.tradelog_status()[0]
    rate = stats.received / elapsed if elapsed > 0 else 0.0
    stored = (
        ""
        if m is None
        else f"; stored {counted(m.rows, 'row')} in {counted(m.batches, 'batch')}, "
        f"{counted(m.errors, 'failed write')}, queue {m.queue_depth}, spill {m.spill_bytes} B"
    )
    drops = (
        f"; dropped: storage {m.dropped_ticks if m else 0}, trade log {log.dropped if log else 0}"
    )
    last = ", ".join(
        f"{s} {format_amount(own.last_price or 0)}"
        for s, own in sorted(stats.symbols.items(), key=lambda i: str(i[0]))
    )
    return (
        f"heartbeat {elapsed:.1f} s: {counted(stats.received, 'tick')} ({rate:,.1f}/s), "
        f"{stats.processed:,} processed, {counted(stats.signals, 'signal')}, "
        f"{counted(stats.orders, 'order')}, {counted(stats.fills, 'fill')}, "
        f"{stats.vetoes} vetoed{stored}{drops}{about}" + (f"; last {last}" if last else "")
    )


def feed_ticks(
    session: Session,
    source: Source,
    stats: FeedStats,
    *,
    seconds: float | None,
    count: int | None = None,
    heartbeat: float = 10.0,
    paced: timedelta | None = None,
    quotes: Callable[[Quote], object] | None = None,
    view: FeedView | None = None,
) -> Iterator[Ticker]:
    """The source's ticks, on the feed's own clock: until they end, `seconds` pass, `count`
    ticks went out or Ctrl-C, a heartbeat line on stderr every `heartbeat` seconds; `paced`:
    the interval to keep in real time. FeedBehind when a live source outran its consumer.
    Quotes between the ticks go to `quotes` (the engine's marks), in their place in the feed.
    With a `view` (a terminal), the live status is redrawn and the heartbeat goes above it."""
    began = time.monotonic()
    beat = began + heartbeat
    pump = _Pump(source)
    try:
        while seconds is None or time.monotonic() - began < seconds:
            if time.monotonic() >= beat:
                line = heartbeat_line(session, stats, time.monotonic() - began, source.describe())
                if view is not None:
                    view.say(line)
                else:
                    typer.echo(line, err=True)
                beat += heartbeat
            if view is not None:
                view.update(pump.queue.qsize())
            if pump.behind:
                raise FeedBehind(f"the engine fell {QUEUE_BOUND:,} ticks behind the feed; "
                                 "what it took is committed")  # fmt: skip
            item = pump.get(0.2)
            if item is None:
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, Quote):
                stats.quotes += 1
                if quotes is not None:
                    quotes(item)
                continue
            assert isinstance(item, Ticker)
            if paced is not None:  # the n-th tick is due n intervals after the start
                due = began + paced.total_seconds() * (stats.received + 1)
                if seconds is not None and due - began >= seconds:
                    return
                time.sleep(max(0.0, due - time.monotonic()))
            stats.received += 1
            yield item
            if count is not None and stats.received >= count:
                return
    except KeyboardInterrupt:
        return  # a trader's stop: what came in is committed by the caller
    finally:
        pump.stopping.set()


TAPE_SOURCE = "tape"
"""The source stored bars built from a feed's trades are recorded under."""


class TapeBars:
    """Closed bars of each interval, built from the feed's trades exactly as the REST Trades
    backfill folds them (ingot_core.bars.BarBuilder), stored the moment each one closes."""

    def __init__(self, session: Session, intervals: list[BarInterval]) -> None:
        self._session, self._intervals = session, intervals
        self._builders: dict[tuple[Symbol, BarInterval], BarBuilder] = {}
        self.stored = 0

    def add(self, ticker: Ticker) -> None:
        """Fold one trade in; store the bars it closed."""
        trade = TradePrint(ticker.price, ticker.volume or Decimal(0), ticker.timestamp)
        closed = []
        for interval in self._intervals:
            key = (ticker.symbol, interval)
            builder = self._builders.setdefault(key, BarBuilder(ticker.symbol, interval))
            try:
                closed += builder.add(trade)
            except ValidationError:
                continue  # a trade older than the bar's last: the bar is already past it
        if closed:
            from ingot_storage.market.mirror import bar_mirror
            from ingot_storage.market.stage import save_bars

            with self._session.database.begin() as conn:
                self.stored += save_bars(conn, closed, TAPE_SOURCE)
            mirror = bar_mirror(self._session.questdb)
            if mirror is not None:
                mirror(closed)


def run_feed(
    session: Session,
    source: Source,
    *,
    seconds: float | None,
    count: int | None,
    heartbeat: float,
    paced: timedelta | None,
    bars: list[BarInterval] | None = None,
    live_view: bool = False,
) -> FeedStats:
    """Drive the book's engine with the source's ticks (feed_ticks' clock and stops); with
    `bars`, build and store closed bars of those widths from them; `live_view`: show the live
    status on the terminal (stderr) while it runs."""
    engine = session.trading_engine  # the book's trading lock, held until the session closes
    stats = FeedStats()
    publish_feed(session, stats, source)
    tape = TapeBars(session, bars) if bars else None
    with contextlib.ExitStack() as stack:
        view = stack.enter_context(FeedView(session, stats, source.describe)) if live_view else None
        ticks = feed_ticks(session, source, stats, seconds=seconds, count=count,
                           heartbeat=heartbeat, paced=paced, quotes=engine.on_quote,
                           view=view)  # fmt: skip
        try:
            for ticker in ticks:
                stats.took(ticker, len(engine.on_tick(ticker)), time.monotonic())
                if tape is not None:
                    tape.add(ticker)
        except KeyboardInterrupt:
            pass  # a trader's stop: what came in is committed below
    stats.bars = tape.stored if tape is not None else 0
    return stats

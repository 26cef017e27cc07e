"""`ingot feed`: ticks from a source into the book's engine — marks move, resting limit orders
fill, every tick is stored — with a heartbeat, until the source ends, `--seconds` or `--count`
is reached, or Ctrl-C; then everything received is committed and the feed exits 0.

Sources: `synthetic` (seed 003's deterministic generator, paced in real time unless `--start`
fixes its clock), `replay-db` (the stored ticks of the symbols, in market time, as fast as the
engine takes them), and a JSONL file of ticks or `-` for stdin (seed 003's replay format).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import typer

from ingot_cli.commands import JsonOption, output_for, session_of
from ingot_cli.errors import BadInput, FeedBehind
from ingot_cli.output import counted, format_amount
from ingot_cli.parsing import (
    parse_period,
    parse_since,
    parse_symbol,
    positive_seconds,
    whole_number,
)
from ingot_cli.session import Session
from ingot_cli.tick_files import file_ticks
from ingot_core.feed import Ticker
from ingot_core.feeds.stats import FeedStats
from ingot_core.symbols import Symbol

__all__ = ["app", "run_feed"]

app = typer.Typer()
"""This group's commands, joined to the root app by ingot_cli.main."""

_LATER = ("ws",)  # a generic JSON-ticks WebSocket: not built yet


@dataclass(frozen=True)
class Source:
    """Where a feed's ticks come from, what its heartbeat adds about it, and whether it is
    live (a live source never waits for the engine: falling behind stops the run, exit 13)."""

    ticks: Iterable[Ticker]
    describe: Callable[[], str] = lambda: ""
    live: bool = False


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
                if not self._source.live:
                    self.queue.put(ticker)  # a replay waits for the engine
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


def _source_ticks(
    session: Session,
    source: str,
    symbols: list[Symbol],
    start: str | None,
    interval_ms: int,
    since: str | None,
    until: str | None,
) -> Source:
    if source == "synthetic":
        from ingot_core.feeds.synthetic import synthetic_ticks

        moment = parse_since(start, "--start") or datetime.now(UTC)
        return Source(synthetic_ticks(symbols, moment, timedelta(milliseconds=interval_ms)))
    if source == "replay-db":
        begin, end = parse_period(since, until)
        return Source(_replayed(session, symbols, begin, end))
    if source == "kraken":
        return _kraken(session, symbols)
    if source in _LATER or source.startswith(("ws://", "wss://")):
        raise BadInput(
            "--source",
            [
                f"{source!r}: live WebSocket feeds are not available yet; "
                "use synthetic, replay-db, a JSONL file or -"
            ],
        )
    wanted = set(symbols)
    return Source(t for t in file_ticks(source) if t.symbol in wanted)


def _kraken(session: Session, symbols: list[Symbol]) -> Source:
    """Kraken's WebSocket trades, the REST Trades endpoint backfilling after a reconnect."""
    import httpx

    from ingot_storage.sources.bounded_http import Limits
    from ingot_storage.sources.kraken import KrakenClient
    from ingot_storage.sources.kraken_ws import KrakenFeed

    config, log = session.config, session.trading.tradelog.emit
    http = httpx.Client(timeout=config.kraken_timeout_s, headers={"User-Agent": "ingot"})
    rest = KrakenClient(
        http,
        config.kraken_url,
        min_interval=config.kraken_min_interval_ms / 1000,
        retries=config.kraken_retries,
        limits=Limits(deadline_s=config.kraken_timeout_s),
        trade_log=log,
    )
    feed = KrakenFeed(config.kraken_ws_url, symbols, rest, retries=config.kraken_retries,
                      trade_log=log)  # fmt: skip

    def ticks() -> Iterator[Ticker]:
        with http:
            yield from feed.ticks()

    def describe() -> str:
        state = feed.state
        return (f"; Kraken {state.link}, {state.system}, {counted(state.reconnects, 'reconnect')}, "
                f"{state.backfilled} backfilled, {state.skipped} skipped")  # fmt: skip

    return Source(ticks(), describe, live=True)


def _replayed(
    session: Session, symbols: list[Symbol], since: datetime | None, until: datetime | None
) -> Iterator[Ticker]:
    from ingot_storage.market.store import replay_ticks

    with session.database.connect() as conn:
        yield from replay_ticks(conn, symbols, since, until)


def heartbeat_line(session: Session, stats: FeedStats, elapsed: float, about: str = "") -> str:
    """One line of counters: ticks and their rate, fills, what storage has done."""
    worker = session.worker
    m = worker.metrics() if worker is not None else None
    rate = stats.processed / elapsed if elapsed > 0 else 0.0
    stored = (
        ""
        if m is None
        else f"; stored {counted(m.rows, 'row')} in "
        f"{counted(m.batches, 'batch')}, queue {m.queue_depth}, "
        f"dropped {m.dropped_ticks}, spill {m.spill_bytes} B"
    )
    last = ", ".join(
        f"{s} {format_amount(own.last_price or 0)}"
        for s, own in sorted(stats.symbols.items(), key=lambda i: str(i[0]))
    )
    return (
        f"heartbeat {elapsed:.1f} s: {counted(stats.processed, 'tick')} ({rate:,.1f}/s), "
        f"{counted(stats.fills, 'fill')}{stored}{about}" + (f"; last {last}" if last else "")
    )


def run_feed(
    session: Session,
    source: Source,
    *,
    seconds: float | None,
    count: int | None,
    heartbeat: float,
    paced: timedelta | None,
) -> FeedStats:
    """Drive the engine with `ticks` until they end, `seconds` pass or `count` ticks went in;
    Ctrl-C stops it the same way. `paced`: the interval to keep in real time."""
    engine = session.trading_engine  # the book's trading lock, held until the session closes
    stats = FeedStats()
    began = time.monotonic()
    beat = began + heartbeat
    pump = _Pump(source)
    try:
        while seconds is None or time.monotonic() - began < seconds:
            if time.monotonic() >= beat:
                line = heartbeat_line(session, stats, time.monotonic() - began, source.describe())
                typer.echo(line, err=True)
                beat += heartbeat
            if pump.behind:
                raise FeedBehind(f"the engine fell {QUEUE_BOUND:,} ticks behind the feed; "
                                 "what it took is committed")  # fmt: skip
            item = pump.get(0.2)
            if item is None:
                continue
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, Ticker)
            if paced is not None:  # the n-th tick is due n intervals after the start
                due = began + paced.total_seconds() * (stats.received + 1)
                if seconds is not None and due - began >= seconds:
                    break
                time.sleep(max(0.0, due - time.monotonic()))
            stats.received += 1
            stats.took(item, len(engine.on_tick(item)))
            if count is not None and stats.processed >= count:
                break
    except KeyboardInterrupt:
        pass  # a trader's stop: what came in is committed below
    finally:
        pump.stopping.set()
    return stats


@app.command("feed")
def feed_command(
    ctx: typer.Context,
    symbols: list[str] = typer.Argument(..., help="Markets, e.g. BTC-USD ETH-USD."),
    source: str = typer.Option(
        "synthetic", "--source", help="kraken, synthetic, replay-db, a JSONL file of ticks, or -."
    ),
    seconds: float | None = typer.Option(
        None, "--seconds", parser=positive_seconds, help="Stop after this many seconds."
    ),
    count: int | None = typer.Option(
        None, "--count", parser=whole_number(1), help="Stop after this many ticks."
    ),
    interval_ms: int = typer.Option(
        100, "--interval-ms", parser=whole_number(0, 3_600_000), help="synthetic: ms per step."
    ),
    start: str | None = typer.Option(
        None, "--start", help="synthetic: the clock's start (fixed: the same ticks every run)."
    ),
    since: str | None = typer.Option(None, "--since", help="replay-db: from this time."),
    until: str | None = typer.Option(None, "--until", help="replay-db: before this time."),
    heartbeat: float = typer.Option(
        10.0, "--heartbeat", parser=positive_seconds, help="Seconds between heartbeat lines."
    ),
    json_mode: bool = JsonOption,
) -> None:
    """Stream ticks into the book's engine and store them; Ctrl-C stops it cleanly."""
    wanted = [parse_symbol(s) for s in symbols]
    session = session_of(ctx)
    feed = _source_ticks(session, source, wanted, start, interval_ms, since, until)
    if source == "synthetic" and count is None and seconds is None and start is not None:
        raise BadInput(
            "--start", ["a synthetic feed from a fixed start needs --count or --seconds"]
        )
    paced = (
        timedelta(milliseconds=interval_ms)
        if source == "synthetic" and start is None and interval_ms
        else None
    )
    began = time.monotonic()
    stats = run_feed(session, feed, seconds=seconds, count=count, heartbeat=heartbeat, paced=paced)
    outcome = session.commit()
    elapsed = time.monotonic() - began
    out = output_for(json_mode)
    if json_mode:
        out.json(
            {
                "ticks": stats.processed,
                "fills": stats.fills,
                "seconds": round(elapsed, 3),
                "outcome": outcome.value,
                "symbols": {
                    str(s): {"ticks": o.ticks, "last_price": o.last_price, "last_at": o.last_at}
                    for s, o in stats.symbols.items()
                },
            }
        )
        return
    kept = "committed" if outcome.value == "committed" else "saved to the local spill file"
    out.line(
        f"Feed stopped after {elapsed:.1f} s: {counted(stats.processed, 'tick')}, "
        f"{counted(stats.fills, 'fill')}; everything {kept}",
        markup=False,
    )

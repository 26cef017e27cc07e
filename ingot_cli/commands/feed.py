"""`ingot feed`: ticks from a source into the book's engine — marks move, resting limit orders
fill, every tick is stored — with a heartbeat, until the source ends, `--seconds` or `--count`
is reached, or Ctrl-C; then everything received is committed and the feed exits 0.

Sources: `synthetic` (seed 003's deterministic generator, paced in real time unless `--start`
fixes its clock), `replay-db` (the stored ticks of the symbols, in market time, as fast as the
engine takes them), and a JSONL file of ticks or `-` for stdin (seed 003's replay format).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import typer

from ingot_cli.commands import JsonOption, output_for, session_of
from ingot_cli.errors import BadInput
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

_LATER = ("kraken", "ws")  # the live WebSocket sources (issue: live feeds), not built yet


def _source_ticks(
    session: Session,
    source: str,
    symbols: list[Symbol],
    start: str | None,
    interval_ms: int,
    since: str | None,
    until: str | None,
) -> Iterable[Ticker]:
    if source == "synthetic":
        from ingot_core.feeds.synthetic import synthetic_ticks

        moment = parse_since(start, "--start") or datetime.now(UTC)
        return synthetic_ticks(symbols, moment, timedelta(milliseconds=interval_ms))
    if source == "replay-db":
        begin, end = parse_period(since, until)
        return _replayed(session, symbols, begin, end)
    if source in _LATER or source.startswith(("ws://", "wss://")):
        raise BadInput(
            "--source",
            [
                f"{source!r}: live WebSocket feeds are not available yet; "
                "use synthetic, replay-db, a JSONL file or -"
            ],
        )
    wanted = set(symbols)
    return (t for t in file_ticks(source) if t.symbol in wanted)


def _replayed(
    session: Session, symbols: list[Symbol], since: datetime | None, until: datetime | None
) -> Iterator[Ticker]:
    from ingot_storage.market.store import replay_ticks

    with session.database.connect() as conn:
        yield from replay_ticks(conn, symbols, since, until)


def heartbeat_line(session: Session, stats: FeedStats, elapsed: float) -> str:
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
        f"{counted(stats.fills, 'fill')}{stored}" + (f"; last {last}" if last else "")
    )


def run_feed(
    session: Session,
    ticks: Iterable[Ticker],
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
    try:
        for ticker in ticks:
            now = time.monotonic()
            if seconds is not None and now - began >= seconds:
                break
            if paced is not None:  # the n-th tick is due n intervals after the start
                due = began + paced.total_seconds() * (stats.received + 1)
                if seconds is not None:
                    due = min(due, began + seconds)
                if due > now:
                    time.sleep(due - now)
                if seconds is not None and time.monotonic() - began >= seconds:
                    break
            stats.received += 1
            stats.took(ticker, len(engine.on_tick(ticker)))
            if time.monotonic() >= beat:
                typer.echo(heartbeat_line(session, stats, time.monotonic() - began), err=True)
                beat += heartbeat
            if count is not None and stats.processed >= count:
                break
    except KeyboardInterrupt:
        pass  # a trader's stop: what came in is committed below
    return stats


@app.command("feed")
def feed_command(
    ctx: typer.Context,
    symbols: list[str] = typer.Argument(..., help="Markets, e.g. BTC-USD ETH-USD."),
    source: str = typer.Option(
        "synthetic", "--source", help="synthetic, replay-db, a JSONL file of ticks, or - (stdin)."
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
    ticks = _source_ticks(session, source, wanted, start, interval_ms, since, until)
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
    stats = run_feed(session, ticks, seconds=seconds, count=count, heartbeat=heartbeat, paced=paced)
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

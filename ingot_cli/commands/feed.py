"""`ingot feed`: ticks from a source into the book's engine — marks move, resting limit orders
fill, every tick is stored — with a heartbeat, until the source ends, `--seconds` or `--count`
is reached, or Ctrl-C; then everything received is committed and the feed exits 0.

Sources (ingot_cli.feeding): `synthetic` (seed 003's deterministic generator, paced in real
time unless `--start` fixes its clock), `replay-db` (the stored ticks of the symbols, in market
time), a JSONL file of ticks or `-` for stdin, and `kraken` (its WebSocket API v2).
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

import typer

from ingot_cli.commands import JsonOption, output_for, session_of
from ingot_cli.errors import BadInput
from ingot_cli.feeding import run_feed, source_for
from ingot_cli.output import counted
from ingot_cli.parsing import parse_interval, parse_symbol, positive_seconds, whole_number

__all__ = ["app"]

app = typer.Typer()
"""This group's commands, joined to the root app by ingot_cli.main."""


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
    heartbeat: float | None = typer.Option(
        None,
        "--heartbeat",
        parser=positive_seconds,
        help="Seconds between heartbeat lines (default: INGOT_HEARTBEAT_SECONDS, 10).",
    ),
    record: Path | None = typer.Option(
        None, "--record", help="kraken: keep every raw message received here (JSONL)."
    ),
    bars: str | None = typer.Option(
        None, "--bars", help="Build and store closed bars of these widths, e.g. 1m,1h."
    ),
    json_mode: bool = JsonOption,
) -> None:
    """Stream ticks into the book's engine and store them; Ctrl-C stops it cleanly."""
    wanted = [parse_symbol(s) for s in symbols]
    session = session_of(ctx)
    beat = float(heartbeat if heartbeat is not None else session.config.heartbeat_seconds)
    feed = source_for(session, source, wanted, start, interval_ms, since, until, record)
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
    widths = [parse_interval(w) for w in bars.split(",")] if bars else None
    on_terminal = not json_mode and sys.stderr.isatty()
    stats = run_feed(session, feed, seconds=seconds, count=count, heartbeat=beat,
                     paced=paced, bars=widths, live_view=on_terminal)  # fmt: skip
    outcome = session.commit()
    elapsed = time.monotonic() - began
    out = output_for(json_mode)
    if json_mode:
        out.json(
            {
                "ticks": stats.processed,
                "fills": stats.fills,
                "quotes": stats.quotes,
                "bars": stats.bars,
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
        f"{counted(stats.fills, 'fill')}"
        + (f", {counted(stats.quotes, 'quote')}" if stats.quotes else "")
        + f"; everything {kept}",
        markup=False,
    )

"""Ingesting market data from the command line: Kraken, files and stdin, stored in
PostgreSQL first and then mirrored to QuestDB.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.errors import BadInput
from ingot_cli.inputs import open_binary, open_input
from ingot_cli.market_report import (
    render_history,
    render_ingest,
)
from ingot_cli.parsing import parse_interval, parse_since, parse_symbol
from ingot_cli.progress import Tick, progress
from ingot_cli.session import Session, utc_now
from ingot_core.feed import BarInterval
from ingot_core.symbols import Symbol

if TYPE_CHECKING:  # storage loads when a command runs, not for --help
    from sqlalchemy.engine import Connection

    from ingot_storage.market.backfill import HistoryReport
    from ingot_storage.market.files import IngestReport

__all__ = ["app", "ingest_kraken", "ingest_ohlcv_file", "ingest_ticks_file"]

app = typer.Typer()
"""This group's commands, joined to the root app by ingot_cli.main."""


def ingest_ohlcv_file(
    session: Session, name: str, symbol: Symbol, interval: BarInterval, skip_bad: bool
) -> IngestReport:
    """Stream an OHLCV CSV into PostgreSQL in one transaction, then mirror it to QuestDB."""
    from ingot_storage.market.files import ingest_ohlcv_csv
    from ingot_storage.market.mirror import mirror_stored_bars

    with open_binary(name) as (handle, size):
        report = _in_one_transaction(
            session,
            name,
            size,
            lambda conn, tick: ingest_ohlcv_csv(
                conn, handle, symbol, interval, source=name, skip_bad=skip_bad, progress=tick
            ),
        )
    mirror_stored_bars(session.database, session.questdb, symbol, interval, report.first,
                       report.last)  # fmt: skip
    return report


def ingest_ticks_file(session: Session, name: str, skip_bad: bool) -> IngestReport:
    """Stream JSONL ticks into PostgreSQL in one transaction, then mirror them to QuestDB."""
    from ingot_storage.market.files import ingest_ticks_jsonl
    from ingot_storage.market.mirror import mirror_stored_ticks

    with open_input(name) as (handle, size):
        report = _in_one_transaction(
            session,
            name,
            size,
            lambda conn, tick: ingest_ticks_jsonl(
                conn, handle, source=name, skip_bad=skip_bad, progress=tick
            ),
        )
    mirror_stored_ticks(session.database, session.questdb, report.symbols, report.first,
                        report.last)  # fmt: skip
    return report


def _in_one_transaction(
    session: Session,
    name: str,
    size: int | None,
    ingest: Callable[[Connection, Callable[[int], None]], IngestReport],
) -> IngestReport:
    # One transaction for the whole input, with a progress bar over its bytes.
    with progress(f"Ingesting {name}", size) as tick, session.database.begin() as conn:
        return ingest(conn, _summed(tick))


def _summed(tick: Tick) -> Callable[[int], None]:
    # The ingesters report chunks read; the bar wants the running total.
    done = 0

    def add(chunk: int) -> None:
        nonlocal done
        done += chunk
        tick(done)

    return add


def ingest_kraken(
    session: Session, symbol: Symbol, interval: BarInterval, since: datetime | None
) -> HistoryReport:
    """Kraken history from `since` (or the last 720 bars), resumable, mirrored to QuestDB."""
    from ingot_storage.market.backfill import ingest_kraken_history
    from ingot_storage.market.mirror import bar_mirror
    from ingot_storage.sources.kraken import KrakenClient

    config = session.config
    database = session.database
    mirror = session.questdb
    client = KrakenClient.configured(config, session.trading.tradelog.emit)
    with progress(f"Kraken {symbol} {interval}") as tick:
        try:
            return ingest_kraken_history(database.engine, client, symbol, interval, since,
                                         utc_now(), progress=lambda done, total: tick(done, total),
                                         on_stored=bar_mirror(mirror))  # fmt: skip
        finally:
            client.close()


ingest_app = typer.Typer(help="Ingest market data from Kraken, files or stdin.")


@ingest_app.command("ohlcv")
def ingest_ohlcv_command(
    ctx: typer.Context,
    symbol: str = typer.Argument(..., help="Market, e.g. BTC-USD."),
    interval: str = typer.Argument(..., help="1m 5m 15m 30m 1h 4h 1d 1w."),
    since: str | None = typer.Option(
        None, "--since", help="Kraken: fetch from this date (older than 720 bars: via trades)."
    ),
    source: str = typer.Option(
        "kraken", "--source", help="kraken, a CSV file (Kraken OHLCVT layout), or - for stdin."
    ),
    skip_bad: bool = typer.Option(
        False, "--skip-bad", help="Files: keep the good rows, report the bad ones."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Ingest OHLCV bars; re-ingesting the same range stores nothing twice."""
    session = session_of(ctx)
    market, width = parse_symbol(symbol), parse_interval(interval)
    out = output_for(json_mode, fmt)
    if source == "kraken":
        report = ingest_kraken(session, market, width, parse_since(since))
        render_history(out, report, market, width)
        return
    if since is not None:
        raise BadInput("--since", ["applies to --source kraken; a file brings its own range"])
    render_ingest(out, ingest_ohlcv_file(session, source, market, width, skip_bad), "bars")


@ingest_app.command("ticks")
def ingest_ticks_command(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="JSONL file of ticks, or - for stdin."),
    skip_bad: bool = typer.Option(
        False, "--skip-bad", help="Keep the good rows, report the bad ones."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Ingest JSONL ticks ({"symbol", "price", "volume", "ts"} a line)."""
    render_ingest(
        output_for(json_mode, fmt), ingest_ticks_file(session_of(ctx), source, skip_bad), "ticks"
    )


app.add_typer(ingest_app, name="ingest")

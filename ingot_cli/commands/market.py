"""Market data from the command line: ingestion (Kraken, files, stdin), bars, gap reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import typer

from ingot_cli.commands import JsonOption, output_for, session_of
from ingot_cli.errors import BadInput
from ingot_cli.inputs import open_binary, open_input
from ingot_cli.market_report import (
    BarsView,
    GapReport,
    render_bars,
    render_gaps,
    render_history,
    render_ingest,
)
from ingot_cli.parsing import MAX_ROWS, parse_interval, parse_since, parse_symbol, whole_number
from ingot_cli.progress import Tick, progress
from ingot_cli.session import Session, utc_now
from ingot_core.bars import find_gaps
from ingot_core.feed import BarInterval
from ingot_core.symbols import Symbol

if TYPE_CHECKING:  # storage loads when a command runs, not for --help
    from sqlalchemy.engine import Connection

    from ingot_storage.market.backfill import HistoryReport
    from ingot_storage.market.files import IngestReport

__all__ = [
    "bars",
    "gaps",
    "ingest_kraken",
    "ingest_ohlcv_file",
    "ingest_ticks_file",
    "register",
]


def ingest_ohlcv_file(
    session: Session, name: str, symbol: Symbol, interval: BarInterval, skip_bad: bool
) -> IngestReport:
    """Stream an OHLCV CSV into PostgreSQL in one transaction, then mirror it to QuestDB."""
    from ingot_storage.market.files import ingest_ohlcv_csv
    from ingot_storage.market.store import iter_bars

    with open_binary(name) as (handle, size):
        report = _in_one_transaction(
            session,
            name,
            size,
            lambda conn, tick: ingest_ohlcv_csv(
                conn, handle, symbol, interval, source=name, skip_bad=skip_bad, progress=tick
            ),
        )
    mirror = session.questdb
    if mirror is not None and report.first is not None:
        with session.database.connect() as conn:
            mirror.send_bars(iter_bars(conn, symbol, interval, report.first, report.last))
    return report


def ingest_ticks_file(session: Session, name: str, skip_bad: bool) -> IngestReport:
    """Stream JSONL ticks into PostgreSQL in one transaction, then mirror them to QuestDB."""
    from ingot_storage.market.files import ingest_ticks_jsonl
    from ingot_storage.market.store import iter_ticks

    with open_input(name) as (handle, size):
        report = _in_one_transaction(
            session,
            name,
            size,
            lambda conn, tick: ingest_ticks_jsonl(
                conn, handle, source=name, skip_bad=skip_bad, progress=tick
            ),
        )
    mirror = session.questdb
    if mirror is not None and report.first is not None:
        with session.database.connect() as conn:
            for symbol in sorted(report.symbols):
                mirror.send_ticks(iter_ticks(conn, Symbol.parse(symbol), report.first, report.last))
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
    import httpx

    from ingot_storage.market.backfill import ingest_kraken_history
    from ingot_storage.sources.bounded_http import Limits
    from ingot_storage.sources.kraken import KrakenClient

    config = session.config
    database = session.database
    mirror = session.questdb
    with (
        httpx.Client(timeout=config.kraken_timeout_s, headers={"User-Agent": "ingot"}) as http,
        progress(f"Kraken {symbol} {interval}") as tick,
    ):
        client = KrakenClient(
            http,
            config.kraken_url,
            min_interval=config.kraken_min_interval_ms / 1000,
            retries=config.kraken_retries,
            limits=Limits(deadline_s=config.kraken_timeout_s),
        )
        return ingest_kraken_history(
            database.engine,
            client,
            symbol,
            interval,
            since,
            utc_now(),
            progress=lambda done, total: tick(done, total),
            on_stored=None if mirror is None else mirror.send_bars,
        )


def bars(
    session: Session, symbol_text: str, interval_text: str, since: str | None, limit: int
) -> BarsView:
    """The newest `limit` stored bars, oldest first."""
    symbol, interval = parse_symbol(symbol_text), parse_interval(interval_text)
    moment = parse_since(since)
    if limit < 1:
        raise BadInput("--limit", [f"{limit} must be at least 1"])
    from ingot_storage.market.store import latest_bars

    with session.database.connect() as conn:
        return BarsView(symbol, interval, latest_bars(conn, symbol, interval, moment, limit))


def gaps(
    session: Session,
    symbol_text: str,
    interval_text: str,
    since: str | None,
    until: str | None,
) -> GapReport:
    """Runs of missing bars between --since and --until (default: the stored series' ends)."""
    symbol, interval = parse_symbol(symbol_text), parse_interval(interval_text)
    start, end = parse_since(since), parse_since(until, "--until")
    if start is not None and end is not None and end < start:
        raise BadInput("--until", ["must not be before --since"])
    from ingot_storage.market.store import bar_openings, series_extent

    with session.database.connect() as conn:
        extent = series_extent(conn, symbol, interval)
        first = start or (extent.first if extent else None)
        last = end or (extent.last if extent else None)
        if first is None or last is None:
            return GapReport(symbol, interval, first, last, 0, [])
        openings = bar_openings(conn, symbol, interval, first, last)
        found = list(find_gaps(openings, interval, first, last))
    return GapReport(symbol, interval, first, last, extent.count if extent else 0, found)


# -- Typer registration -----------------------------------------------------------------------

ingest_app = typer.Typer(help="Ingest market data from Kraken, files or stdin.")


def register(app: typer.Typer) -> None:
    """Add the market-data commands to the root app."""

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
    ) -> None:
        """Ingest OHLCV bars; re-ingesting the same range stores nothing twice."""
        session = session_of(ctx)
        market, width = parse_symbol(symbol), parse_interval(interval)
        out = output_for(json_mode)
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
    ) -> None:
        """Ingest JSONL ticks ({"symbol", "price", "volume", "ts"} a line)."""
        render_ingest(
            output_for(json_mode), ingest_ticks_file(session_of(ctx), source, skip_bad), "ticks"
        )

    @app.command("bars")
    def bars_command(
        ctx: typer.Context,
        symbol: str = typer.Argument(..., help="Market, e.g. BTC-USD."),
        interval: str = typer.Argument(..., help="1m 5m 15m 30m 1h 4h 1d 1w."),
        since: str | None = typer.Option(None, "--since", help="Only bars opening since."),
        limit: int = typer.Option(
            50, "--limit", parser=whole_number(1, MAX_ROWS), help="Show the newest N bars."
        ),
        chart: bool = typer.Option(True, "--chart/--no-chart", help="Draw the close prices."),
        json_mode: bool = JsonOption,
    ) -> None:
        """Stored OHLCV bars as a table and a price chart."""
        render_bars(
            output_for(json_mode), bars(session_of(ctx), symbol, interval, since, limit), chart
        )

    @app.command("gaps")
    def gaps_command(
        ctx: typer.Context,
        symbol: str = typer.Argument(..., help="Market, e.g. BTC-USD."),
        interval: str = typer.Argument(..., help="1m 5m 15m 30m 1h 4h 1d 1w."),
        since: str | None = typer.Option(None, "--since", help="Range start (default: first bar)."),
        until: str | None = typer.Option(None, "--until", help="Range end (default: last bar)."),
        json_mode: bool = JsonOption,
    ) -> None:
        """Report missing bar intervals in a range."""
        render_gaps(output_for(json_mode), gaps(session_of(ctx), symbol, interval, since, until))

    app.add_typer(ingest_app, name="ingest")

"""Stored bars from the command line: the bars themselves with a chart, and gap reports."""

from __future__ import annotations

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.errors import BadInput
from ingot_cli.market_report import (
    BarsView,
    GapReport,
    render_bars,
    render_gaps,
)
from ingot_cli.parsing import (
    MAX_ROWS,
    parse_interval,
    parse_period,
    parse_since,
    parse_symbol,
    whole_number,
)
from ingot_cli.session import Session
from ingot_core.bars import find_gaps

__all__ = ["app", "bars", "gaps"]

app = typer.Typer()
"""This group's commands, joined to the root app by ingot_cli.main."""


def bars(
    session: Session,
    symbol_text: str,
    interval_text: str,
    since: str | None,
    limit: int,
    until: str | None = None,
) -> BarsView:
    """The newest `limit` stored bars (opening from `since`, before `until`), oldest first."""
    symbol, interval = parse_symbol(symbol_text), parse_interval(interval_text)
    moment, end = parse_period(since, until)
    if limit < 1:
        raise BadInput("--limit", [f"{limit} must be at least 1"])
    from ingot_storage.market.store import latest_bars

    with session.database.connect() as conn:
        return BarsView(symbol, interval, latest_bars(conn, symbol, interval, moment, limit, end))


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


@app.command("bars")
def bars_command(
    ctx: typer.Context,
    symbol: str = typer.Argument(..., help="Market, e.g. BTC-USD."),
    interval: str = typer.Argument(..., help="1m 5m 15m 30m 1h 4h 1d 1w."),
    since: str | None = typer.Option(None, "--since", help="Only bars opening since."),
    until: str | None = typer.Option(None, "--until", help="Only bars opening before."),
    limit: int = typer.Option(
        50, "--limit", parser=whole_number(1, MAX_ROWS), help="Show the newest N bars."
    ),
    chart: bool = typer.Option(True, "--chart/--no-chart", help="Draw the close prices."),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Stored OHLCV bars as a table and a price chart."""
    view = bars(session_of(ctx), symbol, interval, since, limit, until)
    render_bars(output_for(json_mode, fmt), view, chart)


@app.command("gaps")
def gaps_command(
    ctx: typer.Context,
    symbol: str = typer.Argument(..., help="Market, e.g. BTC-USD."),
    interval: str = typer.Argument(..., help="1m 5m 15m 30m 1h 4h 1d 1w."),
    since: str | None = typer.Option(None, "--since", help="Range start (default: first bar)."),
    until: str | None = typer.Option(None, "--until", help="Range end (default: last bar)."),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Report missing bar intervals in a range."""
    render_gaps(output_for(json_mode, fmt), gaps(session_of(ctx), symbol, interval, since, until))

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

__all__ = ["app", "bars", "gaps"]  # and the ticks command

app = typer.Typer()
"""This group's commands, joined to the root app by ingot_cli.main."""


def bars(
    session: Session,
    symbol_text: str,
    interval_text: str,
    since: str | None,
    limit: int,
    until: str | None = None,
    source_text: str | None = None,
) -> BarsView:
    """The newest `limit` stored bars (opening from `since`, before `until`), oldest first;
    with `source_text` (--from), built from the stored bars of that finer width."""
    symbol, interval = parse_symbol(symbol_text), parse_interval(interval_text)
    moment, end = parse_period(since, until)
    if limit < 1:
        raise BadInput("--limit", [f"{limit} must be at least 1"])
    if source_text is not None:
        from ingot_storage.market.aggregate import rolled_bars

        source = parse_interval(source_text)
        with session.database.connect() as conn:
            try:
                rolled = rolled_bars(conn, symbol, interval, source, moment, end, limit)
            except ValueError as error:
                raise BadInput("--from", [str(error)]) from None
        return BarsView(symbol, interval, [r.bar for r in rolled], source,
                        [(r.parts, r.expected) for r in rolled])  # fmt: skip
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
    source: str | None = typer.Option(
        None, "--from", help="Build the bars from the stored bars of this finer width, e.g. 1m."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Stored OHLCV bars as a table and a price chart (or built from finer ones: --from)."""
    view = bars(session_of(ctx), symbol, interval, since, limit, until, source)
    render_bars(output_for(json_mode, fmt), view, chart)


@app.command("ticks")
def ticks_command(
    ctx: typer.Context,
    symbol: str = typer.Argument(..., help="Market, e.g. BTC-USD."),
    since: str | None = typer.Option(None, "--since", help="Only ticks since."),
    until: str | None = typer.Option(None, "--until", help="Only ticks before."),
    bucket: str | None = typer.Option(
        None, "--bucket", help="Statistics per bucket of this width (1m 5m 15m 30m 1h 4h 1d 1w)."
    ),
    limit: int = typer.Option(
        50, "--limit", parser=whole_number(1, MAX_ROWS), help="The newest N ticks or buckets."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Stored ticks, or per bucket: count, first/last, min/max, mean, VWAP, p50/p95/p99."""
    from ingot_cli.ticks_report import render_buckets, render_ticks
    from ingot_storage.market.aggregate import list_ticks, tick_buckets

    market = parse_symbol(symbol)
    moment, end = parse_period(since, until)
    width = None if bucket is None else parse_interval(bucket).seconds
    with session_of(ctx).database.connect() as conn:
        if width is None:
            render_ticks(output_for(json_mode, fmt), market, list_ticks(conn, market, moment,
                                                                        end, limit))  # fmt: skip
        else:
            found = tick_buckets(conn, market, width, moment, end, limit)
            render_buckets(output_for(json_mode, fmt), market, bucket or "", found)


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

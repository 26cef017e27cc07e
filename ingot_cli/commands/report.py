"""What a trader reads: reports over the book (`ingot report …`).

`report equity` draws the book's NAV over time from its stored equity snapshots (one after
each fill), at the terminal's width with a time axis, and gives the points exactly with
`--json` or `--csv`.
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from decimal import Decimal

import typer

from ingot_cli.commands import JsonOption, output_for, session_of
from ingot_cli.errors import BadInput
from ingot_cli.output import format_amount, format_count
from ingot_cli.parsing import MAX_ROWS, parse_since, whole_number
from ingot_cli.run_report import render_runs, render_summary
from ingot_cli.session import Session
from ingot_core.engine.run_report import RunSummary
from ingot_core.numbers import shown

__all__ = ["app", "equity_points", "kept_run", "kept_runs"]

app = typer.Typer(help="Reports: the equity curve, strategy runs.")
"""The `ingot report` group."""


def equity_points(
    session: Session, since: str | None, until: str | None
) -> tuple[str, list[tuple[datetime, Decimal]]]:
    """The book's base currency and its NAV snapshots in the period, oldest first."""
    start, end = parse_since(since), parse_since(until, "--until")
    if start is not None and end is not None and end <= start:
        raise BadInput("--until", ["must be after --since"])
    from ingot_storage.trading.equity import iter_equity

    code = session.book.base_currency.code
    with session.database.connect() as conn:
        return code, list(iter_equity(conn, code, start, end))


@app.command("equity")
def equity_command(
    ctx: typer.Context,
    since: str | None = typer.Option(None, "--since", help="From this date or instant."),
    until: str | None = typer.Option(None, "--until", help="Before this date or instant."),
    book: str | None = typer.Option(None, "--book", help="Another book (as 'ingot --book')."),
    csv_mode: bool = typer.Option(False, "--csv", help="Print the points as CSV."),
    json_mode: bool = JsonOption,
) -> None:
    """NAV over time, from the equity snapshots: a chart, or its points exactly."""
    if csv_mode and json_mode:
        raise BadInput("--csv", ["choose one of --csv and --json"])
    session = session_of(ctx)
    if book is not None:
        session = session.for_book(book)
        ctx.call_on_close(session.close)
    code, points = equity_points(session, since, until)
    if json_mode:
        output_for(True).json([{"at": at, "nav": nav, "currency": code} for at, nav in points])
        return
    if csv_mode:
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["at", "nav", "currency"])
        out.writerows((at.isoformat(), format(nav, "f"), code) for at, nav in points)
        return
    _draw(session, code, points)


def _draw(session: Session, code: str, points: list[tuple[datetime, Decimal]]) -> None:
    from ingot_cli.chart import time_chart

    out = output_for(False)
    if not points:
        out.line("No equity snapshots in that period: the book records one after each fill.")
        return
    decimals = session.book.base_currency.decimals
    first, last = points[0], points[-1]
    for line in time_chart([at for at, _ in points], [nav for _, nav in points],
                           f"NAV {code} (UTC)"):  # fmt: skip
        out.line(line, markup=False)
    change = last[1] - first[1]
    out.line(
        f"{format_count(len(points))} snapshots, {first[0]:%Y-%m-%d %H:%M:%S} to "
        f"{last[0]:%Y-%m-%d %H:%M:%S} UTC: {format_amount(first[1], decimals)} -> "
        f"{format_amount(last[1], decimals)} {code} ({'+' if change >= 0 else ''}"
        f"{format_amount(change, decimals)})",
        markup=False,
    )


def kept_run(session: Session, run_id: str, book: str | None = None) -> RunSummary:
    """The summary kept when run `run_id` ended (in `book`, when given)."""
    from ingot_storage.trading.runs import find_runs

    with session.open_database(upgrade=True).connect() as conn:
        found = [s for s in find_runs(conn, run_id) if book is None or s.book == book]
    where = "" if book is None else f" in book {shown(book)}"
    if not found:
        raise BadInput("RUN_ID", [f"no run {shown(run_id)} kept{where}; 'ingot report runs' "
                                  "lists them"])  # fmt: skip
    if len(found) > 1:
        books = ", ".join(s.book for s in found)
        raise BadInput("RUN_ID", [f"run {shown(run_id)} ran in several books ({books}); "
                                  "add --book to choose one"])  # fmt: skip
    return found[0]


def kept_runs(session: Session, limit: int) -> list[RunSummary]:
    """The newest kept runs, newest first."""
    from ingot_storage.trading.runs import list_runs

    with session.open_database(upgrade=True).connect() as conn:
        return list_runs(conn, limit)


@app.command("run")
def run_command(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run's id, as its summary named it."),
    book: str | None = typer.Option(None, "--book", help="The book it ran in, when several."),
    json_mode: bool = JsonOption,
) -> None:
    """A strategy run's summary, as it was printed when the run ended."""
    render_summary(output_for(json_mode), kept_run(session_of(ctx), run_id, book))


@app.command("runs")
def runs_command(
    ctx: typer.Context,
    limit: int = typer.Option(
        50, "--limit", parser=whole_number(1, MAX_ROWS), help="Show at most this many runs."
    ),
    json_mode: bool = JsonOption,
) -> None:
    """Every kept strategy run, newest first, with its headline figures side by side."""
    render_runs(output_for(json_mode), kept_runs(session_of(ctx), limit))

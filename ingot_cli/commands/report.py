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
from ingot_cli.parsing import parse_since
from ingot_cli.session import Session

__all__ = ["app", "equity_points"]

app = typer.Typer(help="Reports over the book: its equity curve.", invoke_without_command=False)
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

"""What a trader reads: reports over the book (`ingot report …`).

- `report pnl`: realized and unrealized PnL, fees, net and turnover per period or symbol
  (ingot_core.engine.pnl), beside the ledger's NAV over the same range;
- `report lots`: tax lots by a booking method (ingot_core.engine.lots);
- `report equity`: NAV over time from the stored equity snapshots (one after each fill), drawn
  at the terminal's width with a time axis, or its points exactly (`--json`, `--csv`);
- `report run` and `report runs`: the summaries strategy runs kept when they ended.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.errors import BadInput
from ingot_cli.lots_report import render_lots
from ingot_cli.output import Column, Output, format_amount, format_count
from ingot_cli.parsing import MAX_ROWS, parse_period, parse_since, whole_number
from ingot_cli.run_report import render_runs, render_summary
from ingot_cli.session import Session
from ingot_cli.zone import label, when
from ingot_core.accounting import currency
from ingot_core.engine.lots import BookingMethod, book_lots
from ingot_core.engine.pnl import MarkAt, Period, PnlRow, pnl_by_period, pnl_by_symbol
from ingot_core.engine.run_report import RunSummary
from ingot_core.errors import MissingMarks
from ingot_core.numbers import shown
from ingot_core.symbols import Symbol

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from ingot_storage import Book

__all__ = ["PnlBy", "app", "equity_points", "kept_run", "kept_runs", "pnl_report"]

app = typer.Typer(help="Reports: PnL, tax lots, the equity curve, strategy runs.")
"""The `ingot report` group."""


def equity_points(
    session: Session, since: str | None, until: str | None
) -> tuple[str, list[tuple[datetime, Decimal]]]:
    """The book's base currency and its NAV snapshots in the period, oldest first."""
    start, end = parse_period(since, until)
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
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """NAV over time, from the equity snapshots: a chart, or its points exactly."""
    json_mode = json_mode or fmt is OutputFormat.JSON
    csv_mode = csv_mode or fmt is OutputFormat.CSV
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
                           f"NAV {code} ({label()})"):  # fmt: skip
        out.line(line, markup=False)
    change = last[1] - first[1]
    out.line(
        f"{format_count(len(points))} snapshots, {when(first[0])} to "
        f"{when(last[0])} {label()}: {format_amount(first[1], decimals)} -> "
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
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """A strategy run's summary, as it was printed when the run ended."""
    render_summary(output_for(json_mode, fmt), kept_run(session_of(ctx), run_id, book))


@app.command("runs")
def runs_command(
    ctx: typer.Context,
    limit: int = typer.Option(
        50, "--limit", parser=whole_number(1, MAX_ROWS), help="Show at most this many runs."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Every kept strategy run, newest first, with its headline figures side by side."""
    render_runs(output_for(json_mode, fmt), kept_runs(session_of(ctx), limit))


class PnlBy(StrEnum):
    """How `report pnl` groups: by calendar period (UTC) or by symbol."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    SYMBOL = "symbol"


def _periods(by: PnlBy | None, start: datetime, end: datetime) -> list[Period]:
    if by is None:
        return [Period("total", start, end)]
    periods, cursor = [], _floor(by, start)
    while cursor < end:
        following = _next(by, cursor)
        periods.append(Period(_label(by, cursor), max(cursor, start), min(following, end)))
        cursor = following
    return periods


def _floor(by: PnlBy, moment: datetime) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if by is PnlBy.WEEK:
        return day - timedelta(days=day.weekday())
    if by is PnlBy.MONTH:
        return day.replace(day=1)
    return day


def _next(by: PnlBy, moment: datetime) -> datetime:
    if by is PnlBy.DAY:
        return moment + timedelta(days=1)
    if by is PnlBy.WEEK:
        return moment + timedelta(weeks=1)
    return (moment.replace(day=28) + timedelta(days=4)).replace(day=1)


def _label(by: PnlBy, moment: datetime) -> str:
    if by is PnlBy.MONTH:
        return f"{moment:%Y-%m}"
    if by is PnlBy.WEEK:
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{when(moment, '%Y-%m-%d')}"


@dataclass(frozen=True)
class PnlReport:
    """`report pnl`'s rows, with the NAV the ledger gives at the range's ends."""

    currency: str
    rows: list[PnlRow]
    start: datetime | None
    end: datetime
    nav_start: Decimal | None
    nav_end: Decimal | None
    capital_in: Decimal


def pnl_report(
    session: Session, since: str | None, until: str | None, by: PnlBy | None
) -> PnlReport:
    """PnL over the range (default: from the first fill to now), grouped by `by`."""
    start, end = parse_since(since), parse_since(until, "--until") or datetime.now(UTC)
    if start is not None and end <= start and until is not None:
        raise BadInput("--until", ["must be after --since"])
    from ingot_storage.trading.pnl import iter_fills, marks_at

    book = session.book
    code = book.base_currency.code
    with session.database.connect() as conn:
        fills, mark_at = list(iter_fills(conn)), marks_at(conn)
        if by is PnlBy.SYMBOL:
            rows = pnl_by_symbol(fills, start, end, mark_at, book.booking, code)
        else:
            first = start or (fills[0].filled_at if fills else end)
            periods = _periods(by, first, end) if first < end else []
            rows = pnl_by_period(fills, periods, mark_at, book.booking, code) if periods else []
        opened = start or (fills[0].filled_at if fills else None)
        if opened is None or opened >= end:
            return PnlReport(code, [], opened, end, None, None, Decimal(0))
        nav_start, capital_start = _ledger_at(conn, book, opened, mark_at)
        nav_end, capital_end = _ledger_at(conn, book, end, mark_at)
    return PnlReport(code, rows, opened, end, nav_start, nav_end, capital_end - capital_start)


def _ledger_at(
    conn: Connection, book: Book, moment: datetime, mark_at: MarkAt
) -> tuple[Decimal | None, Decimal]:
    """NAV from the ledger's balances before `moment` at the marks of that instant (None: a
    held currency has no mark then), and the capital paid in by then (Equity:Capital)."""
    from ingot_core.accounting import Ledger
    from ingot_storage.ledger.register import balances_at

    ledger = Ledger.from_balances(book.ledger.accounts, balances_at(conn, moment), 0)
    base = book.base_currency
    marks = {}
    for account in ledger.accounts:
        code = account.currency.code
        if code != base.code and (price := mark_at(Symbol(code, base.code), moment)) is not None:
            marks[code] = price
    capital = sum(
        (ledger.balance(a.id) for a in ledger.accounts
         if a.name.startswith("Equity:Capital:") and a.currency.code == base.code),
        Decimal(0),
    )  # fmt: skip
    try:
        return ledger.nav(base, marks), capital
    except MissingMarks:
        return None, capital


@app.command("pnl")
def pnl_command(
    ctx: typer.Context,
    since: str | None = typer.Option(None, "--since", help="From this date or instant."),
    until: str | None = typer.Option(None, "--until", help="Before this date (default: now)."),
    by: PnlBy | None = typer.Option(None, "--by", help="day, week, month or symbol."),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Realized and unrealized PnL, fees, net and turnover, exact, in the book's currency."""
    render_pnl(output_for(json_mode, fmt), pnl_report(session_of(ctx), since, until, by))


def render_pnl(out: Output, report: PnlReport) -> None:
    """One row per period or symbol, a total under several, and the ledger's NAV change."""
    totals = PnlRow("total", *(sum((getattr(r, f) for r in report.rows), Decimal(0))
                               for f in ("realized", "unrealized", "fees", "net", "turnover")),
                    sum(r.fills for r in report.rows))  # fmt: skip
    change = (None if report.nav_start is None or report.nav_end is None
              else report.nav_end - report.nav_start)  # fmt: skip
    if out.json_mode:
        out.json({"currency": report.currency, "start": report.start, "end": report.end,
                  "rows": [asdict(r) for r in report.rows], "total": asdict(totals),
                  "nav_start": report.nav_start, "nav_end": report.nav_end,
                  "nav_change": change, "capital_in": report.capital_in})  # fmt: skip
        return
    if not report.rows:
        out.line("No fills in that range.")
        return
    places = currency(report.currency).decimals

    def money(amount: Decimal) -> str:
        return format_amount(amount, places)

    def ret(row: PnlRow) -> str:
        base = report.nav_start
        return "-" if not base or row.key != "total" else f"{row.net / base * 100:.2f}%"

    shown_rows = [*report.rows, totals] if len(report.rows) > 1 else report.rows
    out.table(
        [
            Column("Period/symbol"),
            Column("Realized", "right"),
            Column("Unrealized", "right"),
            Column("Fees", "right"),
            Column("Net", "right"),
            Column("Turnover", "right"),
            Column("Fills", "right"),
            Column("Return", "right"),
        ],
        [
            (
                r.key,
                money(r.realized),
                money(r.unrealized),
                money(r.fees),
                money(r.net),
                money(r.turnover),
                format_count(r.fills),
                ret(r),
            )
            for r in shown_rows
        ],
    )
    if change is not None:
        start, end = report.nav_start or Decimal(0), report.nav_end or Decimal(0)
        paid = f", of which {money(report.capital_in)} capital paid in" if report.capital_in else ""
        out.line(f"NAV by the ledger: {money(start)} -> {money(end)} {report.currency} "
                 f"({money(change)}{paid})", markup=False)  # fmt: skip


@app.command("lots")
def lots_command(
    ctx: typer.Context,
    method: BookingMethod | None = typer.Option(
        None, "--method", help="fifo, lifo, hifo or average (default: the book's method)."
    ),
    open_only: bool = typer.Option(False, "--open", help="Only the lots still held."),
    closed_only: bool = typer.Option(False, "--closed", help="Only the disposals."),
    year: int | None = typer.Option(
        None, "--year", parser=whole_number(1970, 9999), help="Only disposals in this year."
    ),
    csv_mode: bool = typer.Option(False, "--csv", help="Print the lots as CSV."),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Tax lots: each buy's lot, and each disposal with its cost, proceeds and gain."""
    csv_mode = csv_mode or fmt is OutputFormat.CSV
    if open_only and closed_only:
        raise BadInput("--open", ["choose one of --open and --closed"])
    if csv_mode and json_mode:
        raise BadInput("--csv", ["choose one of --csv and --json"])
    session = session_of(ctx)
    chosen = method or session.book.booking
    from ingot_storage.trading.pnl import iter_fills

    with session.database.connect() as conn:
        open_lots, closed = book_lots(iter_fills(conn), chosen)
    if year is not None:
        closed = [c for c in closed if c.closed_at.year == year]
    out = output_for(json_mode or fmt is OutputFormat.JSON)
    render_lots(out, chosen, [] if closed_only else open_lots, [] if open_only else closed,
                csv_mode=csv_mode)  # fmt: skip

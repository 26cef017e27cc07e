"""The order history from the command line: listing, export, and following it live
(`ingot history --follow`, `ingot watch`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.errors import BadInput
from ingot_cli.exporting import ExportFormat, ExportResult, report_export, run_export
from ingot_cli.follow import watch
from ingot_cli.parsing import (
    MAX_ROWS,
    parse_period,
    parse_symbol,
    positive_seconds,
    whole_number,
)
from ingot_cli.session import Session
from ingot_cli.trading_report import render_history

if TYPE_CHECKING:  # storage loads when a command runs, not for --help
    from ingot_storage.trading.orders import OrderRow

__all__ = ["app", "export_history", "history"]

app = typer.Typer()
"""This group's commands, joined to the root app by ingot_cli.main."""


def history(
    session: Session, symbol: str | None, since: str | None, limit: int, until: str | None = None
) -> list[OrderRow]:
    """Order history, newest first (seed 000's `history`)."""
    moment, end = parse_period(since, until)
    if limit < 1:
        raise BadInput("--limit", [f"{limit} must be at least 1"])
    from ingot_storage.trading.orders import query_orders

    wanted = str(parse_symbol(symbol)) if symbol else None
    with session.database.connect() as conn:
        return query_orders(conn, wanted, moment, limit, end)


def export_history(
    session: Session,
    fmt: ExportFormat,
    since: str | None,
    output: str | None,
    force: bool,
    until: str | None = None,
) -> ExportResult:
    """Stream the order history to a file (atomically) or stdout."""
    from ingot_storage.trading.export import export_orders_csv, export_orders_json

    writers = {ExportFormat.CSV: export_orders_csv, ExportFormat.JSON: export_orders_json}
    return run_export(session, writers, "history", fmt, since, output, force, until)


history_app = typer.Typer(
    help="Order history: every order's status changes.", invoke_without_command=True
)


@history_app.callback()
def history_group(
    ctx: typer.Context,
    symbol: str | None = typer.Option(None, "--symbol", help="Only this market."),
    since: str | None = typer.Option(None, "--since", help="Only orders recorded since."),
    until: str | None = typer.Option(None, "--until", help="Only orders recorded before."),
    limit: int = typer.Option(
        50, "--limit", parser=whole_number(1, MAX_ROWS), help="Show at most this many rows."
    ),
    follow: bool = typer.Option(
        False, "--follow", help="Keep showing new orders as they land (as 'ingot watch')."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Order history, newest first (or run a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    if follow:
        wanted = str(parse_symbol(symbol)) if symbol else None
        watch(session_of(ctx), wanted, limit, None)
        return
    render_history(
        output_for(json_mode, fmt), history(session_of(ctx), symbol, since, limit, until)
    )


@history_app.command("export")
def history_export_command(
    ctx: typer.Context,
    fmt: ExportFormat = typer.Option(..., "--format", help="csv or json."),
    since: str | None = typer.Option(None, "--since", help="Only orders recorded since."),
    until: str | None = typer.Option(None, "--until", help="Only orders recorded before."),
    output: str | None = typer.Option(
        None,
        "--output",
        help="File ('-': stdout); default: stdout if piped, else history_YYYYMMDD.FORMAT.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
) -> None:
    """Export the order history, oldest first, streaming any size."""
    report_export(export_history(session_of(ctx), fmt, since, output, force, until), "order")


app.add_typer(history_app, name="history")


@app.command("watch")
def watch_command(
    ctx: typer.Context,
    symbol: str | None = typer.Option(None, "--symbol", help="Only this market."),
    recent: int = typer.Option(
        20,
        "--recent",
        parser=whole_number(0, MAX_ROWS),
        help="Orders to show before following.",
    ),
    seconds: float | None = typer.Option(
        None,
        "--seconds",
        parser=positive_seconds,
        help="Stop after this many seconds (default: until a keypress).",
    ),
) -> None:
    """Follow the trade log live: buys green, sells red, rejected grey; any key leaves."""
    watch(session_of(ctx), symbol, recent, seconds)

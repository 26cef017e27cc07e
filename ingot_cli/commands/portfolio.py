"""The portfolio from the command line: positions and the book's status."""

from __future__ import annotations

from decimal import Decimal

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.session import Session
from ingot_cli.trading_report import (
    Status,
    render_positions,
    render_status,
)
from ingot_core.errors import MissingMarks
from ingot_storage.writer.metrics import WorkerMetrics

__all__ = ["app", "status"]

app = typer.Typer()
"""This group's commands, joined to the root app by ingot_cli.main."""


def status(session: Session) -> Status:
    """Mode, NAV, database and worker metrics."""
    view = session.view
    try:
        nav: Decimal | None = view.nav()
        missing: tuple[str, ...] = ()
    except MissingMarks as error:
        nav, missing = None, error.codes
    worker = session.worker
    metrics = worker.metrics() if worker is not None else WorkerMetrics()
    tradelog = session.trading.counters()["tradelog"]
    source, feed = "this process", None
    if worker is None:  # the process trading the book, when one does, has the live counters
        from ingot_storage.trading.published import read_published

        database = session.database
        live = [p for p in read_published(session.config.data_dir, database.book)
                if p.database == database.identity]  # fmt: skip
        if live:
            data = live[0].data
            metrics = WorkerMetrics(**{k: v for k, v in (data.get("worker") or {}).items()
                                       if k != "mean_insert_ms"})  # fmt: skip
            tradelog, feed = data.get("tradelog") or tradelog, data.get("feed")
            source = f"pid {live[0].pid} ({live[0].command}), {live[0].age_s:.1f} s ago"
    return Status(
        view.mode,
        nav,
        view.base_currency.code,
        missing,
        f"{session.database.kind} ({session.database.display_url})",
        len(view.open_orders),
        sum(1 for p in view.positions.values() if p.quantity),
        metrics,
        tradelog,
        source,
        feed,
    )


@app.command("positions")
def positions_command(
    ctx: typer.Context, json_mode: bool = JsonOption, fmt: OutputFormat | None = FormatOption
) -> None:
    """Positions with average cost, mark, unrealized and realized PnL, fees."""
    view = session_of(ctx).view
    held = [p for p in view.positions.values() if p.quantity or p.realized_pnl]
    render_positions(output_for(json_mode, fmt), held, view.marks)


@app.command("status")
def status_command(
    ctx: typer.Context, json_mode: bool = JsonOption, fmt: OutputFormat | None = FormatOption
) -> None:
    """Mode, NAV, database and storage worker metrics."""
    render_status(output_for(json_mode, fmt), status(session_of(ctx)))

"""Trading from the command line: orders, marks, positions, history and status.

Every command that changes something waits for its events to be committed (the worker's
flush barrier) before it reports success.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import typer

from ingot_cli.commands import JsonOption, output_for, session_of
from ingot_cli.errors import BadInput
from ingot_cli.exporting import ExportFormat, ExportResult, report_export, run_export
from ingot_cli.parsing import MAX_ROWS, parse_amount, parse_since, parse_symbol, whole_number
from ingot_cli.session import Session
from ingot_cli.trading_report import (
    Done,
    Status,
    describe_order,
    render_history,
    render_orders,
    render_positions,
    render_status,
    report_done,
)
from ingot_core.errors import MissingMarks
from ingot_core.execution import Order, OrderRequest, OrderSide, OrderType
from ingot_core.feed import Ticker
from ingot_storage.writer.metrics import FlushOutcome, WorkerMetrics

if TYPE_CHECKING:  # storage loads when a command runs, not for --help
    from ingot_storage.trading.orders import OrderRow

__all__ = [
    "cancel_order",
    "export_history",
    "history",
    "place",
    "register",
    "set_mark",
    "status",
]


# -- the command layer ------------------------------------------------------------------------


def place(
    session: Session,
    side: OrderSide,
    symbol_text: str,
    qty_text: str,
    limit_text: str | None,
    client_id: str | None,
) -> Done:
    """Place a market or limit order and wait until it is committed."""
    symbol = parse_symbol(symbol_text)
    quantity = parse_amount(qty_text, "quantity")
    limit = parse_amount(limit_text, "limit price") if limit_text is not None else None
    request = OrderRequest(
        client_id or session.new_client_id(),
        symbol,
        side,
        OrderType.LIMIT if limit is not None else OrderType.MARKET,
        quantity,
        limit,
    )
    engine = session.trading_engine
    result = engine.place_order(request, datetime.now(UTC))
    return Done(result.order, result.created, session.commit())


def cancel_order(session: Session, order_id: str) -> Done:
    """Cancel a resting order by client or exchange id."""
    order = session.trading_engine.cancel(order_id, datetime.now(UTC))
    return Done(order, True, session.commit())


def set_mark(
    session: Session, symbol_text: str, price_text: str
) -> tuple[Ticker, list[Order], FlushOutcome]:
    """A manual tick: the tick taken, any resting orders it filled, and where it was stored."""
    tick = Ticker(parse_symbol(symbol_text), parse_amount(price_text, "price"), datetime.now(UTC))
    filled = session.trading_engine.on_tick(tick)
    return tick, filled, session.commit()


def history(session: Session, symbol: str | None, since: str | None, limit: int) -> list[OrderRow]:
    """Order history, newest first (seed 000's `history`)."""
    moment = parse_since(since)
    if limit < 1:
        raise BadInput("--limit", [f"{limit} must be at least 1"])
    from ingot_storage.trading.orders import query_orders

    wanted = str(parse_symbol(symbol)) if symbol else None
    with session.database.connect() as conn:
        return query_orders(conn, wanted, moment, limit)


def export_history(
    session: Session, fmt: ExportFormat, since: str | None, output: str | None, force: bool
) -> ExportResult:
    """Stream the order history to a file (atomically) or stdout."""
    from ingot_storage.trading.export import export_orders_csv, export_orders_json

    writers = {ExportFormat.CSV: export_orders_csv, ExportFormat.JSON: export_orders_json}
    return run_export(session, writers, "history", fmt, since, output, force)


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
    return Status(
        view.mode,
        nav,
        view.base_currency.code,
        missing,
        f"{session.database.kind} ({session.database.display_url})",
        len(view.open_orders),
        sum(1 for p in view.positions.values() if p.quantity),
        metrics,
    )


# -- Typer registration -----------------------------------------------------------------------

history_app = typer.Typer(
    help="Order history: every order's status changes.", invoke_without_command=True
)


def register(app: typer.Typer) -> None:
    """Add the trading commands to the root app."""

    def order_command(side: OrderSide) -> None:
        verb = side.value.lower()

        @app.command(verb, help=f"{side.value} SYMBOL at market, or at --limit PRICE.")
        def command(
            ctx: typer.Context,
            symbol: str = typer.Argument(..., help="Market, e.g. BTC-USD."),
            quantity: str = typer.Argument(..., help="Base units, e.g. 0.01."),
            limit: str | None = typer.Option(
                None, "--limit", help="Limit price; rests until crossed."
            ),
            client_id: str | None = typer.Option(
                None, "--client-id", help="Your id for the order; reusing it never opens twice."
            ),
            json_mode: bool = JsonOption,
        ) -> None:
            report_done(
                output_for(json_mode),
                place(session_of(ctx), side, symbol, quantity, limit, client_id),
            )

    order_command(OrderSide.BUY)
    order_command(OrderSide.SELL)

    @app.command("cancel")
    def cancel_command(
        ctx: typer.Context,
        order_id: str = typer.Argument(..., help="Client id or exchange id of an open order."),
        json_mode: bool = JsonOption,
    ) -> None:
        """Cancel an open (resting) order."""
        report_done(output_for(json_mode), cancel_order(session_of(ctx), order_id))

    @app.command("orders")
    def orders_command(ctx: typer.Context, json_mode: bool = JsonOption) -> None:
        """List open (resting) orders."""
        render_orders(output_for(json_mode), session_of(ctx).view.open_orders)

    @app.command("mark")
    def mark_command(
        ctx: typer.Context,
        symbol: str = typer.Argument(..., help="Market, e.g. BTC-USD."),
        price: str = typer.Argument(..., help="Last-trade price in the quote currency."),
    ) -> None:
        """Set a manual mark (a tick); resting orders it crosses fill."""
        tick, filled, outcome = set_mark(session_of(ctx), symbol, price)
        out = output_for(False)
        out.line(f"Mark {tick.symbol} = {tick.price}")
        for order in filled:
            out.line(describe_order(order))
        if outcome is FlushOutcome.SPILLED:
            typer.echo(
                "warning: PostgreSQL is unreachable; saved to the local spill file", err=True
            )

    @app.command("positions")
    def positions_command(ctx: typer.Context, json_mode: bool = JsonOption) -> None:
        """Positions with average cost, mark, unrealized and realized PnL, fees."""
        view = session_of(ctx).view
        held = [p for p in view.positions.values() if p.quantity or p.realized_pnl]
        render_positions(output_for(json_mode), held, view.marks)

    @app.command("status")
    def status_command(ctx: typer.Context, json_mode: bool = JsonOption) -> None:
        """Mode, NAV, database and storage worker metrics."""
        render_status(output_for(json_mode), status(session_of(ctx)))

    @history_app.callback()
    def history_group(
        ctx: typer.Context,
        symbol: str | None = typer.Option(None, "--symbol", help="Only this market."),
        since: str | None = typer.Option(None, "--since", help="Only orders submitted since."),
        limit: int = typer.Option(
            50, "--limit", parser=whole_number(1, MAX_ROWS), help="Show at most this many rows."
        ),
        follow: bool = typer.Option(
            False, "--follow", help="Keep showing new orders as they land (as 'ingot watch')."
        ),
        json_mode: bool = JsonOption,
    ) -> None:
        """Order history, newest first (or run a subcommand)."""
        if ctx.invoked_subcommand is not None:
            return
        if follow:
            from ingot_cli.follow import watch

            wanted = str(parse_symbol(symbol)) if symbol else None
            watch(session_of(ctx), wanted, limit, None)
            return
        render_history(output_for(json_mode), history(session_of(ctx), symbol, since, limit))

    @history_app.command("export")
    def history_export_command(
        ctx: typer.Context,
        fmt: ExportFormat = typer.Option(..., "--format", help="csv or json."),
        since: str | None = typer.Option(None, "--since", help="Only orders submitted since."),
        output: str | None = typer.Option(
            None,
            "--output",
            help="File to write ('-' for stdout); default history_YYYYMMDD.FORMAT.",
        ),
        force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
    ) -> None:
        """Export the order history, oldest first, streaming any size."""
        report_export(export_history(session_of(ctx), fmt, since, output, force), "orders")

    app.add_typer(history_app, name="history")

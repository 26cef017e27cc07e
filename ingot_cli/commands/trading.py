"""Trading from the command line: orders, marks, positions, history and status.

Every command that changes something waits for its events to be committed (the worker's
flush barrier) before it reports success.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import typer

from ingot_cli.commands import JsonOption, output_for, session_of
from ingot_cli.errors import EXIT_BAD_INPUT, BadInput, report_error
from ingot_cli.exporting import ExportFormat, ExportResult, report_export, run_export
from ingot_cli.output import Column, Output, format_amount, format_count, order_price_text
from ingot_cli.parsing import MAX_ROWS, parse_amount, parse_since, parse_symbol, whole_number
from ingot_cli.session import Session
from ingot_core.engine import Position
from ingot_core.errors import MissingMarks
from ingot_core.execution import Order, OrderRequest, OrderSide, OrderStatus, OrderType
from ingot_core.feed import Ticker
from ingot_core.symbols import Symbol
from ingot_storage.metrics import FlushOutcome, WorkerMetrics

if TYPE_CHECKING:  # storage loads when a command runs, not for --help
    from ingot_storage.order_history import OrderRow

__all__ = [
    "cancel_order",
    "export_history",
    "history",
    "place",
    "register",
    "set_mark",
    "status",
]


# -- parsing ----------------------------------------------------------------------------------


# -- the command layer ------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """A change and whether it reached PostgreSQL or the local spill."""

    order: Order | None
    created: bool
    outcome: FlushOutcome


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
    from ingot_storage.order_history import query_orders

    wanted = str(parse_symbol(symbol)) if symbol else None
    with session.database.connect() as conn:
        return query_orders(conn, wanted, moment, limit)


def export_history(
    session: Session, fmt: ExportFormat, since: str | None, output: str | None, force: bool
) -> ExportResult:
    """Stream the order history to a file (atomically) or stdout."""
    from ingot_storage.export import export_orders_csv, export_orders_json

    writers = {ExportFormat.CSV: export_orders_csv, ExportFormat.JSON: export_orders_json}
    return run_export(session, writers, "history", fmt, since, output, force)


@dataclass(frozen=True)
class Status:
    """What `ingot status` shows."""

    mode: str
    nav: Decimal | None
    currency: str
    missing_marks: tuple[str, ...]
    database: str
    open_orders: int
    positions: int
    worker: WorkerMetrics


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


# -- rendering --------------------------------------------------------------------------------


def _describe(order: Order) -> str:
    r = order.request
    what = f"{r.side.value} {r.quantity} {r.symbol}"
    decimals = r.symbol.quote_currency.decimals
    if order.status is OrderStatus.FILLED and order.fill_price is not None:
        return (
            f"Filled: {what} @ {format_amount(order.fill_price, decimals)} "
            f"(cost {format_amount(order.cost or Decimal(0), decimals)}, "
            f"fee {format_amount(order.fee or Decimal(0), decimals)}) order {r.client_id}"
        )
    if order.status is OrderStatus.OPEN:
        limit = format_amount(r.limit_price or Decimal(0), decimals)
        return f"Open: {what} limit {limit} order {r.client_id} ({order.exchange_id})"
    if order.status is OrderStatus.SHADOW:
        return f"Shadow: {what} recorded, not sent (SHADOW mode) order {r.client_id}"
    reason = f": {order.reason}" if order.reason else ""
    return f"{order.status.value}{reason} (order {r.client_id}: {what})"


def _order_json(order: Order) -> dict[str, object]:
    r = order.request
    return {
        "client_id": r.client_id,
        "exchange_id": order.exchange_id,
        "symbol": str(r.symbol),
        "side": r.side.value,
        "type": r.type.value,
        "quantity": r.quantity,
        "limit_price": r.limit_price,
        "status": order.status.value,
        "fill_price": order.fill_price,
        "cost": order.cost,
        "fee": order.fee,
        "reason": order.reason,
        "submitted_at": order.submitted_at,
    }


def report_done(out: Output, done: Done) -> None:
    """Print the order's outcome; exit 11 when it was rejected."""
    order = done.order
    if order is None:
        return
    if out.json_mode:
        out.json({**_order_json(order), "created": done.created, "storage": done.outcome.value})
    else:
        suffix = "" if done.created else " (already placed: nothing new was sent)"
        out.line(_describe(order) + suffix)
    if done.outcome is FlushOutcome.SPILLED:
        typer.echo(
            "warning: PostgreSQL is unreachable; saved to the local spill file, "
            "it will be written when the database is back",
            err=True,
        )
    if order.status is OrderStatus.REJECTED:
        # Recorded as rejected (an order the book keeps), and still the command's failure.
        report_error(
            f"order {order.request.client_id} rejected: {order.reason or 'no reason given'}"
        )
        raise typer.Exit(EXIT_BAD_INPUT)


def render_orders(out: Output, orders: Sequence[Order]) -> None:
    """Open orders."""
    if out.json_mode:
        out.json([_order_json(o) for o in orders])
        return
    out.table(
        [
            Column("Submitted"),
            Column("Order"),
            Column("Symbol"),
            Column("Side"),
            Column("Qty", "right"),
            Column("Limit", "right"),
            Column("Exchange ID"),
        ],
        [
            (
                f"{o.submitted_at:%Y-%m-%d %H:%M:%S}",
                o.request.client_id,
                str(o.request.symbol),
                o.request.side.value,
                format_amount(o.request.quantity),
                format_amount(
                    o.request.limit_price or Decimal(0), o.request.symbol.quote_currency.decimals
                ),
                o.exchange_id,
            )
            for o in orders
        ],
    )


def render_positions(
    out: Output, positions: Sequence[Position], marks: dict[Symbol, Decimal]
) -> None:
    """Positions with cost, mark and PnL."""
    rows = []
    for p in positions:
        dec = p.symbol.quote_currency.decimals
        mark = marks.get(p.symbol)
        value = p.market_value(mark) if mark is not None else None
        unrealized = value - p.cost_basis if value is not None else None
        rows.append((p, dec, mark, value, unrealized))
    if out.json_mode:
        out.json(
            [
                {
                    "symbol": str(p.symbol),
                    "quantity": p.quantity,
                    "cost_basis": p.cost_basis,
                    "average_cost": p.average_cost(),
                    "mark": mark,
                    "market_value": value,
                    "unrealized_pnl": u,
                    "realized_pnl": p.realized_pnl,
                    "fees": p.fees,
                    "realized_after_fees": p.realized_after_fees,
                }
                for p, _, mark, value, u in rows
            ]
        )
        return

    def amount(v: Decimal | None, dec: int) -> str:
        return "-" if v is None else format_amount(v, dec)

    out.table(
        [
            Column("Symbol"),
            Column("Qty", "right"),
            Column("Avg cost", "right"),
            Column("Mark", "right"),
            Column("Value", "right"),
            Column("Unrealized", "right"),
            Column("Realized", "right"),
            Column("Fees", "right"),
        ],
        [
            (
                str(p.symbol),
                format_amount(p.quantity),
                amount(p.average_cost(dec), dec),
                amount(mark, dec),
                amount(value, dec),
                amount(u, dec),
                format_amount(p.realized_pnl, dec),
                format_amount(p.fees, dec),
            )
            for p, dec, mark, value, u in rows
        ],
    )


def render_history(out: Output, rows: Sequence[OrderRow]) -> None:
    """Seed 000's history table (TIMESTAMP SYMBOL SIDE TYPE QTY PRICE STATUS), or JSON."""
    if out.json_mode:
        out.json([r.__dict__ for r in rows])
        return
    out.table(
        [
            Column("Timestamp"),
            Column("Symbol"),
            Column("Side"),
            Column("Type"),
            Column("Qty", "right"),
            Column("Price", "right"),
            Column("Status"),
        ],
        [
            (
                f"{r.event_at:%Y-%m-%d %H:%M:%S}",
                r.symbol,
                r.side,
                r.order_type,
                format_amount(r.quantity),
                order_price_text(r),
                r.status,
            )
            for r in rows
        ],
    )


def render_status(out: Output, s: Status) -> None:
    """Status as key/value lines, or JSON."""
    m = s.worker
    if out.json_mode:
        out.json(
            {
                "mode": s.mode,
                "nav": s.nav,
                "currency": s.currency,
                "missing_marks": list(s.missing_marks),
                "database": s.database,
                "open_orders": s.open_orders,
                "positions": s.positions,
                "worker": {**m.__dict__, "mean_insert_ms": m.mean_insert_ms},
            }
        )
        return
    nav = (
        f"{format_amount(s.nav, 2)} {s.currency}"
        if s.nav is not None
        else f"unknown (no mark for {', '.join(s.missing_marks)})"
    )
    out.table(
        [Column("Status"), Column("")],
        [
            ("Mode", s.mode.upper()),
            ("NAV", nav),
            ("Database", s.database),
            ("Open orders", format_count(s.open_orders)),
            ("Positions", format_count(s.positions)),
            (
                "Worker",
                f"queue {m.queue_depth}, batches {m.batches}, rows {m.rows}, "
                f"dropped ticks {m.dropped_ticks}, spill {m.spill_bytes} B, errors {m.errors}",
            ),
            (
                "Insert latency",
                f"last {m.last_insert_ms:.1f} ms, mean {m.mean_insert_ms:.1f} ms, "
                f"max {m.max_insert_ms:.1f} ms",
            ),
        ],
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
            out.line(_describe(order))
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

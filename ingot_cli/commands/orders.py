"""Orders from the command line: buy, sell, cancel, the open orders, manual marks.

Every command that changes something waits for its events to be committed (the worker's
flush barrier) before it reports success.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.parsing import parse_amount, parse_symbol
from ingot_cli.session import Session
from ingot_cli.trading_report import (
    Done,
    describe_order,
    render_orders,
    report_done,
)
from ingot_core.execution import Order, OrderRequest, OrderSide, OrderType
from ingot_core.feed import Ticker
from ingot_storage.writer.metrics import FlushOutcome

__all__ = ["app", "cancel_order", "place", "set_mark"]

app = typer.Typer()
"""This group's commands, joined to the root app by ingot_cli.main."""


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


def order_command(side: OrderSide) -> None:
    verb = side.value.lower()

    @app.command(verb, help=f"{side.value} SYMBOL at market, or at --limit PRICE.")
    def command(
        ctx: typer.Context,
        symbol: str = typer.Argument(..., help="Market, e.g. BTC-USD."),
        quantity: str = typer.Argument(..., help="Base units, e.g. 0.01."),
        limit: str | None = typer.Option(None, "--limit", help="Limit price; rests until crossed."),
        client_id: str | None = typer.Option(
            None, "--client-id", help="Your id for the order; reusing it never opens twice."
        ),
        json_mode: bool = JsonOption,
        fmt: OutputFormat | None = FormatOption,
    ) -> None:
        report_done(
            output_for(json_mode, fmt),
            place(session_of(ctx), side, symbol, quantity, limit, client_id),
        )


order_command(OrderSide.BUY)


order_command(OrderSide.SELL)


@app.command("cancel")
def cancel_command(
    ctx: typer.Context,
    order_id: str = typer.Argument(..., help="Client id or exchange id of an open order."),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Cancel an open (resting) order."""
    report_done(output_for(json_mode, fmt), cancel_order(session_of(ctx), order_id))


@app.command("orders")
def orders_command(
    ctx: typer.Context, json_mode: bool = JsonOption, fmt: OutputFormat | None = FormatOption
) -> None:
    """List open (resting) orders."""
    render_orders(output_for(json_mode, fmt), session_of(ctx).view.open_orders)


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
        typer.echo("warning: PostgreSQL is unreachable; saved to the local spill file", err=True)

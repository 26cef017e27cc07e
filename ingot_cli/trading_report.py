"""What the trading commands report, and how it is printed: an order's outcome, open orders,
positions, the order history and the session's status (table or JSON)."""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import typer

from ingot_cli.errors import EXIT_BAD_INPUT, report_error
from ingot_cli.output import (
    Column,
    Output,
    format_amount,
    format_count,
    money_shown,
    money_text,
    order_price_text,
)
from ingot_cli.zone import label, when
from ingot_core.engine import Position
from ingot_core.execution import Order, OrderStatus
from ingot_core.symbols import Symbol
from ingot_storage.writer.metrics import FlushOutcome, WorkerMetrics

if TYPE_CHECKING:
    from ingot_storage.trading.orders import OrderRow

__all__ = [
    "Done",
    "Status",
    "describe_order",
    "render_history",
    "render_orders",
    "render_positions",
    "render_status",
    "report_done",
]


@dataclass(frozen=True)
class Done:
    """A change and whether it reached PostgreSQL or the local spill."""

    order: Order | None
    created: bool
    outcome: FlushOutcome


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
    tradelog: dict[str, Any] | None = None
    source: str = "this process"  # whose counters these are: this one, or the trading one
    feed: dict[str, Any] | None = None  # a running feed's, published by its process


def describe_order(order: Order) -> str:
    """One line on an order: filled (price, cost, fee), open, shadow, or why it is not."""
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
        out.line(describe_order(order) + suffix)
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
            Column(f"Submitted ({label()})"),
            Column("Order"),
            Column("Symbol"),
            Column("Side"),
            Column("Qty", "right"),
            Column("Limit", "right"),
            Column("Exchange ID", drop=1),
        ],
        [
            (
                f"{when(o.submitted_at)}",
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


def _average_cost(p: Position) -> tuple[Decimal | None, bool]:
    """Cost per unit held, to 18 places, and whether that is exact (100 / 3 is not)."""
    if not p.quantity:
        return None, True
    ratio = decimal.Context(prec=60).divide(p.cost_basis, p.quantity)
    held = ratio.quantize(Decimal(1).scaleb(-18), rounding=decimal.ROUND_HALF_EVEN)
    return held.normalize() if held else Decimal(0), held * p.quantity == p.cost_basis


def render_positions(
    out: Output, positions: Sequence[Position], marks: dict[Symbol, Decimal]
) -> None:
    """Positions with cost, mark and PnL: amounts in the quote currency's places, where a
    value is rounded to them (a valuation at a mark, an average cost) marked with ≈."""
    rows = []
    for p in positions:
        dec = p.symbol.quote_currency.decimals
        mark = marks.get(p.symbol)
        value = p.market_value(mark) if mark is not None else None
        unrealized = value - p.cost_basis if value is not None else None
        rows.append((p, dec, mark, value, unrealized))
    if out.json_mode:

        def money(v: Decimal | None, dec: int) -> str | None:
            return None if v is None else money_text(v, dec)

        out.json(
            [
                {
                    "symbol": str(p.symbol),
                    "quantity": p.quantity,
                    "cost_basis": money(p.cost_basis, dec),
                    "average_cost": _average_cost(p)[0],
                    "average_cost_exact": _average_cost(p)[1],
                    "mark": mark,
                    "market_value": money(value, dec),
                    "unrealized_pnl": money(u, dec),
                    "realized_pnl": money(p.realized_pnl, dec),
                    "fees": money(p.fees, dec),
                    "realized_after_fees": money(p.realized_after_fees, dec),
                }
                for p, dec, mark, value, u in rows
            ]
        )
        return

    def amount(v: Decimal | None, dec: int) -> str:
        return "-" if v is None else money_shown(v, dec)

    out.table(
        [
            Column("Symbol"),
            Column("Qty", "right"),
            Column("Avg cost", "right"),
            Column("Mark", "right"),
            Column("Value", "right"),
            Column("Unrealized", "right"),
            Column("Realized", "right"),
            Column("Fees", "right", drop=1),
        ],
        [
            (
                str(p.symbol),
                format_amount(p.quantity),
                amount(_average_cost(p)[0], dec),
                "-" if mark is None else format_amount(mark, dec),  # a price: as given
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
            Column(f"Timestamp ({label()})"),
            Column("Symbol"),
            Column("Side"),
            Column("Type"),
            Column("Qty", "right"),
            Column("Price", "right"),
            Column("Status"),
        ],
        [
            (
                f"{when(r.event_at)}",
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


def _feed_text(feed: dict[str, Any]) -> str:
    text = (f"{feed.get('received', 0):,} ticks, {feed.get('fills', 0):,} fills, "
            f"{feed.get('quotes', 0):,} quotes, {feed.get('signals', 0):,} signals")  # fmt: skip
    return text + (f"; {feed['about']}" if feed.get("about") else "")


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
                "tradelog": s.tradelog,
                "metrics_of": s.source,
                "feed": s.feed,
            }
        )
        return
    t = s.tradelog or {}
    if "batches" in t:
        tradelog = (f"queue {t['queued']}/{t['capacity']}, batches {t['batches']}, "
                    f"rows {t['rows']}, dropped {t['dropped']}, spilled {t['spilled']}, "
                    f"errors {t['errors']}, last insert {t['last_insert_ms']:.1f} ms, "
                    f"spill {t['spill_bytes']} B")  # fmt: skip
    else:
        tradelog = f"not written by {s.source}; spill {t.get('spill_bytes', 0)} B"
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
            ("Trade log", tradelog),
            ("Metrics of", s.source),
            *([("Feed", _feed_text(s.feed))] if s.feed else []),
        ],
    )

"""Tax lots as a trader (and a tax form) reads them: each lot still held, and each disposal
with its acquisition and disposal dates, cost basis, proceeds, gain and holding term."""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from decimal import Decimal

from ingot_cli.output import Column, Output, counted, format_amount
from ingot_cli.zone import label, when
from ingot_core.accounting import Currency
from ingot_core.engine.lots import BookingMethod, ClosedLot, OpenLot

__all__ = ["render_lots"]

_CLOSED = ("symbol", "opened_at", "closed_at", "quantity", "cost", "proceeds", "gain",
           "term", "buy_id", "sell_id")  # fmt: skip
_OPEN = ("symbol", "opened_at", "quantity", "cost", "order_id")


def _closed_row(c: ClosedLot) -> tuple[object, ...]:
    return (str(c.symbol), c.opened_at, c.closed_at, c.quantity, c.cost, c.proceeds, c.gain,
            "long" if c.long_term else "short", c.buy_id, c.sell_id)  # fmt: skip


def _open_row(lot: OpenLot) -> tuple[object, ...]:
    return (str(lot.symbol), lot.opened_at, lot.quantity, lot.cost, lot.order_id)


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[no-any-return]
    return str(value)


def render_lots(
    out: Output,
    method: BookingMethod,
    open_lots: Sequence[OpenLot],
    closed: Sequence[ClosedLot],
    *,
    csv_mode: bool = False,
) -> None:
    """The lots as tables with totals, as JSON, or as CSV (one row per lot, a kind column)."""
    if out.json_mode:
        out.json({
            "method": method.value,
            "open": [dict(zip(_OPEN, _open_row(lot), strict=True)) for lot in open_lots],
            "closed": [dict(zip(_CLOSED, _closed_row(c), strict=True)) for c in closed],
        })  # fmt: skip
        return
    if csv_mode:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(("kind", *_CLOSED))
        for c in closed:
            writer.writerow(("closed", *map(_text, _closed_row(c))))
        for lot in open_lots:
            symbol, opened, qty, cost, order = map(_text, _open_row(lot))
            writer.writerow(("open", symbol, opened, "", qty, cost, "", "", "", order, ""))
        return
    if closed:
        out.line(f"Disposals ({method.value})", markup=False)
        out.table(
            [
                Column("Symbol"),
                Column(f"Acquired ({label()})"),
                Column("Disposed"),
                Column("Qty", "right"),
                Column("Cost", "right"),
                Column("Proceeds", "right"),
                Column("Gain", "right"),
                Column("Term"),
            ],
            [
                (
                    str(c.symbol),
                    f"{when(c.opened_at, '%Y-%m-%d')}",
                    f"{when(c.closed_at, '%Y-%m-%d')}",
                    format_amount(c.quantity),
                    format_amount(c.cost, c.symbol.quote_currency.decimals),
                    format_amount(c.proceeds, c.symbol.quote_currency.decimals),
                    format_amount(c.gain, c.symbol.quote_currency.decimals),
                    "long" if c.long_term else "short",
                )
                for c in closed
            ],
        )
        gains: dict[Currency, Decimal] = {}
        for c in closed:
            quote = c.symbol.quote_currency
            gains[quote] = gains.get(quote, Decimal(0)) + c.gain
        ordered = sorted(gains.items(), key=lambda g: g[0].code)
        totals = ", ".join(f"{format_amount(g, q.decimals)} {q.code}" for q, g in ordered)
        out.line(f"realized gain {totals} over {counted(len(closed), 'disposal')}", markup=False)
    if open_lots:
        out.line(f"Open lots ({method.value})", markup=False)
        out.table(
            [
                Column("Symbol"),
                Column(f"Acquired ({label()})"),
                Column("Qty", "right"),
                Column("Cost", "right"),
                Column("Order"),
            ],
            [
                (
                    str(lot.symbol),
                    f"{when(lot.opened_at, '%Y-%m-%d')}",
                    format_amount(lot.quantity),
                    format_amount(lot.cost, lot.symbol.quote_currency.decimals),
                    lot.order_id,
                )
                for lot in open_lots
            ],
        )
    if not closed and not open_lots:
        out.line("No lots: the book has no fills.")

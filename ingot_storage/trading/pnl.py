"""What `ingot report pnl` reads: the book's fills in its own order, and the last price of a
symbol at an instant (from the shared tick store)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.engine.pnl import MarkAt
from ingot_core.execution import Fill, OrderSide, OrderStatus
from ingot_core.symbols import Symbol
from ingot_storage.db.database import stream_rows
from ingot_storage.db.tables import order_history

__all__ = ["iter_fills", "marks_at"]

_MARK_AT = sa.text(
    "SELECT price FROM ticks WHERE symbol = :symbol AND ts <= :moment "
    "ORDER BY ts DESC, seq DESC LIMIT 1"
)


def iter_fills(conn: Connection) -> Iterator[Fill]:
    """Every fill of the book, in the order the book recorded them."""
    query = (
        sa.select(
            order_history.c.client_id,
            order_history.c.symbol,
            order_history.c.side,
            order_history.c.fill_quantity,
            order_history.c.fill_price,
            order_history.c.cost,
            order_history.c.fee,
            order_history.c.filled_at,
            order_history.c.event_at,
        )
        .where(order_history.c.status == OrderStatus.FILLED.value)
        .order_by(order_history.c.seq)
    )
    for r in stream_rows(conn, query, 5000):
        when = r.filled_at or r.event_at
        yield Fill(r.client_id, Symbol.parse(r.symbol), OrderSide(r.side), r.fill_quantity,
                   r.fill_price, r.cost, r.fee or Decimal(0), when)  # fmt: skip


def marks_at(conn: Connection) -> MarkAt:
    """The last price of a symbol at or before an instant, each asked once (None: none yet)."""
    seen: dict[tuple[Symbol, datetime], Decimal | None] = {}

    def mark(symbol: Symbol, moment: datetime) -> Decimal | None:
        key = (symbol, moment)
        if key not in seen:
            price = conn.execute(_MARK_AT, {"symbol": str(symbol), "moment": moment}).scalar()
            seen[key] = None if price is None else Decimal(price)
        return seen[key]

    return mark

"""Reading the order history, and the trading state an engine starts from.

Every order_history row carries the book's sequence (`seq`: the audit seq of the row's own
entry, gapless and commit-ordered) and the time the book recorded it (`recorded_at`), beside
the market time of the tick or request that caused it (`event_at`). Replay, "recent",
following and the default order use the sequence, never market time: a strategy replayed
over 2023's ticks today happens after the orders placed yesterday.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.engine import Position, apply_fill
from ingot_core.execution import Order, OrderRequest, OrderSide, OrderStatus, OrderType
from ingot_core.symbols import Symbol
from ingot_storage.db.database import in_period, stream_rows
from ingot_storage.db.tables import order_history
from ingot_storage.errors import translate_db_errors
from ingot_storage.ledger.booking import booking_of

__all__ = [
    "OrderRow",
    "TradingState",
    "find_order",
    "iter_orders",
    "latest_marks",
    "load_trading_state",
    "open_orders",
    "orders_after",
    "query_orders",
]


@dataclass(frozen=True)
class OrderRow:
    """One order_history row (seed 000's OrderHistoryRow plus settlement fields, the book's
    sequence and the recorded time)."""

    id: int
    exchange_id: str | None
    client_id: str
    symbol: str
    side: str
    order_type: str
    quantity: Decimal
    price: Decimal | None
    status: str
    submitted_at: datetime
    event_at: datetime
    filled_at: datetime | None
    fill_price: Decimal | None
    fill_quantity: Decimal | None
    cost: Decimal | None
    fee: Decimal | None
    reason: str | None
    seq: int
    recorded_at: datetime


_ORDER_COLUMNS = [order_history.c[name] for name in OrderRow.__dataclass_fields__]


@translate_db_errors
def query_orders(
    conn: Connection,
    symbol: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    until: datetime | None = None,
) -> list[OrderRow]:
    """Order history rows, the book's newest first (seed 000, Task 2.6.3); `since`
    (inclusive) and `until` (exclusive) are on the recorded time."""
    query = sa.select(*_ORDER_COLUMNS).order_by(order_history.c.seq.desc()).limit(limit)
    if symbol is not None:
        query = query.where(order_history.c.symbol == symbol)
    query = in_period(query, order_history.c.recorded_at, since, until)
    return [OrderRow(**row._mapping) for row in conn.execute(query)]


@translate_db_errors
def orders_after(conn: Connection, after_seq: int, limit: int = 500) -> list[OrderRow]:
    """Order history rows the book recorded after sequence `after_seq`, in its order (for a
    live view)."""
    query = (
        sa.select(*_ORDER_COLUMNS)
        .where(order_history.c.seq > after_seq)
        .order_by(order_history.c.seq)
        .limit(limit)
    )
    return [OrderRow(**row._mapping) for row in conn.execute(query)]


def iter_orders(
    conn: Connection, since: datetime | None = None, until: datetime | None = None
) -> Iterator[OrderRow]:
    """Stream order history in the book's order (for export and replay), constant memory;
    `since` (inclusive) and `until` (exclusive) are on the recorded time."""
    query = sa.select(*_ORDER_COLUMNS).order_by(order_history.c.seq)
    query = in_period(query, order_history.c.recorded_at, since, until)
    for row in stream_rows(conn, query):
        yield OrderRow(**row._mapping)


def _row_to_order(row: OrderRow) -> Order:
    request = OrderRequest(
        row.client_id,
        Symbol.parse(row.symbol),
        OrderSide(row.side),
        OrderType(row.order_type),
        row.quantity,
        row.price,
    )
    return Order(
        request,
        row.exchange_id or "",
        OrderStatus(row.status),
        row.submitted_at,
        row.event_at,
        row.fill_price,
        row.fill_quantity,
        row.cost,
        row.fee,
        row.reason,
    )


@dataclass(frozen=True)
class TradingState:
    """What the engine needs from earlier sessions."""

    marks: dict[Symbol, Decimal]
    orders: list[Order]
    positions: list[Position]

    @property
    def open_orders(self) -> list[Order]:
        """Orders still resting."""
        return [o for o in self.orders if o.status is OrderStatus.OPEN]


# Each symbol's newest tick, by skipping from symbol to symbol along the ticks key: a few
# index probes per symbol, however many ticks are stored.
_LATEST_MARKS = sa.text(
    """
    WITH RECURSIVE s(symbol) AS (
        (SELECT symbol FROM ticks ORDER BY symbol LIMIT 1)
        UNION ALL
        SELECT (SELECT t.symbol FROM ticks t WHERE t.symbol > s.symbol ORDER BY t.symbol LIMIT 1)
        FROM s WHERE s.symbol IS NOT NULL
    )
    SELECT s.symbol, (SELECT t.price FROM ticks t WHERE t.symbol = s.symbol
                      ORDER BY t.ts DESC, t.seq DESC LIMIT 1)
    FROM s WHERE s.symbol IS NOT NULL
    """
)


@translate_db_errors
def latest_marks(conn: Connection) -> dict[Symbol, Decimal]:
    """Each symbol's last recorded price: its latest tick (a manual mark is one too)."""
    return {Symbol.parse(symbol): price for symbol, price in conn.execute(_LATEST_MARKS)}


@translate_db_errors
def open_orders(conn: Connection) -> list[Order]:
    """The orders resting now, in the book's order."""
    later = order_history.alias("later")
    query = (
        sa.select(*_ORDER_COLUMNS)
        .where(
            order_history.c.status == OrderStatus.OPEN.value,
            ~sa.exists().where(
                later.c.client_id == order_history.c.client_id,
                later.c.status != OrderStatus.OPEN.value,
            ),
        )
        .order_by(order_history.c.seq)
    )
    return [_row_to_order(OrderRow(**row._mapping)) for row in conn.execute(query)]


@translate_db_errors
def find_order(conn: Connection, client_id: str) -> Order | None:
    """The order placed under `client_id` as it stands now, or None."""
    query = (
        sa.select(*_ORDER_COLUMNS)
        .where(order_history.c.client_id == client_id)
        .order_by(order_history.c.seq.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else _row_to_order(OrderRow(**row._mapping))


@translate_db_errors
def load_trading_state(
    conn: Connection, positions: dict[Symbol, Position] | None = None
) -> TradingState:
    """Latest marks and the resting orders, with `positions` (the book state's); without
    them, every order's latest state and positions replayed from every fill in the order
    the book recorded them (the full replay `ingot db check` makes)."""
    marks = latest_marks(conn)
    if positions is not None:
        return TradingState(marks, open_orders(conn), list(positions.values()))
    latest: dict[str, OrderRow] = {}
    replayed: dict[Symbol, Position] = {}
    booking = booking_of(conn)
    for row in iter_orders(conn):
        current = latest.get(row.client_id)
        if current is None or OrderStatus(current.status) is OrderStatus.OPEN:
            latest[row.client_id] = row
        if row.status == OrderStatus.FILLED.value:
            fill = _row_to_order(row).fill()
            replayed[fill.symbol] = apply_fill(
                replayed.get(fill.symbol, Position(fill.symbol)), fill, booking
            )
    orders = [_row_to_order(r) for r in latest.values()]
    return TradingState(marks, orders, list(replayed.values()))

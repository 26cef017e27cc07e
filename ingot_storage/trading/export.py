"""The order history exported as CSV or as a JSON array, streaming, oldest first."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TextIO

from sqlalchemy.engine import Connection

from ingot_storage.db.export import Tick, text_of, write_csv, write_json_array
from ingot_storage.trading.orders import OrderRow, iter_orders

__all__ = ["ORDER_CSV_COLUMNS", "export_orders_csv", "export_orders_json"]

# Seed 000 Task 2.9.3's columns, then the settlement fields Ingot adds.
ORDER_CSV_COLUMNS = (
    "timestamp",
    "symbol",
    "side",
    "order_type",
    "quantity",
    "price",
    "status",
    "exchange_id",
    "client_id",
    "fill_price",
    "fill_quantity",
    "cost",
    "fee",
    "reason",
)


def _order_values(r: OrderRow) -> tuple[object, ...]:
    return (
        r.event_at,
        r.symbol,
        r.side,
        r.order_type,
        r.quantity,
        r.price,
        r.status,
        r.exchange_id,
        r.client_id,
        r.fill_price,
        r.fill_quantity,
        r.cost,
        r.fee,
        r.reason,
    )


def _order_json(r: OrderRow) -> str:
    values = _order_values(r)
    data = {
        k: (None if v is None else text_of(v))
        for k, v in zip(ORDER_CSV_COLUMNS, values, strict=True)
    }
    return json.dumps(data, ensure_ascii=False)


def export_orders_csv(
    conn: Connection,
    writer: TextIO,
    since: datetime | None = None,
    progress: Tick = None,
    until: datetime | None = None,
) -> int:
    """Write the order history (oldest first) as CSV; return the number of rows."""
    rows = ([text_of(v) for v in _order_values(r)] for r in iter_orders(conn, since, until))
    return write_csv(writer, ORDER_CSV_COLUMNS, rows, progress)


def export_orders_json(
    conn: Connection,
    writer: TextIO,
    since: datetime | None = None,
    progress: Tick = None,
    until: datetime | None = None,
) -> int:
    """Write the order history (oldest first) as a JSON array; amounts as exact strings."""
    return write_json_array(writer, map(_order_json, iter_orders(conn, since, until)), progress)

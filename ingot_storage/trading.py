"""Orders, positions, equity and ticks in PostgreSQL, and the writer for engine events.

`write_events` turns a batch of engine events into COPY-staged inserts (one INSERT … SELECT
per table, ON CONFLICT DO NOTHING on natural keys) plus the audit entries of exactly the rows
that were new, all in the caller's database transaction. Replaying a batch therefore
writes nothing twice and audits nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.engine import Connection

from ingot_core.audit import AuditEntry, AuditEvent, account_created, transaction_posted
from ingot_core.engine import (
    AccountCreated,
    EquitySnapshot,
    OrderUpdated,
    Position,
    PositionSnapshot,
    SignalRaised,
    StorageEvent,
    TickReceived,
    TransactionPosted,
    apply_fill,
)
from ingot_core.execution import Order, OrderRequest, OrderSide, OrderStatus, OrderType
from ingot_core.symbols import Symbol
from ingot_storage.accounts import save_accounts
from ingot_storage.audit import append_audit_batch
from ingot_storage.database import stream_rows
from ingot_storage.errors import translate_db_errors
from ingot_storage.staging import insert_new_rows
from ingot_storage.tables import (
    equity_snapshots,
    order_history,
    position_snapshots,
    signals,
    ticks,
)
from ingot_storage.transactions import save_transactions

__all__ = [
    "OrderRow",
    "TradingState",
    "iter_orders",
    "load_trading_state",
    "order_entity_id",
    "orders_after",
    "query_orders",
    "write_events",
]

_ORDER_NAMESPACE = uuid.UUID("6d2f1a6e-8a0e-4c5e-9f43-1c1f0f0c0de5")


def order_entity_id(client_id: str) -> uuid.UUID:
    """The audit entity id of an order: a stable UUID derived from its client id."""
    return uuid.uuid5(_ORDER_NAMESPACE, client_id)


def _order_row(order: Order) -> dict[str, Any]:
    r = order.request
    return {
        "exchange_id": order.exchange_id or None,
        "client_id": r.client_id,
        "symbol": str(r.symbol),
        "side": r.side.value,
        "order_type": r.type.value,
        "quantity": r.quantity,
        "price": r.limit_price,
        "status": order.status.value,
        "submitted_at": order.submitted_at,
        "event_at": order.updated_at,
        "filled_at": order.updated_at if order.status is OrderStatus.FILLED else None,
        "fill_price": order.fill_price,
        "fill_quantity": order.fill_quantity,
        "cost": order.cost,
        "fee": order.fee,
        "reason": order.reason,
    }


def _order_audit(order: Order, actor: str) -> AuditEvent:
    row = _order_row(order)
    payload = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
    return AuditEvent(
        f"order_{order.status.value.lower()}",
        actor,
        order_entity_id(order.request.client_id),
        {k: v for k, v in payload.items() if v is not None},
    )


def _insert_new(
    conn: Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]
) -> set[tuple[Any, ...]]:
    """Insert dict rows through the COPY stage, skipping stored keys; return the new keys."""
    if not rows:
        return set()
    columns = list(rows[0])
    values = [[row[name] for name in columns] for row in rows]
    return insert_new_rows(conn, table, columns, values, keys)


@translate_db_errors
def write_events(
    conn: Connection,
    events: Sequence[StorageEvent],
    actor: str = "engine",
    now: datetime | None = None,
) -> list[AuditEntry]:
    """Persist a batch of engine events and their audit entries in the caller's transaction."""
    accounts = [e.account for e in events if isinstance(e, AccountCreated)]
    txs = [e.transaction for e in events if isinstance(e, TransactionPosted)]
    new_account_ids = {a.id for a in save_accounts(conn, accounts)}
    new_tx_ids = {t.id for t in save_transactions(conn, txs)}
    orders = [_order_row(e.order) for e in events if isinstance(e, OrderUpdated)]
    new_orders = _insert_new(conn, order_history, orders, ["client_id", "status"])
    positions = [_position_row(e) for e in events if isinstance(e, PositionSnapshot)]
    new_positions = _insert_new(conn, position_snapshots, positions, ["client_id"])
    equity = [
        {"at": e.at, "currency": e.currency, "nav": e.nav}
        for e in events
        if isinstance(e, EquitySnapshot)
    ]
    new_equity = _insert_new(conn, equity_snapshots, equity, ["at", "currency"])
    tick_rows = [
        {
            "symbol": str(e.ticker.symbol),
            "ts": e.ticker.timestamp,
            "price": e.ticker.price,
            "volume": e.ticker.volume,
        }
        for e in events
        if isinstance(e, TickReceived)
    ]
    _insert_new(conn, ticks, tick_rows, ["symbol", "ts"])
    signal_rows = [_signal_row(e) for e in events if isinstance(e, SignalRaised)]
    for row in signal_rows:
        row["indicators"] = Jsonb(row["indicators"])
    new_signals = _insert_new(conn, signals, signal_rows, ["client_id"])

    audit: list[AuditEvent] = []
    for event in events:
        if isinstance(event, AccountCreated) and event.account.id in new_account_ids:
            audit.append(account_created(event.account, actor))
        elif isinstance(event, TransactionPosted) and event.transaction.id in new_tx_ids:
            audit.append(transaction_posted(event.transaction, actor))
        elif isinstance(event, OrderUpdated):
            key = (event.order.request.client_id, event.order.status.value)
            if key in new_orders:
                audit.append(_order_audit(event.order, actor))
        elif isinstance(event, PositionSnapshot) and (event.client_id,) in new_positions:
            payload = {
                k: v.isoformat() if isinstance(v, datetime) else v
                for k, v in _position_row(event).items()
            }
            audit.append(
                AuditEvent("position_snapshot", actor, order_entity_id(event.client_id), payload)
            )
        elif isinstance(event, SignalRaised) and (event.client_id,) in new_signals:
            row = _signal_row(event)
            row["ts"] = row["ts"].isoformat()
            audit.append(AuditEvent("signal_raised", actor, order_entity_id(event.client_id), row))
        elif isinstance(event, EquitySnapshot) and (event.at, event.currency) in new_equity:
            audit.append(
                AuditEvent(
                    "equity_snapshot",
                    actor,
                    None,
                    {"at": event.at.isoformat(), "currency": event.currency, "nav": event.nav},
                )
            )
    return append_audit_batch(conn, audit, now)


def _signal_row(e: SignalRaised) -> dict[str, Any]:
    signal = e.signal
    return {
        "client_id": e.client_id,
        "run_id": e.run_id,
        "strategy": signal.strategy,
        "symbol": str(signal.symbol),
        "side": signal.side.value,
        "reason": signal.reason,
        "price": signal.price,
        "ts": signal.timestamp,
        "indicators": {name: str(value) for name, value in signal.indicators},
    }


def _position_row(e: PositionSnapshot) -> dict[str, Any]:
    p = e.position
    return {
        "client_id": e.client_id,
        "symbol": str(p.symbol),
        "quantity": p.quantity,
        "cost_basis": p.cost_basis,
        "realized_pnl": p.realized_pnl,
        "fees": p.fees,
        "at": e.at,
    }


# -- queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderRow:
    """One order_history row (seed 000's OrderHistoryRow plus settlement fields)."""

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


_ORDER_COLUMNS = [order_history.c[name] for name in OrderRow.__dataclass_fields__]


@translate_db_errors
def query_orders(
    conn: Connection, symbol: str | None = None, since: datetime | None = None, limit: int = 50
) -> list[OrderRow]:
    """Order history rows, newest first (seed 000, Task 2.6.3)."""
    query = (
        sa.select(*_ORDER_COLUMNS)
        .order_by(order_history.c.event_at.desc(), order_history.c.id.desc())
        .limit(limit)
    )
    if symbol is not None:
        query = query.where(order_history.c.symbol == symbol)
    if since is not None:
        query = query.where(order_history.c.submitted_at >= since)
    return [OrderRow(**row._mapping) for row in conn.execute(query)]


@translate_db_errors
def orders_after(conn: Connection, after_id: int, limit: int = 500) -> list[OrderRow]:
    """Order history rows written after row `after_id`, oldest first (for a live view)."""
    query = (
        sa.select(*_ORDER_COLUMNS)
        .where(order_history.c.id > after_id)
        .order_by(order_history.c.id)
        .limit(limit)
    )
    return [OrderRow(**row._mapping) for row in conn.execute(query)]


def iter_orders(conn: Connection, since: datetime | None = None) -> Iterator[OrderRow]:
    """Stream order history oldest first (for export), constant memory."""
    query = sa.select(*_ORDER_COLUMNS).order_by(order_history.c.event_at, order_history.c.id)
    if since is not None:
        query = query.where(order_history.c.submitted_at >= since)
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


@translate_db_errors
def load_trading_state(conn: Connection) -> TradingState:
    """Latest marks, every order's latest state, positions replayed from fills."""
    marks = {
        Symbol.parse(symbol): price
        for symbol, price in conn.execute(
            sa.text("SELECT DISTINCT ON (symbol) symbol, price FROM ticks ORDER BY symbol, ts DESC")
        )
    }
    latest: dict[str, OrderRow] = {}
    positions: dict[Symbol, Position] = {}
    for row in iter_orders(conn):
        current = latest.get(row.client_id)
        if current is None or OrderStatus(current.status) is OrderStatus.OPEN:
            latest[row.client_id] = row
        if row.status == OrderStatus.FILLED.value:
            fill = _row_to_order(row).fill()
            positions[fill.symbol] = apply_fill(
                positions.get(fill.symbol, Position(fill.symbol)), fill
            )
    orders = [_row_to_order(r) for r in latest.values()]
    return TradingState(marks, orders, list(positions.values()))

"""Engine events as rows: each table's row shape, the stable entity id of an order, and the
canonical audit payloads a batch writes beside its rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.audit import canonical_record
from ingot_core.engine import PositionSnapshot, SignalRaised
from ingot_core.execution import Order, OrderStatus
from ingot_storage.db.copy import copy_rows, insert_new_rows

__all__ = [
    "AuditTexts",
    "TableRows",
    "order_entity_id",
    "order_row",
    "position_row",
    "signal_row",
]

_ORDER_NAMESPACE = uuid.UUID("6d2f1a6e-8a0e-4c5e-9f43-1c1f0f0c0de5")


def order_entity_id(client_id: str) -> uuid.UUID:
    """The audit entity id of an order: a stable UUID derived from its client id."""
    return uuid.uuid5(_ORDER_NAMESPACE, client_id)


def order_row(order: Order) -> dict[str, Any]:
    """An order as its order_history row, in column order."""
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
        # Known only once the batch holds the audit lock (PreparedBatch.number_orders); as
        # NULLs here they stay out of the order's audit payload.
        "seq": None,
        "recorded_at": None,
    }


class AuditTexts:
    """Writes canonical audit payloads for one batch, remembering the strings its rows
    repeat: an order's fill shares its instant with its position and equity snapshots, and
    its entity id with its position."""

    def __init__(self) -> None:
        self._instants: dict[tuple[datetime, object], str] = {}
        self._entities: dict[str, uuid.UUID] = {}

    def instant(self, moment: datetime) -> str:
        key = (moment, moment.tzinfo)  # equal instants in other zones print differently
        text = self._instants.get(key)
        if text is None:
            text = self._instants[key] = moment.isoformat()
        return text

    def entity(self, client_id: str) -> uuid.UUID:
        entity = self._entities.get(client_id)
        if entity is None:
            entity = self._entities[client_id] = order_entity_id(client_id)
        return entity

    def row(self, row: dict[str, Any]) -> str:
        """The payload of a row just written: its instants as ISO 8601 text and its NULLs
        left out, as canonical JSON."""
        return canonical_record(row, self.instant)


@dataclass
class TableRows:
    """One table's rows of a batch, as dicts in column order, with its natural key."""

    table: sa.Table
    keys: tuple[str, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def copy(self, conn: Connection) -> None:
        """COPY the rows straight into the table (they must all be new)."""
        if self.rows:
            values = (tuple(row.values()) for row in self.rows)
            copy_rows(conn, self.table, list(self.rows[0]), values)

    def insert_new(self, conn: Connection) -> set[tuple[Any, ...]]:
        """Insert through the COPY stage, skipping stored keys; return the new keys."""
        if not self.rows:
            return set()
        values = [list(row.values()) for row in self.rows]
        return insert_new_rows(conn, self.table, list(self.rows[0]), values, list(self.keys))


def signal_row(e: SignalRaised) -> dict[str, Any]:
    """A signal as its signals row (indicators as plain JSON, before the Jsonb wrap)."""
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
        "tick_seq": e.tick_seq,
    }


def position_row(e: PositionSnapshot) -> dict[str, Any]:
    """A position snapshot as its position_snapshots row."""
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

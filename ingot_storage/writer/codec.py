"""Engine events as JSON and back, exactly: the spill file's line format.

Decimals are written as plain strings (never floats, never exponents), instants as ISO 8601
with their zone, ids as text; every field the writer needs comes back as it went.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ingot_core.accounting import Account, AccountType, Currency, Entry, EntrySide, Transaction
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
)
from ingot_core.execution import Order, OrderRequest, OrderSide, OrderStatus, OrderType
from ingot_core.feed import Ticker
from ingot_core.signals import Signal
from ingot_core.symbols import Symbol

__all__ = ["decode_event", "encode_event"]


def _d(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _dd(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _order(o: Order) -> dict[str, Any]:
    r = o.request
    return {
        "client_id": r.client_id,
        "symbol": str(r.symbol),
        "side": r.side.value,
        "type": r.type.value,
        "quantity": _d(r.quantity),
        "limit": _d(r.limit_price),
        "exchange_id": o.exchange_id,
        "status": o.status.value,
        "submitted_at": o.submitted_at.isoformat(),
        "updated_at": o.updated_at.isoformat(),
        "fill_price": _d(o.fill_price),
        "fill_quantity": _d(o.fill_quantity),
        "cost": _d(o.cost),
        "fee": _d(o.fee),
        "reason": o.reason,
    }


def encode_event(event: StorageEvent) -> dict[str, Any]:
    """An engine event as plain JSON data (Decimals as exact strings)."""
    if isinstance(event, AccountCreated):
        return {"kind": "account", **event.account.as_data()}
    if isinstance(event, TransactionPosted):
        t = event.transaction
        return {
            "kind": "transaction",
            "id": str(t.id),
            "posted_at": t.posted_at.isoformat(),
            "description": t.description,
            "entries": [
                [
                    str(e.account_id),
                    e.side.value,
                    _d(e.amount),
                    e.currency.code,
                    e.currency.decimals,
                ]
                for e in t.entries
            ],
        }
    if isinstance(event, OrderUpdated):
        return {"kind": "order", **_order(event.order)}
    if isinstance(event, PositionSnapshot):
        p = event.position
        return {
            "kind": "position",
            "symbol": str(p.symbol),
            "quantity": _d(p.quantity),
            "cost_basis": _d(p.cost_basis),
            "realized_pnl": _d(p.realized_pnl),
            "fees": _d(p.fees),
            "at": event.at.isoformat(),
            "client_id": event.client_id,
        }
    if isinstance(event, EquitySnapshot):
        return {
            "kind": "equity",
            "nav": _d(event.nav),
            "currency": event.currency,
            "at": event.at.isoformat(),
        }
    if isinstance(event, SignalRaised):
        signal = event.signal
        return {
            "kind": "signal",
            "run_id": event.run_id,
            "client_id": event.client_id,
            "strategy": signal.strategy,
            "symbol": str(signal.symbol),
            "side": signal.side.value,
            "reason": signal.reason,
            "price": _d(signal.price),
            "at": signal.timestamp.isoformat(),
            "indicators": [[name, _d(value)] for name, value in signal.indicators],
            "tick_seq": event.tick_seq,
        }
    tick = event.ticker
    return {
        "kind": "tick",
        "symbol": str(tick.symbol),
        "price": _d(tick.price),
        "volume": _d(tick.volume),
        "at": tick.timestamp.isoformat(),
        "seq": tick.seq,
    }


def decode_event(data: dict[str, Any]) -> StorageEvent:
    """The inverse of encode_event."""
    kind = data["kind"]
    if kind == "account":
        return AccountCreated(
            Account(
                UUID(data["id"]),
                data["name"],
                AccountType(data["type"]),
                Currency(data["currency"], data["decimals"]),
            )
        )
    if kind == "transaction":
        entries = tuple(
            Entry(UUID(a), EntrySide(s), Decimal(amt), Currency(c, d))
            for a, s, amt, c, d in data["entries"]
        )
        return TransactionPosted(
            Transaction(
                UUID(data["id"]),
                datetime.fromisoformat(data["posted_at"]),
                data["description"],
                entries,
            )
        )
    if kind == "order":
        request = OrderRequest(
            data["client_id"],
            Symbol.parse(data["symbol"]),
            OrderSide(data["side"]),
            OrderType(data["type"]),
            Decimal(data["quantity"]),
            _dd(data["limit"]),
        )
        return OrderUpdated(
            Order(
                request,
                data["exchange_id"],
                OrderStatus(data["status"]),
                datetime.fromisoformat(data["submitted_at"]),
                datetime.fromisoformat(data["updated_at"]),
                _dd(data["fill_price"]),
                _dd(data["fill_quantity"]),
                _dd(data["cost"]),
                _dd(data["fee"]),
                data["reason"],
            )
        )
    if kind == "position":
        position = Position(
            Symbol.parse(data["symbol"]),
            Decimal(data["quantity"]),
            Decimal(data["cost_basis"]),
            Decimal(data["realized_pnl"]),
            Decimal(data["fees"]),
        )
        return PositionSnapshot(position, datetime.fromisoformat(data["at"]), data["client_id"])
    if kind == "equity":
        return EquitySnapshot(
            Decimal(data["nav"]), data["currency"], datetime.fromisoformat(data["at"])
        )
    if kind == "tick":
        return TickReceived(
            Ticker(
                Symbol.parse(data["symbol"]),
                Decimal(data["price"]),
                datetime.fromisoformat(data["at"]),
                _dd(data.get("volume")),
                int(data.get("seq", 0)),
            )
        )
    if kind == "signal":
        signal = Signal(
            data["strategy"],
            Symbol.parse(data["symbol"]),
            OrderSide(data["side"]),
            data["reason"],
            Decimal(data["price"]),
            datetime.fromisoformat(data["at"]),
            tuple((name, Decimal(value)) for name, value in data["indicators"]),
        )
        tick = data.get("tick_seq")
        return SignalRaised(signal, data["run_id"], data["client_id"],
                            None if tick is None else int(tick))  # fmt: skip
    raise ValueError(f"unknown spilled event kind {kind!r}")

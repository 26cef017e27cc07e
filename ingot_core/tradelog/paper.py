"""The paper exchange's wire: its orders, cancels, answers and executions as Kraken's.

The model is Kraken's own API, so a log of paper trading reads like a log of the venue:
requests are REST `AddOrder` and `CancelOrder` calls (kept as seed 002's HTTP object, their
form fields as strings, as Kraken takes them), answers are those calls' JSON (`{"error": [],
"result": {...}}`, an error as `EOrder:<reason>`), and executions and order updates are
WebSocket v2 `executions` channel messages (JSON numbers, RFC 3339 times, v2 symbol names
such as BTC/USD). Following seed 002, every status change gets an order update (31), and an
answer that carries a fill is logged as the answer (20, its execution columns filled) and as
the execution (30). A refused order gets an error answer and an update with order_status
`rejected` (Kraken has no such status: Ingot's). Shadow orders are never sent, so never here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from ingot_core.execution import Order, OrderSide, OrderStatus, OrderType
from ingot_core.instants import epoch_micros
from ingot_core.tradelog.events import (
    EventType,
    ExecType,
    OrdStatus,
    ResponseStatus,
    Side,
    TradeLogEvent,
    market_id,
    now_us,
)
from ingot_core.tradelog.wire import http_request_object, wire_json

__all__ = ["PAPER_REST", "PAPER_WS", "PaperWire", "v2_symbol"]

PAPER_REST, PAPER_WS = "paper-rest", "paper-ws"
_KRAKEN_ASSETS = {"BTC": "XBT", "DOGE": "XDG"}
_STATUS = {
    OrderStatus.OPEN: (ExecType.NEW, OrdStatus.NEW, "new", "new"),
    OrderStatus.FILLED: (ExecType.FILLED, OrdStatus.FILLED, "filled", "filled"),
    OrderStatus.CANCELLED: (ExecType.CANCELED, OrdStatus.CANCELED, "canceled", "canceled"),
    OrderStatus.REJECTED: (ExecType.STATUS, OrdStatus.REJECTED, "status", "rejected"),
}


def v2_symbol(order: Order) -> str:
    """Kraken WebSocket v2's name of the order's market: BTC/USD."""
    return f"{order.request.symbol.base}/{order.request.symbol.quote}"


def _rest_pair(order: Order) -> str:
    s = order.request.symbol
    return _KRAKEN_ASSETS.get(s.base, s.base) + _KRAKEN_ASSETS.get(s.quote, s.quote)


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class PaperWire:
    """Writes the paper exchange's messages into the trade log through `log` (which must not
    block: the trade log's producer)."""

    def __init__(
        self, log: Callable[[TradeLogEvent], None], book: str | None = None, first_req: int = 0
    ) -> None:
        self._log = log
        self._book = book
        self._req_ids: Iterator[int] = itertools.count(first_req or now_us())
        self._sequence = itertools.count(1)
        self._trades = itertools.count(1)

    # -- what the engine reports ------------------------------------------------------------

    def placed(self, order: Order) -> None:
        """An order the engine sent: its request, the answer, and what followed it."""
        if order.status is OrderStatus.SHADOW:
            return
        req = next(self._req_ids)
        self._request_new(order, req)
        self._answer_new(order, req)
        if order.status is OrderStatus.FILLED:
            self._execution(order)
        self._update(order)

    def cancelled(self, order: Order) -> None:
        """A cancel the engine sent for a resting order, its answer and the update."""
        req = next(self._req_ids)
        body = {"txid": order.exchange_id, "cl_ord_id": order.request.client_id}
        self._emit(
            EventType.REQUEST_ORDER_CANCEL,
            PAPER_REST,
            http_request_object("POST", "/0/private/CancelOrder", None, body),
            order,
            req_id=req,
            exchange=False,
        )
        answer = wire_json({"error": [], "result": {"count": 1}})
        self._emit(
            EventType.API_RESPONSE,
            PAPER_REST,
            answer,
            order,
            req_id=req,
            response_status=int(ResponseStatus.OK),
        )
        self._update(order)

    def filled(self, order: Order) -> None:
        """A resting order a tick filled: the execution and the update."""
        self._execution(order)
        self._update(order)

    # -- messages ---------------------------------------------------------------------------

    def _request_new(self, order: Order, req: int) -> None:
        r = order.request
        body: dict[str, Any] = {
            "ordertype": r.type.value.lower(),
            "type": r.side.value.lower(),
            "volume": format(r.quantity, "f"),
            "pair": _rest_pair(order),
        }
        if r.limit_price is not None:
            body["price"] = format(r.limit_price, "f")
        body["cl_ord_id"] = r.client_id
        raw = http_request_object("POST", "/0/private/AddOrder", None, body)
        self._emit(
            EventType.REQUEST_ORDER_NEW,
            PAPER_REST,
            raw,
            order,
            req_id=req,
            exchange=False,
            ord_px=r.limit_price,
            ord_qty=r.quantity,
        )

    def _answer_new(self, order: Order, req: int) -> None:
        r = order.request
        if order.status is OrderStatus.REJECTED:
            reason = order.reason or "refused"
            raw = wire_json({"error": [f"EOrder:{reason}"], "result": {}})
            self._emit(
                EventType.API_RESPONSE,
                PAPER_REST,
                raw,
                order,
                req_id=req,
                response_status=int(ResponseStatus.ERROR),
                error_code="EOrder",
                error_message=reason,
            )
            return
        price = "market" if r.limit_price is None else f"limit {format(r.limit_price, 'f')}"
        described = (
            f"{r.side.value.lower()} {format(r.quantity, 'f')} {_rest_pair(order)} @ {price}"
        )
        raw = wire_json(
            {"error": [], "result": {"descr": {"order": described}, "txid": [order.exchange_id]}}
        )
        columns: dict[str, Any] = {}
        if order.status is OrderStatus.FILLED:  # the answer carries the execution
            columns = self._execution_columns(order)
        self._emit(
            EventType.API_RESPONSE,
            PAPER_REST,
            raw,
            order,
            req_id=req,
            response_status=int(ResponseStatus.OK),
            **columns,
        )

    def _execution_columns(self, order: Order) -> dict[str, Any]:
        return {
            "exec_type": ExecType.TRADE,
            "ord_status": OrdStatus.FILLED,
            "is_taker": True,
            "last_px": order.fill_price,
            "last_qty": order.fill_quantity,
            "leaves_qty": Decimal(0),
            "fee": order.fee,
        }

    def _execution(self, order: Order) -> None:
        r = order.request
        trade = {
            "order_id": order.exchange_id,
            "cl_ord_id": r.client_id,
            "exec_id": f"{order.exchange_id}-T",
            "exec_type": "trade",
            "trade_id": next(self._trades),
            "symbol": v2_symbol(order),
            "side": r.side.value.lower(),
            "order_type": r.type.value.lower(),
            "order_qty": r.quantity,
            "last_qty": order.fill_quantity,
            "last_price": order.fill_price,
            "cost": order.cost,
            "leaves_qty": Decimal(0),
            "liquidity_ind": "t" if r.type is OrderType.MARKET else "m",
            "fees": [{"asset": r.symbol.quote, "qty": order.fee}],
            "order_status": "filled",
            "timestamp": _rfc3339(order.updated_at),
        }
        if r.limit_price is not None:
            trade["limit_price"] = r.limit_price
        columns = self._execution_columns(order)
        columns["is_taker"] = r.type is OrderType.MARKET
        self._emit(
            EventType.API_EVENT_EXECUTION,
            PAPER_WS,
            self._channel(trade),
            order,
            ord_px=r.limit_price,
            ord_qty=r.quantity,
            **columns,
        )

    def _update(self, order: Order) -> None:
        r = order.request
        exec_type, ord_status, exec_name, status_name = _STATUS[order.status]
        update: dict[str, Any] = {
            "order_id": order.exchange_id,
            "cl_ord_id": r.client_id,
            "exec_type": exec_name,
            "order_status": status_name,
            "symbol": v2_symbol(order),
            "side": r.side.value.lower(),
            "order_type": r.type.value.lower(),
            "order_qty": r.quantity,
        }
        if r.limit_price is not None:
            update["limit_price"] = r.limit_price
        leaves = Decimal(0) if order.status is not OrderStatus.OPEN else r.quantity
        update["leaves_qty"] = leaves
        if order.reason and order.status is not OrderStatus.FILLED:
            update["reason"] = order.reason
        update["timestamp"] = _rfc3339(order.updated_at)
        self._emit(
            EventType.API_EVENT_ORDER_UPDATE,
            PAPER_WS,
            self._channel(update),
            order,
            exec_type=exec_type,
            ord_status=ord_status,
            leaves_qty=leaves,
            ord_px=r.limit_price,
            ord_qty=r.quantity,
        )

    def _channel(self, item: dict[str, Any]) -> str:
        return wire_json(
            {
                "channel": "executions",
                "type": "update",
                "data": [item],
                "sequence": next(self._sequence),
            }
        )

    def _emit(
        self,
        kind: EventType,
        source: str,
        raw: str,
        order: Order,
        *,
        exchange: bool = True,
        **columns: Any,
    ) -> None:
        symbol = v2_symbol(order)
        new_request = kind is EventType.REQUEST_ORDER_NEW  # sent before the venue named it
        side = Side.BUY if order.request.side is OrderSide.BUY else Side.SELL
        self._log(
            TradeLogEvent(
                now_us(),
                kind,
                raw,
                source,
                exchange_ts_us=epoch_micros(order.updated_at) if exchange else None,
                cl_ord_id=order.request.client_id,
                native_ord_id=None if new_request else order.exchange_id or None,
                market_id=market_id(symbol),
                side=side,
                symbol=symbol,
                book=self._book,
                **columns,
            )
        )

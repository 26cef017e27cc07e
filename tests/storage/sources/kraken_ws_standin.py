"""A loopback stand-in for Kraken's WebSocket API v2, run through the real `websockets`
server: each connection plays the next script of the list, then closes (or stays silent)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from websockets.sync.server import ServerConnection, serve

STATUS = {"channel": "status", "type": "update", "data": [{"api_version": "v2",
          "connection_id": 1, "system": "online", "version": "2.0.8"}]}  # fmt: skip
HEARTBEAT = {"channel": "heartbeat"}


def trade(symbol: str, trade_id: int, price: str, qty: str = "0.5",
          at: str = "2024-01-01T00:00:00.000001Z") -> dict[str, Any]:  # fmt: skip
    return {"symbol": symbol, "side": "buy", "price": price, "qty": qty, "ord_type": "market",
            "trade_id": trade_id, "timestamp": at}  # fmt: skip


def ticker_message(symbol: str, bid: str, ask: str, at: str | None = None) -> str:
    """A `ticker` update (bbo trigger), its numbers as JSON numbers, with a time if given."""
    item = f'"symbol": "{symbol}", "bid": {bid}, "bid_qty": 1.5, "ask": {ask}, "ask_qty": 2'
    item += f', "timestamp": "{at}"' if at else ""
    return '{"channel": "ticker", "type": "update", "data": [{' + item + "}]}"


def trades_message(*items: dict[str, Any]) -> str:
    # JSON numbers, as Kraken sends them: the price and qty strings become number tokens.
    body = json.dumps({"channel": "trade", "type": "update", "data": list(items)})
    for item in items:
        body = body.replace(f'"price": "{item["price"]}"', f'"price": {item["price"]}')
        body = body.replace(f'"qty": "{item["qty"]}"', f'"qty": {item["qty"]}')
    return body


class Script:
    """What one connection does: the messages sent after the subscriptions (strings are sent
    as they are), whether the subscription is refused, whether to keep silent at the end, and
    how many subscription requests to expect (trade and ticker: 2)."""

    def __init__(self, after: list[Any], refuse: str | None = None, silent: bool = False,
                 acknowledge: bool = True, subscriptions: int = 2) -> None:  # fmt: skip
        self.after, self.refuse, self.silent, self.acknowledge = after, refuse, silent, acknowledge
        self.subscriptions = subscriptions


@contextmanager
def kraken_ws(scripts: list[Script]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A server on 127.0.0.1; yields its URL and every request it received."""
    received: list[dict[str, Any]] = []
    turn = iter(scripts)
    done = threading.Event()

    def handle(ws: ServerConnection) -> None:
        script = next(turn, None)
        if script is None:
            done.wait(30)
            return
        ws.send(json.dumps(STATUS))
        requests = [json.loads(ws.recv(timeout=10)) for _ in range(script.subscriptions)]
        received.extend(requests)
        for request in requests if script.acknowledge else []:
            channel = request["params"]["channel"]
            for symbol in request["params"]["symbol"]:
                ack: dict[str, Any] = {"method": "subscribe", "req_id": request["req_id"],
                                       "time_in": "2024-01-01T00:00:00Z",
                                       "time_out": "2024-01-01T00:00:00Z"}  # fmt: skip
                if script.refuse == symbol:
                    ack.update(success=False, error="Currency pair not supported", symbol=symbol)
                else:
                    ack.update(success=True, result={"channel": channel, "symbol": symbol})
                ws.send(json.dumps(ack))
        for message in script.after:
            ws.send(message if isinstance(message, str) else json.dumps(message))
        if script.silent:
            try:
                while not done.is_set():  # answer nothing, pings included
                    received.append(json.loads(ws.recv(timeout=30)))
            except Exception:
                return

    with serve(handle, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        host, port = server.socket.getsockname()[:2]
        try:
            yield f"ws://{host}:{port}", received
        finally:
            done.set()
            server.shutdown()

"""Kraken's WebSocket API v2 as a feed of ticks: the public `trade` and `ticker` channels,
kept alive.

What it does, by Kraken's v2 protocol (wss://ws.kraken.com/v2):
- subscribes to `trade` for every symbol in one request with a `req_id`, and to `ticker`
  (updated on every best-bid-offer change) in another, and waits for one acknowledgement per
  symbol and channel; a refused one names the symbol (UnknownPair, exit 11);
- gives trades as Ticker (the tape) and ticker updates as Quote (a mark between trades);
- reads every message as JSON with exact Decimals (Kraken sends JSON numbers) and bounded
  numbers; `heartbeat` and `status` (online, cancel_only, maintenance, post_only) are kept and
  shown; a message Ingot cannot read is counted and skipped, never a tick;
- sends an application `ping` when nothing came for a while, and treats about 10 s without
  data as a dead connection (Kraken can acknowledge a subscription and then send nothing);
- reconnects with exponential backoff and jitter, longer after a rate-limit error, resubscribes,
  and backfills the trades it missed from the REST `Trades` endpoint from the last trade it saw,
  so the tape has no hole; trades are deduplicated by `trade_id`;
- gives up (SourceUnavailable, exit 10) after `retries` failed connections in a row.

The WebSocket itself is the maintained `websockets` library's synchronous client.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from websockets.sync.client import ClientConnection, connect

from ingot_core.errors import ValidationError
from ingot_core.feed import FeedItem, Quote, Ticker
from ingot_core.instants import epoch_micros, parse_instant
from ingot_core.numbers import bounded_decimal, loads_json, parse_decimal, parse_whole, shown
from ingot_core.symbols import Symbol
from ingot_core.tradelog.events import TradeLogEvent
from ingot_core.tradelog.http import connectivity_event
from ingot_storage.sources.kraken import KrakenClient, UnknownPair
from ingot_storage.sources.reconnect import RateLimited, reconnecting

__all__ = ["DEFAULT_WS_URL", "FeedState", "KrakenFeed", "replay_recording", "v2_name"]

_log = logging.getLogger(__name__)
DEFAULT_WS_URL = "wss://ws.kraken.com/v2"
_SOURCE = "kraken-ws"
_FULL_PAGE = 1000  # trades in a full page of REST Trades: another page may follow
_RATE_LIMITED = ("Exceeded msg rate", "Rate limit", "rate limit")


def v2_name(symbol: Symbol) -> str:
    """Kraken v2's name of a market: BTC/USD."""
    return f"{symbol.base}/{symbol.quote}"


@dataclass
class FeedState:
    """What the feed knows and has counted (for the heartbeat)."""

    link: str = "connecting"  # connecting, subscribed, reconnecting
    system: str = "unknown"  # Kraken's status channel: online, cancel_only, maintenance, …
    connects: int = 0
    reconnects: int = 0
    backfilled: int = 0
    quotes: int = 0
    skipped: int = 0
    heartbeats: int = 0
    last_trade: dict[Symbol, tuple[int, int]] = field(default_factory=dict)  # (trade_id, µs)


class KrakenFeed:
    """Trades and quotes of `symbols` from Kraken, reconnecting, without end; `quotes`: whether
    to subscribe to the `ticker` channel as well."""

    def __init__(
        self,
        url: str,
        symbols: Sequence[Symbol],
        rest: KrakenClient | None = None,
        *,
        idle_s: float = 10.0,
        retries: int = 5,
        backoff_s: float = 1.0,
        trade_log: Callable[[TradeLogEvent], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        record: Callable[[str], None] | None = None,
        quotes: bool = True,
    ) -> None:
        self.url, self.symbols, self.rest = url, list(symbols), rest
        self.channels = ("trade", "ticker") if quotes else ("trade",)
        self.idle_s, self.retries, self.backoff_s = idle_s, retries, backoff_s
        self._log, self._sleep, self._record = trade_log, sleep, record
        self._by_name = {v2_name(s): s for s in self.symbols}
        self.state = FeedState()
        self._req = 0

    def _note(self, what: str, detail: str = "", **facts: object) -> None:
        if self._log is not None:
            self._log(connectivity_event(_SOURCE, what, detail, **facts))

    def ticks(self) -> Iterator[FeedItem]:
        """Every trade of the symbols, in the order Kraken sends them, missed ones backfilled,
        and the quotes in between."""
        return reconnecting(self._connection, name="Kraken's WebSocket",
                            variable="INGOT_KRAKEN_WS_URL", retries=self.retries,
                            backoff_s=self.backoff_s, sleep=self._sleep, note=self._note,
                            connected=lambda: self.state.connects)  # fmt: skip

    def _connection(self, attempt: int) -> Iterator[FeedItem]:
        try:
            with connect(self.url, open_timeout=max(self.idle_s, 10), close_timeout=1) as ws:
                self.state.connects += 1
                if self.state.connects > 1:
                    self.state.reconnects += 1
                self._note("connect", self.url, attempt=attempt)
                self._subscribe(ws)
                yield from self._backfill()
                yield from self._read(ws)
        finally:
            self.state.link = "reconnecting"

    def _send(self, ws: ClientConnection, method: str, **params: Any) -> int:
        self._req += 1
        message: dict[str, Any] = {"method": method, "req_id": self._req}
        if params:
            message["params"] = params
        ws.send(json.dumps(message))
        return self._req

    def _subscribe(self, ws: ClientConnection) -> None:
        names = list(self._by_name)
        requests = {self._send(ws, "subscribe", channel="trade", symbol=names,
                               snapshot=False): "trade"}  # fmt: skip
        if "ticker" in self.channels:
            requests[self._send(ws, "subscribe", channel="ticker", symbol=names,
                                event_trigger="bbo", snapshot=True)] = "ticker"  # fmt: skip
        waiting = {(channel, name) for channel in requests.values() for name in names}
        deadline = time.monotonic() + self.idle_s
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                missing = ", ".join(f"{name} ({channel})" for channel, name in sorted(waiting))
                raise TimeoutError(f"no acknowledgement for {missing}")
            message = self._message(ws.recv(timeout=left))
            if message is None or message.get("method") != "subscribe":
                self._other(message)
                continue
            channel = requests.get(message.get("req_id"))  # type: ignore[arg-type]
            if channel is None:
                continue
            name = message.get("symbol") or (message.get("result") or {}).get("symbol")
            if message.get("success") is not True:
                error = str(message.get("error") or "refused")
                if any(mark in error for mark in _RATE_LIMITED):
                    raise RateLimited(error)
                raise UnknownPair(f"pair {name}", [f"Kraken refused the subscription: {error}"])
            waiting.discard((channel, name))
        self.state.link = "subscribed"
        self._note("subscribed", ", ".join(self._by_name))

    def _read(self, ws: ClientConnection) -> Iterator[FeedItem]:
        pinged = False
        while True:
            try:
                raw = ws.recv(timeout=self.idle_s / 2)
            except TimeoutError:
                if pinged:  # nothing, not even a pong: the connection is dead
                    raise TimeoutError(f"no data for {self.idle_s:g} s") from None
                self._send(ws, "ping")
                pinged = True
                continue
            message = self._message(raw)
            if message is None:
                continue
            if message.get("channel") in self.channels:
                pinged = False
                yield from self._data(message, datetime.now(UTC))
            else:
                pinged = pinged and message.get("method") != "pong"
                self._other(message)

    def _message(self, raw: str | bytes) -> dict[str, Any] | None:
        if self._record is not None:
            self._record(raw if isinstance(raw, str) else raw.decode("utf-8", "replace"))
        try:
            message = loads_json(raw)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self.state.skipped += 1
            _log.warning("Kraken WebSocket sent what is not a message: %s", shown(str(raw)[:80]))
            return None
        return message

    def _other(self, message: dict[str, Any] | None) -> None:
        if message is None:
            return
        channel = message.get("channel")
        if channel == "heartbeat":
            self.state.heartbeats += 1
        elif channel == "status":
            for item in message.get("data") or []:
                system = item.get("system") if isinstance(item, dict) else None
                if isinstance(system, str) and system != self.state.system:
                    self.state.system = system
                    self._note("status", system)
        elif message.get("error"):
            error = str(message["error"])
            if any(mark in error for mark in _RATE_LIMITED):
                raise RateLimited(error)
            _log.warning("Kraken WebSocket error: %s", shown(error))

    def _data(self, message: dict[str, Any], received: datetime) -> Iterator[FeedItem]:
        """The trades or quotes of one `trade` or `ticker` message."""
        if message.get("channel") == "ticker":
            yield from self._quotes(message.get("data"), received)
        else:
            yield from self._trades(message.get("data"))

    def _quotes(self, data: object, received: datetime) -> Iterator[Quote]:
        """Kraken's ticker updates as quotes; a v2 ticker may carry no time: then the time
        it was received."""
        for item in data if isinstance(data, list) else []:
            try:
                stamp = item.get("timestamp")
                at = received if stamp is None else parse_instant(stamp, zone_required=True)
                quote = Quote(self._by_name[item["symbol"]],
                              bounded_decimal(_number(item["bid"]), "bid"),
                              bounded_decimal(_number(item["ask"]), "ask"), at)  # fmt: skip
                if not 0 < quote.bid <= quote.ask:
                    raise ValueError("the bid must be positive and at most the ask")
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                self.state.skipped += 1
                _log.warning("Kraken quote skipped (%s): %s", error, shown(str(item)[:80]))
                continue
            self.state.quotes += 1
            yield quote

    def _trades(self, data: object) -> Iterator[Ticker]:
        for item in data if isinstance(data, list) else []:
            try:
                symbol = self._by_name[item["symbol"]]
                trade_id = parse_whole(str(item["trade_id"]), "trade_id", 0, 2**63 - 1)
                ticker = Ticker(symbol, bounded_decimal(_number(item["price"]), "price"),
                                parse_instant(item["timestamp"], zone_required=True),
                                bounded_decimal(_number(item["qty"]), "qty"), trade_id)  # fmt: skip
                if ticker.price <= 0:
                    raise ValueError("price must be positive")
            except (KeyError, TypeError, ValueError) as error:
                self.state.skipped += 1
                _log.warning("Kraken trade skipped (%s): %s", error, shown(str(item)[:80]))
                continue
            if self._seen(ticker):
                continue
            yield ticker

    def _seen(self, ticker: Ticker) -> bool:
        """Whether this trade came already (a backfill and the stream may overlap)."""
        last = self.state.last_trade.get(ticker.symbol)
        if last is not None and ticker.seq <= last[0]:
            return True
        self.state.last_trade[ticker.symbol] = (ticker.seq, epoch_micros(ticker.timestamp))
        return False

    def _backfill(self) -> Iterator[Ticker]:
        """After a reconnect: the trades since the last one seen, from REST, page after page
        (Kraken gives at most 1,000 a page) until a page is not full."""
        if self.rest is None:
            return
        for symbol, (_, micros) in list(self.state.last_trade.items()):
            since, count = micros * 1000, 0
            while True:
                page = self.rest.trades(symbol, since)
                fresh = []
                for trade in page.trades:
                    if trade.trade_id is None:
                        continue
                    ticker = Ticker(symbol, trade.price, trade.timestamp, trade.volume,
                                    trade.trade_id)  # fmt: skip
                    if not self._seen(ticker):
                        fresh.append(ticker)
                if self._record is not None and fresh:  # kept as a trade message, to replay
                    self._record(_as_message(fresh))
                count += len(fresh)
                yield from fresh
                if len(page.trades) < _FULL_PAGE or page.last <= since:
                    break
                since = page.last
            self.state.backfilled += count
            self._note("backfill", f"{symbol}: {count} trades", trades=count)


def replay_recording(lines: Iterator[str], symbols: Sequence[Symbol]) -> Iterator[FeedItem]:
    """What a recorded feed gave (`--record`'s JSONL: {"at", "raw"} a line), through the same
    reading as live: the same trades and quotes, in the same order, duplicates dropped alike."""
    reader = KrakenFeed("", symbols)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            kept = json.loads(line)
            raw, received = kept["raw"], parse_instant(kept["at"], zone_required=True)
        except (ValueError, KeyError, TypeError):
            raise ValidationError(
                "recording", [f"line {number} is not a recorded message"]
            ) from None
        message = reader._message(raw)
        if message is not None and message.get("channel") in reader.channels:
            yield from reader._data(message, received)


def _as_message(ticks: list[Ticker]) -> str:
    stamp = "%Y-%m-%dT%H:%M:%S.%fZ"
    data = [{"symbol": v2_name(t.symbol), "price": format(t.price, "f"),
             "qty": format(t.volume or 0, "f"), "trade_id": t.seq,
             "timestamp": t.timestamp.strftime(stamp)} for t in ticks]  # fmt: skip
    return json.dumps({"channel": "trade", "type": "backfill", "data": data})


def _number(value: object) -> Decimal:
    """A JSON number (read as a Decimal or an int) or a numeric string, exactly."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{shown(str(value))} is not a number")
    return parse_decimal(str(value), "")

"""Trade log events: seed 002's taxonomy and typed columns, with the exact text of the message.

Codes 10-13, 20, 30-32 and 90 are seed 002's and mean what it says. Ingot's own additions take
the range 50-59, which the seed leaves free: 50 a market-data request (a REST call for OHLC or
trades), 51 its response as received. The small-integer columns (side, exec_type, ord_status,
response_status) use the codes of `Side`, `ExecType`, `OrdStatus` and `ResponseStatus` below.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

__all__ = [
    "EventType",
    "ExecType",
    "OrdStatus",
    "ResponseStatus",
    "Side",
    "TradeLogEvent",
    "event_type_named",
    "label_of",
    "market_id",
    "now_us",
]


class EventType(IntEnum):
    """What a trade log row records (seed 002's LogEventType, and Ingot's 50-59)."""

    REQUEST_ORDER_NEW = 10
    REQUEST_ORDER_CANCEL = 11
    REQUEST_ORDER_AMEND = 12
    REQUEST_CANCEL_ALL = 13
    API_RESPONSE = 20
    API_EVENT_EXECUTION = 30
    API_EVENT_ORDER_UPDATE = 31
    API_EVENT_TRADE_LITE = 32
    MARKET_DATA_REQUEST = 50
    MARKET_DATA_RESPONSE = 51
    CONNECTIVITY_INFO = 90

    @property
    def label(self) -> str:
        """The name users type: request_order_new, api_response, …"""
        return self.name.lower()


def label_of(code: int) -> str:
    """The name of a stored event_type code (the code itself when Ingot does not know it)."""
    try:
        return EventType(code).label
    except ValueError:
        return str(code)


def event_type_named(text: str) -> EventType:
    """The event type of a name (request_order_new) or a code (10); ValueError otherwise."""
    cleaned = text.strip().lower()
    for member in EventType:
        if cleaned in (member.label, str(int(member))):
            return member
    raise ValueError(f"{text!r} is not a trade log event type")


class Side(IntEnum):
    """The side column."""

    BUY = 1
    SELL = 2


class ExecType(IntEnum):
    """The exec_type column: what an execution or order update reports (Kraken v2's)."""

    NEW = 0
    TRADE = 1
    FILLED = 2
    CANCELED = 3
    STATUS = 4  # a status change without a trade: Ingot's refused orders


class OrdStatus(IntEnum):
    """The ord_status column (Kraken v2's order_status, and rejected)."""

    NEW = 0
    PARTIALLY_FILLED = 1
    FILLED = 2
    CANCELED = 3
    REJECTED = 4


class ResponseStatus(IntEnum):
    """The response_status column of an api_response; market-data responses keep the HTTP
    status instead."""

    OK = 0
    ERROR = 1


def market_id(symbol: str) -> int:
    """A stable 63-bit id for a market name (BTC/USD), the same in every process: the first
    eight bytes of its SHA-256, big-endian, top bit cleared. The symbol column names it."""
    digest = hashlib.sha256(symbol.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


_last_us = 0
_clock_lock = threading.Lock()


def now_us() -> int:
    """Microseconds since the epoch (UTC), never less than the last value this process took:
    the local timestamp seed 002 asks to be monotonic."""
    global _last_us
    with _clock_lock:
        _last_us = max(time.time_ns() // 1000, _last_us)
        return _last_us


@dataclass(frozen=True, slots=True)
class TradeLogEvent:
    """One row of the trade log.

    `raw` is the message exactly as sent or received (a request over HTTP: seed 002's HTTP
    object, written by Ingot); the other fields are seed 002's typed columns, None where a
    type leaves them empty. Ingot adds `symbol` (the market's name) and `book` (the book the
    event belongs to; None for market data and connectivity). `json_body` says whether `raw`
    is a JSON object or array the body column can hold (a venue's answer may not be: its
    body is then the empty object, and `raw` keeps the text).
    """

    local_ts_us: int
    event_type: EventType
    raw: str
    source: str
    exchange_ts_us: int | None = None
    req_id: int | None = None
    cl_ord_id: str | None = None
    native_ord_id: str | None = None
    market_id: int | None = None
    account_id: int | None = None
    exec_type: ExecType | None = None
    ord_status: OrdStatus | None = None
    side: Side | None = None
    is_taker: bool | None = None
    last_px: Decimal | None = None
    last_qty: Decimal | None = None
    leaves_qty: Decimal | None = None
    ord_px: Decimal | None = None
    ord_qty: Decimal | None = None
    fee: Decimal | None = None
    response_status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    symbol: str | None = None
    book: str | None = None
    json_body: bool = True

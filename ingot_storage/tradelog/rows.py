"""Trade log events as rows of the tradelog table, and as lines of the trade log's spill."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ingot_core.tradelog.events import (
    EventType,
    ExecType,
    OrdStatus,
    Side,
    TradeLogEvent,
)

__all__ = ["COLUMNS", "day_bounds_us", "event_from_line", "event_line", "row_of"]

COLUMNS = ("local_ts_us", "exchange_ts_us", "event_type", "req_id", "cl_ord_id",
           "native_ord_id", "market_id", "account_id", "exec_type", "ord_status", "side",
           "is_taker", "last_px", "last_qty", "leaves_qty", "ord_px", "ord_qty", "fee",
           "response_status", "error_code", "error_message", "source", "body", "raw",
           "symbol", "book")  # fmt: skip
_FIELDS = tuple(c for c in COLUMNS if c != "body")
_DECIMALS = ("last_px", "last_qty", "leaves_qty", "ord_px", "ord_qty", "fee")
_ENUMS = {"event_type": EventType, "exec_type": ExecType, "ord_status": OrdStatus, "side": Side}
_DAY_US = 86_400_000_000


def _clean(text: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; a venue that sends one gets it escaped, visibly.
    return None if text is None else text.replace("\x00", "\\u0000")


def row_of(event: TradeLogEvent) -> tuple[Any, ...]:
    """The COPY row of `event`; the body is its raw text when that is a JSON object or array
    PostgreSQL can hold, else the empty object (the raw column keeps the text)."""
    values = []
    for name in COLUMNS:
        if name == "body":
            values.append(_body(event.raw))
            continue
        value = getattr(event, name)
        if isinstance(value, str):
            value = _clean(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            value = int(value)
        values.append(value)
    return tuple(values)


def _body(raw: str) -> str:
    stripped = raw.lstrip()
    if not stripped.startswith(("{", "[")) or "\x00" in raw or "\\u0000" in raw:
        return "{}"
    try:
        json.loads(raw)
    except ValueError:
        return "{}"
    return raw


def event_line(event: TradeLogEvent) -> dict[str, Any]:
    """`event` as JSON data for the spill (amounts as strings, exactly)."""
    out: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(event, name)
        if value is None:
            continue
        out[name] = str(value) if isinstance(value, Decimal) else value
    return out


def event_from_line(data: dict[str, Any]) -> TradeLogEvent:
    """An event back from its spill form (KeyError, TypeError or ValueError when broken)."""
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name not in _FIELDS:
            raise KeyError(name)
        if name in _DECIMALS:
            value = Decimal(value)
        elif name in _ENUMS:
            value = _ENUMS[name](value)
        fields[name] = value
    return TradeLogEvent(**fields)


def day_bounds_us(local_ts_us: int) -> tuple[int, int, str]:
    """The UTC day holding an instant: its first and next day's first microsecond, and the
    partition's name (tradelog_pYYYYMMDD)."""
    start = local_ts_us - local_ts_us % _DAY_US
    day = datetime.fromtimestamp(start // 1_000_000, UTC)
    return start, start + _DAY_US, f"tradelog_p{day:%Y%m%d}"

"""Trade log events as rows of the tradelog table, and as lines of the trade log's spill."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

from ingot_core.tradelog.events import (
    EventType,
    ExecType,
    OrdStatus,
    Side,
    TradeLogEvent,
)
from ingot_core.tradelog.wire import holds_json

__all__ = ["COLUMNS", "day_bounds_us", "day_start_us", "event_from_line", "event_line", "row_of"]

COLUMNS = ("local_ts_us", "exchange_ts_us", "event_type", "req_id", "cl_ord_id",
           "native_ord_id", "market_id", "account_id", "exec_type", "ord_status", "side",
           "is_taker", "last_px", "last_qty", "leaves_qty", "ord_px", "ord_qty", "fee",
           "response_status", "error_code", "error_message", "source", "body", "raw",
           "symbol", "book")  # fmt: skip
_FIELDS = (*(c for c in COLUMNS if c != "body"), "json_body")
_DECIMALS = ("last_px", "last_qty", "leaves_qty", "ord_px", "ord_qty", "fee")
_ENUMS = {"event_type": EventType, "exec_type": ExecType, "ord_status": OrdStatus, "side": Side}
_DAY_US = 86_400_000_000
_TEXTS = ("cl_ord_id", "native_ord_id", "error_code", "error_message", "source", "raw",
          "symbol", "book")  # fmt: skip


_COPIED = tuple(c for c in COLUMNS if c != "body")
_GET = attrgetter(*_COPIED)
_BODY = COLUMNS.index("body")
_ENUM_AT = tuple(i for i, c in enumerate(_COPIED) if c in _ENUMS)
_TEXT_AT = tuple(i for i, c in enumerate(_COPIED) if c in _TEXTS)


def row_of(event: TradeLogEvent, checked: bool = False) -> list[Any]:
    """The COPY row of `event`. The body is the raw text when the producer marked it JSON
    the body can hold (`checked`: and it parses), else the empty object; NUL, which
    PostgreSQL text cannot hold, is written escaped (visibly) in the text columns."""
    values = list(_GET(event))
    for at in _ENUM_AT:
        if values[at] is not None:
            values[at] = int(values[at])
    for at in _TEXT_AT:
        text = values[at]
        if text is not None and "\x00" in text:
            values[at] = text.replace("\x00", "\\u0000")
    raw = event.raw
    holds = event.json_body and "\x00" not in raw and "\\u0000" not in raw
    if holds and checked:
        holds = holds_json(raw)
    values.insert(_BODY, raw if holds else "{}")
    return values


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


def day_start_us(local_ts_us: int) -> int:
    """The first microsecond of the UTC day holding an instant."""
    return local_ts_us - local_ts_us % _DAY_US


def day_bounds_us(start_us: int) -> tuple[int, int, str]:
    """A UTC day (from its first microsecond): its range and its partition's name
    (tradelog_pYYYYMMDD)."""
    day = datetime.fromtimestamp(start_us // 1_000_000, UTC)
    return start_us, start_us + _DAY_US, f"tradelog_p{day:%Y%m%d}"

"""Trade log events of HTTP calls and of the connection itself (market data, venues).

A request is kept as seed 002's HTTP object (ingot_core.tradelog.wire: headers never,
authentication values redacted), its answer as received (decoded as UTF-8; bytes that are not
are replaced, visibly), and what happens to the connection (a retry, a rate limit, a network
error) as connectivity_info.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ingot_core.tradelog.events import EventType, TradeLogEvent, now_us
from ingot_core.tradelog.wire import (
    REDACTED,
    holds_json,
    http_request_object,
    is_sensitive,
    wire_json,
)

__all__ = ["connectivity_event", "http_request_event", "http_response_event"]


def http_request_event(
    source: str,
    method: str,
    url: str,
    query: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | str | bytes | None = None,
    kind: EventType = EventType.MARKET_DATA_REQUEST,
) -> TradeLogEvent:
    """A request about to be sent (its query parameters from `query` and the URL's own)."""
    parts = urlsplit(url)
    params: dict[str, Any] = {}
    for pair in filter(None, parts.query.split("&")):
        name, _, value = pair.partition("=")
        params[name] = value
    params.update(query or {})
    raw = http_request_object(method, parts.path or "/", params, body)
    return TradeLogEvent(now_us(), kind, raw, source)


def http_response_event(
    source: str,
    status: int,
    content: bytes,
    kind: EventType = EventType.MARKET_DATA_RESPONSE,
) -> TradeLogEvent:
    """An answer as received, with its HTTP status."""
    text = content.decode("utf-8", "replace")
    return TradeLogEvent(now_us(), kind, text, source, response_status=status,
                         json_body=holds_json(text))  # fmt: skip


def connectivity_event(source: str, what: str, detail: str = "", **facts: Any) -> TradeLogEvent:
    """Something that happened to a connection: connect, disconnect, retry, rate_limit, …"""
    data = {"event": what, **{k: REDACTED if is_sensitive(k) else v for k, v in facts.items()}}
    if detail:
        data["detail"] = detail
    return TradeLogEvent(now_us(), EventType.CONNECTIVITY_INFO, wire_json(data), source,
                         error_code=what, error_message=detail or None)  # fmt: skip

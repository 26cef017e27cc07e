"""Messages as text: JSON with exact numbers, and seed 002's HTTP object for a request sent
over HTTP, with authentication material taken out.

A Decimal is written as a JSON number in plain notation (`60030.15`, never `6.003015E+4`) so
a venue-shaped message carries its amounts exactly as the ledger does. Redaction is by name,
case-insensitive: headers are never part of the HTTP object at all (seed 002's object has
none), and a query or body parameter whose name is an authentication name has its value
replaced by `[redacted]`, so the log shows it was there and never what it was.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "REDACTED",
    "SENSITIVE_NAMES",
    "holds_json",
    "http_request_object",
    "is_sensitive",
    "pretty_json",
    "wire_json",
]

REDACTED = "[redacted]"
# Seed 002's examples, Kraken's private-API names (API-Key, API-Sign, nonce, otp) and the
# usual spellings of keys, secrets, signatures, tokens and passwords.
SENSITIVE_NAMES = frozenset({
    "x-mbx-apikey", "apikey", "api_key", "api-key", "key", "secret", "api_secret",
    "api-secret", "secret_key", "signature", "sign", "api-sign", "api_sign", "nonce", "otp",
    "token", "access_token", "authorization", "password", "passphrase", "x-api-key",
    "private_key", "cookie",
})  # fmt: skip


def is_sensitive(name: str) -> bool:
    """Whether a header or parameter of this name carries authentication material."""
    return name.strip().lower() in SENSITIVE_NAMES


def _redacted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: REDACTED if is_sensitive(str(k)) else _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def wire_json(value: Any) -> str:
    """Compact JSON of `value`, its Decimals as exact numbers; keys in the order given."""
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(k))}:{wire_json(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(wire_json(v) for v in value) + "]"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} has no JSON form")
        text = format(value, "f")
        return text if text != "-0" else "0"
    return json.dumps(value, ensure_ascii=False)


def holds_json(text: str) -> bool:
    """Whether `text` is a JSON object or array PostgreSQL's jsonb accepts (no NUL)."""
    if not text.lstrip().startswith(("{", "[")) or "\x00" in text or "\\u0000" in text:
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def pretty_json(text: str, indent: int = 2) -> str:
    """JSON text laid out for reading, its numbers exact (ValueError: not JSON)."""
    return _pretty(json.loads(text, parse_float=Decimal), indent, 0)


def _pretty(value: Any, indent: int, depth: int) -> str:
    pad, inner = " " * (indent * depth), " " * (indent * (depth + 1))
    if isinstance(value, Mapping) and value:
        items = [f"{inner}{json.dumps(str(k))}: {_pretty(v, indent, depth + 1)}"
                 for k, v in value.items()]  # fmt: skip
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        items = [f"{inner}{_pretty(v, indent, depth + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return wire_json(value)


def http_request_object(
    method: str,
    path: str,
    query: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | str | bytes | None = None,
) -> str:
    """Seed 002's object for a request sent over HTTP: transport, method, path, every query
    parameter, and the body when there is one (a JSON object as such; a form body as its
    fields; anything else as a string), authentication values redacted."""
    obj: dict[str, Any] = {"transport": "http", "method": method.upper(), "path": path,
                           "query": _redacted(dict(query or {}))}  # fmt: skip
    if body is not None and body != b"" and body != "":
        obj["body"] = _body(body)
    return wire_json(obj)


def _body(body: Mapping[str, Any] | str | bytes) -> Any:
    if isinstance(body, Mapping):
        return _redacted(dict(body))
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text, parse_float=Decimal)
    except ValueError:
        pairs = parse_qsl(text, keep_blank_values=True)
        if pairs and "=" in text:
            return _redacted(dict(pairs))
        return text
    return _redacted(parsed)

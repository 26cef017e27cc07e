"""Canonical JSON for audit payloads (RFC 8785 on the domain Ingot allows).

The bytes hashed into the audit chain must be reproducible from the stored text alone, so
payloads are written in one canonical form:

- object keys sorted by their UTF-16 code units (RFC 8785 section 3.2.3), no duplicates;
- no insignificant whitespace; UTF-8; only the escapes JSON requires (`\\"`, `\\\\`, and
  control characters, short forms where they exist, otherwise lower-case `\\u00xx`);
- integers as JSON numbers when |n| <= 2^53 - 1, otherwise as decimal strings;
- Decimals as strings in plain notation (exact: `Decimal("1E+2")` becomes `"100"`);
- floats, NaN and infinities refused: money never travels as a binary float;
- U+0000 and unpaired surrogates refused anywhere, keys included.

The heavy lifting is the C-accelerated `json` encoder; this module only normalizes the
value tree first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ingot_core.errors import ValidationError

__all__ = ["MAX_SAFE_INTEGER", "CanonicalJsonError", "canonical_json"]

MAX_SAFE_INTEGER = 2**53 - 1

_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False
)


class CanonicalJsonError(ValidationError):
    """A payload value that has no canonical JSON form."""


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _check_text(text: str, where: str, problems: list[str]) -> None:
    if "\x00" in text:
        problems.append(f"{where}: U+0000 is not allowed")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        problems.append(f"{where}: unpaired surrogate is not valid UTF-8")


def _normalize(value: Any, where: str, problems: list[str]) -> Any:
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str):
        _check_text(value, where, problems)
        return value
    if isinstance(value, int):
        return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            problems.append(f"{where}: {value} is not a finite number")
            return None
        return format(value, "f")
    if isinstance(value, float):
        problems.append(f"{where}: float {value!r} is not allowed; use Decimal or a string")
        return None
    if isinstance(value, Mapping):
        items: list[tuple[str, Any]] = []
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(f"{where}: key {key!r} is not a string")
                continue
            _check_text(key, f"{where} key {key!r}", problems)
            items.append((key, _normalize(item, f"{where}.{key}", problems)))
        items.sort(key=lambda pair: _utf16_order(pair[0]))
        return dict(items)
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_normalize(item, f"{where}[{n}]", problems) for n, item in enumerate(value)]
    problems.append(f"{where}: {type(value).__name__} has no JSON form")
    return None


class _NeedsCarefulPass(Exception):
    """The fast pass met something it does not handle; the careful pass decides."""


def _plain(value: Decimal) -> str:
    # str() is four times cheaper than format(); without an exponent mark it is already the
    # plain notation, digit for digit.
    text = str(value)
    return text if "E" not in text else format(value, "f")


def _fast(value: Any) -> Any:
    # Exact-type dispatch without path bookkeeping: the common payload (str keys, str /
    # int / Decimal / bool / None leaves, dicts and lists) never leaves this function.
    kind = type(value)
    if kind is dict:
        return _fast_dict(value)
    if kind is str:
        if "\x00" in value:
            raise _NeedsCarefulPass
        return value
    if kind is int:
        return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else str(value)
    if kind is Decimal:
        if not value.is_finite():
            raise _NeedsCarefulPass
        return _plain(value)
    if value is None or kind is bool:
        return value
    if kind is list or kind is tuple:
        return [_fast(item) for item in value]
    raise _NeedsCarefulPass


# Payloads come in a few shapes, so the checked, sorted key order of each key sequence seen
# is kept (up to a bound) and the next dict with the same keys in the same order reuses it.
_KEY_ORDERS: dict[tuple[Any, ...], tuple[str, ...]] = {}
_KEY_ORDERS_LIMIT = 4096


def _key_order(value: dict[Any, Any]) -> tuple[str, ...]:
    keys = tuple(value)
    order = _KEY_ORDERS.get(keys)
    if order is not None:
        return order
    for key in keys:
        if type(key) is not str or "\x00" in key:
            raise _NeedsCarefulPass
    if all(key.isascii() for key in keys):
        order = tuple(sorted(keys))  # for ASCII, code point order is UTF-16 order
    else:
        order = tuple(sorted(keys, key=_utf16_order))
    if len(_KEY_ORDERS) < _KEY_ORDERS_LIMIT:
        _KEY_ORDERS[keys] = order
    return order


def _fast_dict(value: dict[Any, Any]) -> dict[str, Any]:
    out = {}
    for key in _key_order(value):
        item = value[key]
        # The usual leaves inline (a payload is mostly strings and Decimals); the rest recurse.
        kind = type(item)
        if kind is str and "\x00" not in item:
            out[key] = item
        elif kind is Decimal and item.is_finite():
            out[key] = _plain(item)
        else:
            out[key] = _fast(item)
    return out


def canonical_json(value: Any) -> str:
    """The canonical JSON text of `value`; raises CanonicalJsonError listing every problem."""
    try:
        text: str = _ENCODER.encode(_fast(value))
        text.encode("utf-8")  # one check for unpaired surrogates anywhere
        return text
    except (_NeedsCarefulPass, UnicodeEncodeError):
        pass
    problems: list[str] = []
    normalized = _normalize(value, "$", problems)
    if problems:
        raise CanonicalJsonError("payload", problems)
    return _ENCODER.encode(normalized)

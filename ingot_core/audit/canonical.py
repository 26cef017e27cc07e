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

The usual payload is written straight to text, strings through the `json` module's C string
writer; anything unusual takes a careful pass that names every problem, or normalizes the
value tree for the `json` encoder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from ingot_core.errors import ValidationError

__all__ = [
    "MAX_SAFE_INTEGER",
    "CanonicalJsonError",
    "NeedsCarefulPass",
    "canonical_json",
    "canonical_record",
    "json_string",
    "plain_decimal",
    "valid_utf8",
]

MAX_SAFE_INTEGER = 2**53 - 1

_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False
)
# The encoder's own string writer (C): escapes `"`, `\\` and control characters only.
json_string: Callable[[str], str] = json.encoder.encode_basestring


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


class NeedsCarefulPass(Exception):
    """The fast pass met something it does not handle; the careful pass decides."""


def plain_decimal(value: Decimal) -> str:
    # str() is four times cheaper than format(); without an exponent mark it is already the
    # plain notation, digit for digit.
    text = str(value)
    return text if "E" not in text else format(value, "f")


# Payloads come in a few shapes, so the checked, sorted members of each key sequence seen are
# kept (up to a bound), and the next dict with the same keys in the same order reuses them:
# each key in canonical order, with its written form and the colon.
_MEMBERS: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
_MEMBERS_LIMIT = 4096


def _members(value: Mapping[Any, Any]) -> list[tuple[str, str]]:
    keys = tuple(value)
    members = _MEMBERS.get(keys)
    if members is not None:
        return members
    for key in keys:
        if type(key) is not str or "\x00" in key:
            raise NeedsCarefulPass
    # For ASCII keys, code point order is UTF-16 order.
    ascii_only = all(key.isascii() for key in keys)
    order = sorted(keys, key=None if ascii_only else _utf16_order)
    members = [(key, json_string(key) + ":") for key in order]
    if len(_MEMBERS) < _MEMBERS_LIMIT:
        _MEMBERS[keys] = members
    return members


def _write(value: Any) -> str:
    # The canonical text written directly, by exact type, without path bookkeeping: the
    # common payload (str keys; str, int, Decimal, bool and None leaves; dicts and lists)
    # never leaves this function. Anything else goes to the careful pass.
    kind = type(value)
    if kind is dict:
        return _write_object(value, _members(value))
    if kind is str:
        if "\x00" in value:
            raise NeedsCarefulPass
        return json_string(value)
    if kind is Decimal:
        if not value.is_finite():
            raise NeedsCarefulPass
        return '"' + plain_decimal(value) + '"'
    if kind is int:
        return str(value) if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else f'"{value}"'
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is list or kind is tuple:
        return "[" + ",".join([_write(item) for item in value]) + "]"
    raise NeedsCarefulPass


def _write_object(
    value: Mapping[str, Any],
    members: list[tuple[str, str]],
    instant: Callable[[datetime], str] | None = None,
) -> str:
    # With `instant`, the object is a record: None members left out, datetimes as text.
    parts = []
    for key, prefix in members:
        item = value[key]
        # The usual leaves inline (a payload is mostly strings and Decimals); the rest recurse.
        kind = type(item)
        if kind is str and "\x00" not in item:
            parts.append(prefix + json_string(item))
        elif kind is Decimal and item.is_finite():
            parts.append(prefix + '"' + plain_decimal(item) + '"')
        elif instant is not None and item is None:
            continue
        elif instant is not None and kind is datetime:
            parts.append(prefix + json_string(instant(item)))
        else:
            parts.append(prefix + _write(item))
    return "{" + ",".join(parts) + "}"


def valid_utf8(text: str) -> str:
    text.encode("utf-8")  # one check for unpaired surrogates anywhere
    return text


def canonical_json(value: Any) -> str:
    """The canonical JSON text of `value`; raises CanonicalJsonError listing every problem."""
    try:
        return valid_utf8(_write(value))
    except (NeedsCarefulPass, UnicodeEncodeError):
        pass  # the careful pass raises outside the handler: no chained traceback
    return _careful(value)


def canonical_record(record: Mapping[str, Any], instant: Callable[[datetime], str]) -> str:
    """The canonical JSON of a flat record as an audit payload: members that are None left
    out, and datetimes written as the strings `instant` makes of them (ISO 8601).

    The same text as `canonical_json` of that payload, without building it.
    """
    try:
        return valid_utf8(_write_object(record, _members(record), instant))
    except (NeedsCarefulPass, UnicodeEncodeError):
        pass
    payload = {
        key: instant(item) if isinstance(item, datetime) else item
        for key, item in record.items()
        if item is not None
    }
    return _careful(payload)


def _careful(value: Any) -> str:
    problems: list[str] = []
    normalized = _normalize(value, "$", problems)
    if problems:
        raise CanonicalJsonError("payload", problems)
    return _ENCODER.encode(normalized)

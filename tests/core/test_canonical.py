"""Canonical JSON: RFC 8785 on Ingot's domain, strings for Decimals and big integers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
import rfc8785
from hypothesis import example, given
from hypothesis import strategies as st

from ingot_core.accounting import Currency, Entry, EntrySide, Transaction
from ingot_core.audit import (
    MAX_SAFE_INTEGER,
    CanonicalJsonError,
    canonical_json,
    canonical_record,
    transaction_posted,
    transaction_posted_text,
)


def test_keys_sorted_by_utf16_code_units_and_no_whitespace() -> None:
    # U+1F600 is D83D DE00 in UTF-16, which sorts before U+FB01 there (not by code point).
    value = {"b": 1, "a": [True, None], "\ufb01": 2, "\U0001f600": 3, "A": {"z": 0, "y": ""}}
    assert canonical_json(value) == '{"A":{"y":"","z":0},"a":[true,null],"b":1,"😀":3,"ﬁ":2}'


def test_decimals_and_big_integers_become_exact_strings() -> None:
    value = {
        "amount": Decimal("30000.00"),
        "tiny": Decimal("1E-8"),
        "round": Decimal("1E+2"),
        "safe": MAX_SAFE_INTEGER,
        "unsafe": MAX_SAFE_INTEGER + 1,
        "negative": -(2**64),
    }
    assert canonical_json(value) == (
        '{"amount":"30000.00","negative":"-18446744073709551616","round":"100",'
        '"safe":9007199254740991,"tiny":"0.00000001","unsafe":"9007199254740992"}'
    )


def test_escapes_only_what_json_requires() -> None:
    assert canonical_json('é"\\/\n\t\x1f\x7f') == '"é\\"\\\\/\\n\\t\\u001f\x7f"'


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"price": 1.5}, r"\$\.price: float 1\.5 is not allowed"),
        ({"x": Decimal("NaN")}, "is not a finite number"),
        ({"x": Decimal("Infinity")}, "is not a finite number"),
        ({"name": "a\x00b"}, r"U\+0000 is not allowed"),
        ({"a\x00": 1}, r"U\+0000 is not allowed"),
        ({"x": "\ud800"}, "unpaired surrogate"),
        ({1: "x"}, "key 1 is not a string"),
        ({"x": b"bytes"}, "bytes has no JSON form"),
    ],
)
def test_values_without_a_canonical_form_are_refused(value: object, problem: str) -> None:
    with pytest.raises(CanonicalJsonError, match=problem):
        canonical_json(value)


def test_every_problem_is_reported() -> None:
    with pytest.raises(CanonicalJsonError) as caught:
        canonical_json({"a": 1.0, "b": [float("nan")], "c": "\x00"})
    assert len(caught.value.problems) == 3


safe_ints = st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
texts = st.text().filter(
    lambda s: "\x00" not in s and not any(0xD800 <= ord(c) <= 0xDFFF for c in s)
)
json_values = st.recursive(
    st.none() | st.booleans() | safe_ints | texts,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(texts, children, max_size=5),
    max_leaves=25,
)


@given(value=json_values)
def test_equals_rfc8785_on_the_allowed_domain(value: object) -> None:
    assert canonical_json(value).encode() == rfc8785.dumps(value)


@given(value=st.decimals(allow_nan=False, allow_infinity=False))
def test_decimals_round_trip_exactly_through_their_string(value: Decimal) -> None:
    text = canonical_json(value)
    assert Decimal(text.strip('"')) == value


@given(value=st.decimals(allow_nan=False, allow_infinity=False))
def test_decimals_are_written_in_plain_notation(value: Decimal) -> None:
    assert canonical_json({"v": value}) == '{"v":"' + format(value, "f") + '"}'


@given(
    pairs=st.lists(st.tuples(texts, safe_ints), min_size=1, max_size=6, unique_by=lambda p: p[0])
)
def test_a_key_set_seen_before_in_another_order_sorts_the_same(pairs: list) -> None:
    forward, backward = dict(pairs), dict(reversed(pairs))
    assert canonical_json(forward) == canonical_json(backward) == canonical_json(dict(pairs))
    assert canonical_json(backward).encode() == rfc8785.dumps(backward)


# Flat records as the storage layer writes them: any leaf a row may hold, or a bad one.
record_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.decimals()
    | st.datetimes(timezones=st.timezones())
    | st.floats()
    | st.lists(safe_ints, max_size=3)
)


def _payload(record: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v.isoformat() if isinstance(v, datetime) else v
        for k, v in record.items()
        if v is not None
    }


@given(record=st.dictionaries(st.text(), record_leaves, max_size=8))
def test_a_record_is_written_as_canonical_json_of_its_payload(record: dict[str, Any]) -> None:
    """canonical_record writes without building the payload; the text and the refusals must
    be those of canonical_json on the payload (NULLs left out, instants as ISO text)."""
    expected: str | list[str]
    try:
        expected = canonical_json(_payload(record))
    except CanonicalJsonError as error:
        expected = error.problems
    written: str | list[str]
    try:
        written = canonical_record(record, datetime.isoformat)
    except CanonicalJsonError as error:
        written = error.problems
    assert written == expected


entries = st.builds(
    Entry,
    st.uuids(),
    st.sampled_from(EntrySide),
    st.decimals() | st.integers(),  # the ledger refuses non-Decimals; the writer must too
    st.builds(Currency, st.from_regex(r"[A-Z0-9]{2,12}", fullmatch=True), st.integers(0, 18)),
)
transactions = st.builds(
    Transaction,
    st.uuids(),
    st.datetimes(timezones=st.timezones()),
    st.text(),
    st.lists(entries, max_size=6).map(tuple),
)


_USD = Currency("USD", 2)
_AT = datetime(2026, 1, 1, tzinfo=UTC)


@given(tx=transactions)
@example(tx=Transaction(UUID(int=1), _AT, "a\x00b", ()))  # NUL: no canonical form
@example(tx=Transaction(UUID(int=1), _AT, "\ud800", ()))  # an unpaired surrogate
@example(
    tx=Transaction(
        UUID(int=1), _AT, "", (Entry(UUID(int=2), EntrySide.DEBIT, Decimal("NaN"), _USD),)
    )
)
def test_a_transaction_is_written_as_canonical_json_of_its_payload(tx: Transaction) -> None:
    """transaction_posted_text writes without building the payload; the text and the
    refusals must be those of canonical_json on the audit event's payload."""
    expected: str | list[str]
    try:
        expected = canonical_json(transaction_posted(tx, "engine").payload)
    except CanonicalJsonError as error:
        expected = error.problems
    written: str | list[str]
    try:
        written = transaction_posted_text(tx)
    except CanonicalJsonError as error:
        written = error.problems
    assert written == expected

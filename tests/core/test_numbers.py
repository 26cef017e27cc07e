"""The one number parser (ASCII digits only, underscores between digits, bounded to what the
ledger and PostgreSQL store, short echoes) and the one instant parser."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingot_core.instants import parse_instant
from ingot_core.numbers import (
    MAX_FRACTION_DIGITS,
    MAX_INTEGER_DIGITS,
    loads_json,
    parse_decimal,
    parse_whole,
    shown,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", Decimal(1)),
        (" 1_000.50 ", Decimal("1000.50")),
        ("1e-8", Decimal("1E-8")),
        (".5", Decimal("0.5")),
        ("5.", Decimal(5)),
        ("-2.25", Decimal("-2.25")),
        (
            "99999999999999999999.999999999999999999",
            Decimal("99999999999999999999.999999999999999999"),
        ),
        ("0.1000000000000000000000", Decimal("0.1")),  # trailing zeros are not places
        ("0e-50", Decimal(0)),
    ],
)
def test_parse_decimal_accepts_numbers(text: str, value: Decimal) -> None:
    assert parse_decimal(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "", " ", "abc", "NaN", "inf", "-Infinity", "1,000", "0x10",
        "_1", "1_", "1__0", "1_.5", "1._5", "1e_5",
        "\uff11", "\u0660.\u0665", "\u0661e\u0662", "\u0e51", "1\u00a0000",
    ],
)  # fmt: skip
def test_parse_decimal_rejects_non_numbers(text: str) -> None:
    with pytest.raises(ValueError, match=r"price .* not a number"):
        parse_decimal(text, "price")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1e20", "too large"),
        ("100000000000000000000", "too large"),
        ("-1e200000", "too large"),
        ("1e999999999", "too large"),
        ("1e-19", "more than 18 decimal places"),
        ("0.0000000000000000001", "more than 18 decimal places"),
        ("1" * 100, "too long"),
    ],
)
def test_parse_decimal_bounds_what_postgresql_stores(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=rf"limit .*{reason}"):
        parse_decimal(text, "limit")


def test_a_refused_million_digit_number_is_echoed_short() -> None:
    with pytest.raises(ValueError, match="too long") as caught:
        parse_decimal("9" * 1_000_000, "quantity")
    assert len(str(caught.value)) < 120
    assert "1,000,000 characters" in str(caught.value)


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=MAX_FRACTION_DIGITS).filter(
        lambda d: abs(d) < Decimal(10) ** MAX_INTEGER_DIGITS
    )
)
def test_every_storable_decimal_reads_back_exactly(value: Decimal) -> None:
    assert parse_decimal(str(value)) == value
    assert parse_decimal(f"{value:f}") == value


@given(st.text(max_size=30))
def test_parse_decimal_accepts_only_ascii_numbers(text: str) -> None:
    try:
        value = parse_decimal(text)
    except ValueError:
        return
    assert text.strip().isascii()
    assert value.is_finite()


@pytest.mark.parametrize(("text", "value"), [("7", 7), (" 1_000 ", 1000), ("-3", -3), ("+4", 4)])
def test_parse_whole(text: str, value: int) -> None:
    assert parse_whole(text) == value


@pytest.mark.parametrize("text", ["", "1.0", "1e3", "\u0663", "_1", "1_", "9" * 200])
def test_parse_whole_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"PG_POOL_SIZE .* not a whole number"):
        parse_whole(text, "PG_POOL_SIZE")


def test_parse_whole_bounds() -> None:
    with pytest.raises(ValueError, match="'101' is out of range 1-100"):
        parse_whole("101", "PG_POOL_SIZE", 1, 100)
    with pytest.raises(ValueError, match="at least 1"):
        parse_whole("0", "--limit", low=1)
    with pytest.raises(ValueError, match="at most 5"):
        parse_whole("6", "--limit", high=5)


def test_loads_json_reads_fractions_as_decimal() -> None:
    assert loads_json('{"p": 1.10, "n": 3}') == {"p": Decimal("1.10"), "n": 3}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"ts": ' + "9" * 5000 + "}", "too long"),
        ('{"p": NaN}', "not a number JSON allows"),
        ('{"p": -Infinity}', "not a number JSON allows"),
        ('{"p": 1', "not JSON"),
        (b"\xff\xfe", "not UTF-8|not JSON"),
    ],
)
def test_loads_json_refuses_with_value_error(text: str | bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        loads_json(text)


def test_shown_cuts_long_text() -> None:
    assert shown("abc") == "'abc'"
    assert shown("x" * 5_000_000).endswith("(5,000,000 characters)")


@pytest.mark.parametrize(
    ("text", "zone_required", "expected"),
    [
        ("2024-01-05", False, datetime(2024, 1, 5, tzinfo=UTC)),
        ("2024-01-05T10:30", False, datetime(2024, 1, 5, 10, 30, tzinfo=UTC)),
        ("2024-01-05T10:30:00+02:00", True, datetime(2024, 1, 5, 8, 30, tzinfo=UTC)),
        ("2024-01-05T10:30:00Z", True, datetime(2024, 1, 5, 10, 30, tzinfo=UTC)),
    ],
)
def test_parse_instant(text: str, zone_required: bool, expected: datetime) -> None:
    assert parse_instant(text, zone_required=zone_required) == expected


@pytest.mark.parametrize(
    ("text", "zone_required", "reason"),
    [
        ("2024-01-05", True, "has no time zone"),
        ("2024-01-05T10:30", True, "has no time zone"),
        ("9999-12-31T23:59:59-01:00", False, "outside the years 1-9999"),
        ("0001-01-01T00:00:00+01:00", False, "outside the years 1-9999"),
        ("\uff12\uff10\uff12\uff14-01-05", False, "not an ISO-8601"),
        ("2024-13-01", False, "not an ISO-8601"),
        ("x" * 1000, False, "not an ISO-8601"),
    ],
)
def test_parse_instant_refuses(text: str, zone_required: bool, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_instant(text, zone_required=zone_required)


def test_when_a_trader_types_it() -> None:
    from datetime import UTC, datetime, timedelta

    from ingot_core.instants import parse_when

    now = datetime(2026, 3, 15, 13, 45, 30, tzinfo=UTC)
    midnight = datetime(2026, 3, 15, tzinfo=UTC)
    assert parse_when("today", now) == midnight
    assert parse_when(" Yesterday ", now) == midnight - timedelta(days=1)
    assert parse_when("-7d", now) == now - timedelta(days=7)
    assert parse_when("-12h", now) == now - timedelta(hours=12)
    assert parse_when("-30m", now) == now - timedelta(minutes=30)
    assert parse_when("-2w", now) == now - timedelta(weeks=2)
    assert parse_when("2024-01", now) == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_when("2024", now) == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_when("2024-02-29", now) == datetime(2024, 2, 29, tzinfo=UTC)
    assert parse_when("2024-02-29T10:00+02:00", now) == datetime(2024, 2, 29, 8, tzinfo=UTC)
    for bad in ("someday", "-7y", "7d", "2024-13", "0000", "-1234567d", "tomorrow", "2024-1"):
        with pytest.raises(ValueError, match="date"):
            parse_when(bad, now)
    with pytest.raises(ValueError, match="outside"):
        parse_when("-999999w", now)

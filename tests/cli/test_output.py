"""Amounts are displayed exactly: zeros may be added or dropped, never a significant digit."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ingot_cli.output import format_amount


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        ("1234567.5", 2, "1,234,567.50"),
        ("92000.0000", 2, "92,000.00"),
        ("0", 2, "0.00"),
        ("0.12345678", 2, "0.12345678"),
        ("100605.283945", 2, "100,605.283945"),
        ("1.2345000", 2, "1.2345"),
        ("-30000.00", 2, "-30,000.00"),
        ("1E+3", 0, "1,000"),
        (
            "12345678901234567890.123456789012345678",
            18,
            "12,345,678,901,234,567,890.123456789012345678",
        ),
    ],
)
def test_format_amount_is_exact(value: str, decimals: int, shown: str) -> None:
    assert format_amount(Decimal(value), decimals) == shown
    assert Decimal(shown.replace(",", "")) == Decimal(value)


def test_counts_take_the_singular_for_one() -> None:
    from ingot_cli.output import counted

    assert [counted(n, "entry") for n in (0, 1, 2, 1234)] == [
        "0 entries", "1 entry", "2 entries", "1,234 entries"]  # fmt: skip
    assert (counted(1, "batch"), counted(3, "batch"), counted(2, "day")) == (
        "1 batch", "3 batches", "2 days")  # fmt: skip


def test_money_in_json_has_the_currencys_places_and_tables_mark_rounding() -> None:
    from ingot_cli.output import money_shown, money_text

    assert money_text(Decimal("99992.680"), 2) == "99992.68"
    assert money_text(Decimal("100000"), 2) == "100000.00"
    assert money_text(Decimal("0.123456"), 2) == "0.123456"  # never rounded: every digit
    assert money_text(Decimal("12.5"), 0) == "12.5"
    assert money_shown(Decimal("1234.500"), 2) == "1,234.50"
    assert money_shown(Decimal("1234.565"), 2) == "≈1,234.56"  # half-even, and said so
    assert money_shown(Decimal("-0.005"), 2) == "≈-0.00"


def test_an_average_cost_that_does_not_divide_is_marked(invoke) -> None:  # type: ignore[no-untyped-def]
    assert invoke("mark", "BTC-USD", "100").exit_code == 0
    assert invoke("buy", "BTC-USD", "3", "--limit", "100").exit_code == 0  # 300.00 for 3
    assert invoke("mark", "BTC-USD", "101").exit_code == 0
    assert invoke("sell", "BTC-USD", "1", "--limit", "101").exit_code == 0  # 200.00 left for 2
    assert invoke("buy", "BTC-USD", "1", "--limit", "101").exit_code == 0  # 301.00 for 3
    [row] = json.loads(invoke("positions", "--json").output)
    assert row["cost_basis"] == "301.00"
    assert row["average_cost_exact"] is False
    assert Decimal(row["average_cost"]) == Decimal("100.333333333333333333")
    table = invoke("positions").output
    assert "≈100.33" in table

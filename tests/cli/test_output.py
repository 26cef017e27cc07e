"""Amounts are displayed exactly: zeros may be added or dropped, never a significant digit."""

from __future__ import annotations

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

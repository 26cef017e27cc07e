"""Exact Decimal helpers, currencies and symbols."""

from __future__ import annotations

import decimal
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingot_core.accounting import Currency, Entry, EntrySide, currency
from ingot_core.money import EXACT, exact_sum, fraction_digits, multiply
from ingot_core.symbols import Symbol


def test_exact_sum_keeps_digits_the_default_context_would_round() -> None:
    values = [Decimal("1" + "0" * 40), Decimal("0." + "0" * 20 + "1")]
    assert exact_sum(values) == Decimal("1" + "0" * 40 + ".000000000000000000001")
    assert sum(values) != exact_sum(values)  # the default context rounds


def test_multiply_is_exact() -> None:
    assert multiply(Decimal("0.12345678"), Decimal("60000.01")) == Decimal("7407.4080345678")


def test_fraction_digits() -> None:
    assert fraction_digits(Decimal("1.230")) == 3
    assert fraction_digits(Decimal("1E+3")) == 0
    with pytest.raises(ValueError, match="not a finite number"):
        fraction_digits(Decimal("NaN"))


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_fraction_digits_is_the_negated_exponent(value: Decimal) -> None:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    assert fraction_digits(value) == max(0, -exponent)


def test_known_and_default_currency_precision() -> None:
    assert currency("usd") == Currency("USD", 2)
    assert currency("BTC").decimals == 8
    assert currency("NEWCOIN").decimals == 8


@pytest.mark.parametrize(("code", "decimals"), [("us", 2), ("U$D", 2), ("USD", 19), ("USD", -1)])
def test_currency_rejects_bad_codes_and_precision(code: str, decimals: int) -> None:
    with pytest.raises(ValueError, match="currency"):
        Currency(code, decimals)


def test_symbol_parse_normalizes() -> None:
    assert Symbol.parse("btc/usd") == Symbol("BTC", "USD")
    assert str(Symbol.parse("ETH-EUR")) == "ETH-EUR"


@pytest.mark.parametrize("text", ["BTC", "BTC-", "BTC-BTC", "BTC_USD", "B-USD"])
def test_symbol_parse_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError, match="BASE-QUOTE"):
        Symbol.parse(text)


def test_exact_context_traps_rounding() -> None:
    with pytest.raises(decimal.Inexact):
        Decimal("1.005").quantize(Decimal("0.01"), context=EXACT)


def test_negation_of_long_amounts_is_exact() -> None:
    amount = Decimal("1234567890123456789012.123456789012345678")
    entry = Entry(uuid4(), EntrySide.CREDIT, amount, currency("ETH"))
    assert entry.signed_amount == Decimal("-1234567890123456789012.123456789012345678")

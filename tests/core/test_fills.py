"""Fills become balanced transactions through the currency trading accounts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest

from ingot_core.accounting import (
    bootstrap_ledger,
    cash_account_name,
    fee_account_name,
    holdings_account_name,
    post_order_fill,
    trading_account_name,
)
from ingot_core.errors import InvalidFill, ValidationError
from ingot_core.execution import OrderSide
from tests.builders import T0, USD, fill, trading_ledger


def balance(ledger, name: str) -> Decimal:
    return ledger.balance(ledger.account_named(name).id)


def test_buy_fill_moves_cash_into_holdings_and_fees() -> None:
    ledger = bootstrap_ledger(USD, Decimal("100000.00"), T0)
    posting = post_order_fill(ledger, fill(OrderSide.BUY, "0.5", "60000", fee="12.00"))
    assert balance(ledger, cash_account_name("USD")) == Decimal("69988.00")
    assert balance(ledger, holdings_account_name("BTC")) == Decimal("0.5")
    assert balance(ledger, fee_account_name("USD")) == Decimal("12.00")
    assert balance(ledger, trading_account_name("BTC")) == Decimal("0.5")
    assert balance(ledger, trading_account_name("USD")) == Decimal("-30000.00")
    assert [a.name for a in posting.accounts_created] == [
        holdings_account_name("BTC"),
        trading_account_name("BTC"),
    ]
    assert ledger.nav(USD, {"BTC": Decimal("60000")}) == Decimal("99988.00")


def test_sell_fill_pays_fee_out_of_proceeds() -> None:
    ledger = bootstrap_ledger(USD, Decimal("0"), T0)
    post_order_fill(ledger, fill(OrderSide.BUY, "1", "100", order_id="b"))
    post_order_fill(ledger, fill(OrderSide.SELL, "1", "110", fee="1.10", order_id="s"))
    assert balance(ledger, cash_account_name("USD")) == Decimal("8.90")
    assert balance(ledger, holdings_account_name("BTC")) == 0
    assert ledger.nav(USD, {}) == Decimal("8.90")


def test_second_fill_creates_no_new_accounts() -> None:
    ledger = bootstrap_ledger(USD, Decimal("1000.00"), T0)
    post_order_fill(ledger, fill(OrderSide.BUY, "0.001", "100", order_id="a"))
    again = post_order_fill(ledger, fill(OrderSide.BUY, "0.001", "100", order_id="b"))
    assert again.accounts_created == ()


def test_every_currency_balances_across_a_trading_history() -> None:
    ledger = trading_ledger()
    for tx in ledger.transactions:
        for code in {e.currency.code for e in tx.entries}:
            legs = [e.signed_amount for e in tx.entries if e.currency.code == code]
            assert sum(legs) == 0


def test_invalid_fill_reports_every_problem_and_changes_nothing() -> None:
    ledger = bootstrap_ledger(USD, Decimal("1000.00"), T0)
    before = [(a.name, ledger.balance(a.id)) for a in ledger.accounts]
    bad = replace(
        fill(OrderSide.BUY, "1", "100"),
        quantity=Decimal("0"),
        price=Decimal("-1"),
        fee=Decimal("-0.01"),
        filled_at=datetime(2026, 1, 1),
    )
    with pytest.raises(InvalidFill) as caught:
        post_order_fill(ledger, bad)
    assert len(caught.value.problems) == 4
    assert [(a.name, ledger.balance(a.id)) for a in ledger.accounts] == before


@pytest.mark.parametrize(
    ("cost", "problem"),
    [
        ("67.45", r"not quantity x price \(67\.43257\)"),  # not this fill's notional
        ("67.43257", r"cost 67\.43257 has more than the 2 decimals USD"),  # not settled
    ],
)
def test_fill_with_a_wrong_cost_is_rejected_before_accounts_exist(cost: str, problem: str) -> None:
    ledger = bootstrap_ledger(USD, Decimal("1000.00"), T0)
    wrong = replace(fill(OrderSide.BUY, "0.001", "67432.57"), cost=Decimal(cost))
    with pytest.raises(InvalidFill, match=problem):
        post_order_fill(ledger, wrong)
    assert ledger.find_account(holdings_account_name("BTC")) is None


def test_bootstrap_refuses_negative_capital() -> None:
    with pytest.raises(ValidationError):
        bootstrap_ledger(USD, Decimal("-1"), T0)


def test_bootstrap_with_zero_capital_posts_nothing() -> None:
    ledger = bootstrap_ledger(USD, Decimal("0"), T0)
    assert ledger.transaction_count == 0
    assert {a.name for a in ledger.accounts} == {
        "Equity:Capital:USD",
        "Assets:Cash:USD",
        "Equity:Trading:USD",
        "Expenses:Fees:USD",
    }

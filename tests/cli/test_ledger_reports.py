"""`ingot register`, `ingot journal` and `balances --tree/--at`, held to independent sums."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

TRADES = [("buy", "60000", "0.01"), ("buy", "61000", "0.02"), ("sell", "62000", "0.015")]


@pytest.fixture
def traded(invoke, tmp_path) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    """A book with three fills; their rows as `history export` gives them."""
    for side, price, qty in TRADES:
        assert invoke("mark", "BTC-USD", price).exit_code == 0
        done = invoke(side, "BTC-USD", qty)
        assert done.exit_code == 0, done.output
    out = tmp_path / "fills.json"
    assert invoke("history", "export", "--format", "json", "--output", str(out)).exit_code == 0
    return [row for row in json.loads(out.read_text()) if row["status"] == "Filled"]


def _cash_from_fills(fills: list[dict[str, str]]) -> Decimal:
    cash = Decimal("100000.00")  # the opening capital
    for f in fills:
        cost, fee = Decimal(f["cost"]), Decimal(f["fee"])
        cash += -cost - fee if f["side"] == "Buy" else cost - fee
    return cash


def test_the_cash_register_ends_at_what_the_fills_say(invoke, traded) -> None:  # type: ignore[no-untyped-def]
    shown = invoke("register", "Assets:Cash:USD", "--json")
    assert shown.exit_code == 0, shown.output
    lines = json.loads(shown.output)
    assert len(lines) == 1 + len(traded)  # the opening capital, then one posting per fill
    assert Decimal(lines[-1]["balance"]) == _cash_from_fills(traded)
    running = Decimal(0)
    for line in lines:
        running += Decimal(line["amount"])
        assert Decimal(line["balance"]) == running
    balances = json.loads(invoke("balances", "--json").output)
    cash = next(b for b in balances if b["account"] == "Assets:Cash:USD")
    assert Decimal(cash["balance"]) == Decimal(lines[-1]["balance"])


def test_a_period_carries_the_balance_before_it(invoke, traded) -> None:  # type: ignore[no-untyped-def]
    whole = json.loads(invoke("register", "Assets:Cash:USD", "--json").output)
    cut = whole[2]["posted_at"]  # from the second fill on
    later = json.loads(invoke("register", "Assets:Cash:USD", "--since", cut, "--json").output)
    assert later == whole[2:]
    before = json.loads(invoke("register", "Assets:Cash:USD", "--until", cut, "--json").output)
    assert before == whole[:2]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert (
        json.loads(invoke("register", "Assets:Cash:USD", "--since", tomorrow, "--json").output)
        == []
    )


def test_every_journal_transaction_balances_and_names_its_accounts(invoke, traded) -> None:  # type: ignore[no-untyped-def]
    txs = json.loads(invoke("journal", "--json").output)
    assert len(txs) == 1 + len(traded)
    for tx in txs:
        net: dict[str, Decimal] = defaultdict(Decimal)
        for p in tx["postings"]:
            amount = Decimal(p["amount"])
            net[p["currency"]] += amount if p["side"] == "Debit" else -amount
        assert all(v == 0 for v in net.values()), tx
    fees = sum(
        Decimal(p["amount"])
        for tx in txs
        for p in tx["postings"]
        if p["account"] == "Expenses:Fees:USD"
    )
    assert fees == sum(Decimal(f["fee"]) for f in traded)


def test_the_tree_sums_its_leaves_and_at_an_early_date_holds_nothing(invoke, traded) -> None:  # type: ignore[no-untyped-def]
    leaves = json.loads(invoke("balances", "--json").output)
    tree = json.loads(invoke("balances", "--tree", "--json").output)
    assets = next(r for r in tree if r["account"] == "Assets")
    usd = sum(
        Decimal(b["balance"])
        for b in leaves
        if b["account"].startswith("Assets:") and b["currency"] == "USD"
    )
    assert Decimal(assets["balances"]["USD"]) == usd
    top = json.loads(invoke("balances", "--tree", "--depth", "1", "--json").output)
    assert {r["account"] for r in top} == {"Assets", "Equity", "Expenses"}
    early = json.loads(invoke("balances", "--at", "2000-01-01", "--json").output)
    assert all(Decimal(b["balance"]) == 0 for b in early)
    now = json.loads(invoke("balances", "--at", "2999-01-01", "--json").output)
    assert now == leaves


def test_bad_report_input_is_one_line_exit_11(invoke) -> None:  # type: ignore[no-untyped-def]
    for args, wanted in [
        (("register", "Assets:Cash:US"), "did you mean Assets:Cash:USD"),
        (
            ("register", "Assets:Cash:USD", "--since", "2024-02-01", "--until", "2024-01-01"),
            "--until",
        ),
        (("journal", "--since", "yesterday-ish"), "--since"),
        (("balances", "--depth", "2"), "applies with --tree"),
        (("balances", "--at", "not a date"), "--at"),
    ]:
        refused = invoke(*args)
        assert refused.exit_code == 11, (args, refused.output)
        errors = [line for line in refused.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, (args, refused.output)
        assert wanted in errors[0], (args, refused.output)

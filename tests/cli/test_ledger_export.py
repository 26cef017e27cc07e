"""`ingot ledger export`: the real tools accept the file and agree with Ingot's balances."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
# Four currencies held (USD, BTC, ETH and EUR bought with USD), trades in two quote
# currencies (BTC-EUR with the EUR bought), fees on every trade.
TRADES = [("BTC-USD", "60000", "buy", "0.01"), ("ETH-USD", "3000", "buy", "0.5"),
          ("BTC-USD", "61000", "sell", "0.004"), ("ETH-USD", "3100", "sell", "0.2"),
          ("EUR-USD", "1.08", "buy", "800"), ("EUR-USD", "1.09", "sell", "300"),
          ("BTC-EUR", "56000", "buy", "0.005"), ("BTC-EUR", "56500", "sell", "0.002")]  # fmt: skip
DEBIT_NORMAL = {"Asset", "Expense"}


@pytest.fixture
def traded(invoke) -> None:  # type: ignore[no-untyped-def]
    for symbol, price, side, qty in TRADES:
        assert invoke("mark", symbol, price).exit_code == 0
        assert invoke(side, symbol, qty).exit_code == 0


def _ingot_balances(invoke) -> dict[tuple[str, str], Decimal]:  # type: ignore[no-untyped-def]
    """Ingot's balances, debit-positive as the tools sign them, zeros left out."""
    out = {}
    for b in json.loads(invoke("balances", "--json").output):
        amount = Decimal(b["balance"])
        signed = amount if b["type"] in DEBIT_NORMAL else -amount
        if signed:
            out[(b["account"], b["currency"])] = signed
    return out


def _beancount_balances(path: Path) -> dict[tuple[str, str], Decimal]:
    from beancount import loader
    from beancount.core import data

    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                totals[(posting.account, posting.units.currency)] += posting.units.number
    return {k: v for k, v in totals.items() if v}


@pytest.mark.usefixtures("traded")
def test_bean_check_accepts_the_export_and_its_balances_are_ingots(invoke, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "book.beancount"
    done = invoke("ledger", "export", "--format", "beancount", "--output", str(path))
    assert done.exit_code == 0, done.output
    checked = subprocess.run([str(BIN / "bean-check"), str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert _beancount_balances(path) == _ingot_balances(invoke)
    text = path.read_text()
    assert "price BTC 61000 USD" in text
    assert "price ETH 3100 USD" in text


@pytest.mark.usefixtures("traded")
def test_an_export_since_a_date_opens_with_the_balances_before_it(invoke, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cash = json.loads(invoke("register", "Assets:Cash:USD", "--json").output)
    cut = cash[3]["posted_at"]  # from the third trade on
    path = tmp_path / "late.beancount"
    done = invoke(
        "ledger", "export", "--format", "beancount", "--since", cut, "--output", str(path)
    )
    assert done.exit_code == 0, done.output
    assert '"Opening balances"' in path.read_text()
    assert _beancount_balances(path) == _ingot_balances(invoke)


@pytest.mark.usefixtures("traded")
def test_hledger_checks_the_journal_when_it_is_installed(invoke, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "book.journal"
    assert invoke("ledger", "export", "--format", "ledger", "--output", str(path)).exit_code == 0
    hledger = shutil.which("hledger")
    if hledger is None:
        pytest.skip("hledger is not installed here (Debian: apt install hledger)")
    checked = subprocess.run([hledger, "-f", str(path), "check"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.usefixtures("traded")
def test_the_csv_postings_sum_to_ingots_balances(invoke, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv

    path = tmp_path / "postings.csv"
    assert invoke("ledger", "export", "--format", "csv", "--output", str(path)).exit_code == 0
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    with path.open() as handle:
        for row in csv.DictReader(handle):
            totals[(row["account"], row["currency"])] += Decimal(row["amount"])
    assert {k: v for k, v in totals.items() if v} == _ingot_balances(invoke)
    refused = invoke("ledger", "export", "--format", "xlsx")
    assert refused.exit_code != 0

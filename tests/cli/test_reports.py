"""`ingot report equity`: the stored NAV snapshots as a chart, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path


def _trade(invoke) -> None:  # type: ignore[no-untyped-def]
    for side, price, qty in [
        ("buy", "60000", "0.01"),
        ("buy", "61000", "0.02"),
        ("sell", "59000", "0.01"),
    ]:
        assert invoke("mark", "BTC-USD", price).exit_code == 0
        assert invoke(side, "BTC-USD", qty).exit_code == 0


def test_the_points_are_the_snapshots_exactly_in_json_and_csv(invoke) -> None:  # type: ignore[no-untyped-def]
    _trade(invoke)
    shown = invoke("report", "equity", "--json")
    assert shown.exit_code == 0, shown.output
    points = json.loads(shown.output)
    assert len(points) >= 3  # one after each fill (and the opening)
    assert [p["at"] for p in points] == sorted(p["at"] for p in points)
    nav = json.loads(invoke("nav", "--json").output)
    assert Decimal(points[-1]["nav"]) == Decimal(nav["nav"])  # no mark since the last fill
    rows = list(csv.DictReader(io.StringIO(invoke("report", "equity", "--csv").output)))
    assert [(r["at"], Decimal(r["nav"])) for r in rows] == [
        (p["at"], Decimal(p["nav"])) for p in points
    ]


def test_the_chart_has_a_title_an_axis_and_a_summary(invoke) -> None:  # type: ignore[no-untyped-def]
    _trade(invoke)
    drawn = invoke("report", "equity")
    assert drawn.exit_code == 0, drawn.output
    lines = drawn.output.splitlines()
    assert "NAV USD (UTC)" in lines[0]
    assert any("┤" in line for line in lines)
    assert lines[-1].split()[1] == "snapshots,"
    assert "USD (" in lines[-1]


def test_an_empty_period_says_so_and_bad_options_are_refused(invoke) -> None:  # type: ignore[no-untyped-def]
    _trade(invoke)
    empty = invoke("report", "equity", "--since", "2999-01-01")
    assert empty.exit_code == 0
    assert "No equity snapshots" in empty.output
    assert json.loads(invoke("report", "equity", "--since", "2999-01-01", "--json").output) == []
    both = invoke("report", "equity", "--csv", "--json")
    assert both.exit_code == 11
    assert both.output.startswith("error: --csv")
    backwards = invoke("report", "equity", "--since", "2024-02-01", "--until", "2024-01-01")
    assert backwards.exit_code == 11


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "crossover_scenario.jsonl"


def test_a_run_prints_its_summary_and_report_run_shows_it_again(invoke) -> None:  # type: ignore[no-untyped-def]
    ran = invoke(
        "strategy", "run", "sma", "--replay", str(EXAMPLE), "--qty", "0.5", "--run-id", "x1"
    )
    assert ran.exit_code == 0, ran.output
    printed = [line.strip() for line in ran.output.splitlines() if line.startswith("  ")]
    assert printed[0].startswith("trades ")
    again = invoke("report", "run", "x1")
    assert again.exit_code == 0, again.output
    assert [line.strip() for line in again.output.splitlines()[1:]] == printed
    run = json.loads(invoke("strategy", "run", "sma", "--replay", str(EXAMPLE), "--qty", "0.5",
                            "--run-id", "x2", "--json").output)  # fmt: skip
    assert json.loads(invoke("report", "run", "x2", "--json").output) == run["summary"]


def test_the_summary_agrees_with_the_fills_and_the_books_nav(invoke) -> None:  # type: ignore[no-untyped-def]
    run = json.loads(invoke("strategy", "run", "sma", "--replay", str(EXAMPLE), "--qty", "0.5",
                            "--run-id", "x3", "--json").output)  # fmt: skip
    s = run["summary"]
    fills = [sig for sig in run["signals"] if sig["status"] == "Filled"]
    assert s["trades"] == len(fills) > 0
    assert Decimal(s["fees"]) == sum(Decimal(f["fee"]) for f in fills)
    assert Decimal(s["first_equity"]) == Decimal("100000.00")  # a fresh scratch book
    nav = json.loads(invoke("--book", run["book"], "nav", "--json").output)
    assert Decimal(s["last_equity"]) == Decimal(nav["nav"])
    assert Decimal(s["net_pnl"]) == Decimal(s["last_equity"]) - Decimal(s["first_equity"])
    assert Decimal(s["gross_pnl"]) == Decimal(s["net_pnl"]) + Decimal(s["fees"])
    sells = sum(1 for f in fills if f["side"] == "Sell")
    assert s["wins"] + s["losses"] == sells  # each sell closes (part of) the long
    assert Decimal(s["max_drawdown"]) >= 0
    assert Decimal(0) <= Decimal(s["exposed_seconds"]) <= Decimal(s["duration_seconds"])


def test_runs_are_listed_side_by_side_and_a_name_run_again_keeps_its_first_summary(invoke) -> None:  # type: ignore[no-untyped-def]
    first = json.loads(invoke("strategy", "run", "sma", "--replay", str(EXAMPLE), "--qty", "0.5",
                              "--run-id", "x4", "--json").output)  # fmt: skip
    assert invoke("strategy", "run", "sma", "--replay", str(EXAMPLE), "--qty", "0.5",
                  "--run-id", "x4").exit_code == 0  # fmt: skip
    assert json.loads(invoke("report", "run", "x4", "--json").output) == first["summary"]
    listed = json.loads(invoke("report", "runs", "--json").output)
    assert [r["run_id"] for r in listed] == ["x4"]
    table = invoke("report", "runs")
    assert "x4" in table.output
    assert "WIN RATE" in table.output
    missing = invoke("report", "run", "nope")
    assert missing.exit_code == 11
    assert missing.output.startswith("error: RUN_ID: no run 'nope' kept")


def test_pnl_reconciles_with_the_ledgers_nav_and_the_exported_fills(invoke, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from decimal import ROUND_HALF_EVEN

    _trade(invoke)
    assert invoke("mark", "BTC-USD", "63000").exit_code == 0  # the open position moves on
    report = json.loads(invoke("report", "pnl", "--json").output)
    total = report["total"]
    out = tmp_path / "fills.json"
    assert invoke("history", "export", "--format", "json", "--output", str(out)).exit_code == 0
    fills = [f for f in json.loads(out.read_text()) if f["status"] == "Filled"]
    # Average cost, the released basis rounded to cents as the book's positions do.
    qty = basis = realized = Decimal(0)
    for f in fills:
        q, cost = Decimal(f["fill_quantity"]), Decimal(f["cost"])
        if f["side"] == "Buy":
            qty, basis = qty + q, basis + cost
        else:
            released = (basis * q / qty).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
            qty, basis, realized = qty - q, basis - released, realized + cost - released
    assert Decimal(total["realized"]) == realized
    assert Decimal(total["unrealized"]) == qty * Decimal(63000) - basis
    assert Decimal(total["fees"]) == sum(Decimal(f["fee"]) for f in fills)
    assert Decimal(total["turnover"]) == sum(Decimal(f["cost"]) for f in fills)
    assert total["fills"] == len(fills)
    net = Decimal(total["net"])
    assert net == Decimal(total["realized"]) + Decimal(total["unrealized"]) - Decimal(total["fees"])
    # The ledger's NAV over the same range moves by exactly the net.
    assert Decimal(report["nav_change"]) - Decimal(report["capital_in"]) == net
    nav_now = Decimal(json.loads(invoke("nav", "--json").output)["nav"])
    assert Decimal(report["nav_end"]) == nav_now


def test_pnl_rows_by_day_and_by_symbol_add_up_to_the_total(invoke) -> None:  # type: ignore[no-untyped-def]
    _trade(invoke)
    whole = json.loads(invoke("report", "pnl", "--json").output)["total"]
    for by in ("day", "week", "month", "symbol"):
        rows = json.loads(invoke("report", "pnl", "--by", by, "--json").output)["rows"]
        for field in ("realized", "unrealized", "fees", "net", "turnover"):
            assert sum(Decimal(r[field]) for r in rows) == Decimal(whole[field]), (by, field)
    assert invoke("report", "pnl", "--by", "year").exit_code != 0
    table = invoke("report", "pnl", "--by", "symbol")
    assert "BTC-USD" in table.output
    assert "NAV by the ledger" in table.output


def test_lots_by_each_method_equal_a_recomputation_from_the_exported_fills(
    invoke, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from decimal import ROUND_HALF_EVEN

    for side, price, qty in [("buy", "60000", "0.01"), ("buy", "61000", "0.02"),
                             ("buy", "59000", "0.01"), ("sell", "62000", "0.01")]:  # fmt: skip
        assert invoke("mark", "BTC-USD", price).exit_code == 0
        assert invoke(side, "BTC-USD", qty).exit_code == 0
    out = tmp_path / "fills.json"
    assert invoke("history", "export", "--format", "json", "--output", str(out)).exit_code == 0
    fills = [f for f in json.loads(out.read_text()) if f["status"] == "Filled"]
    buys = [f for f in fills if f["side"] == "Buy"]
    sell = next(f for f in fills if f["side"] == "Sell")
    qty = Decimal(sell["fill_quantity"])
    proceeds = Decimal(sell["cost"]) - Decimal(sell["fee"])
    cents = Decimal("0.01")

    def lot_cost(f) -> Decimal:  # type: ignore[no-untyped-def]
        return Decimal(f["cost"]) + Decimal(f["fee"])

    def unit(f) -> Decimal:  # type: ignore[no-untyped-def]
        return lot_cost(f) / Decimal(f["fill_quantity"])

    picks = {"fifo": buys[0], "lifo": buys[-1], "hifo": max(buys, key=unit)}
    for method, lot in picks.items():
        taken = min(qty, Decimal(lot["fill_quantity"]))
        share = (lot_cost(lot) * taken / Decimal(lot["fill_quantity"])).quantize(
            cents, rounding=ROUND_HALF_EVEN
        )
        shown = json.loads(invoke("report", "lots", "--method", method, "--json").output)
        [closed] = shown["closed"]
        assert closed["buy_id"] == lot["client_id"], method
        assert Decimal(closed["cost"]) == share, method
        assert Decimal(closed["gain"]) == proceeds - share, method
    pool = sum((lot_cost(f) for f in buys), Decimal(0))
    held = sum((Decimal(f["fill_quantity"]) for f in buys), Decimal(0))
    average = json.loads(invoke("report", "lots", "--method", "average", "--json").output)
    expected = (pool * qty / held).quantize(cents, rounding=ROUND_HALF_EVEN)
    assert Decimal(average["closed"][0]["cost"]) == expected
    assert [lot["order_id"] for lot in average["open"]] == ["average"]
    assert invoke("report", "lots", "--open", "--closed").exit_code == 11
    table = invoke("report", "lots", "--year", "2999")
    assert "Open lots (average)" in table.output
    assert "Disposals" not in table.output

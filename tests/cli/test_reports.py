"""`ingot report equity`: the stored NAV snapshots as a chart, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal


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

"""The decision journal: every decision of a strategy run (signal, tick, indicators, order
placed or risk veto with its reason, outcome), listed and exported as JSONL."""

from __future__ import annotations

import json
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "crossover_scenario.jsonl"


def test_a_runs_decisions_are_journaled_with_tick_indicators_and_outcome(
    invoke, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    run = invoke("strategy", "run", "sma", "--replay", str(EXAMPLE), "--run-id", "j1",
                 "--book", "bt-journal", "--json")  # fmt: skip
    assert run.exit_code == 0, run.output
    signals = json.loads(run.stdout)["signals"]
    shown = invoke("--book", "bt-journal", "strategy", "journal", "j1", "--json")
    assert shown.exit_code == 0, shown.output
    journal = json.loads(shown.stdout)
    assert [(d["side"], d["decision"], d["status"]) for d in journal] == [
        ("Buy", "order placed", "Filled"), ("Sell", "order placed", "Filled")]  # fmt: skip
    ticks = [json.loads(line) for line in EXAMPLE.read_text().splitlines()]
    for decision, signal in zip(journal, signals, strict=True):
        assert decision["price"] == str(ticks[decision["tick_seq"] - 1]["price"])
        assert decision["indicators"] == {k: str(v) for k, v in signal["indicators"].items()}
        assert decision["fill_price"] is not None
    target = tmp_path / "journal.jsonl"
    exported = invoke("--book", "bt-journal", "strategy", "journal", "j1", "--export",
                      str(target))  # fmt: skip
    assert exported.exit_code == 0, exported.output
    assert [json.loads(line) for line in target.read_text().splitlines()] == journal


def test_a_risk_veto_is_journaled_with_its_reason(invoke) -> None:  # type: ignore[no-untyped-def]
    run = invoke("strategy", "run", "sma", "--replay", str(EXAMPLE), "--run-id", "j2",
                 "--book", "bt-veto", "--qty", "1000000", "--json")  # fmt: skip
    assert run.exit_code == 0, run.output
    journal = json.loads(invoke("--book", "bt-veto", "strategy", "journal", "j2", "--json")
                         .stdout)  # fmt: skip
    vetoes = [d for d in journal if d["decision"] == "risk veto"]
    assert vetoes
    assert all(d["status"] == "Rejected" and d["refused"] for d in vetoes)
    table = invoke("--book", "bt-veto", "strategy", "journal", "j2")
    assert "risk veto" in table.stdout
    assert "Rejected:" in table.stdout
    assert invoke("strategy", "journal", "nope").stdout.startswith("No decisions recorded")

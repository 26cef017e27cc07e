"""Tables at 80 columns on a terminal: every cell whole (never folded mid-word), the columns
that give way hidden with a note; piped, every column in full."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "crossover_scenario.jsonl"
NARROW = {"COLUMNS": "80", "LINES": "500", "FORCE_COLOR": "1"}  # a terminal 80 wide
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
LISTINGS = [
    ("orders",), ("positions",), ("history",), ("status",), ("tradelog",), ("audit",),
    ("accounts",), ("balances",), ("balances", "--tree"), ("nav",), ("journal",),
    ("register", "Assets:Cash:USD"), ("books",), ("report", "pnl"), ("report", "pnl", "--by",
    "symbol"), ("report", "lots"), ("report", "runs"), ("report", "run", "narrow"),
    ("bars", "BTC-USD", "1m", "--no-chart"), ("db", "status"), ("db", "spill"),
]  # fmt: skip


@pytest.fixture
def traded(invoke) -> None:  # type: ignore[no-untyped-def]
    assert invoke("strategy", "run", "sma", "--replay", str(EXAMPLE), "--qty", "0.5",
                  "--run-id", "narrow", "--book", "main").exit_code == 0  # fmt: skip
    for args in (("mark", "BTC-USD", "60000"), ("buy", "BTC-USD", "0.01", "--limit", "59000"),
                 ("buy", "BTC-USD", "0.012345")):  # fmt: skip
        assert invoke(*args).exit_code == 0


def _words(text: str) -> set[str]:
    return set(_ANSI.sub("", text).split())


@pytest.mark.usefixtures("traded")
@pytest.mark.parametrize("args", LISTINGS, ids=" ".join)
def test_no_cell_is_folded_at_80_columns(invoke, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    narrow = invoke("--no-pager", *args, env=NARROW)
    wide = invoke(*args)
    assert narrow.exit_code == wide.exit_code == 0, narrow.output
    lines = [_ANSI.sub("", line) for line in narrow.output.splitlines()]
    starts = [at for at, line in enumerate(lines) if "hidden to fit 80" in line]
    note, body = (lines[starts[0] :], lines[: starts[0]]) if starts else ([], lines)
    # Every word of the narrow table is a whole word of the wide one: nothing was cut in two.
    assert _words("\n".join(body)) <= _words(wide.output), args
    if note:  # what gave way was said, and the rest fits
        assert all(len(line) <= 80 for line in body), args


@pytest.mark.usefixtures("traded")
def test_a_column_that_gives_way_is_named_and_piped_output_keeps_every_column(invoke) -> None:  # type: ignore[no-untyped-def]
    narrow = _ANSI.sub("", invoke("--no-pager", "orders", env=NARROW).output)
    assert "EXCHANGE ID" not in narrow.splitlines()[0]
    assert "(1 column hidden to fit 80: EXCHANGE ID; a wider terminal or --json shows them)" in (
        narrow
    )
    assert all(len(line) <= 80 for line in narrow.splitlines())
    piped = invoke("orders").output
    assert "EXCHANGE ID" in piped.splitlines()[0]
    assert "hidden" not in piped
    wide = _ANSI.sub("", invoke("--no-pager", "orders", env={**NARROW, "COLUMNS": "160"}).output)
    assert "EXCHANGE ID" in wide
    journal = _ANSI.sub("", invoke("--no-pager", "journal", env=NARROW).output)
    assert all(len(line) <= 80 for line in journal.splitlines())  # descriptions wrap by word

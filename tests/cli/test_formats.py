"""--format table|csv|json on the listings (--json its alias), the same columns in table and
CSV; exports to stdout when piped."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

LISTINGS = [("orders",), ("positions",), ("history",), ("audit",), ("accounts",),
            ("balances",), ("journal",), ("books",), ("tradelog",), ("report", "pnl"),
            ("config", "show")]  # fmt: skip


@pytest.fixture
def traded(invoke) -> None:  # type: ignore[no-untyped-def]
    for args in (("mark", "BTC-USD", "60000"), ("buy", "BTC-USD", "0.01", "--limit", "59000"),
                 ("buy", "BTC-USD", "0.05")):  # fmt: skip
        assert invoke(*args).exit_code == 0


@pytest.mark.usefixtures("traded")
@pytest.mark.parametrize("args", LISTINGS, ids=" ".join)
def test_each_format_of_a_listing(invoke, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    table = invoke(*args)
    as_csv = invoke(*args, "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.stdout
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    headers = [h for h in table.stdout.splitlines()[0].split("  ") if h.strip()]
    assert [h.strip() for h in headers] == rows[0]  # the table's columns, in order
    assert all(len(row) == len(rows[0]) for row in rows)
    by_format = json.loads(invoke(*args, "--format", "json").stdout)
    by_flag = json.loads(invoke(*args, "--json").stdout)
    if isinstance(by_flag, dict):  # report pnl's end is the moment it ran
        by_format.pop("end", None)
        by_flag.pop("end", None)
    assert by_format == by_flag
    refused = invoke(*args, "--format", "xlsx")
    assert refused.exit_code == 11
    assert "'xlsx' is not one of 'table', 'csv', 'json'" in refused.output


@pytest.mark.usefixtures("traded")
def test_csv_numbers_lose_their_grouping_and_notes_leave_stdout(invoke) -> None:  # type: ignore[no-untyped-def]
    rows = list(csv.reader(io.StringIO(invoke("positions", "--format", "csv").stdout)))
    value = rows[1][rows[0].index("VALUE")]
    assert "," not in value
    assert value == "3000.00"
    pnl = invoke("report", "pnl", "--format", "csv")
    assert "NAV by the ledger" not in pnl.stdout  # the note is on stderr
    assert "NAV by the ledger" in pnl.stderr


@pytest.mark.usefixtures("traded")
def test_an_export_goes_to_a_pipe_without_output(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    here, work = os.getcwd(), tmp_path / "work"
    work.mkdir()
    os.chdir(work)
    try:
        for args in (("history", "export", "--format", "csv"),
                     ("audit", "export", "--format", "json"),
                     ("tradelog", "export", "--format", "jsonl"),
                     ("ledger", "export", "--format", "beancount")):  # fmt: skip
            done = invoke(*args)  # CliRunner's stdout is no terminal: a pipe
            assert done.exit_code == 0, done.output
            assert done.stdout.strip()
            assert "to stdout" in done.stderr
        assert list(work.iterdir()) == []  # no file was written
    finally:
        os.chdir(here)


@pytest.mark.usefixtures("traded")
def test_times_are_labelled_and_shown_in_the_zone_asked_for(invoke) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    utc = invoke("history", "--limit", "1").stdout.splitlines()
    assert utc[0].startswith("TIMESTAMP (UTC)")
    tokyo = invoke("--tz", "Asia/Tokyo", "history", "--limit", "1").stdout.splitlines()
    assert tokyo[0].startswith("TIMESTAMP (Asia/Tokyo)")
    stamp = datetime.fromisoformat(utc[1][:19] + "+00:00")
    assert tokyo[1][:19] == f"{stamp.astimezone(ZoneInfo('Asia/Tokyo')):%Y-%m-%d %H:%M:%S}"
    by_env = invoke("audit", "--limit", "1", env={"TZ": "Europe/Paris"}).stdout
    assert "TIMESTAMP (Europe/Paris)" in by_env
    assert "TIMESTAMP (UTC)" in invoke("audit", env={"TZ": ":/etc/localtime"}).stdout  # no zone
    stored = json.loads(invoke("--tz", "Asia/Tokyo", "history", "--json").stdout)
    assert stored[0]["event_at"].endswith("+00:00")  # what scripts read stays UTC
    refused = invoke("--tz", "Mars/Base", "nav")
    assert refused.exit_code == 11
    assert refused.output.startswith("error: --tz: 'Mars/Base' is not a time zone")

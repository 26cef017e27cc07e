"""Trading commands through the CLI: orders, marks, positions, history, status; bad input."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from tests.postgres import query_rows

CAPS = {"INGOT_MAX_EXPOSURE": "1000000", "INGOT_MAX_SYMBOL_EXPOSURE": "1000000"}


rows = query_rows


def test_market_buy_needs_a_mark_and_is_rejected_with_exit_11(invoke) -> None:
    result = invoke("buy", "BTC-USD", "0.01")
    assert result.exit_code == 11
    assert result.output.startswith("Rejected: no mark for BTC-USD")


def test_a_trading_session_across_processes(invoke, database_url: URL) -> None:
    assert invoke("mark", "BTC-USD", "60000").output.strip() == "Mark BTC-USD = 60000"
    bought = invoke("buy", "BTC-USD", "0.05", "--client-id", "first", env=CAPS)
    assert bought.exit_code == 0, bought.output
    assert bought.output.strip() == (
        "Filled: Buy 0.05 BTC-USD @ 60,030.00 (cost 3,001.50, fee 7.80) order first"
    )
    again = invoke("buy", "BTC-USD", "0.05", "--client-id", "first", env=CAPS)
    assert "already placed: nothing new was sent" in again.output
    resting = invoke("sell", "BTC-USD", "0.02", "--limit", "65000", "--client-id", "tp", "--json")
    assert json.loads(resting.output)["status"] == "Open"
    listed = invoke("orders", "--json")
    assert [o["client_id"] for o in json.loads(listed.output)] == ["tp"]
    crossed = invoke("mark", "BTC-USD", "65500")
    assert "Filled: Sell 0.02 BTC-USD @ 65,000.00" in crossed.output
    positions = json.loads(invoke("positions", "--json").output)
    assert positions[0]["quantity"] == "0.03"
    assert positions[0]["realized_pnl"] == "99.40"  # 1300.00 proceeds - 1200.60 basis
    history = invoke("history", "--symbol", "BTC-USD")
    assert history.output.splitlines()[0].split() == [
        "TIMESTAMP", "(UTC)", "SYMBOL", "SIDE", "TYPE", "QTY", "PRICE", "STATUS"]  # fmt: skip
    assert len(history.output.splitlines()) == 4  # header, Filled buy, Open and Filled sell
    status = json.loads(invoke("status", "--json").output)
    assert (status["mode"], status["open_orders"], status["positions"]) == ("paper", 0, 1)
    verify = invoke("audit", "verify")
    assert verify.exit_code == 0, verify.output
    assert rows(database_url, "SELECT count(*) FROM order_history")[0][0] == 3


def test_cancel_an_open_order(invoke) -> None:
    invoke("mark", "BTC-USD", "60000")
    invoke("buy", "BTC-USD", "0.01", "--limit", "50000", "--client-id", "low")
    result = invoke("cancel", "low")
    assert result.exit_code == 0
    assert result.output.startswith("Cancelled: cancelled by the trader")
    assert invoke("orders", "--json").output.strip() == "[]"
    again = invoke("cancel", "low")
    assert again.exit_code == 11
    assert "only open orders can be cancelled" in again.output


def test_risk_cap_rejection_names_the_cap(invoke) -> None:
    invoke("mark", "BTC-USD", "60000")
    result = invoke("buy", "BTC-USD", "0.1")  # 6,000 > the 5,000 per-symbol default
    assert result.exit_code == 11
    assert "BTC-USD exposure would be 6000.00, above the cap of 5000" in result.output


def test_shadow_mode_records_without_filling(invoke) -> None:
    invoke("mark", "BTC-USD", "60000")
    result = invoke("buy", "BTC-USD", "0.01", env={"INGOT_MODE": "shadow"})
    assert result.exit_code == 0
    assert result.output.startswith("Shadow: Buy 0.01 BTC-USD recorded, not sent")


def test_live_mode_fails_closed(invoke) -> None:
    result = invoke("buy", "BTC-USD", "0.01", env={"INGOT_MODE": "live"})
    assert result.exit_code != 0
    assert result.exit_code == 12
    assert "no live exchange adapter" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["buy", "BTCUSD", "1"], "must look like BASE-QUOTE"),
        (["buy", "BTC-USD", "lots"], "quantity: 'lots' is not a number"),
        (["buy", "BTC-USD", "-1"], "No such option: -1"),  # write -- -1 to pass it
        (["buy", "BTC-USD", "--", "-1"], "must be positive"),
        (["buy", "BTC-USD", "0.000000001"], "more than the 8 decimals BTC allows"),
        (["sell", "BTC-USD", "1", "--limit", "abc"], "limit price: 'abc' is not a number"),
        (["mark", "BTC-USD", "0"], "must be positive"),
        (["cancel", "nope"], "no order 'nope'"),
        (["history", "--since", "soon"], "is not a date"),
        (["history", "--symbol", "BTC"], "must look like BASE-QUOTE"),
        (["buy"], "Missing argument"),
    ],
)
def test_bad_trading_input_is_one_line_exit_11_and_writes_nothing(
    invoke, database_url: URL, args: list[str], message: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 11
    assert len(result.output.strip().splitlines()) == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert rows(database_url, "SELECT count(*) FROM order_history")[0][0] == 0
    assert rows(database_url, "SELECT count(*) FROM ticks")[0][0] == 0


def test_history_export(invoke, tmp_path: Path) -> None:
    invoke("mark", "BTC-USD", "60000")
    invoke("buy", "BTC-USD", "0.01")
    target = tmp_path / "h.json"
    result = invoke("history", "export", "--format", "json", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Exported 1 order to {target}"
    assert json.loads(target.read_text())[0]["status"] == "Filled"


def _book_rows(url: URL) -> tuple[int, int, int]:
    return (
        rows(url, "SELECT count(*) FROM order_history")[0][0],
        rows(url, "SELECT count(*) FROM transactions")[0][0],
        rows(url, "SELECT count(*) FROM audit_log")[0][0],
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sell", "BTC-USD", "0.001", "--limit", "61500.005"), "more than the 2 decimals USD"),
        (("buy", "BTC-USD", "0.001", "--limit", "59999.995"), "more than the 2 decimals USD"),
        (("sell", "BTC-USD", "0.001", "--client-id", "day-1"), "already names another order"),
        (("buy", "BTC-USD", "0.003", "--client-id", "day-1"), "already names another order"),
        (
            ("buy", "BTC-USD", "0.002", "--limit", "59000", "--client-id", "day-1"),
            "already names another order",
        ),
    ],
)
def test_off_grid_limits_and_reused_client_ids_exit_11_writing_nothing(
    invoke, database_url: URL, args: tuple[str, ...], message: str
) -> None:
    invoke("mark", "BTC-USD", "60000")
    assert invoke("buy", "BTC-USD", "0.002", "--client-id", "day-1").exit_code == 0
    before = _book_rows(database_url)
    result = invoke(*args)
    assert result.exit_code == 11, result.output
    assert message in result.output
    assert _book_rows(database_url) == before
    same = invoke("buy", "BTC-USD", "0.002", "--client-id", "day-1")
    assert same.exit_code == 0
    assert "already placed: nothing new was sent" in same.output


def test_a_replay_over_old_ticks_leaves_a_book_that_trades(invoke, tmp_path: Path) -> None:
    """A strategy replay whose fills carry 2023's market times, after a buy placed now: the
    book reopens in its own order, and every trading command still works."""
    prices = [100 + n * 0.1 for n in range(25)] + [100 - n for n in range(10)]
    prices += [95 + 2 * n for n in range(15)]
    replay = tmp_path / "sell_first.jsonl"
    replay.write_text(
        "".join(
            json.dumps({"symbol": "BTC/USD", "price": f"{p:.2f}", "volume": "1",
                        "ts": 1700000000 + n}) + "\n"
            for n, p in enumerate(prices)
        )
    )  # fmt: skip
    assert invoke("mark", "BTC-USD", "100").exit_code == 0
    assert invoke("buy", "BTC-USD", "1").exit_code == 0
    before = invoke("positions", "--json").output
    scratch = invoke("strategy", "run", "sma", "--replay", str(replay), "--qty", "0.5", "--json")
    assert scratch.exit_code == 0, scratch.output
    assert json.loads(scratch.output)["book"].startswith("bt-sma-")
    assert invoke("positions", "--json").output == before  # main untouched
    run = invoke(
        "strategy", "run", "sma", "--replay", str(replay), "--qty", "0.5", "--book", "main"
    )
    assert run.exit_code == 0, run.output
    positions = invoke("positions", "--json")
    assert positions.exit_code == 0, positions.output
    held = json.loads(positions.output)[0]["quantity"]
    assert invoke("orders").exit_code == 0
    assert invoke("status").exit_code == 0
    sold = invoke("sell", "BTC-USD", "0.1")
    assert sold.exit_code == 0, sold.output
    after = json.loads(invoke("positions", "--json").output)[0]["quantity"]
    assert Decimal(after) == Decimal(held) - Decimal("0.1")
    history = json.loads(invoke("history", "--json", "--limit", "1").output)
    assert history[0]["side"] == "Sell"
    assert history[0]["quantity"] == "0.1"
    watched = invoke("watch", "--recent", "2", "--seconds", "0.6")
    assert watched.exit_code == 0, watched.output
    lines = [line for line in watched.output.splitlines() if "BTC-USD" in line]
    assert len(lines) == 2
    assert " Sell " in lines[-1]


def test_a_bug_on_the_write_path_is_one_error_line_and_the_order_waits_in_the_spill(
    invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingot_storage.writer import batch

    assert invoke("mark", "BTC-USD", "100").exit_code == 0

    def broken(order: object) -> dict[str, object]:
        raise RuntimeError("mapper bug")

    monkeypatch.setattr(batch, "order_row", broken)
    bought = invoke("buy", "BTC-USD", "1", "--client-id", "kept-1")
    assert bought.exit_code == 1, bought.output
    errors = [line for line in bought.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "storage worker stopped" in errors[0]
    assert "RuntimeError: mapper bug" in errors[0]
    assert "Traceback" not in bought.output
    monkeypatch.undo()
    shown = invoke("db", "spill")
    assert "OrderUpdated        1" in shown.output, shown.output
    history = invoke("history", "--json")  # the next start writes the spill first
    assert history.exit_code == 0, history.output
    assert [row["client_id"] for row in json.loads(history.output)] == ["kept-1"]


def test_dates_as_traders_type_them(invoke) -> None:
    assert invoke("mark", "BTC-USD", "100").exit_code == 0
    assert invoke("buy", "BTC-USD", "1", "--client-id", "when-1").exit_code == 0
    for since in ("today", "-1h", "-2d", "2024", "2024-01", "yesterday"):
        shown = json.loads(invoke("history", "--since", since, "--json").output)
        assert [row["client_id"] for row in shown] == ["when-1"], since
    assert json.loads(invoke("history", "--since", "2999", "--json").output) == []
    refused = invoke("history", "--since", "someday")
    assert refused.exit_code == 11
    assert "today, yesterday" in refused.output  # the one message lists the accepted forms
    assert "-N followed by m, h, d or w" in refused.output


def test_until_wherever_since_is(invoke) -> None:
    assert invoke("mark", "BTC-USD", "100").exit_code == 0
    assert invoke("buy", "BTC-USD", "1", "--client-id", "until-1").exit_code == 0
    assert json.loads(invoke("history", "--until", "-1h", "--json").output) == []
    kept = json.loads(invoke("history", "--since", "-1h", "--until", "2999", "--json").output)
    assert [row["client_id"] for row in kept] == ["until-1"]
    assert json.loads(invoke("audit", "--until", "2000", "--json").output) == []
    assert json.loads(invoke("audit", "--since", "today", "--until", "2999", "--json").output)
    backwards = invoke("history", "--since", "today", "--until", "yesterday")
    assert backwards.exit_code == 11
    assert "must be after --since" in backwards.output


def test_exports_take_until_too(invoke, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert invoke("mark", "BTC-USD", "100").exit_code == 0
    assert invoke("buy", "BTC-USD", "1").exit_code == 0
    early, late = tmp_path / "early.json", tmp_path / "late.json"
    args = ("--format", "json", "--output")
    assert invoke("history", "export", *args, str(early), "--until", "-1h").exit_code == 0
    assert invoke("history", "export", *args, str(late), "--until", "2999").exit_code == 0
    assert json.loads(early.read_text()) == []
    assert len(json.loads(late.read_text())) == 1
    audit_early = tmp_path / "audit.json"
    assert invoke("audit", "export", *args, str(audit_early), "--until", "2000").exit_code == 0
    assert json.loads(audit_early.read_text()) == []
    backwards = invoke("audit", "export", *args, "-", "--since", "today", "--until", "yesterday")
    assert backwards.exit_code == 11

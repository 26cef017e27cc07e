"""`ingot feed`: ticks from the synthetic generator, the stored tape or a file move the marks,
fill resting orders and are stored; a heartbeat; a clean stop that commits everything."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import URL

from ingot_core.feeds.synthetic import synthetic_ticks
from ingot_core.symbols import Symbol
from tests.cli.test_market_commands import Kraken, kraken_env
from tests.cli.test_market_commands import kraken as kraken  # the fixture
from tests.postgres import query_rows

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "crossover_scenario.jsonl"
BTC = Symbol("BTC", "USD")


def _stored(database_url: URL) -> list[tuple[str, str, str]]:
    rows = query_rows(database_url, "SELECT symbol, ts, price FROM ticks ORDER BY ts, symbol")
    return [(r[0], r[1].isoformat(), format(r[2], "f")) for r in rows]


def test_the_synthetic_generator_follows_seed_003_exactly() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    ticks = synthetic_ticks([BTC], start, timedelta(seconds=1))
    prices = [next(ticks).price for _ in range(7)]
    # count 0, 2, 3 step up by 0.05; 1 and 4 down by half a step.
    assert prices == [Decimal(p) for p in ("100.05", "100.025", "100.075", "100.125", "100.1",
                                           "100.15", "100.125")]  # fmt: skip
    sampled = synthetic_ticks([BTC], start, timedelta(seconds=1), sample_every=3)
    first = next(sampled)
    assert (first.price, first.timestamp) == (Decimal("100.05"), start + timedelta(seconds=3))
    low = synthetic_ticks([BTC], start, timedelta(seconds=1))
    assert all(t.price >= 1 for _, t in zip(range(10_000), low, strict=False))


def test_two_synthetic_runs_from_one_start_give_the_same_ticks(invoke, database_url: URL) -> None:  # type: ignore[no-untyped-def]
    args = ("feed", "BTC-USD", "ETH-USD", "--start", "2024-01-01", "--count", "40",
            "--interval-ms", "250", "--json")  # fmt: skip
    done = invoke(*args)
    assert done.exit_code == 0, done.output
    first = _stored(database_url)
    assert len(first) == 40
    report = json.loads(done.stdout)
    assert (report["ticks"], report["outcome"]) == (40, "committed")
    again = invoke(*args)  # the same ticks again: stored once
    assert again.exit_code == 0
    assert _stored(database_url) == first
    expected = synthetic_ticks([BTC, Symbol("ETH", "USD")], datetime(2024, 1, 1, tzinfo=UTC),
                               timedelta(milliseconds=250))  # fmt: skip
    assert first == [(str(t.symbol), t.timestamp.isoformat(), format(t.price, "f"))
                     for _, t in zip(range(40), expected, strict=False)]  # fmt: skip


def test_a_feed_fills_a_resting_order_and_beats_while_it_runs(invoke) -> None:  # type: ignore[no-untyped-def]
    assert invoke("mark", "BTC-USD", "101").exit_code == 0
    assert invoke("buy", "BTC-USD", "1", "--limit", "100.10").exit_code == 0
    done = invoke("feed", "BTC-USD", "--seconds", "1.5", "--interval-ms", "20",
                  "--heartbeat", "0.5")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "1 fill; everything committed" in done.stdout
    beats = [line for line in done.stderr.splitlines() if line.startswith("heartbeat ")]
    assert len(beats) >= 2
    assert "ticks (" in beats[0]
    assert "last BTC-USD " in beats[0]
    [position] = json.loads(invoke("positions", "--json").output)
    assert Decimal(position["quantity"]) == 1
    assert json.loads(invoke("orders", "--json").output) == []


def test_replay_db_and_a_file_drive_the_engine_in_market_time(invoke, database_url: URL) -> None:  # type: ignore[no-untyped-def]
    assert invoke("ingest", "ticks", str(EXAMPLE)).exit_code == 0
    stored = _stored(database_url)
    assert invoke("mark", "TEST-USD", "200").exit_code == 0
    assert invoke("buy", "TEST-USD", "0.5", "--limit", "100.5").exit_code == 0
    replay = invoke("feed", "TEST-USD", "--source", "replay-db", "--until", "2023-11-14T22:13:40Z",
                    "--json")  # fmt: skip
    assert replay.exit_code == 0, replay.output
    ticks = json.loads(replay.stdout)["ticks"]
    assert ticks == len([s for s in stored if s[1] < "2023-11-14T22:13:40"])
    assert json.loads(invoke("orders", "--json").output) == []  # the limit filled on the way
    from_file = invoke("feed", "TEST-USD", "--source", str(EXAMPLE), "--json")
    assert json.loads(from_file.stdout)["ticks"] == 50
    assert _stored(database_url)[: len(stored)] == stored  # nothing stored twice


def test_bad_feed_input_is_refused_on_one_line(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"symbol": "BTC-USD", "price": "oops", "ts": 1}\n')
    record = str(tmp_path / "r.jsonl")
    cases = [(("feed", "BTCUSD"), 11), (("feed", "BTC-USD", "--record", record), 11),
             (("feed", "BTC-USD", "--source", str(bad)), 11),
             (("feed", "BTC-USD", "--start", "2024-01-01"), 11),
             (("feed", "BTC-USD", "--source", str(tmp_path / "none.jsonl")), 11)]  # fmt: skip
    for args, code in cases:
        result = invoke(*args)
        assert result.exit_code == code, (args, result.output)
        assert result.output.startswith("error: "), args
        assert len(result.output.strip().splitlines()) == 1, args


def test_a_kraken_feed_stores_every_trade_once_backfills_the_gap_and_stops_at_seconds(
    invoke, kraken, database_url: URL
) -> None:  # type: ignore[no-untyped-def]
    from tests.storage.sources.kraken_ws_standin import Script, kraken_ws, trade, trades_message

    at = "2024-01-01T00:00:0{}.000000Z"
    first = Script([trades_message(trade("BTC/USD", 1, "60000.5", at=at.format(1)),
                                   trade("BTC/USD", 2, "60001", at=at.format(2)))])  # fmt: skip
    second = Script([trades_message(trade("BTC/USD", 5, "60005", at=at.format(5)))])
    rows = [["60001", "0.5", 1704067202, "b", "m", "", 2],
            ["60003", "0.5", 1704067203, "b", "m", "", 3],
            ["60004", "0.5", 1704067204, "s", "l", "", 4]]  # fmt: skip
    answer = {"error": [], "result": {"XXBTZUSD": rows, "last": "1704067204000000000"}}
    Kraken.answers = {"/0/public/Trades": json.dumps(answer).encode()}
    with kraken_ws([first, second]) as (url, _):
        env = {**kraken_env(kraken), "INGOT_KRAKEN_WS_URL": url, "INGOT_KRAKEN_RETRIES": "3"}
        done = invoke("feed", "BTC-USD", "--source", "kraken", "--seconds", "3", "--json",
                      env=env)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["outcome"] == "committed"
    stored = query_rows(database_url, "SELECT seq, price FROM ticks ORDER BY ts, seq")
    assert [(r[0], format(r[1], "f")) for r in stored] == [
        (1, "60000.5"), (2, "60001"), (3, "60003"), (4, "60004"), (5, "60005")]  # fmt: skip
    logged = query_rows(database_url, "SELECT error_code FROM tradelog WHERE event_type = 90 "
                        "AND source = 'kraken-ws' ORDER BY id")  # fmt: skip
    kinds = [r[0] for r in logged]
    assert kinds[:4] == ["connect", "status", "subscribed", "disconnect"]
    assert "backfill" in kinds


def test_a_kraken_feed_lives_through_quotes_junk_a_silence_and_a_rate_limit(
    invoke, kraken, database_url: URL
) -> None:  # type: ignore[no-untyped-def]
    from tests.storage.sources.kraken_ws_standin import (
        HEARTBEAT,
        Script,
        kraken_ws,
        ticker_message,
        trade,
        trades_message,
    )

    at = "2024-01-01T00:00:0{}.000000Z"
    scripts = [
        Script([trades_message(trade("BTC/USD", 1, "60000.5", at=at.format(1)),
                               trade("BTC/USD", 2, "60001", at=at.format(2))),
                HEARTBEAT, "{not json", ticker_message("BTC/USD", "60001.5", "60002.5"),
                trades_message(trade("BTC/USD", 2, "60001", at=at.format(2)))]),  # a repeat
        Script([trades_message(trade("BTC/USD", 5, "60005", at=at.format(5)))], silent=True),
        Script(['{"error": "Exceeded msg rate", "method": "subscribe", "success": false}']),
        Script([trades_message(trade("BTC/USD", 6, "60006", at=at.format(6)))]),
    ]  # fmt: skip
    rows = [["60001", "0.5", 1704067202, "b", "m", "", 2],
            ["60003", "0.5", 1704067203, "b", "m", "", 3],
            ["60004", "0.5", 1704067204, "s", "l", "", 4]]  # fmt: skip
    answer = {"error": [], "result": {"XXBTZUSD": rows, "last": "1704067204000000000"}}
    Kraken.answers = {"/0/public/Trades": json.dumps(answer).encode()}
    with kraken_ws(scripts) as (url, received):
        env = {**kraken_env(kraken), "INGOT_KRAKEN_WS_URL": url, "INGOT_KRAKEN_WS_IDLE_S": "1",
               "INGOT_KRAKEN_RETRIES": "5", "INGOT_KRAKEN_BACKOFF_MS": "50"}  # fmt: skip
        done = invoke("feed", "BTC-USD", "--source", "kraken", "--count", "6", "--seconds", "40",
                      "--json", env=env)  # fmt: skip
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    assert (summary["outcome"], summary["quotes"], summary["ticks"]) == ("committed", 1, 6)
    stored = query_rows(database_url, "SELECT seq, price FROM ticks ORDER BY ts, seq")
    assert [(r[0], format(r[1], "f")) for r in stored] == [
        (1, "60000.5"), (2, "60001"), (3, "60003"), (4, "60004"), (5, "60005"),
        (6, "60006")]  # fmt: skip
    assert any(r.get("method") == "ping" for r in received)  # the silence was probed
    logged = query_rows(database_url, "SELECT error_code FROM tradelog WHERE event_type = 90 "
                        "AND source = 'kraken-ws' ORDER BY id")  # fmt: skip
    kinds = [r[0] for r in logged]
    assert kinds.count("connect") == 4
    assert "rate_limit" in kinds
    assert kinds.count("backfill") == 3


def test_seed_003s_scenario_live_then_its_recording_give_the_same_signals(
    invoke, kraken, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from tests.storage.sources.kraken_ws_standin import Script, kraken_ws, trade, trades_message

    rows = [json.loads(line) for line in EXAMPLE.read_text().splitlines()]
    messages = [trades_message(*(trade("TEST/USD", n + i, r["price"], r["volume"],
                                       datetime.fromtimestamp(r["ts"], UTC).strftime(
                                           "%Y-%m-%dT%H:%M:%S.%fZ"))
                                 for i, r in enumerate(rows[n : n + 5])))
                for n in range(0, 50, 5)]  # batched updates, five trades each  # fmt: skip
    record = tmp_path / "feed.jsonl"
    with kraken_ws([Script(messages)]) as (url, _):
        env = {**kraken_env(kraken), "INGOT_KRAKEN_WS_URL": url}
        live = invoke("strategy", "run", "sma", "--live", "TEST-USD", "--seconds", "2",
                      "--record", str(record), "--run-id", "live", "--json", env=env)  # fmt: skip
    assert live.exit_code == 0, live.output
    shown = json.loads(live.stdout)
    assert (shown["mode"], shown["book"], shown["ticks"]) == ("shadow", "main", 50)
    sides = [s["side"] for s in shown["signals"]]
    assert sides == ["Buy", "Sell"]  # seed 003: exactly one BUY, then one SELL
    again = invoke("strategy", "run", "sma", "--live", "TEST-USD", "--source", str(record),
                   "--run-id", "replayed", "--json")  # fmt: skip
    assert again.exit_code == 0, again.output
    replayed = json.loads(again.stdout)

    def decisions(run: dict) -> list:  # type: ignore[type-arg]
        return [(s["timestamp"], s["side"], s["price"], s["indicators"]) for s in run["signals"]]

    assert decisions(replayed) == decisions(shown)
    assert replayed["ticks"] == 50


def test_bars_built_from_the_tape_equal_a_fold_of_the_same_trades(
    invoke, database_url: URL
) -> None:  # type: ignore[no-untyped-def]
    from ingot_core.bars import BarBuilder, TradePrint
    from ingot_core.feed import BarInterval

    done = invoke("feed", "BTC-USD", "--start", "2024-01-01", "--interval-ms", "1000",
                  "--count", "130", "--bars", "1m,5m", "--json")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["bars"] == 2  # two whole minutes; the third and 5m still open
    builder = BarBuilder(BTC, BarInterval.parse("1m"))
    expected = []
    ticks = synthetic_ticks([BTC], datetime(2024, 1, 1, tzinfo=UTC), timedelta(seconds=1))
    for _, t in zip(range(130), ticks, strict=False):
        expected += builder.add(TradePrint(t.price, t.volume or Decimal(0), t.timestamp))
    rows = query_rows(database_url, "SELECT ts, open, high, low, close, volume, trade_count, "
                      "source FROM ohlcv_bars WHERE interval = '1m' ORDER BY ts")  # fmt: skip
    assert [tuple(r) for r in rows] == [(b.timestamp, b.open, b.high, b.low, b.close, b.volume,
                                         b.trade_count, "tape") for b in expected]  # fmt: skip


def test_a_json_ticks_websocket_reconnects_and_stores_nothing_twice(
    invoke, database_url: URL
) -> None:  # type: ignore[no-untyped-def]
    import threading

    from websockets.sync.server import serve

    def tick(ts: int, price: str) -> str:
        return json.dumps({"symbol": "TEST/USD", "price": price, "volume": "1", "ts": ts})

    connections = iter([
        [f"[{tick(1700000000, '100')}, {tick(1700000001, '100.5')}]", tick(1700000002, "101"),
         "not a tick"],
        [tick(1700000002, "101"), tick(1700000003, "102"), tick(1700000004, "103.25")],
    ])  # fmt: skip

    served = []

    def handle(ws) -> None:  # type: ignore[no-untyped-def]
        script = next(connections, None)
        served.append(script)
        for message in script or []:
            ws.send(message)
        if len(served) > 1:
            threading.Event().wait(5)  # the first drops after sending; the next stays open

    with serve(handle, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}"
        done = invoke("feed", "TEST-USD", "--source", url, "--seconds", "2.5", "--json",
                      env={"INGOT_KRAKEN_RETRIES": "3"})  # fmt: skip
        server.shutdown()
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["ticks"] == 5
    rows = query_rows(database_url, "SELECT price FROM ticks ORDER BY ts")
    assert [format(r[0], "f") for r in rows] == ["100", "100.5", "101", "102", "103.25"]


def test_the_heartbeat_interval_comes_from_the_environment(invoke) -> None:  # type: ignore[no-untyped-def]
    done = invoke("feed", "BTC-USD", "--seconds", "1.3", "--interval-ms", "50",
                  env={"INGOT_HEARTBEAT_SECONDS": "1"})  # fmt: skip
    assert done.exit_code == 0, done.output
    assert len([x for x in done.stderr.splitlines() if x.startswith("heartbeat 1.")]) == 1


def test_on_a_terminal_the_feed_shows_a_live_status(cli_env: dict[str, str]) -> None:
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    ingot = str(Path(sys.executable).with_name("ingot"))
    env = {**{k: v for k, v in os.environ.items() if k != "TZ"}, **cli_env, "COLUMNS": "100"}
    feed = subprocess.Popen([ingot, "feed", "BTC-USD", "ETH-USD", "--seconds", "1.5"], env=env,
                            stdout=subprocess.PIPE, stderr=slave)  # fmt: skip
    os.close(slave)  # read while it runs: a full terminal would stop it
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal's other end is closed: all of it is read
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    out, _ = feed.communicate(timeout=120)
    assert feed.returncode == 0
    screen = shown.decode("utf-8", "replace")
    for heading in ("Symbol", "Last", "Ticks/s", "Last tick", "waiting: engine"):
        assert heading in screen
    assert "BTC-USD" in screen
    assert "ETH-USD" in screen
    assert "s ago" in screen
    assert b"Feed stopped after" in out

"""Market data and strategy runs through the CLI, against a real PostgreSQL."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy.engine import URL

from tests.postgres import query_rows
from tests.storage.market.test_questdb import IlpListener, free_port

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "crossover_scenario.jsonl"
CSV = """\
1709164800,67400.0,67500.0,67350.0,67432.5,123.45,1847
1709168400,67432.5,67600.0,67400.0,67550.0,98.7,1500
1709179200,67550.0,67560.0,67000.0,67100.0,200.0,2210
"""


rows = query_rows


def count(url: URL, table: str) -> int:
    return rows(url, f"SELECT count(*) FROM {table}")[0][0]


def test_the_seed_replay_buys_once_then_sells_once_in_paper_mode(invoke, database_url) -> None:
    result = invoke("strategy", "run", "sma", "--replay", str(SCENARIO), "--run-id", "seed3")
    assert result.exit_code == 0, result.output
    assert "50 ticks in PAPER mode: 2 signals (1 BUY, 1 SELL), run seed3, book bt-seed3" in (
        result.output
    )
    book = "book_bt_seed3"  # the run's own scratch book
    signals = rows(database_url, f"SELECT client_id, side, reason FROM {book}.signals ORDER BY ts")
    assert signals == [("seed3-1", "Buy", "SMA_CROSSOVER"), ("seed3-2", "Sell", "SMA_CROSSOVER")]
    orders = rows(
        database_url, f"SELECT client_id, side, status FROM {book}.order_history ORDER BY id"
    )
    assert orders == [("seed3-1", "Buy", "Filled"), ("seed3-2", "Sell", "Filled")]
    assert count(database_url, "ticks") == 50  # market data: shared by every book
    assert count(database_url, "order_history") == 0  # main's: untouched
    assert invoke("--book", "bt-seed3", "audit", "verify").exit_code == 0
    again = invoke("strategy", "run", "sma", "--replay", str(SCENARIO), "--run-id", "seed3")
    assert again.exit_code == 0
    assert count(database_url, f"{book}.order_history") == 2  # the same run places nothing twice


def test_shadow_mode_records_intended_orders_and_moves_no_money(invoke, database_url) -> None:
    result = invoke(
        "strategy", "run", "sma", "--replay", str(SCENARIO), "--mode", "shadow", "--json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(s["side"], s["status"]) for s in report["signals"]] == [
        ("Buy", "Shadow"),
        ("Sell", "Shadow"),
    ]
    book = "book_" + report["book"].replace("-", "_")
    assert count(database_url, f"{book}.transactions") == 1  # the opening capital only
    assert count(database_url, f"{book}.signals") == 2


def test_a_bad_replay_file_changes_nothing(invoke, database_url, tmp_path) -> None:
    lines = SCENARIO.read_text().splitlines()
    lines[30] = lines[30].replace('"price": "109.0"', '"price": "-1"')
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    before = {t: count(database_url, t) for t in ("ticks", "signals", "order_history", "audit_log")}
    result = invoke("strategy", "run", "sma", "--replay", str(bad))
    assert result.exit_code == 11
    assert "line 31, price: must be positive, got -1" in result.output
    assert "Traceback" not in result.output
    assert {t: count(database_url, t) for t in before} == before


def test_replay_from_stdin(invoke) -> None:
    result = invoke("strategy", "run", "sma", "--replay", "-", input=SCENARIO.read_text())
    assert result.exit_code == 0, result.output
    assert "2 signals (1 BUY, 1 SELL)" in result.output


def test_ingesting_a_file_twice_leaves_the_same_rows(invoke, database_url, tmp_path) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(CSV)
    first = invoke("ingest", "ohlcv", "BTC-USD", "1h", "--source", str(path))
    assert first.exit_code == 0, first.output
    assert "3 new bars, 0 already stored" in first.output
    stored = rows(database_url, "SELECT * FROM ohlcv_bars ORDER BY ts")
    second = invoke("ingest", "ohlcv", "BTC-USD", "1h", "--source", str(path), "--json")
    assert json.loads(second.stdout)["duplicates"] == 3
    assert rows(database_url, "SELECT * FROM ohlcv_bars ORDER BY ts") == stored


def test_bars_table_chart_json_and_gaps(invoke) -> None:
    assert invoke("ingest", "ohlcv", "BTC-USD", "1h", "--source", "-", input=CSV).exit_code == 0
    table = invoke("bars", "BTC-USD", "1h")
    assert table.exit_code == 0
    assert "2024-02-29 01:00   67,432.50   67,600.00" in table.output
    assert "BTC-USD 1h close (UTC)" in table.output
    chart = table.output.split("BTC-USD 1h close (UTC)", 1)[1].splitlines()
    assert any(line.lstrip().startswith("67550┤") for line in chart)  # the highest close
    assert any(line.lstrip().startswith("67100┤") for line in chart)  # the lowest
    assert "2024-02-29 02:00" in chart[-1]  # a time axis across the bars shown
    data = json.loads(invoke("bars", "BTC-USD", "1h", "--limit", "1", "--json").stdout)
    assert data == [
        {
            "symbol": "BTC-USD",
            "interval": "1h",
            "timestamp": "2024-02-29T04:00:00+00:00",
            "open": "67550.0",
            "high": "67560.0",
            "low": "67000.0",
            "close": "67100.0",
            "volume": "200.0",
            "trades": 2210,
        }
    ]
    gaps = json.loads(invoke("gaps", "BTC-USD", "1h", "--json").stdout)
    assert gaps["gaps"] == [
        {"start": "2024-02-29T02:00:00+00:00", "end": "2024-02-29T03:00:00+00:00", "missing": 2}
    ]
    wider = invoke("gaps", "BTC-USD", "1h", "--until", "2024-02-29T06:00")
    assert "4 bars missing in 2 gaps" in wider.output


def test_a_bad_csv_row_names_line_and_field_and_exits_11(invoke, database_url, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(CSV + "1709182800,1,0.5,0.9,1,1,1\n")
    result = invoke("ingest", "ohlcv", "BTC-USD", "1h", "--source", str(path))
    assert result.exit_code == 11
    assert "line 4, high: high 0.5 is below open, close or low" in result.output
    assert count(database_url, "ohlcv_bars") == 0
    skipped = invoke("ingest", "ohlcv", "BTC-USD", "1h", "--source", str(path), "--skip-bad")
    assert skipped.exit_code == 0
    assert "3 new bars" in skipped.stdout
    assert "skipped" in skipped.stderr
    assert "line 4, high" in skipped.stderr
    assert count(database_url, "ohlcv_bars") == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ingest", "ohlcv", "BTC-USD", "2h", "--source", "-"), "interval '2h' is not one of"),
        (("ingest", "ohlcv", "BTCUSD", "1h"), "must look like BASE-QUOTE"),
        (("ingest", "ohlcv", "BTC-USD", "1h", "--source", "/no/such.csv"), "cannot read it"),
        (("ingest", "ticks", "/no/such.jsonl"), "cannot read it"),
        (("bars", "BTC-USD", "1h", "--limit", "0"), "'0' is out of range 1-10000000"),
        (("gaps", "BTC-USD", "1h", "--since", "someday"), "is not a date"),
        (("strategy", "run", "sma", "--replay", "-", "--short", "9", "--long", "3"), "longer"),
        (("strategy", "run", "sma", "--bars", "BTC-USD", "1h", "--mode", "live"), "--mode"),
        (("strategy", "run", "sma", "--bars", "BTC-USD", "1h", "--qty", "-1"), "positive"),
    ],
)
def test_bad_market_input_exits_11_with_one_message(invoke, args, message) -> None:
    result = invoke(*args, input="")
    assert result.exit_code == 11, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_binary_input_is_bad_input(invoke, tmp_path, database_url) -> None:
    path = tmp_path / "bin.jsonl"
    path.write_bytes(b"\xff\xfe\x00garbage\n")
    result = invoke("ingest", "ticks", str(path))
    assert result.exit_code == 11
    assert "is not UTF-8 text" in result.output
    assert count(database_url, "ticks") == 0


class Kraken(BaseHTTPRequestHandler):
    """A loopback server answering with recorded Kraken bodies."""

    answers: ClassVar[dict[str, bytes]] = {}
    seen: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self.seen.append(parse_qs(url.query))
        body = self.answers[url.path]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def kraken():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Kraken)
    Kraken.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def kraken_env(server) -> dict[str, str]:
    host, port = server.server_address
    return {"INGOT_KRAKEN_URL": f"http://{host}:{port}", "INGOT_KRAKEN_MIN_INTERVAL_MS": "0"}


def test_kraken_ohlc_through_the_cli(invoke, kraken, database_url) -> None:
    rows_ = [
        [1709164800, "67400.0", "67500.0", "67350.0", "67432.5", "67420.1", "123.45", 1847],
        [1709168400, "67432.5", "67600.0", "67400.0", "67550.0", "67500.2", "98.7", 1500],
        [1709172000, "67550.0", "67560.0", "67000.0", "67100.0", "67300.0", "2.0", 22],
    ]
    Kraken.answers = {
        "/0/public/OHLC": json.dumps(
            {"error": [], "result": {"XXBTZUSD": rows_, "last": 1709168400}}
        ).encode()
    }
    result = invoke("ingest", "ohlcv", "BTC-USD", "1h", env=kraken_env(kraken))
    assert result.exit_code == 0, result.output
    assert "2 new bars (2 from OHLC, 0 rebuilt from trades)" in result.output
    assert "Bar 2024-02-29 02:00 UTC is still forming: not stored" in result.output
    assert Kraken.seen[0]["pair"] == ["XBTUSD"]
    assert count(database_url, "ohlcv_bars") == 2


def test_unknown_pair_exits_11_and_unreachable_kraken_exits_10(invoke, kraken) -> None:
    Kraken.answers = {"/0/public/OHLC": b'{"error":["EQuery:Unknown asset pair"]}'}
    unknown = invoke("ingest", "ohlcv", "FOO-BAR", "1h", env=kraken_env(kraken))
    assert unknown.exit_code == 11
    assert "pair FOOBAR: Kraken does not list this pair" in unknown.output
    down = {
        "INGOT_KRAKEN_URL": f"http://127.0.0.1:{free_port()}",
        "INGOT_KRAKEN_RETRIES": "1",
        "INGOT_KRAKEN_MIN_INTERVAL_MS": "0",
    }
    unreachable = invoke("ingest", "ohlcv", "BTC-USD", "1h", env=down)
    assert unreachable.exit_code == 10
    assert "failed after 2 attempts: network error" in unreachable.output


def test_ingested_bars_and_ticks_reach_questdb(invoke, tmp_path) -> None:
    listener = IlpListener()
    try:
        env = {"QUESTDB_ILP_ADDR": f"127.0.0.1:{listener.port}"}
        ingested = invoke("ingest", "ohlcv", "BTC-USD", "1h", "--source", "-", input=CSV, env=env)
        assert ingested.exit_code == 0, ingested.output
        lines = listener.lines(3)
        assert lines[0] == (
            "ohlcv_bars,symbol=BTC-USD,interval=1h open=67400.0,high=67500.0,low=67350.0,"
            "close=67432.5,volume=123.45,count=1847i 1709164800000000000"
        )
        result = invoke("strategy", "run", "sma", "--replay", str(SCENARIO), env=env)
        assert result.exit_code == 0
        ticks = [line for line in listener.lines(53) if line.startswith("ticks,")]
        assert len(ticks) == 50
        assert ticks[0] == "ticks,symbol=TEST-USD seq=0i,price=100.0,volume=1.0 1700000000000000000"
    finally:
        listener.close()


def test_questdb_down_leaves_postgresql_complete(invoke, database_url) -> None:
    env = {"QUESTDB_ILP_ADDR": f"127.0.0.1:{free_port()}"}
    result = invoke("ingest", "ohlcv", "BTC-USD", "1h", "--source", "-", input=CSV, env=env)
    assert result.exit_code == 0, result.output
    assert count(database_url, "ohlcv_bars") == 3


def test_two_prints_at_one_instant_are_two_ticks_and_reingesting_adds_none(
    invoke, tmp_path, database_url
) -> None:
    path = tmp_path / "tape.jsonl"
    lines = [
        {"symbol": "BTC/USD", "price": "100.10", "volume": "0.5", "ts": 1700000000},
        {"symbol": "BTC/USD", "price": "100.20", "volume": "0.1", "ts": 1700000000},
        {"symbol": "ETH/USD", "price": "2000", "ts": 1700000000},
        {"symbol": "BTC/USD", "price": "100.20", "volume": "0.1", "ts": 1700000000},
        {"symbol": "BTC/USD", "price": "100.30", "ts": 1700000001, "trade_id": 77},
        {"symbol": "BTC/USD", "price": "100.30", "ts": 1700000001, "trade_id": 78},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    first = invoke("ingest", "ticks", str(path), "--json")
    assert first.exit_code == 0, first.output
    assert count(database_url, "ticks") == 6
    again = invoke("ingest", "ticks", str(path), "--json")
    assert again.exit_code == 0, again.output
    assert count(database_url, "ticks") == 6
    assert json.loads(again.output)["stored"] == 0
    assert rows(
        database_url, "SELECT price, seq FROM ticks WHERE symbol = 'BTC-USD' ORDER BY ts, seq"
    ) == [(Decimal("100.10"), 0), (Decimal("100.20"), 1), (Decimal("100.20"), 2),
          (Decimal("100.30"), 77), (Decimal("100.30"), 78)]  # fmt: skip


def test_a_trade_id_must_be_a_whole_number(invoke, tmp_path, database_url) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"symbol": "BTC/USD", "price": "1", "ts": 1700000000, "trade_id": "x"}\n')
    result = invoke("ingest", "ticks", str(path))
    assert result.exit_code == 11
    assert "trade_id" in result.output
    assert count(database_url, "ticks") == 0


def test_bars_until_leaves_out_the_later_bars(invoke) -> None:
    assert invoke("ingest", "ohlcv", "BTC-USD", "1h", "--source", "-", input=CSV).exit_code == 0
    shown = json.loads(
        invoke("bars", "BTC-USD", "1h", "--until", "2024-02-29T04:00Z", "--json").stdout
    )
    assert [bar["timestamp"] for bar in shown] == [
        "2024-02-29T00:00:00+00:00",
        "2024-02-29T01:00:00+00:00",
    ]

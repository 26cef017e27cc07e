"""Bars and ticks in PostgreSQL: idempotent bulk writes, file ingestion, queries, signals."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ingot_core.accounting import bootstrap_ledger
from ingot_core.bars import find_gaps
from ingot_core.engine import TradingEngine, TradingMode, run_strategy
from ingot_core.feed import BarInterval, OhlcvBar, Ticker
from ingot_core.strategies import SmaCrossover
from ingot_core.symbols import Symbol
from ingot_storage import persist_ledger
from ingot_storage.audit.verify import verify_audit_chain
from ingot_storage.db.locks import BAR_LOAD_LOCK
from ingot_storage.market import bar_copy
from ingot_storage.market.files import (
    BadInputFile,
    _ingest_rows,
    ingest_ohlcv_csv,
    ingest_ticks_jsonl,
    read_ticks,
)
from ingot_storage.market.stage import save_bars, save_ticks
from ingot_storage.market.store import (
    bar_openings,
    clear_cursor,
    iter_bars,
    latest_bars,
    load_cursor,
    query_signals,
    save_cursor,
    series_extent,
)
from ingot_storage.writer.batch import write_events
from ingot_storage.writer.codec import decode_event, encode_event
from tests.builders import T0, USD

BTC = Symbol("BTC", "USD")
H1 = BarInterval.H1
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "crossover_scenario.jsonl"
BASE = 1_709_164_800  # 2024-02-29T00:00:00Z


def bar(hour: int, close: str = "100.5") -> OhlcvBar:
    ts = datetime.fromtimestamp(BASE + hour * 3600, UTC)
    c = Decimal(close)
    return OhlcvBar(BTC, H1, ts, Decimal("100"), max(c, Decimal(101)), Decimal("99"), c,
                    Decimal("1.25"), 7)  # fmt: skip


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def all_bars(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT * FROM ohlcv_bars ORDER BY ts"))]


def test_saving_bars_twice_stores_them_once(engine) -> None:
    with engine.begin() as conn:
        assert save_bars(conn, [bar(0), bar(1), bar(2)], "test") == 3
    first = all_bars(engine)
    with engine.begin() as conn:
        assert save_bars(conn, [bar(1), bar(2), bar(3)], "test") == 1
    assert all_bars(engine)[:3] == first
    assert count(engine, "ohlcv_bars") == 4


def test_bars_come_back_exactly(engine) -> None:
    precise = OhlcvBar(BTC, H1, datetime.fromtimestamp(BASE, UTC), Decimal("67400.123456789"),
                       Decimal("67500.1"), Decimal("67350"), Decimal("67432.5"),
                       Decimal("123.45000000"), 1847)  # fmt: skip
    with engine.begin() as conn:
        save_bars(conn, [precise], "test")
    with engine.connect() as conn:
        assert latest_bars(conn, BTC, H1) == [precise]
        assert list(iter_bars(conn, BTC, H1)) == [precise]


def test_latest_bars_are_the_newest_oldest_first(engine) -> None:
    with engine.begin() as conn:
        save_bars(conn, [bar(h) for h in range(10)], "test")
    with engine.connect() as conn:
        got = latest_bars(conn, BTC, H1, limit=3)
        assert [b.timestamp.hour for b in got] == [7, 8, 9]
        since = datetime.fromtimestamp(BASE + 8 * 3600, UTC)
        assert [b.timestamp.hour for b in latest_bars(conn, BTC, H1, since=since)] == [8, 9]
        extent = series_extent(conn, BTC, H1)
        assert extent is not None
        assert (extent.first.hour, extent.last.hour, extent.count) == (0, 9, 10)
        assert series_extent(conn, BTC, BarInterval.D1) is None


def test_gap_report_over_stored_bars(engine) -> None:
    with engine.begin() as conn:
        save_bars(conn, [bar(h) for h in (0, 1, 4, 5, 9)], "test")
    start, end = datetime.fromtimestamp(BASE, UTC), datetime.fromtimestamp(BASE + 9 * 3600, UTC)
    with engine.connect() as conn:
        gaps = list(find_gaps(bar_openings(conn, BTC, H1, start, end), H1, start, end))
    assert [(g.start.hour, g.end.hour, g.missing) for g in gaps] == [(2, 3, 2), (6, 8, 3)]


KRAKEN_CSV = """\
1709164800,67400.0,67500.0,67350.0,67432.5,123.45,1847
1709168400,67432.5,67600.0,67400.0,67550.0,98.7,1500
1709172000,67550.0,67560.0,67000.0,67100.0,200.0,2210
"""


def ingest(engine, text: str, **kw):
    with engine.begin() as conn:
        return ingest_ohlcv_csv(conn, io.BytesIO(text.encode()), BTC, H1, source="f.csv", **kw)


def test_kraken_ohlcvt_csv_is_ingested(engine) -> None:
    report = ingest(engine, KRAKEN_CSV)
    assert (report.rows, report.stored, report.duplicates, report.bad_count) == (3, 3, 0, 0)
    assert report.first == datetime.fromtimestamp(1709164800, UTC)
    with engine.connect() as conn:
        first = latest_bars(conn, BTC, H1)[0]
    assert (first.open, first.close, first.volume, first.trade_count) == (
        Decimal("67400.0"), Decimal("67432.5"), Decimal("123.45"), 1847,
    )  # fmt: skip


def test_header_variant_with_other_column_order_and_no_trades(engine) -> None:
    text = "time,open,high,low,close,volume\n1709164800,1,2,0.5,1.5,10\n"
    report = ingest(engine, text)
    assert report.stored == 1
    with engine.connect() as conn:
        assert latest_bars(conn, BTC, H1)[0].trade_count == 0


def test_reingesting_the_same_file_leaves_the_same_rows(engine) -> None:
    ingest(engine, KRAKEN_CSV)
    before = all_bars(engine)
    report = ingest(engine, KRAKEN_CSV)
    assert (report.stored, report.duplicates) == (0, 3)
    assert all_bars(engine) == before


BAD_CSV = """\
1709164800,67400.0,67500.0,67350.0,67432.5,123.45,1847
1709168400,67432.5,abc,67400.0,67550.0,98.7,1500
1709172000,67550.0,67560.0,67000.0,67100.0,-2,2210
1709172001,67550.0,67560.0,67000.0,67100.0,2,2210
1709179200,67550.0,67560.0,67000.0,67100.0,2
"""


def test_a_bad_row_names_line_and_field_and_nothing_is_kept(engine) -> None:
    with pytest.raises(BadInputFile) as caught:
        ingest(engine, BAD_CSV)
    assert caught.value.problems == (
        "line 2, high: 'abc' is not a number",
        "line 3, volume: volume must not be negative, got -2",
        "line 4, timestamp: 1709172001 is not a bar opening for this interval",
        "line 5, row: expected 7 fields, got 6",
    )
    assert "4 bad rows, nothing stored" in str(caught.value)
    assert count(engine, "ohlcv_bars") == 0


def test_skip_bad_keeps_the_good_rows_and_reports_the_rest(engine) -> None:
    report = ingest(engine, BAD_CSV, skip_bad=True)
    assert (report.rows, report.stored, report.bad_count) == (5, 1, 4)
    assert [b.line for b in report.bad] == [2, 3, 4, 5]
    assert count(engine, "ohlcv_bars") == 1


def test_a_file_with_the_wrong_shape_is_refused(engine) -> None:
    with pytest.raises(BadInputFile, match="expected 6 or 7 columns"):
        ingest(engine, "1,2,3\n")
    with pytest.raises(BadInputFile, match="no column named low"):
        ingest(engine, "timestamp,open,high,close,volume\n")


def test_jsonl_ticks_are_ingested_exactly_and_idempotently(engine) -> None:
    text = EXAMPLE.read_text()
    with engine.begin() as conn:
        report = ingest_ticks_jsonl(conn, io.StringIO(text), source="x")
    assert (report.rows, report.stored) == (50, 50)
    with engine.begin() as conn:
        again = ingest_ticks_jsonl(conn, io.StringIO(text), source="x")
    assert (again.stored, again.duplicates) == (0, 50)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT price, volume, ts FROM ticks ORDER BY ts LIMIT 1")).one()
    assert row == (Decimal("100.0"), Decimal("1.0"), datetime.fromtimestamp(1_700_000_000, UTC))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"symbol": "BTC-USD", "price": 1e400, "ts": 1}', "line 1, price: '1E+400' is too large"),
        ('{"symbol": "BTC-USD", "price": 1e-19, "ts": 1}', "line 1, price: '1E-19' has more than"),
        ('{"symbol": "BTC-USD", "price": "\uff11", "ts": 1}', "line 1, price: '\uff11' is not"),
        ('{"symbol": "BTC-USD", "price": 1, "ts": ' + "9" * 5000 + "}", "line 1, row: number"),
        ("[" * 100_000 + "]" * 100_000, "line 1, row: JSON nested too deeply"),
        ('{"symbol": 7, "price": 1, "ts": 1}', "line 1, symbol: '7' is not a market name"),
        ('{"symbol": "BTC-USD", "price": 1, "ts": 1e30}', "line 1, ts: '1E+30' is not a time"),
        ('{"symbol": "BTC-USD", "price": 1, "ts": "9999-12-31T23:59:59-01:00"}', "line 1, ts: "),
        ('{"symbol": "BTC-USD", "price": 0.1, "ts": "2024-01-01T00:00:00.25Z"}', None),
        ('{"symbol": "BTCUSD", "price": 1, "ts": 1}', "line 1, symbol:"),
        ('{"symbol": "BTC-USD", "price": -1, "ts": 1}', "line 1, price: must be positive"),
        ('{"symbol": "BTC-USD", "price": "x", "ts": 1}', "line 1, price: 'x' is not a number"),
        ('{"symbol": "BTC-USD", "price": 1, "ts": "2024-01-01"}', "line 1, ts:"),
        ('{"symbol": "BTC-USD", "price": 1}', "line 1, ts: is missing"),
        ("[1, 2]", "line 1, row: is not a JSON object"),
        ("{oops", "line 1, row: not JSON"),
    ],
)
def test_tick_lines(line: str, expected: str | None) -> None:
    if expected is None:
        [tick] = read_ticks([line], "t")
        assert isinstance(tick.price, Decimal)
        return
    with pytest.raises(BadInputFile) as caught:
        list(read_ticks([line], "t"))
    assert caught.value.problems[0].startswith(expected)


def test_tick_decimals_never_pass_through_float() -> None:
    [tick] = read_ticks(['{"symbol":"BTC-USD","price":0.100000000000000005,"ts":1.5}'], "t")
    assert tick.price == Decimal("0.100000000000000005")
    assert tick.timestamp == datetime(1970, 1, 1, 0, 0, 1, 500_000, UTC)


def test_save_ticks_skips_ticks_already_stored(engine) -> None:
    ticks = [Ticker(BTC, Decimal(i + 1), T0 + timedelta(seconds=i)) for i in range(5)]
    with engine.begin() as conn:
        assert save_ticks(conn, ticks) == 5
    with engine.begin() as conn:
        assert save_ticks(conn, [*ticks[3:], Ticker(BTC, Decimal(9), T0 + timedelta(hours=1))]) == 1


def test_cursor_round_trip(engine) -> None:
    with engine.begin() as conn:
        assert load_cursor(conn, "kraken", BTC, H1) is None
        save_cursor(conn, "kraken", BTC, H1, 5, 10)
        save_cursor(conn, "kraken", BTC, H1, 7, 10)
        cursor = load_cursor(conn, "kraken", BTC, H1)
        assert cursor is not None
        assert (cursor.position, cursor.target) == (7, 10)
        clear_cursor(conn, "kraken", BTC, H1)
        assert load_cursor(conn, "kraken", BTC, H1) is None


class Recorder:
    def __init__(self) -> None:
        self.units: list[list[object]] = []

    def emit(self, events) -> None:
        self.units.append(list(events))


def replay_events(ledger=None) -> list[object]:
    sink = Recorder()
    ledger = ledger or bootstrap_ledger(USD, Decimal("10000.00"), T0)
    trading = TradingEngine(ledger, USD, sink=sink, mode=TradingMode.PAPER)
    with EXAMPLE.open() as lines:
        ticks = list(read_ticks(lines, "x"))
    run_strategy(trading, SmaCrossover(), ticks, Decimal("0.1"), "r")
    return [e for unit in sink.units for e in unit]


def test_signals_are_stored_with_their_audit_entries(engine) -> None:
    ledger = bootstrap_ledger(USD, Decimal("10000.00"), T0)
    events = replay_events(ledger)
    with engine.begin() as conn:
        persist_ledger(conn, ledger)
        write_events(conn, events)
    with engine.begin() as conn:
        write_events(conn, events)  # a replayed batch writes nothing twice
    with engine.connect() as conn:
        stored = query_signals(conn, run_id="r")
        assert [(s.client_id, s.side, s.reason) for s in reversed(stored)] == [
            ("r-1", "Buy", "SMA_CROSSOVER"),
            ("r-2", "Sell", "SMA_CROSSOVER"),
        ]
        assert stored[-1].indicators == {"short_sma": "100.2", "long_sma": "100.05"}
        audited = conn.execute(
            sa.text("SELECT count(*) FROM audit_log WHERE event_type = 'signal_raised'")
        ).scalar_one()
        assert audited == 2
        assert verify_audit_chain(conn).failure is None
    assert count(engine, "ticks") == 50


def test_every_event_kind_survives_the_spill_file() -> None:
    events = replay_events()
    kinds = {type(e).__name__ for e in events}
    assert {"SignalRaised", "TickReceived", "OrderUpdated", "TransactionPosted"} <= kinds
    for event in events:
        assert decode_event(encode_event(event)) == event


def test_a_clean_file_goes_through_copy_and_a_bad_one_row_by_row(engine, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="ingot_storage.market.files"):
        ingest(engine, KRAKEN_CSV)
        assert "row-by-row" not in caplog.text
        ingest(engine, BAD_CSV, skip_bad=True)
        assert "row-by-row ingestion (COPY refused it" in caplog.text


class Pipe(io.RawIOBase):
    """A stream that cannot seek, as stdin from a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(min(len(buffer), 7))  # short reads, as pipes give
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_pipe_that_needs_the_careful_path_is_read_again_from_a_spool(engine) -> None:
    with engine.begin() as conn:
        report = ingest_ohlcv_csv(
            conn, io.BufferedReader(Pipe(BAD_CSV.encode())), BTC, H1, source="-", skip_bad=True
        )
    assert (report.rows, report.stored, report.bad_count) == (5, 1, 4)


EDGE_ROWS = [
    "1709164800,1,2,0.5,1.5,10,3",  # fine
    "1709164800,1,2,0.5,1.5,10",  # fine, no trades column
    " 1709164800 , 1.0 , 2 , 0.5 , 1.5 , 1e1 , 3 ",  # spaces and an exponent
    "1709164800,NaN,2,0.5,1.5,10,3",
    "1709164800,1,Infinity,0.5,1.5,10,3",
    "1709164800,1,2,0.5,1.5,Infinity,3",
    "1709164800,1,2,0.5,1.5,NaN,3",
    "1709164800,0x1,2,0.5,1.5,10,3",
    "1709164800,1,2,0.5,1.5,10,0b1",
    "1709164800,1,2,0.5,1.5,10,3.0",
    "1e3,1,2,0.5,1.5,10,3",
    "1709164801,1,2,0.5,1.5,10,3",
    "1709164800,1,2,,1.5,10,3",
    "1709164800,3,2,0.5,1.5,10,3",
    "1709164800,1,2,0.5,1.5,-10,3",
    "1709164800,1,2,0.5,1.5,10,-3",
    "1709164800,-1,2,-2,1.5,10,3",
    "1709164800,1_0,20,0.5,1.5,10,3",
    '"1709164800","1","2","0.5","1.5","10","3"',
    "1709164800,1,2,0.5,1.5,10,3,extra",
    "timestamp,open,high,low,close,volume,trades\n1709164800,1,2,0.5,1.5,10,3",
    "close,open,high,low,volume,time\n1.5,1,2,0.5,10,1709164800",
    "time,open,high,low,close,volume,vwap\n1709164800,1,2,0.5,1.5,10,1.2",
    "1709164800,1,2,0.5,1.5,10,3\n1709164800,1,2,0.5,1.5,10,3",  # the same bar twice
    "1709164800,1,2,0.5,1.5,10,3\n\n1709168400,1,2,0.5,1.5,10,3\n",
    "1709164800,1,2,0.5,1.5,10,3\n\\.\n1709168400,1,2,0.5,1.5,10,3\n",
]


def outcome(engine, run) -> object:
    try:
        with engine.begin() as conn:
            report = run(conn)
            result: object = (report.rows, report.stored, report.duplicates, report.bad_count)
            conn.rollback()
    except BadInputFile as error:
        result = error.problems
    return result, all_bars(engine)


@pytest.mark.parametrize("text", EDGE_ROWS)
def test_the_copy_path_never_accepts_what_the_careful_path_refuses(engine, text) -> None:
    data = text.encode()
    fast = outcome(
        engine, lambda conn: ingest_ohlcv_csv(conn, io.BytesIO(data), BTC, H1, source="x")
    )
    careful = outcome(
        engine,
        lambda conn: _ingest_rows(conn, io.StringIO(text, newline=""), BTC, H1, "x", False, None),
    )
    assert fast == careful


def test_a_partly_stored_range_is_merged(engine) -> None:
    first_two = "".join(KRAKEN_CSV.splitlines(keepends=True)[:2])
    assert ingest(engine, first_two).stored == 2
    report = ingest(engine, KRAKEN_CSV.replace("\n", "\r\n"))  # and Windows line ends
    assert (report.rows, report.stored, report.duplicates) == (3, 1, 2)
    assert count(engine, "ohlcv_bars") == 3


def hourly_csv(hours: range, header: bool = False) -> str:
    lines = ["timestamp,open,high,low,close,volume,trades"] if header else []
    lines += [f"{BASE + h * 3600},100,101.5,99,100.5,1.25,{h}" for h in hours]
    return "\n".join(lines) + "\n"


def load_tables(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text("SELECT relname FROM pg_class WHERE relname LIKE 'ingot\\_bar\\_load\\_%'")
            ).scalars()
        )


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(bar_copy, "CHUNK_BYTES", 120)  # a few rows per chunk


@pytest.mark.parametrize("second_connection", [True, False], ids=["threaded", "inline"])
def test_a_file_in_many_chunks_stores_what_one_chunk_stores(
    engine, small_chunks, monkeypatch, second_connection
) -> None:
    if not second_connection:
        monkeypatch.setattr(bar_copy, "_second_connection", lambda conn: None)
    report = ingest(engine, hourly_csv(range(40), header=True))
    assert (report.rows, report.stored, report.duplicates, report.bad_count) == (40, 40, 0, 0)
    assert report.first == datetime.fromtimestamp(BASE, UTC)
    assert report.last == datetime.fromtimestamp(BASE + 39 * 3600, UTC)
    assert [row[6] for row in all_bars(engine)] == [Decimal("100.5")] * 40
    assert [row[8] for row in all_bars(engine)] == list(range(40))  # trades, in order
    assert load_tables(engine) == []


def test_a_later_chunk_meeting_stored_bars_merges_the_whole_file(engine, small_chunks) -> None:
    assert ingest(engine, hourly_csv(range(30, 35))).stored == 5
    report = ingest(engine, hourly_csv(range(40)))
    assert (report.rows, report.stored, report.duplicates) == (40, 35, 5)
    assert count(engine, "ohlcv_bars") == 40
    assert load_tables(engine) == []


def test_a_bad_row_in_a_later_chunk_is_named_and_nothing_is_kept(engine, small_chunks) -> None:
    text = hourly_csv(range(40)).replace(f"{BASE + 33 * 3600},100,", f"{BASE + 33 * 3600},1e9,")
    with pytest.raises(BadInputFile) as caught:
        ingest(engine, text)
    assert caught.value.problems[0].startswith("line 34, ")
    assert count(engine, "ohlcv_bars") == 0
    assert load_tables(engine) == []


def test_chunk_tables_left_by_a_rolled_back_load_are_swept_by_the_next(
    engine, small_chunks
) -> None:
    with engine.begin() as conn:
        ingest_ohlcv_csv(conn, io.BytesIO(hourly_csv(range(20)).encode()), BTC, H1, source="a")
        conn.rollback()  # the DROP of its chunk tables is undone with it
    left = load_tables(engine)
    assert left
    with engine.begin() as held:  # a live load's tables are not touched
        key = int(left[0].split("_")[3])
        held.exec_driver_sql(f"SELECT pg_advisory_xact_lock({BAR_LOAD_LOCK}, {key})")
        ingest(engine, hourly_csv(range(20, 25)))
        assert sorted(load_tables(engine)) == sorted(left)
    ingest(engine, hourly_csv(range(25, 30)))
    assert load_tables(engine) == []

"""Kraken over httpx, with recorded Kraken-format answers served through MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ingot_core.errors import ValidationError
from ingot_core.feed import BarInterval, OhlcvBar
from ingot_core.symbols import Symbol
from ingot_storage.errors import SourceUnavailable
from ingot_storage.market.backfill import BACKFILL_SOURCE, ingest_kraken_history
from ingot_storage.market.store import iter_bars, load_cursor
from ingot_storage.sources.kraken import KrakenClient, KrakenRejected, UnknownPair, kraken_pair

BTC = Symbol("BTC", "USD")
H1 = BarInterval.H1
BASE = 1_709_164_800  # 2024-02-29T00:00:00Z
NOW = datetime.fromtimestamp(BASE + 4 * 3600 + 600, UTC)  # 04:10, bar 04:00 is forming

# Recorded OHLC rows: [time, open, high, low, close, vwap, volume, count]
OHLC_ROWS = [
    [BASE, "100.0", "101.5", "99.8", "99.8", "100.1", "3.5", 3],
    [BASE + 3600, "99.9", "100.2", "99.9", "100.2", "100.08", "2.5", 2],
    [BASE + 7200, "100.1", "102.0", "100.1", "101.0", "101.5", "2.0", 3],
    [BASE + 10800, "101.2", "101.3", "101.2", "101.3", "101.25", "0.3", 2],
]
FORMING = [BASE + 14400, "101.3", "101.3", "101.3", "101.3", "101.3", "0.1", 1]

# The trade tape behind those bars: [price, volume, time, side, type, misc, id]
TAPE = [
    ["100.0", "1.0", BASE + 10.5],
    ["101.5", "0.5", BASE + 1200.25],
    ["99.8", "2.0", BASE + 3000],
    ["99.9", "1.0", BASE + 3600],
    ["100.2", "1.5", BASE + 5000.125],
    ["100.1", "0.25", BASE + 7300],
    ["102.0", "0.75", BASE + 9000],
    ["101.0", "1.0", BASE + 10799.999999],
    ["101.2", "0.1", BASE + 10800.5],
    ["101.3", "0.2", BASE + 12000],
    ["101.3", "0.1", BASE + 14500],
]


def ns(seconds: float | int) -> int:
    return int(Decimal(str(seconds)) * 1_000_000_000)


def ok(pair_key: str, rows: list, last: object) -> httpx.Response:
    # Trades get Kraken's side, type, misc and id columns; times stay bare JSON numbers.
    rendered = [[*r, "b", "m", "", i] if len(r) == 3 else r for i, r in enumerate(rows)]
    body = {"error": [], "result": {pair_key: rendered, "last": last}}
    return httpx.Response(200, content=json.dumps(body).encode())


def error(*messages: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"error": list(messages)})


class FakeKraken:
    """Serves OHLC and Trades the way Kraken does; records every request."""

    def __init__(self, ohlc_pages: list[tuple[list, int]] | None = None, page_size: int = 3):
        self.ohlc_pages = ohlc_pages or []
        self.page_size = page_size
        self.requests: list[httpx.Request] = []
        self.fail_trades_after: int | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/0/public/OHLC":
            rows, last = self.ohlc_pages.pop(0) if len(self.ohlc_pages) > 1 else self.ohlc_pages[0]
            return ok("XXBTZUSD", rows, last)
        trades_calls = sum(r.url.path.endswith("Trades") for r in self.requests)
        if self.fail_trades_after is not None and trades_calls > self.fail_trades_after:
            raise httpx.ConnectError("connection refused", request=request)
        since = int(request.url.params["since"])
        page = [t for t in TAPE if ns(t[2]) > since][: self.page_size]
        last = str(ns(page[-1][2])) if page else str(since)
        return ok("XXBTZUSD", page, last)

    def client(self, **kw) -> KrakenClient:
        http = httpx.Client(transport=httpx.MockTransport(self.handler))
        return KrakenClient(http, min_interval=0, sleep=lambda s: None, **kw)

    def since_params(self, path: str) -> list[str | None]:
        return [r.url.params.get("since") for r in self.requests if r.url.path.endswith(path)]


def bar_of(row: list) -> OhlcvBar:
    return OhlcvBar(BTC, H1, datetime.fromtimestamp(row[0], UTC), *(Decimal(v) for v in row[1:5]),
                    Decimal(row[6]), row[7])  # fmt: skip


def stored(engine: Engine) -> list[OhlcvBar]:
    with engine.connect() as conn:
        return list(iter_bars(conn, BTC, H1))


def test_pairs_use_krakens_asset_names() -> None:
    assert kraken_pair(BTC) == "XBTUSD"
    assert kraken_pair(Symbol("DOGE", "EUR")) == "XDGEUR"
    assert kraken_pair(Symbol("ETH", "USD")) == "ETHUSD"


def test_fetch_ohlcv_parses_kraken_response_under_the_renamed_key() -> None:
    fake = FakeKraken([([*OHLC_ROWS, FORMING], BASE + 10800)])
    page = fake.client().ohlc(BTC, H1, BASE, NOW)
    assert page.bars == [bar_of(r) for r in OHLC_ROWS]
    assert page.bars[0].high == Decimal("101.5")
    assert page.forming == bar_of(FORMING)
    assert page.last == BASE + 10800
    params = fake.requests[0].url.params
    assert (params["pair"], params["interval"], params["since"]) == ("XBTUSD", "60", str(BASE))


def test_fetch_ohlcv_handles_empty_response() -> None:
    page = FakeKraken([([], BASE)]).client().ohlc(BTC, H1, None, NOW)
    assert (page.bars, page.forming, page.last) == ([], None, BASE)


def test_a_bar_not_closed_by_now_is_never_final() -> None:
    early = datetime.fromtimestamp(BASE + 3 * 3600 + 5, UTC)  # the 03:00 bar is still open
    page = FakeKraken([(OHLC_ROWS, BASE)]).client().ohlc(BTC, H1, None, early)
    assert [b.timestamp.hour for b in page.bars] == [0, 1, 2]
    assert page.forming is not None
    assert page.forming.timestamp.hour == 3


def test_ingest_paginates_by_last_and_never_stores_the_forming_bar(engine) -> None:
    fake = FakeKraken(
        [
            ([*OHLC_ROWS[:2], OHLC_ROWS[2]], BASE + 3600),  # 02:00 forming at the first call
            ([*OHLC_ROWS[2:], FORMING], BASE + 10800),
            ([FORMING], BASE + 10800),
        ]
    )
    report = ingest_kraken_history(engine, fake.client(), BTC, H1, None, NOW)
    assert fake.since_params("OHLC") == [None, str(BASE + 3600), str(BASE + 10800)]
    assert stored(engine) == [bar_of(r) for r in OHLC_ROWS]
    assert report.from_ohlc == 4
    assert report.forming == bar_of(FORMING)


@pytest.mark.parametrize(
    ("answer", "kind", "text"),
    [
        (error("EQuery:Unknown asset pair"), UnknownPair, "pair XBTUSD"),
        (error("EGeneral:Invalid arguments:since"), ValidationError, "Invalid arguments"),
        (error("EGeneral:Permission denied"), KrakenRejected, "Permission denied"),
        (httpx.Response(200, content=b"<html>"), KrakenRejected, "not JSON"),
        (httpx.Response(200, json={"error": [], "result": {"last": 1}}), KrakenRejected, "[]"),
    ],
)
def test_error_array_maps_to_clear_errors(answer, kind, text) -> None:
    http = httpx.Client(transport=httpx.MockTransport(lambda r: answer))
    client = KrakenClient(http, min_interval=0, sleep=lambda s: None)
    with pytest.raises(kind, match=text.replace("[", r"\[").replace("]", r"\]")):
        client.ohlc(BTC, H1, None, NOW)


def sequence(*answers: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


def test_429_5xx_and_rate_limit_errors_back_off_and_retry() -> None:
    sleeps: list[float] = []
    handler = sequence(
        httpx.Response(429),
        httpx.Response(503),
        error("EAPI:Rate limit exceeded"),
        error("EService:Busy"),
        ok("XXBTZUSD", OHLC_ROWS, BASE),
    )
    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = KrakenClient(http, min_interval=0, backoff=0.5, sleep=sleeps.append)
    assert len(client.ohlc(BTC, H1, None, NOW).bars) == 3
    assert sleeps == [2.0, 1.0, 8.0, 4.0]  # a rate limit waits four times longer


def test_network_failure_after_retries_is_source_unavailable() -> None:
    request_error = httpx.ConnectError("connection refused")
    http = httpx.Client(transport=httpx.MockTransport(sequence(*[request_error] * 3)))
    client = KrakenClient(http, min_interval=0, retries=2, sleep=lambda s: None)
    with pytest.raises(SourceUnavailable, match="after 3 attempts: network error"):
        client.ohlc(BTC, H1, None, NOW)


def test_calls_are_spaced_within_the_public_rate_limit() -> None:
    now = [10.0]
    sleeps: list[float] = []
    http = httpx.Client(transport=httpx.MockTransport(lambda r: ok("XXBTZUSD", [], BASE)))
    client = KrakenClient(http, min_interval=1.0, sleep=sleeps.append, clock=lambda: now[0])
    for moment in (10.0, 10.25, 12.0):
        now[0] = moment
        client.ohlc(BTC, H1, None, NOW)
    assert sleeps == [0.75]  # the second call waited; the third came late enough


def test_trades_backfill_builds_the_same_bars_as_ohlc(engine) -> None:
    # OHLC's window starts at 03:00, so 00:00-02:00 must come from the trade tape.
    fake = FakeKraken([([*OHLC_ROWS[3:], FORMING], BASE + 10800)])
    since = datetime.fromtimestamp(BASE, UTC)
    report = ingest_kraken_history(engine, fake.client(), BTC, H1, since, NOW)
    assert stored(engine) == [bar_of(r) for r in OHLC_ROWS]
    assert (report.from_trades, report.from_ohlc) == (3, 1)
    assert fake.since_params("Trades")[0] == str(ns(BASE) - 1)
    assert len(fake.since_params("Trades")) >= 3  # paged by `last`, 3 trades a page
    with engine.connect() as conn:
        assert load_cursor(conn, BACKFILL_SOURCE, BTC, H1) is None
        sources = dict(conn.execute(sa.text("SELECT ts, source FROM ohlcv_bars ORDER BY ts")).all())
    assert sorted(set(sources.values())) == ["kraken-ohlc", "kraken-trades"]


def test_an_interrupted_backfill_resumes_where_it_stopped(engine) -> None:
    since = datetime.fromtimestamp(BASE, UTC)
    broken = FakeKraken([([*OHLC_ROWS[3:], FORMING], BASE + 10800)], page_size=2)
    broken.fail_trades_after = 2  # the third Trades call never answers
    with pytest.raises(SourceUnavailable):
        ingest_kraken_history(engine, broken.client(retries=0), BTC, H1, since, NOW)
    with engine.connect() as conn:
        cursor = load_cursor(conn, BACKFILL_SOURCE, BTC, H1)
    assert cursor is not None
    partial = stored(engine)
    assert [b.timestamp.hour for b in partial] == [0, 3]  # 01:00 was still collecting trades
    assert cursor.position == ns(BASE + 3600) - 1  # so the resume starts at 01:00

    healthy = FakeKraken([([*OHLC_ROWS[3:], FORMING], BASE + 10800)], page_size=2)
    report = ingest_kraken_history(engine, healthy.client(), BTC, H1, since, NOW)
    assert report.resumed_from == datetime.fromtimestamp(BASE + 3600, UTC)
    assert healthy.since_params("Trades")[0] == str(cursor.position)
    assert stored(engine) == [bar_of(r) for r in OHLC_ROWS]


def test_ingesting_the_same_range_twice_leaves_the_same_rows(engine) -> None:
    since = datetime.fromtimestamp(BASE, UTC)
    for _ in range(2):
        fake = FakeKraken([([*OHLC_ROWS[3:], FORMING], BASE + 10800)])
        ingest_kraken_history(engine, fake.client(), BTC, H1, since, NOW)
    assert stored(engine) == [bar_of(r) for r in OHLC_ROWS]


def test_since_in_the_future_is_bad_input(engine) -> None:
    with pytest.raises(ValidationError, match="in the future"):
        ingest_kraken_history(
            engine, FakeKraken().client(), BTC, H1, datetime(2030, 1, 1, tzinfo=UTC), NOW
        )

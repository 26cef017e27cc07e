"""Kraken answers a hostile or broken server could send, through httpx's MockTransport: each
ends as one clear error (never a traceback), within a deadline, within a memory bound, and is
retried only when retrying can help."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from ingot_core.feed import BarInterval
from ingot_core.symbols import Symbol
from ingot_storage.errors import SourceUnavailable
from ingot_storage.sources.bounded_http import Limits
from ingot_storage.sources.kraken import KrakenClient, KrakenRejected

BTC = Symbol("BTC", "USD")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


class FakeClock:
    """Time that passes only when the code sleeps or reads (so tests never wait)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client_for(
    handler: Callable[[httpx.Request], httpx.Response], clock: FakeClock, **kw: object
) -> KrakenClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return KrakenClient(
        http,
        min_interval=0,
        sleep=clock.sleep,
        clock=clock,
        **kw,  # type: ignore[arg-type]
    )


def streamed(body: bytes, **headers: str) -> httpx.Response:
    """An answer as the network delivers it: read from a stream, not handed over in memory."""
    return httpx.Response(200, stream=httpx.ByteStream(body), headers=headers)


def ohlc_body(rows: object, last: object = 1_700_000_000) -> bytes:
    return json.dumps({"error": [], "result": {"XXBTZUSD": rows, "last": last}}).encode()


def test_a_trickling_server_is_given_up_on_at_the_deadline() -> None:
    clock = FakeClock()
    calls = []

    def trickle() -> Iterator[bytes]:
        for byte in ohlc_body([]):
            clock.now += 5  # one byte every five seconds
            yield bytes([byte])

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, content=trickle())

    client = client_for(handler, clock, retries=2, limits=Limits(deadline_s=30))
    with pytest.raises(SourceUnavailable, match="too slow: it took over 30 s"):
        client.ohlc(BTC, BarInterval.H1, None, NOW)
    assert len(calls) == 3  # slowness may pass: retried, then given up
    assert clock.now < 3 * 40 + sum(clock.slept)


def test_a_gzip_bomb_is_refused_before_it_inflates() -> None:
    bomb = gzip.compress(b'{"error": [], "result": {"XXBTZUSD": [], "pad": "' + b"0" * 50_000_000)
    assert len(bomb) < 100_000
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return streamed(bomb, **{"content-encoding": "gzip"})

    client = client_for(handler, FakeClock(), limits=Limits(body_bytes=1 << 20))
    with pytest.raises(KrakenRejected, match="over 1,048,576 bytes"):
        client.ohlc(BTC, BarInterval.H1, None, NOW)
    assert len(calls) == 1  # a bigger answer next time would not help


def test_a_gzip_answer_within_bounds_is_read() -> None:
    row = [1_699_999_200, "1", "2", "0.5", "1.5", "1.2", "10", 3]
    packed = gzip.compress(ohlc_body([row, row]))

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["accept-encoding"] == "gzip"
        return streamed(packed, **{"content-encoding": "gzip"})

    page = client_for(handler, FakeClock()).ohlc(BTC, BarInterval.H1, None, NOW)
    assert len(page.bars) == 1
    assert page.forming is not None


def test_an_answer_too_big_on_the_wire_is_refused() -> None:
    body = ohlc_body([["x" * 5_000_000]])
    client = client_for(lambda r: streamed(body), FakeClock(), limits=Limits(wire_bytes=1 << 20))
    with pytest.raises(KrakenRejected, match="over 1,048,576 bytes"):
        client.ohlc(BTC, BarInterval.H1, None, NOW)


def test_a_huge_field_is_never_echoed_whole() -> None:
    row = [1_700_000_000, "1" * 5_000_000, "2", "0.5", "1.5", "1.2", "10", 3]
    client = client_for(lambda r: streamed(ohlc_body([row, row])), FakeClock())
    with pytest.raises(KrakenRejected) as caught:
        client.ohlc(BTC, BarInterval.H1, None, NOW)
    assert len(str(caught.value)) < 500


def test_a_name_that_does_not_resolve_is_not_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    clock = FakeClock()
    with pytest.raises(SourceUnavailable, match="cannot reach Kraken"):
        client_for(handler, clock, retries=5).ohlc(BTC, BarInterval.H1, None, NOW)
    assert len(calls) == 1
    assert clock.slept == []


def test_a_temporary_lockout_is_a_rate_limit() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        body = {"error": ["EGeneral:Temporary lockout"]}
        return httpx.Response(200, content=json.dumps(body).encode())

    clock = FakeClock()
    with pytest.raises(SourceUnavailable, match="keeps limiting this address"):
        client_for(handler, clock, retries=3, backoff=1.0).ohlc(BTC, BarInterval.H1, None, NOW)
    assert len(calls) == 4
    assert clock.slept == [4.0, 8.0, 16.0]  # waits longer than after a network error


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"error": 5}', "error field"),
        (b'{"error": [5]}', "error field"),
        (ohlc_body([], last="abc"), "`last`"),
        (ohlc_body([], last=1.5), "`last`"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"error": [], "result": ' + b"9" * 5000 + b"}", "too long"),
        (b"\xff\xfe", "cannot read"),
        (ohlc_body([[1_700_000_000.5, "1", "2", "0.5", "1.5", "1.2", "10", 3]] * 2), "time"),
        (ohlc_body([[1_700_000_000, "1e200000", "2", "0.5", "1.5", "1.2", "10", 3]] * 2), "open"),
        (ohlc_body([[1_700_000_000, "\uff11", "2", "0.5", "1.5", "1.2", "10", 3]] * 2), "open"),
        (ohlc_body([[1_700_000_000, "1", "2", "0.5", "1.5", "1.2", "10", "x"]] * 2), "count"),
        (ohlc_body([[1_700_000_000]] * 2), "8 fields"),
        (ohlc_body(["row", "row"]), "8 fields"),
        (ohlc_body(7), "expected one pair"),
    ],
)
def test_a_malformed_answer_is_one_clear_refusal(body: bytes, problem: str) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return streamed(body)

    with pytest.raises(KrakenRejected, match=problem) as caught:
        client_for(handler, FakeClock()).ohlc(BTC, BarInterval.H1, None, NOW)
    assert len(str(caught.value)) < 500
    assert len(calls) == 1


def test_a_malformed_trade_is_one_clear_refusal() -> None:
    body = json.dumps(
        {"error": [], "result": {"XXBTZUSD": [["1", "1", "1e30", "b"]], "last": "1"}}
    ).encode()
    client = client_for(lambda r: streamed(body), FakeClock())
    with pytest.raises(KrakenRejected, match="time '1e30' is too large"):
        client.trades(BTC, 0)

"""The trade log's wire helpers: exact JSON numbers, seed 002's HTTP object, redaction,
event type names, the monotonic local clock, stable market ids."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingot_core.tradelog.events import EventType, event_type_named, market_id, now_us
from ingot_core.tradelog.http import connectivity_event, http_request_event
from ingot_core.tradelog.wire import REDACTED, http_request_object, pretty_json, wire_json


def test_decimals_are_written_as_exact_plain_numbers() -> None:
    text = wire_json({"px": Decimal("60030.150"), "q": Decimal("1E-8"), "big": Decimal("1E+3"),
                      "neg": Decimal("-0"), "s": "x", "n": None, "ok": True,
                      "list": [1, 2]})  # fmt: skip
    assert text == ('{"px":60030.150,"q":0.00000001,"big":1000,"neg":0,"s":"x","n":null,'
                    '"ok":true,"list":[1,2]}')  # fmt: skip
    assert json.loads(text, parse_float=Decimal)["px"] == Decimal("60030.150")
    with pytest.raises(ValueError, match="no JSON form"):
        wire_json({"x": Decimal("NaN")})


@settings(max_examples=300, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=None))
def test_every_finite_decimal_survives_the_round_trip(value: Decimal) -> None:
    assert json.loads(wire_json([value]), parse_float=Decimal, parse_int=Decimal)[0] == value


def test_the_http_object_holds_method_path_query_and_body_and_no_secret() -> None:
    raw = http_request_object(
        "post", "/0/private/AddOrder", {"pair": "XBTUSD", "apiKey": "AK-123"},
        b"nonce=1716&otp=424242&ordertype=limit&signature=c2lnbg==",
    )  # fmt: skip
    data = json.loads(raw)
    assert data == {"transport": "http", "method": "POST", "path": "/0/private/AddOrder",
                    "query": {"pair": "XBTUSD", "apiKey": REDACTED},
                    "body": {"nonce": REDACTED, "otp": REDACTED, "ordertype": "limit",
                             "signature": REDACTED}}  # fmt: skip
    for secret in ("AK-123", "1716", "424242", "c2lnbg=="):
        assert secret not in raw
    nested = json.loads(http_request_object("PUT", "/x", None, '{"auth":{"Secret":"s3"},"a":1}'))
    assert nested["body"] == {"auth": {"Secret": REDACTED}, "a": 1}
    assert "body" not in json.loads(http_request_object("GET", "/x"))
    assert json.loads(http_request_object("POST", "/x", None, "plain text"))["body"] == "plain text"


def test_a_request_events_query_comes_from_the_url_and_the_parameters_redacted() -> None:
    event = http_request_event("kraken-rest", "GET", "https://h/0/public/OHLC?token=t0k&a=1",
                               {"pair": "XBTUSD"})  # fmt: skip
    assert event.event_type is EventType.MARKET_DATA_REQUEST
    assert json.loads(event.raw)["query"] == {"token": REDACTED, "a": "1", "pair": "XBTUSD"}
    note = connectivity_event("kraken-rest", "retry", "HTTP 503", key="k-9", attempt=2)
    assert "k-9" not in note.raw
    assert (note.event_type, note.error_code, note.error_message) == (
        EventType.CONNECTIVITY_INFO,
        "retry",
        "HTTP 503",
    )


def test_pretty_json_keeps_every_number_as_written() -> None:
    shown = pretty_json('{"a":[0.10,{"b":null}],"c":{}}')
    assert "0.10" in shown
    assert json.loads(shown, parse_float=Decimal) == {"a": [Decimal("0.10"), {"b": None}],
                                                      "c": {}}  # fmt: skip
    with pytest.raises(ValueError, match="Expecting value"):
        pretty_json("<html>")


def test_event_types_by_name_or_code_and_the_seeds_codes() -> None:
    assert event_type_named("request_order_new") is EventType.REQUEST_ORDER_NEW
    assert event_type_named(" 31 ") is EventType.API_EVENT_ORDER_UPDATE
    seed = {10, 11, 12, 13, 20, 30, 31, 32, 90}
    assert seed <= {int(t) for t in EventType}
    assert all(50 <= int(t) <= 59 for t in EventType if int(t) not in seed)  # Ingot's range
    for bad in ("api", "99", "-1", ""):
        with pytest.raises(ValueError, match="is not a trade log event type"):
            event_type_named(bad)


def test_the_local_clock_never_goes_back_and_market_ids_are_stable() -> None:
    taken = [now_us() for _ in range(2000)]
    assert taken == sorted(taken)
    assert market_id("BTC/USD") == market_id("BTC/USD") != market_id("ETH/USD")
    assert 0 <= market_id("BTC/USD") < 2**63

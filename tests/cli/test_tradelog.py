"""`ingot tradelog` as a trader uses it: what trading logged, filters, one event, export,
prune; a Kraken ingest's HTTP calls logged; no secret of a signed request stored anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from ingot_core.tradelog.http import http_request_event
from ingot_storage.db.database import create_db_engine
from ingot_storage.tradelog.writer import TradeLogWriter
from tests.cli.test_market_commands import Kraken, kraken_env
from tests.cli.test_market_commands import kraken as kraken  # the fixture


def _trade(invoke) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A market buy, a resting limit and its cancel, and a limit that fills on a later mark;
    the client ids by role."""
    ids = {}
    assert invoke("mark", "BTC-USD", "60000").exit_code == 0
    for role, args in (("market", ()), ("rested", ("--limit", "59000")),
                       ("filled", ("--limit", "59500"))):  # fmt: skip
        done = json.loads(invoke("buy", "BTC-USD", "0.01", *args, "--json").output)
        ids[role] = done["client_id"]
        if role == "rested":
            assert invoke("cancel", ids[role]).exit_code == 0
    assert invoke("mark", "BTC-USD", "59400").exit_code == 0
    return ids


def test_trading_logs_requests_answers_executions_and_updates_in_order(invoke) -> None:  # type: ignore[no-untyped-def]
    ids = _trade(invoke)
    events = list(reversed(json.loads(invoke("tradelog", "--json").output)))
    seen = [(e["event_type"], e["cl_ord_id"]) for e in events]
    m, r, f = ids["market"], ids["rested"], ids["filled"]
    assert seen == [(10, m), (20, m), (30, m), (31, m), (10, r), (20, r), (31, r), (11, r),
                    (20, r), (31, r), (10, f), (20, f), (31, f), (30, f), (31, f)]  # fmt: skip
    assert [e["event_type_name"] for e in events[:4]] == [
        "request_order_new",
        "api_response",
        "api_event_execution",
        "api_event_order_update",
    ]
    execution = events[2]
    assert (execution["side"], execution["last_qty"], execution["fee"]) == (1, "0.01", "1.56")
    assert execution["last_px"] == "60030"
    assert execution["symbol"] == "BTC/USD"
    assert json.loads(execution["raw"])["data"][0]["cl_ord_id"] == m
    assert all(e["book"] == "main" for e in events)
    only = json.loads(invoke("tradelog", "--type", "api_event_execution,31", "--order", f,
                             "--json").output)  # fmt: skip
    assert [e["event_type"] for e in only] == [31, 30, 31]
    assert json.loads(invoke("tradelog", "--source", "paper-rest", "--limit", "2",
                             "--json").output)[0]["event_type"] == 20  # fmt: skip
    shown = invoke("tradelog", "show", str(events[0]["id"]))
    assert shown.exit_code == 0
    assert '"path": "/0/private/AddOrder"' in shown.output
    table = invoke("tradelog")
    assert "request_order_cancel" in table.output
    assert "LOCAL TIME (UTC)" in table.output


def test_bad_choices_are_refused_on_one_line_and_exports_stream(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _trade(invoke)
    refused = invoke("tradelog", "--type", "order_new")
    assert refused.exit_code == 11
    assert refused.output.startswith("error: --type: 'order_new' is not one of request_order_new")
    assert len(refused.output.strip().splitlines()) == 1
    assert invoke("tradelog", "show", "999999").exit_code == 11
    assert invoke("tradelog", "export", "--format", "xml").exit_code != 0
    out = tmp_path / "tl.jsonl"
    done = invoke("tradelog", "export", "--format", "jsonl", "--output", str(out))
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 15
    assert [x["id"] for x in lines] == sorted(x["id"] for x in lines)
    listed = {e["id"]: e["raw"] for e in json.loads(invoke("tradelog", "--json").output)}
    assert all(listed[x["id"]] == x["raw"] for x in lines)
    as_csv = invoke("tradelog", "export", "--format", "csv", "--output", "-")
    assert as_csv.stdout.splitlines()[0].startswith("id,local_ts_us,exchange_ts_us")
    assert len(as_csv.stdout.splitlines()) >= 16
    dry = json.loads(invoke("tradelog", "prune", "--older-than", "0d", "--dry-run",
                            "--json").output)  # fmt: skip
    assert dry["kept"] == 0
    assert dry["dry_run"] is True
    assert len(json.loads(invoke("tradelog", "--json").output)) == 15
    assert invoke("tradelog", "prune", "--older-than", "ninety").exit_code == 11


def test_a_kraken_ingest_logs_its_requests_and_the_answers_as_received(invoke, kraken) -> None:  # type: ignore[no-untyped-def]
    answer = (b'{"error":[],"result":{"XXBTZUSD":[[1709164800,"67400.0","67500.0","67350.0",'
              b'"67432.5","67420.1","123.45",1847],[1709168400,"67432.5","67600.0","67400.0",'
              b'"67550.0","67500.2","98.7",1500]],"last":1709164800}}')  # fmt: skip
    Kraken.answers = {"/0/public/OHLC": answer}
    assert invoke("ingest", "ohlcv", "BTC-USD", "1h", env=kraken_env(kraken)).exit_code == 0
    logged = list(reversed(json.loads(invoke("tradelog", "--json").output)))
    kinds = [e["event_type_name"] for e in logged]
    assert kinds[:2] == ["market_data_request", "market_data_response"]
    assert kinds == kinds[:2] * (len(kinds) // 2)  # each call: its request, then its answer
    request = json.loads(logged[0]["raw"])
    assert request["transport"] == "http"
    assert (request["method"], request["path"]) == ("GET", "/0/public/OHLC")
    assert request["query"]["pair"] == "XBTUSD"
    assert logged[1]["raw"].encode() == answer
    assert logged[1]["response_status"] == 200
    assert logged[1]["source"] == "kraken-rest"


def test_no_secret_of_a_signed_request_reaches_the_database(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    secrets = ["K3y-ABCDEF0123", "c2lnbmF0dXJlLXNlY3JldA==", "1716999999123", "424242"]
    engine = create_db_engine(database_url, pool_size=1)
    try:
        writer = TradeLogWriter(engine, tmp_path / "tl.jsonl", flush_ms=1)
        writer.emit(http_request_event(
            "kraken-rest", "POST", f"https://api.kraken.com/0/private/AddOrder?API-Key={secrets[0]}",
            {"API-Sign": secrets[1]},
            f"nonce={secrets[2]}&otp={secrets[3]}&ordertype=limit&pair=XBTUSD".encode(),
        ))  # fmt: skip
        writer.close()
        with engine.connect() as conn:
            tables = conn.execute(sa.text(
                "SELECT schemaname, tablename FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")).all()  # fmt: skip
            texts = [conn.execute(sa.text(f'SELECT t::text FROM "{s}"."{t}" t')).scalars()
                     for s, t in tables]  # fmt: skip
            dump = "\n".join(text for rows in texts for text in rows)
    finally:
        engine.dispose()
    assert "AddOrder" in dump
    assert "ordertype" in dump
    for secret in secrets:
        assert secret not in dump
    assert not any(secret in p.read_text() for p in tmp_path.rglob("*.jsonl") for secret in secrets)

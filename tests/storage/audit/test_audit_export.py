"""Audit export to CSV and JSON (seed 000, Task 2.9.2), streaming."""

from __future__ import annotations

import csv
import io
import json
from uuid import UUID

from sqlalchemy.engine import Connection, Engine

from ingot_storage.audit.export import export_audit_csv, export_audit_json
from ingot_storage.audit.log import append_audit
from tests.storage.audit.support import T0, append_events


def add_two(conn: Connection) -> None:
    append_audit(conn, "order_filled", "engine", UUID(int=7), {"qty": "0.001", "b": [1]}, T0)
    append_audit(conn, "startup", "engine", None, {}, T0)


def test_export_audit_csv_headers(conn: Connection) -> None:
    out = io.StringIO()
    export_audit_csv(conn, out)
    assert out.getvalue().splitlines()[0] == "timestamp,event_type,actor,entity_id,payload"


def test_export_audit_csv_row_format(conn: Connection) -> None:
    add_two(conn)
    out = io.StringIO()
    assert export_audit_csv(conn, out) == 2
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1] == [
        "2026-02-28T14:30:01.123456+00:00",
        "order_filled",
        "engine",
        str(UUID(int=7)),
        '{"b":[1],"qty":"0.001"}',
    ]
    assert rows[2][3] == ""  # no entity


def test_export_audit_csv_empty_db(conn: Connection) -> None:
    out = io.StringIO()
    assert export_audit_csv(conn, out) == 0
    assert out.getvalue() == "timestamp,event_type,actor,entity_id,payload\n"


def test_export_audit_json_valid_json(conn: Connection) -> None:
    add_two(conn)
    out = io.StringIO()
    assert export_audit_json(conn, out) == 2
    data = json.loads(out.getvalue())
    assert [d["seq"] for d in data] == [1, 2]
    assert data[1]["entity_id"] is None


def test_export_audit_json_preserves_payload(conn: Connection) -> None:
    add_two(conn)
    out = io.StringIO()
    export_audit_json(conn, out)
    assert json.loads(out.getvalue())[0]["payload"] == {"b": [1], "qty": "0.001"}
    assert '"payload": {"b":[1],"qty":"0.001"}' in out.getvalue()  # the hashed text, as is


def test_export_audit_json_empty_db_returns_empty_array(conn: Connection) -> None:
    out = io.StringIO()
    assert export_audit_json(conn, out) == 0
    assert json.loads(out.getvalue()) == []


def test_export_since_filters_oldest_first(engine: Engine) -> None:
    append_events(engine, 120, batch=50)  # batches at T0, T0+50 s, T0+100 s
    out = io.StringIO()
    with engine.connect() as conn:
        since = T0.replace(second=T0.second + 50)
        assert export_audit_json(conn, out, since) == 70
    assert [d["seq"] for d in json.loads(out.getvalue())][:2] == [51, 52]

"""Appending to and querying the audit log (seed 000, Tasks 2.5.2-2.5.3), append-only."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from uuid import UUID

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ingot_core.audit import ZERO_HASH, CanonicalJsonError, leaf_hash, to_micros
from ingot_storage import StorageError, persist_ledger
from ingot_storage.audit.log import append_audit, audit_head, query_audit
from ingot_storage.errors import db_errors
from tests.builders import trading_ledger
from tests.storage.audit.support import T0, append_events


def test_append_audit_first_entry_uses_zero_seed(conn: Connection) -> None:
    entry = append_audit(conn, "account_created", "engine", UUID(int=1), {"a": 1}, T0)
    expected_leaf = leaf_hash(1, to_micros(T0), "account_created", "engine",
                              UUID(int=1).bytes, b'{"a":1}')  # fmt: skip
    assert entry.seq == 1
    assert entry.leaf_hash == expected_leaf
    assert entry.chain_hash == hashlib.sha256(b"\x02" + ZERO_HASH + expected_leaf).digest()


def test_append_audit_chain_hash_depends_on_previous(conn: Connection) -> None:
    first = append_audit(conn, "x", "engine", None, {"a": 1}, T0)
    second = append_audit(conn, "x", "engine", None, {"a": 1}, T0)
    assert second.leaf_hash != first.leaf_hash  # seq is hashed
    assert (
        second.chain_hash == hashlib.sha256(b"\x02" + first.chain_hash + second.leaf_hash).digest()
    )
    assert audit_head(conn).size == 2


def test_append_audit_all_fields_persisted(conn: Connection) -> None:
    entity = UUID("e5f6a7b8-0000-4000-8000-000000000001")
    entry = append_audit(conn, "order_filled", "manual", entity, {"price": "67432.50"}, T0)
    row = conn.execute(sa.text("SELECT * FROM audit_log")).one()
    assert row.seq == 1
    assert row.timestamp == T0
    assert (row.event_type, row.actor, row.entity_id) == ("order_filled", "manual", entity)
    assert row.payload_text == '{"price":"67432.50"}'
    assert row.payload == {"price": "67432.50"}  # the JSONB column, derived for queries
    assert (bytes(row.leaf_hash), bytes(row.chain_hash)) == (entry.leaf_hash, entry.chain_hash)


def test_append_audit_entity_id_nullable(conn: Connection) -> None:
    append_audit(conn, "startup", "engine", None, {}, T0)
    assert conn.execute(sa.text("SELECT entity_id FROM audit_log")).scalar() is None


def test_payload_without_canonical_form_writes_nothing(conn: Connection) -> None:
    with pytest.raises(CanonicalJsonError, match="float"):
        append_audit(conn, "x", "engine", None, {"price": 1.5}, T0)
    assert audit_head(conn).size == 0


def test_jsonb_column_is_queryable(conn: Connection) -> None:
    append_audit(conn, "order_filled", "engine", None, {"symbol": "BTC-USD", "qty": "1"}, T0)
    append_audit(conn, "order_filled", "engine", None, {"symbol": "ETH-USD", "qty": "2"}, T0)
    found = conn.execute(
        sa.text("SELECT payload->>'qty' FROM audit_log WHERE payload->>'symbol' = 'ETH-USD'")
    ).scalar()
    assert found == "2"


@pytest.fixture
def populated(conn: Connection) -> Connection:
    for n in range(6):
        kind = "order_placed" if n % 2 == 0 else "order_filled"
        append_audit(conn, kind, "engine", None, {"n": n}, T0 + timedelta(minutes=n))
    return conn


def test_query_audit_no_filters_returns_all(populated: Connection) -> None:
    assert [e.seq for e in query_audit(populated)] == [6, 5, 4, 3, 2, 1]


def test_query_audit_filter_by_event_type(populated: Connection) -> None:
    assert [e.seq for e in query_audit(populated, event_type="order_filled")] == [6, 4, 2]


def test_query_audit_filter_by_since(populated: Connection) -> None:
    assert [e.seq for e in query_audit(populated, since=T0 + timedelta(minutes=4))] == [6, 5]


def test_query_audit_respects_limit(populated: Connection) -> None:
    assert [e.seq for e in query_audit(populated, limit=2)] == [6, 5]


def test_query_audit_combined_filters(populated: Connection) -> None:
    found = query_audit(populated, "order_placed", T0 + timedelta(minutes=1), limit=1)
    assert [e.seq for e in found] == [5]


def test_query_audit_empty_db_returns_empty(conn: Connection) -> None:
    assert query_audit(conn) == []


def test_query_audit_default_limit_is_50(engine: Engine) -> None:
    append_events(engine, 60)
    with engine.connect() as conn:
        assert len(query_audit(conn)) == 50


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'mallory'",
        "DELETE FROM audit_log WHERE seq = 1",
        "TRUNCATE audit_log",
        "UPDATE audit_checkpoint SET size = 99",
        "DELETE FROM audit_checkpoint",
        "TRUNCATE audit_checkpoint",
    ],
)
@pytest.mark.parametrize("replica", [False, True])
def test_audit_tables_refuse_changes_even_as_replica(
    engine: Engine, statement: str, replica: bool
) -> None:
    append_events(engine, 3)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO audit_checkpoint VALUES (1, '\\x00', '\\x00', now(), 'k', '\\x00', "
            "'\\x00', '\\x00')"
        )
    with engine.begin() as conn:
        if replica:
            conn.exec_driver_sql("SET session_replication_role = replica")
        role = conn.exec_driver_sql("SHOW session_replication_role").scalar()
        assert role == ("replica" if replica else "origin")
        # The application's own connection, through Ingot's error translation.
        with pytest.raises(StorageError, match="append-only"), db_errors():
            conn.exec_driver_sql(statement)
    with engine.connect() as conn:
        assert audit_head(conn).size == 3


def test_data_rows_roll_back_when_their_audit_insert_fails(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit insert broken on purpose'; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER break_audit BEFORE INSERT ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION fail_audit()"
        )
    with pytest.raises(StorageError, match="broken on purpose"), engine.begin() as conn:
        persist_ledger(conn, trading_ledger())
    with engine.connect() as conn:
        counts = conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM transactions), "
                "(SELECT count(*) FROM entries), (SELECT count(*) FROM audit_log)"
            )
        ).one()
    assert tuple(counts) == (0, 0, 0, 0)


def test_persist_ledger_audits_each_new_row_once(engine: Engine) -> None:
    ledger = trading_ledger()
    with engine.begin() as conn:
        written = persist_ledger(conn, ledger)
    with engine.begin() as conn:
        again = persist_ledger(conn, ledger)
    assert again == []
    kinds = [e.event_type for e in written]
    assert kinds.count("account_created") == len(ledger.accounts)
    assert kinds.count("transaction_posted") == ledger.transaction_count
    posted = next(e for e in written if e.event_type == "transaction_posted")
    payload = json.loads(posted.payload_text)
    assert payload["entries"][0]["amount"] == "100000.00"  # exact, as a string

"""`ingot db stats`: rows exactly (or an estimate, marked), sizes, partitions and time spans per
table; the database, server, pool, spill files and QuestDB."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ingot_storage.db import stats as stats_module
from ingot_storage.db.database import create_db_engine


def test_db_stats_counts_rows_sizes_and_spans(invoke, database_url: URL) -> None:  # type: ignore[no-untyped-def]
    assert invoke("mark", "BTC-USD", "60000").exit_code == 0
    assert invoke("buy", "BTC-USD", "0.01").exit_code == 0
    done = invoke("db", "stats", "--json")
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout)
    tables = {t["name"]: t for t in shown["tables"]}
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            for name in ("audit_log", "order_history", "entries", "tradelog", "ticks"):
                count = conn.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
                assert (tables[name]["rows"], tables[name]["estimated"]) == (count, False), name
            size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
    finally:
        engine.dispose()
    assert tables["tradelog"]["partitions"] >= 1
    assert tables["tradelog"]["total_bytes"] > 0
    assert tables["audit_log"]["recorded"][0] is not None
    assert tables["ticks"]["market"][0] is not None
    assert abs(shown["database_bytes"] - size) < size // 2
    assert shown["pool_size"] >= 1
    assert shown["questdb"] is None
    assert shown["server_version"][0].isdigit()
    table = invoke("db", "stats")
    assert "QuestDB" in table.stdout
    assert "not configured" in table.stdout


def test_big_tables_are_estimated_and_marked(invoke, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert invoke("mark", "BTC-USD", "60000").exit_code == 0
    monkeypatch.setattr(stats_module, "ESTIMATE_ABOVE", -1)
    table = invoke("db", "stats")
    assert table.exit_code == 0, table.output
    assert "~" in table.stdout
    assert "PostgreSQL's estimate" in table.stdout


def test_an_unreachable_questdb_is_reported(invoke) -> None:  # type: ignore[no-untyped-def]
    env = {
        "QUESTDB_ILP_ADDR": "127.0.0.1:1",
        "QUESTDB_PG_URL": "postgresql://admin:quest@127.0.0.1:1/qdb",
    }
    done = invoke("db", "stats", "--json", env=env)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["questdb"]["reachable"] is False

"""The Alembic migrations build exactly the tables on the MetaData, and run both ways."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from ingot_storage import SchemaError
from ingot_storage.db import migrations
from ingot_storage.db.database import create_db_engine
from ingot_storage.db.tables import metadata

ROOT = Path(__file__).resolve().parents[3]


def reflect(url: URL) -> dict[str, Any]:
    """Everything PostgreSQL says about Ingot's tables, in comparable form."""
    engine = create_db_engine(url, pool_size=1)
    try:
        inspector = sa.inspect(engine)
        schema: dict[str, Any] = {}
        for table in sorted(t for t in inspector.get_table_names() if t != "alembic_version"):
            columns = [
                (
                    c["name"],
                    str(c["type"]),
                    c["nullable"],
                    c.get("default"),
                    bool(c.get("identity")),
                    (c.get("computed") or {}).get("sqltext"),
                )
                for c in inspector.get_columns(table)
            ]
            schema[table] = {
                "columns": columns,
                "pk": inspector.get_pk_constraint(table),
                "fks": sorted(
                    (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"])
                    for fk in inspector.get_foreign_keys(table)
                ),
                "uniques": sorted(
                    (u["name"], tuple(u["column_names"]))
                    for u in inspector.get_unique_constraints(table)
                ),
                "checks": sorted(
                    (c["name"], c["sqltext"]) for c in inspector.get_check_constraints(table)
                ),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), i["unique"])
                    for i in inspector.get_indexes(table)
                ),
            }
        with engine.connect() as conn:
            triggers = conn.execute(
                sa.text(
                    "SELECT c.relname, t.tgname, t.tgenabled, t.tgtype, p.proname "
                    "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal ORDER BY 1, 2"
                )
            ).all()
        for table, name, enabled, kind, function in triggers:
            schema[table].setdefault("triggers", []).append((name, enabled, kind, function))
        return schema
    finally:
        engine.dispose()


def test_migrations_build_exactly_the_metadata(database_factory, empty_database_url) -> None:
    migrated_url = database_factory.create(migrated=False)
    try:
        engine = create_db_engine(migrated_url, pool_size=1)
        migrations.upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(context, metadata) == []
        engine.dispose()
        from_metadata = create_db_engine(empty_database_url, pool_size=1)
        metadata.create_all(from_metadata)
        from_metadata.dispose()
        migrated, declared = reflect(migrated_url), reflect(empty_database_url)
        assert set(migrated) == {t.name for t in metadata.sorted_tables}
        assert migrated == declared
    finally:
        database_factory.drop(migrated_url)


def test_upgrade_downgrade_upgrade(empty_database_url) -> None:
    engine = create_db_engine(empty_database_url, pool_size=1)
    try:
        assert migrations.upgrade(engine) == migrations.SCHEMA_HEAD
        first = reflect(empty_database_url)
        assert migrations.downgrade(engine, "base") is None
        assert reflect(empty_database_url) == {}
        assert migrations.upgrade(engine) == migrations.SCHEMA_HEAD
        assert reflect(empty_database_url) == first
    finally:
        engine.dispose()


def test_schema_head_constant_matches_the_scripts() -> None:
    scripts = ScriptDirectory(str(migrations.script_location()))
    assert scripts.get_heads() == [migrations.SCHEMA_HEAD]


def test_ensure_head_upgrades_an_empty_database(empty_database_url) -> None:
    engine = create_db_engine(empty_database_url, pool_size=1)
    try:
        migrations.ensure_head(engine)
        with engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.SCHEMA_HEAD
    finally:
        engine.dispose()


def test_database_newer_than_this_ingot_is_refused(engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match="newer than this Ingot"):
        migrations.ensure_head(engine)


def test_unknown_target_revision_is_a_schema_error(engine) -> None:
    with pytest.raises(SchemaError, match="cannot upgrade"):
        migrations.upgrade(engine, "nonexistent")


def test_alembic_command_line_upgrades_the_configured_database(empty_database_url) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database_url.render_as_string(hide_password=False)}
    alembic = Path(sys.executable).with_name("alembic")
    done = subprocess.run(
        [str(alembic), "upgrade", "head"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    engine = create_db_engine(empty_database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.SCHEMA_HEAD
    finally:
        engine.dispose()


def test_audit_tables_are_append_only_with_always_enabled_triggers(database_url) -> None:
    schema = reflect(database_url)
    for table in ("audit_log", "audit_checkpoint"):
        triggers = schema[table]["triggers"]
        assert {name for name, *_ in triggers} == {
            f"{table}_refuse_update_delete",
            f"{table}_refuse_truncate",
        }
        assert {enabled for _, enabled, *_ in triggers} == {"A"}  # ENABLE ALWAYS


def test_0005_gives_stored_orders_the_books_sequence_from_the_audit_log(
    empty_database_url,
) -> None:
    """A book written by 0004 with a replay's fill dated before the fill it followed (the
    state that could not be opened) opens after the upgrade, its fills in the book's order."""
    from datetime import UTC, datetime

    from ingot_storage.audit.log import append_audit
    from ingot_storage.trading.orders import load_trading_state

    engine = create_db_engine(empty_database_url, pool_size=1)
    now, old = datetime(2026, 11, 30, tzinfo=UTC), datetime(2023, 11, 14, tzinfo=UTC)
    fills = [("buy-1", "Buy", "1", now), ("replay-1", "Sell", "0.5", old)]
    try:
        migrations.upgrade(engine, "0004")
        with engine.begin() as conn:
            for client_id, side, qty, at in fills:
                row = {"client_id": client_id, "symbol": "BTC-USD", "side": side,
                       "order_type": "Market", "quantity": qty, "status": "Filled",
                       "submitted_at": at, "event_at": at, "filled_at": at,
                       "fill_price": "100.00", "fill_quantity": qty, "cost": "50.00",
                       "fee": "0.00"}  # fmt: skip
                conn.execute(sa.text(
                    "INSERT INTO order_history (client_id, symbol, side, order_type, quantity,"
                    " status, submitted_at, event_at, filled_at, fill_price, fill_quantity,"
                    " cost, fee) VALUES (:client_id, :symbol, :side, :order_type, :quantity,"
                    " :status, :submitted_at, :event_at, :filled_at, :fill_price,"
                    " :fill_quantity, :cost, :fee)"), row)  # fmt: skip
                payload = {k: str(v) if k != "quantity" else v for k, v in row.items()}
                append_audit(conn, "order_filled", "engine", None, payload, now)
        assert migrations.upgrade(engine) == migrations.SCHEMA_HEAD
        with engine.connect() as conn:
            seqs = dict(conn.execute(sa.text("SELECT client_id, seq FROM order_history")).all())
            (position,) = load_trading_state(conn).positions
        assert seqs == {"buy-1": 1, "replay-1": 2}
        assert position.quantity == Decimal("0.5")
    finally:
        engine.dispose()


def test_0014_moves_stored_ticks_into_a_partition_a_day(empty_database_url) -> None:
    engine = create_db_engine(empty_database_url, pool_size=1)
    rows = [("BTC-USD", "2024-01-01T23:59:59.999999+00:00", "1.5", 1),
            ("BTC-USD", "2024-01-02T00:00:00+00:00", "2", 2),
            ("ETH-USD", "2024-03-05T12:00:00+00:00", "3.25", 0)]  # fmt: skip
    try:
        migrations.upgrade(engine, "0013")
        with engine.begin() as conn:
            for symbol, ts, price, seq in rows:
                conn.execute(sa.text("INSERT INTO ticks (symbol, ts, price, seq) VALUES "
                                     "(:s, :t, :p, :q)"), {"s": symbol, "t": ts, "p": price,
                                                           "q": seq})  # fmt: skip
        assert migrations.upgrade(engine) == migrations.SCHEMA_HEAD
        with engine.connect() as conn:
            parts = conn.execute(sa.text(
                "SELECT c.relname, count(t.*) FROM pg_inherits i JOIN pg_class c ON "
                "c.oid = i.inhrelid LEFT JOIN ticks t ON t.tableoid = c.oid WHERE i.inhparent "
                "= 'ticks'::regclass GROUP BY 1 ORDER BY 1")).all()  # fmt: skip
            stored = conn.execute(sa.text("SELECT symbol, price, seq FROM ticks ORDER BY ts")).all()
        assert [tuple(p) for p in parts] == [("ticks_p20240101", 1), ("ticks_p20240102", 1),
                                             ("ticks_p20240305", 1)]  # fmt: skip
        assert [(s, str(p), q) for s, p, q in stored] == [(r[0], r[2], r[3]) for r in rows]
        migrations.downgrade(engine, "0013")
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM ticks")).scalar() == 3
    finally:
        engine.dispose()

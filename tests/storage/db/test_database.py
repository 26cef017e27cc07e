"""Opening PostgreSQL: embedded by default, external with DATABASE_URL; the book on top."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from ingot_core.accounting import post_order_fill
from ingot_core.execution import OrderSide
from ingot_storage import (
    DatabaseUnavailable,
    StorageConfig,
    database_status,
    load_accounts,
    open_book,
    open_database,
    persist_ledger,
    save_account,
    save_accounts,
    save_transactions,
)
from ingot_storage.audit.log import iter_audit
from ingot_storage.audit.trail import AuditTrail
from ingot_storage.db import migrations
from ingot_storage.db.tables import metadata
from tests.builders import USD, account, fill, trading_ledger

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def external(url: URL, **extra: str) -> StorageConfig:
    return StorageConfig.from_env({"DATABASE_URL": url.render_as_string(False), **extra})


def test_storage_service_connect_runs_migrations(empty_database_url: URL) -> None:
    database = open_database(external(empty_database_url))
    try:
        with database.connect() as conn:
            assert migrations.current_revision(conn) == migrations.SCHEMA_HEAD
        assert database.kind == "external"
    finally:
        database.close()


def test_storage_service_save_and_load_account_round_trip(database_url: URL) -> None:
    database = open_database(external(database_url))
    saved = account("Assets:Cash:EUR")
    try:
        with database.begin() as conn:
            save_account(conn, saved)
        with database.connect() as conn:
            assert load_accounts(conn) == [saved]
    finally:
        database.close()


def test_open_book_bootstraps_a_fresh_database_once(database_url: URL) -> None:
    config = external(database_url, INGOT_OPENING_CAPITAL="2500.00", INGOT_BASE_CURRENCY="EUR")
    database = open_database(config)
    try:
        first = open_book(database, config, NOW)
        second = open_book(database, config, NOW)
    finally:
        database.close()
    assert (first.bootstrapped, second.bootstrapped) == (True, False)
    assert second.base_currency.code == "EUR"
    assert second.ledger.accounts == first.ledger.accounts
    assert second.ledger.nav(second.base_currency, {}) == Decimal("2500.00")


def test_open_book_recovers_fills_written_earlier(database_url: URL) -> None:
    config = external(database_url)
    database = open_database(config)
    try:
        book = open_book(database, config, NOW)
        post_order_fill(book.ledger, fill(OrderSide.BUY, "0.1", "50000", fee="5.00"))
        with database.begin() as conn:
            persist_ledger(conn, book.ledger)
        marks = {"BTC": Decimal("51000")}
        reopened = open_book(database, config, NOW)
        assert reopened.ledger.nav(USD, marks) == book.ledger.nav(USD, marks)
        assert reopened.ledger.nav(USD, marks) == Decimal("100095.00")
    finally:
        database.close()


def test_status_reports_external_server_and_row_counts(database_url: URL) -> None:
    config = external(database_url)
    database = open_database(config)
    try:
        open_book(database, config, NOW)
        status = database_status(database)
    finally:
        database.close()
    assert status.kind == "external"
    assert status.up_to_date
    assert int(status.server_version.split(".")[0]) >= 15
    assert status.row_counts == {
        **{table.name: 0 for table in metadata.sorted_tables},
        "accounts": 4,
        "transactions": 1,
        "entries": 2,
        "audit_log": 6,  # the book opened, 4 accounts created, 1 opening transaction
        "books": 1,  # main
    }


def test_unreachable_server_is_database_unavailable_without_password() -> None:
    # A closed port on loopback: refused at once.
    url = "postgresql://app:s3cr3t-pw@127.0.0.1:9/ingot"
    with pytest.raises(DatabaseUnavailable) as caught:
        open_database(StorageConfig.from_env({"DATABASE_URL": url}))
    assert "s3cr3t-pw" not in str(caught.value)


def test_embedded_server_keeps_data_across_opens(tmp_path: Path) -> None:
    config = StorageConfig.from_env(
        {"INGOT_DATA_DIR": str(tmp_path / "data"), "INGOT_SERVER_IDLE_SECONDS": "0"}
    )
    first = open_database(config)
    try:
        assert first.kind == "embedded"
        book = open_book(first, config, NOW)
        status = database_status(first)
        assert status.data_dir is not None
        assert status.data_dir.startswith(str(tmp_path))
    finally:
        first.close()
    assert not (tmp_path / "data" / "pgdata" / "postmaster.pid").exists()  # stopped cleanly
    second = open_database(config)
    try:
        again = open_book(second, config, NOW)
        with second.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar() == "ingot"
    finally:
        second.close()
    assert again.bootstrapped is False
    assert again.ledger.accounts == book.ledger.accounts


def test_ledger_written_before_the_audit_trail_is_adopted_once(
    empty_database_url: URL, tmp_path: Path
) -> None:
    config = external(empty_database_url, INGOT_DATA_DIR=str(tmp_path / "data"))
    database = open_database(config, upgrade=False)
    try:
        migrations.upgrade(database.engine, "0001")  # the schema before the audit trail
        ledger = trading_ledger()
        with database.begin() as conn:
            save_accounts(conn, ledger.accounts)
            save_transactions(conn, ledger.transactions)
        migrations.upgrade(database.engine)
        open_book(database, config, NOW)
        open_book(database, config, NOW)  # a second open adopts nothing more
        with database.connect() as conn:
            entries = list(iter_audit(conn))
        report = AuditTrail(database, config).verify()
    finally:
        database.close()
    assert len(entries) == len(ledger.accounts) + ledger.transaction_count
    assert {e.actor for e in entries} == {"migration"}
    assert report.failure is None

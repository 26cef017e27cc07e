"""Configuration from the environment (seed 000, Task 2.1.2, with an optional DATABASE_URL)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ingot_core.accounting import Currency
from ingot_storage.config import StorageConfig
from ingot_storage.errors import ConfigError


def test_storage_config_from_env_all_set(tmp_path: Path) -> None:
    config = StorageConfig.from_env(
        {
            "DATABASE_URL": "postgres://ingot_app:ingot_dev@db.example:6543/ingot",
            "QUESTDB_ILP_ADDR": "quest.example:9019",
            "PG_POOL_SIZE": "9",
            "STORAGE_BATCH_SIZE": "500",
            "STORAGE_FLUSH_INTERVAL_MS": "250",
            "STORAGE_GROUP_COMMIT_MAX": "4000",
            "INGOT_LOCK_WAIT_MS": "0",
            "INGOT_DATA_DIR": str(tmp_path),
            "INGOT_BASE_CURRENCY": "eur",
            "INGOT_OPENING_CAPITAL": "2500.50",
        }
    )
    assert config.database_url is not None
    assert config.database_url.drivername == "postgresql+psycopg"
    assert (config.database_url.host, config.database_url.port) == ("db.example", 6543)
    assert config.database_url.database == "ingot"
    assert config.questdb_ilp_addr == ("quest.example", 9019)
    assert (config.pg_pool_size, config.batch_size, config.flush_interval_ms) == (9, 500, 250)
    assert (config.group_commit_max, config.lock_wait_ms) == (4000, 0)
    assert config.data_dir == tmp_path.resolve()
    assert config.base_currency == Currency("EUR", 2)
    assert config.opening_capital == Decimal("2500.50")


def test_storage_config_from_env_defaults() -> None:
    config = StorageConfig.from_env({})
    assert config.database_url is None  # the embedded server
    assert config.questdb_ilp_addr is None
    assert (config.pg_pool_size, config.batch_size, config.flush_interval_ms) == (5, 50, 100)
    assert (config.group_commit_max, config.lock_wait_ms) == (1000, 5000)
    assert config.data_dir.name == "ingot"
    assert config.base_currency.code == "USD"
    assert config.opening_capital == Decimal("100000.00")


def test_storage_config_from_env_missing_database_url_selects_embedded() -> None:
    # Seed 000 makes DATABASE_URL required; Ingot falls back to its embedded server instead.
    assert StorageConfig.from_env({"PG_POOL_SIZE": "3"}).database_url is None


def test_storage_config_pg_pool_size_parse_error() -> None:
    with pytest.raises(ConfigError, match="PG_POOL_SIZE: 'five' is not a whole number"):
        StorageConfig.from_env({"PG_POOL_SIZE": "five"})


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PG_POOL_SIZE", "0", "out of range 1-100"),
        ("STORAGE_BATCH_SIZE", "-3", "out of range"),
        ("STORAGE_FLUSH_INTERVAL_MS", "1.5", "not a whole number"),
        ("STORAGE_GROUP_COMMIT_MAX", "0", "out of range 1-100000"),
        ("INGOT_LOCK_WAIT_MS", "-1", "out of range 0-600000"),
        ("QUESTDB_ILP_ADDR", "localhost", "must be HOST:PORT"),
        ("QUESTDB_ILP_ADDR", "localhost:http", "is not a whole number"),
        ("QUESTDB_ILP_ADDR", "localhost:70000", "out of range"),
        ("INGOT_BASE_CURRENCY", "U$", "currency code"),
        ("INGOT_OPENING_CAPITAL", "lots", "not a number"),
        ("INGOT_OPENING_CAPITAL", "-1", "must not be negative"),
        ("INGOT_OPENING_CAPITAL", "10.001", "more decimals than USD allows"),
        ("DATABASE_URL", "", "is empty"),
        ("DATABASE_URL", "mysql://u:p@h/db", "is not PostgreSQL"),
        ("DATABASE_URL", "postgresql://u:p@h:5432", "names no database"),
        ("DATABASE_URL", "not a url", "is not a URL"),
    ],
)
def test_malformed_value_names_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        StorageConfig.from_env({variable: value})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert message in str(caught.value)


def test_password_never_appears_in_messages_or_repr() -> None:
    secret = "hunter2-do-not-print"
    bad_port = f"postgresql://app:{secret}@host:notaport/ingot"
    with pytest.raises(ConfigError) as caught:
        StorageConfig.from_env({"DATABASE_URL": bad_port})
    assert secret not in str(caught.value)
    config = StorageConfig.from_env({"DATABASE_URL": f"postgresql://app:{secret}@host/ingot"})
    assert secret not in repr(config)
    assert secret not in (config.redacted_database_url or "")
    assert "***" in (config.redacted_database_url or "")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("QUESTDB_PG_URL", "mysql://admin:{secret}@questdb:8812/qdb"),
        ("INGOT_KRAKEN_URL", "ftp://user:{secret}@kraken.example"),
        ("DATABASE_URL", "postgresql://app:pa@{secret}@db.example/ingot"),
        ("DATABASE_URL", "postgresql://app:{secret}@@db.example/ingot"),
    ],
)
def test_no_message_shows_a_password(variable: str, value: str) -> None:
    secret = "hunter2-do-not-print"
    with pytest.raises(ConfigError) as caught:
        StorageConfig.from_env({variable: value.format(secret=secret)})
    assert "hunter2" not in str(caught.value)
    assert "do-not-print" not in str(caught.value)


def test_an_at_sign_in_the_password_asks_for_percent_encoding() -> None:
    with pytest.raises(ConfigError, match="write it as %40"):
        StorageConfig.from_env({"DATABASE_URL": "postgresql://app:p@ss@db.example/ingot"})
    encoded = StorageConfig.from_env({"DATABASE_URL": "postgresql://app:p%40ss@db.example/ingot"})
    assert encoded.database_url is not None
    assert encoded.database_url.password == "p@ss"
    assert encoded.database_url.host == "db.example"


def test_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(ConfigError, match="INGOT_DATA_DIR"):
        StorageConfig.from_env({"INGOT_DATA_DIR": str(file)})


def test_an_empty_environment_gives_the_declared_defaults_field_by_field() -> None:
    import dataclasses

    declared, read = StorageConfig(), StorageConfig.from_env({})
    differing = [
        f.name
        for f in dataclasses.fields(declared)
        if getattr(declared, f.name) != getattr(read, f.name)
    ]
    assert differing == []

"""CLI fixtures: an environment pointing Ingot at the test's database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from ingot_cli.main import app

Invoke = Callable[..., object]

# Variables a developer's shell might carry that would point the CLI elsewhere.
_CLEARED = (
    "DATABASE_URL",
    "QUESTDB_ILP_ADDR",
    "QUESTDB_PG_URL",
    "INGOT_KRAKEN_URL",
    "PG_POOL_SIZE",
    "STORAGE_BATCH_SIZE",
    "STORAGE_FLUSH_INTERVAL_MS",
    "STORAGE_GROUP_COMMIT_MAX",
    "INGOT_LOCK_WAIT_MS",
    "INGOT_BASE_CURRENCY",
    "INGOT_OPENING_CAPITAL",
    "INGOT_BOOKING",
    "TZ",
)


@pytest.fixture
def cli_env(database_url: URL, tmp_path: Path) -> dict[str, str]:
    """Environment for one CLI run against the test's migrated database."""
    return {
        "DATABASE_URL": database_url.render_as_string(hide_password=False),
        "INGOT_DATA_DIR": str(tmp_path / "data"),
    }


@pytest.fixture
def invoke(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    """Run `ingot ARGS...` in process through Typer's CliRunner."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
        return runner.invoke(app, list(args), env={**cli_env, **(env or {})}, input=input)

    return run

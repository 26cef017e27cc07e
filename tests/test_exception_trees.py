"""Every exception class Ingot defines is drawn in its package's exception tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TREES = {
    "ingot_core": ROOT / "ingot_core" / "errors.py",
    "ingot_storage": ROOT / "ingot_storage" / "errors.py",
    "ingot_cli": ROOT / "ingot_cli" / "errors.py",
}


def exception_classes(package: str) -> set[str]:
    """Classes in `package` that derive (through Ingot's own classes) from Exception."""
    bases: dict[str, list[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [ast.unparse(b).split(".")[-1] for b in node.bases]
    known = {"Exception", "IngotError", "ValidationError", "StorageError", "SourceUnavailable"}
    found: set[str] = set()
    grew = True
    while grew:
        grew = False
        for name, parents in bases.items():
            if name not in found and any(p in known | found for p in parents):
                found.add(name)
                grew = True
    return {name for name in found if not name.startswith("_")}


@pytest.mark.parametrize("package", sorted(TREES))
def test_every_exception_is_in_the_tree(package: str) -> None:
    tree = ast.get_docstring(ast.parse(TREES[package].read_text())) or ""
    missing = sorted(name for name in exception_classes(package) if name not in tree)
    assert missing == []


def test_the_search_finds_what_it_should() -> None:
    assert {"BookTaken", "KrakenRejected", "ConflictingBars"} <= exception_classes("ingot_storage")
    assert "BadInput" in exception_classes("ingot_cli")

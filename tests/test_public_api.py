"""Each package's public API is deliberate: everything in __all__ exists and is documented."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "ingot_core.accounting",
    "ingot_core.errors",
    "ingot_core.money",
    "ingot_core.execution",
    "ingot_core.symbols",
    "ingot_core.feed",
    "ingot_core.instants",
    "ingot_core.bars",
    "ingot_core.strategies",
    "ingot_storage",
    "ingot_storage.errors",
    "ingot_storage.db.migrations",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist_and_have_docstrings(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__
    for attr in module.__all__:
        value = getattr(module, attr)
        if callable(value):
            assert value.__doc__, f"{name}.{attr} has no docstring"


def test_storage_public_api_is_stable() -> None:
    import ingot_storage

    assert set(ingot_storage.__all__) >= {
        "open_database",
        "open_book",
        "recover_ledger",
        "save_account",
        "load_accounts",
        "save_transaction",
        "load_transactions",
        "StorageConfig",
        "StorageError",
    }

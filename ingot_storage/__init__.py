"""Ingot's persistence: PostgreSQL through SQLAlchemy Core, Alembic migrations, the embedded server.

Repositories take a `Connection`; the caller owns the database transaction. Driver errors
leave this package only as `ingot_storage.errors` exceptions.

Names resolve on first use (PEP 562), so importing `ingot_storage.errors` (as `ingot --help`
does) loads neither SQLAlchemy nor psycopg.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingot_storage.accounts import load_accounts, save_account, save_accounts
    from ingot_storage.book import Book, open_book, persist_ledger
    from ingot_storage.config import StorageConfig
    from ingot_storage.database import Database, open_database
    from ingot_storage.errors import (
        ConfigError,
        CorruptLedger,
        DatabaseUnavailable,
        IntegrityViolation,
        SchemaError,
        StorageError,
    )
    from ingot_storage.recovery import recover_ledger
    from ingot_storage.status import DatabaseStatus, database_status
    from ingot_storage.transactions import (
        load_transactions,
        save_transaction,
        save_transactions,
    )

__all__ = [
    "Book",
    "ConfigError",
    "CorruptLedger",
    "Database",
    "DatabaseStatus",
    "DatabaseUnavailable",
    "IntegrityViolation",
    "SchemaError",
    "StorageConfig",
    "StorageError",
    "database_status",
    "load_accounts",
    "load_transactions",
    "open_book",
    "open_database",
    "persist_ledger",
    "recover_ledger",
    "save_account",
    "save_accounts",
    "save_transaction",
    "save_transactions",
]

_HOMES = {
    "Book": "book", "open_book": "book", "persist_ledger": "book",
    "StorageConfig": "config", "Database": "database", "open_database": "database",
    "ConfigError": "errors", "CorruptLedger": "errors", "DatabaseUnavailable": "errors",
    "IntegrityViolation": "errors", "SchemaError": "errors", "StorageError": "errors",
    "recover_ledger": "recovery", "DatabaseStatus": "status", "database_status": "status",
    "load_accounts": "accounts", "save_account": "accounts", "save_accounts": "accounts",
    "load_transactions": "transactions", "save_transaction": "transactions",
    "save_transactions": "transactions",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'ingot_storage' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ingot_storage.{home}"), name)

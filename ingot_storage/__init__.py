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
    from ingot_storage.config import StorageConfig
    from ingot_storage.db.database import Database, open_database
    from ingot_storage.db.status import DatabaseStatus, database_status
    from ingot_storage.errors import (
        ConfigError,
        CorruptLedger,
        DatabaseUnavailable,
        IntegrityViolation,
        SchemaError,
        StorageError,
    )
    from ingot_storage.ledger.accounts import load_accounts, save_account, save_accounts
    from ingot_storage.ledger.book import Book, open_book, persist_ledger
    from ingot_storage.ledger.recovery import recover_ledger
    from ingot_storage.ledger.transactions import (
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
    "Book": "ledger.book", "open_book": "ledger.book", "persist_ledger": "ledger.book",
    "StorageConfig": "config", "Database": "db.database", "open_database": "db.database",
    "ConfigError": "errors", "CorruptLedger": "errors", "DatabaseUnavailable": "errors",
    "IntegrityViolation": "errors", "SchemaError": "errors", "StorageError": "errors",
    "recover_ledger": "ledger.recovery", "DatabaseStatus": "db.status",
    "database_status": "db.status", "load_accounts": "ledger.accounts",
    "save_account": "ledger.accounts", "save_accounts": "ledger.accounts",
    "load_transactions": "ledger.transactions", "save_transaction": "ledger.transactions",
    "save_transactions": "ledger.transactions",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'ingot_storage' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ingot_storage.{home}"), name)

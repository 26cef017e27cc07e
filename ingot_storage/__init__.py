"""Ingot's persistence: PostgreSQL through SQLAlchemy Core, Alembic migrations, the embedded server.

Repositories take a `Connection`; the caller owns the database transaction. Driver errors
leave this package only as `ingot_storage.errors` exceptions.
"""

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

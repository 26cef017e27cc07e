"""Every table Ingot keeps in PostgreSQL, on one MetaData.

Alembic's env.py targets `metadata`; tests/storage/test_migrations.py proves the migrations
build exactly this. Money is NUMERIC (arbitrary precision, never float); time is TIMESTAMPTZ.

Beyond seed 000's columns:
- accounts.name is UNIQUE, and accounts/transactions carry an identity `seq` that breaks
  ties in their created_at / posted_at order (rows written in one database transaction share
  now()).
- entries.position numbers the legs of a transaction; (transaction_id, position) is unique,
  so replaying a write never duplicates a leg.
- CHECKs repeat the ledger's rules in the database: positive amounts, at most `decimals`
  digits after the point, known account types and sides.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["accounts", "entries", "metadata", "transactions"]

NAMING_CONVENTION = {
    "ix": "idx_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

_NOW = sa.text("now()")

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("account_type", sa.Text, nullable=False),
    sa.Column("currency_code", sa.Text, nullable=False),
    sa.Column("decimals", sa.SmallInteger, nullable=False, server_default=sa.text("2")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    sa.CheckConstraint(
        "account_type IN ('Asset', 'Liability', 'Equity', 'Revenue', 'Expense')",
        name="account_type",
    ),
    sa.CheckConstraint("decimals BETWEEN 0 AND 18", name="decimals"),
    sa.Index("idx_accounts_currency", "currency_code"),
    sa.Index("idx_accounts_type", "account_type"),
)

transactions = sa.Table(
    "transactions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True),
    sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    sa.Index("idx_transactions_posted_at", "posted_at"),
)

entries = sa.Table(
    "entries",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),  # BIGSERIAL
    sa.Column("transaction_id", sa.Uuid, sa.ForeignKey("transactions.id"), nullable=False),
    sa.Column("position", sa.SmallInteger, nullable=False),
    sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("side", sa.Text, nullable=False),
    sa.Column("amount", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("currency_code", sa.Text, nullable=False),
    sa.Column("decimals", sa.SmallInteger, nullable=False, server_default=sa.text("2")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    sa.CheckConstraint("side IN ('Debit', 'Credit')", name="side"),
    sa.CheckConstraint("amount > 0", name="amount_positive"),
    sa.CheckConstraint("scale(amount) <= decimals", name="amount_scale"),
    sa.CheckConstraint("position >= 0", name="position"),
    sa.UniqueConstraint("transaction_id", "position", name="uq_entries_transaction_position"),
    sa.Index("idx_entries_transaction", "transaction_id"),
    sa.Index("idx_entries_account", "account_id"),
)

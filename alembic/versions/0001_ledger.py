"""Ledger: accounts, transactions and entries (seed 000, Steps 2.1-2.2).

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Constraint names are written out in full; op.f() keeps the naming convention on the
# target MetaData from prefixing them a second time.
NOW = sa.text("now()")


def upgrade() -> None:
    """Create the ledger tables with their constraints and indexes."""
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("account_type", sa.Text(), nullable=False),
        sa.Column("currency_code", sa.Text(), nullable=False),
        sa.Column("decimals", sa.SmallInteger(), server_default=sa.text("2"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "account_type IN ('Asset', 'Liability', 'Equity', 'Revenue', 'Expense')",
            name=op.f("ck_accounts_account_type"),
        ),
        sa.CheckConstraint("decimals BETWEEN 0 AND 18", name=op.f("ck_accounts_decimals")),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("name", name="uq_accounts_name"),
        sa.UniqueConstraint("seq", name="uq_accounts_seq"),
    )
    op.create_index("idx_accounts_currency", "accounts", ["currency_code"])
    op.create_index("idx_accounts_type", "accounts", ["account_type"])

    op.create_table(
        "transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transactions"),
        sa.UniqueConstraint("seq", name="uq_transactions_seq"),
    )
    op.create_index("idx_transactions_posted_at", "transactions", ["posted_at"])

    op.create_table(
        "entries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("currency_code", sa.Text(), nullable=False),
        sa.Column("decimals", sa.SmallInteger(), server_default=sa.text("2"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("side IN ('Debit', 'Credit')", name=op.f("ck_entries_side")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_entries_amount_positive")),
        sa.CheckConstraint("scale(amount) <= decimals", name=op.f("ck_entries_amount_scale")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_entries_position")),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["transactions.id"], name="fk_entries_transaction_id"
        ),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_entries_account_id"),
        sa.PrimaryKeyConstraint("id", name="pk_entries"),
        sa.UniqueConstraint("transaction_id", "position", name="uq_entries_transaction_position"),
    )
    op.create_index("idx_entries_transaction", "entries", ["transaction_id"])
    op.create_index("idx_entries_account", "entries", ["account_id"])


def downgrade() -> None:
    """Drop the ledger tables."""
    op.drop_table("entries")
    op.drop_table("transactions")
    op.drop_table("accounts")

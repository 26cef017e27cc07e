"""Book state snapshots: opening a book loads the newest and folds in only what came after.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _schemas() -> list[str]:
    rows = op.get_bind().execute(sa.text("SELECT schema_name FROM books ORDER BY name"))
    return [schema for (schema,) in rows]


def upgrade() -> None:
    """Create book_snapshots in every book's schema (a book table)."""
    for schema in _schemas():
        op.create_table(
            "book_snapshots",
            sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("tx_seq", sa.BigInteger(), nullable=False),
            sa.Column("order_seq", sa.BigInteger(), nullable=False),
            sa.Column("state_text", sa.Text(), nullable=False),
            sa.Column("state_hash", sa.LargeBinary(), nullable=False),
            sa.CheckConstraint(
                "octet_length(state_hash) = 32", name=op.f("ck_book_snapshots_state_hash_length")
            ),
            sa.PrimaryKeyConstraint("seq", name="pk_book_snapshots"),
            schema=schema,
        )


def downgrade() -> None:
    """Drop them."""
    for schema in _schemas():
        op.drop_table("book_snapshots", schema=schema)

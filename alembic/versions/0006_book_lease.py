"""The book's lease: a fencing epoch that every write transaction of a writer checks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create book_lease; its one row comes with the first taker (no row: epoch 0)."""
    op.create_table(
        "book_lease",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.Text(), nullable=False),
        sa.Column(
            "taken_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_book_lease_one_row")),
        sa.CheckConstraint("epoch >= 0", name=op.f("ck_book_lease_epoch_not_negative")),
        sa.PrimaryKeyConstraint("id", name="pk_book_lease"),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("book_lease")

"""Each book's booking method (fifo, lifo, hifo or average), set when the book is made.

Books made before it kept average cost, so that is what they are given.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add books.booking, average for the books there are."""
    op.add_column(
        "books",
        sa.Column("booking", sa.Text(), server_default=sa.text("'average'"), nullable=False),
    )
    op.create_check_constraint("booking", "books", "booking IN ('fifo', 'lifo', 'hifo', 'average')")


def downgrade() -> None:
    """Drop it."""
    op.drop_constraint(op.f("ck_books_booking"), "books", type_="check")
    op.drop_column("books", "booking")

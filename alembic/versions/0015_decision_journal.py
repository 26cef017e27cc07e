"""The decision journal (seed 004 P1.5): each signal keeps which tick of its run it came on.

Signals recorded before this have none.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _schemas() -> list[str]:
    rows = op.get_bind().execute(sa.text("SELECT schema_name FROM books ORDER BY name"))
    return [schema for (schema,) in rows]


def upgrade() -> None:
    """Add signals.tick_seq in every book's schema."""
    for schema in _schemas():
        op.add_column("signals", sa.Column("tick_seq", sa.BigInteger(), nullable=True),
                      schema=schema)  # fmt: skip


def downgrade() -> None:
    """Drop it."""
    for schema in _schemas():
        op.drop_column("signals", "tick_seq", schema=schema)

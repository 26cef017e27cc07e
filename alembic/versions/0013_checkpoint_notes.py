"""Every signed checkpoint also as a C2SP signed note (tlog-checkpoint body, Ed25519 note
signature), kept beside it in every book's audit_checkpoint; checkpoints signed before this
have none.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _schemas() -> list[str]:
    rows = op.get_bind().execute(sa.text("SELECT schema_name FROM books ORDER BY name"))
    return [schema for (schema,) in rows]


def upgrade() -> None:
    """Add audit_checkpoint.note in every book's schema."""
    for schema in _schemas():
        op.add_column("audit_checkpoint", sa.Column("note", sa.Text(), nullable=True),
                      schema=schema)  # fmt: skip


def downgrade() -> None:
    """Drop it."""
    for schema in _schemas():
        op.drop_column("audit_checkpoint", "note", schema=schema)

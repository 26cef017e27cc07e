"""Strategy run summaries: what each run did, kept for `ingot report run` and `report runs`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create strategy_runs (shared by every book: a run names its book)."""
    op.create_table(
        "strategy_runs",
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("book", sa.Text(), nullable=False),
        sa.Column("strategy", sa.Text(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("summary_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "book", name="pk_strategy_runs"),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("strategy_runs")

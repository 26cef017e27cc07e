"""Trading: order_history, position_snapshots, equity_snapshots and ticks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NOW = sa.text("now()")


def upgrade() -> None:
    """Create the trading tables."""
    op.create_table(
        "order_history",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("exchange_id", sa.Text(), nullable=True),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("order_type", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("price", sa.Numeric(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fill_price", sa.Numeric(), nullable=True),
        sa.Column("fill_quantity", sa.Numeric(), nullable=True),
        sa.Column("cost", sa.Numeric(), nullable=True),
        sa.Column("fee", sa.Numeric(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("side IN ('Buy', 'Sell')", name=op.f("ck_order_history_side")),
        sa.CheckConstraint(
            "order_type IN ('Market', 'Limit')", name=op.f("ck_order_history_order_type")
        ),
        sa.CheckConstraint(
            "status IN ('Open', 'Filled', 'Cancelled', 'Rejected', 'Shadow')",
            name=op.f("ck_order_history_status"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_history_quantity_positive")),
        sa.PrimaryKeyConstraint("id", name="pk_order_history"),
        sa.UniqueConstraint("client_id", "status", name="uq_order_history_client_status"),
    )
    op.create_index("idx_order_history_symbol", "order_history", ["symbol"])
    op.create_index("idx_order_history_submitted", "order_history", ["submitted_at"])
    op.create_index("idx_order_history_status", "order_history", ["status"])
    op.create_table(
        "position_snapshots",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("cost_basis", sa.Numeric(), nullable=False),
        sa.Column("realized_pnl", sa.Numeric(), nullable=False),
        sa.Column("fees", sa.Numeric(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_position_snapshots"),
        sa.UniqueConstraint("client_id", name="uq_position_snapshots_client_id"),
    )
    op.create_index("idx_position_snapshots_symbol_at", "position_snapshots", ["symbol", "at"])
    op.create_table(
        "equity_snapshots",
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("nav", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint("at", "currency", name="pk_equity_snapshots"),
    )
    op.create_table(
        "ticks",
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price", sa.Numeric(), nullable=False),
        sa.CheckConstraint("price > 0", name=op.f("ck_ticks_price_positive")),
        sa.PrimaryKeyConstraint("symbol", "ts", name="pk_ticks"),
    )


def downgrade() -> None:
    """Drop the trading tables."""
    for table in ("ticks", "equity_snapshots", "position_snapshots", "order_history"):
        op.drop_table(table)

"""Market data: ohlcv_bars, ingest_cursors, signals, and a volume column on ticks.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NOW = sa.text("now()")
INTERVALS = "('1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w')"


def upgrade() -> None:
    """Create the market-data and signal tables."""
    op.add_column("ticks", sa.Column("volume", sa.Numeric(), nullable=True))
    op.create_check_constraint(op.f("ck_ticks_volume_not_negative"), "ticks", "volume >= 0")
    op.create_table(
        "ohlcv_bars",
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("interval", sa.Text(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open", sa.Numeric(), nullable=False),
        sa.Column("high", sa.Numeric(), nullable=False),
        sa.Column("low", sa.Numeric(), nullable=False),
        sa.Column("close", sa.Numeric(), nullable=False),
        sa.Column("volume", sa.Numeric(), nullable=False),
        sa.Column("trade_count", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint(f"interval IN {INTERVALS}", name=op.f("ck_ohlcv_bars_interval")),
        sa.CheckConstraint("low > 0 AND high >= low", name=op.f("ck_ohlcv_bars_price_range")),
        sa.CheckConstraint(
            "open BETWEEN low AND high AND close BETWEEN low AND high",
            name=op.f("ck_ohlcv_bars_open_close_in_range"),
        ),
        sa.CheckConstraint(
            "volume >= 0 AND trade_count >= 0", name=op.f("ck_ohlcv_bars_volume_not_negative")
        ),
        sa.PrimaryKeyConstraint("symbol", "interval", "ts", name="pk_ohlcv_bars"),
    )
    op.create_table(
        "ingest_cursors",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("interval", sa.Text(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("source", "symbol", "interval", name="pk_ingest_cursors"),
    )
    op.create_table(
        "signals",
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Text(), nullable=False),
        sa.Column("strategy", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("price", sa.Numeric(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("indicators", postgresql.JSONB(), nullable=False),
        sa.CheckConstraint("side IN ('Buy', 'Sell')", name=op.f("ck_signals_side")),
        sa.PrimaryKeyConstraint("client_id", name="pk_signals"),
    )
    op.create_index("idx_signals_run_id", "signals", ["run_id"])
    op.create_index("idx_signals_ts", "signals", ["ts"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("signals")
    op.drop_table("ingest_cursors")
    op.drop_table("ohlcv_bars")
    op.drop_constraint(op.f("ck_ticks_volume_not_negative"), "ticks")
    op.drop_column("ticks", "volume")

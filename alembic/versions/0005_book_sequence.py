"""The book's sequence on orders, and a tick's identity with its source sequence.

order_history gains `seq` (the audit seq of each row's own entry: the book's gapless,
commit-ordered sequence) and `recorded_at` (that entry's time), taken from the audit log for
the rows already stored. Start-up replays fills in that order, never in market time.

ticks gains `seq` in its key: two prints of one symbol at one instant are two ticks.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Each order row has exactly one audit entry: 'order_<status>' with the row as payload.
_FROM_AUDIT = """
UPDATE order_history o SET seq = a.seq, recorded_at = a."timestamp"
FROM audit_log a
WHERE a.event_type = 'order_' || lower(o.status) AND a.payload ->> 'client_id' = o.client_id
"""


def upgrade() -> None:
    """Add the sequence and recorded time to orders, and seq to the tick key."""
    op.add_column("order_history", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column(
        "order_history", sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(_FROM_AUDIT)
    orphans = (
        op.get_bind()
        .execute(sa.text("SELECT count(*), min(client_id) FROM order_history WHERE seq IS NULL"))
        .one()
    )
    if orphans[0]:
        raise RuntimeError(
            f"{orphans[0]} order_history rows (first: {orphans[1]!r}) have no audit entry, so "
            "their place in the book cannot be known; 'ingot audit verify' says more"
        )
    op.alter_column("order_history", "seq", nullable=False)
    op.alter_column("order_history", "recorded_at", nullable=False)
    op.create_unique_constraint("uq_order_history_seq", "order_history", ["seq"])
    op.create_index("idx_order_history_recorded_at", "order_history", ["recorded_at"])

    op.add_column(
        "ticks",
        sa.Column("seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.alter_column("ticks", "seq", server_default=None)
    op.create_check_constraint(op.f("ck_ticks_seq_not_negative"), "ticks", "seq >= 0")
    op.drop_constraint("pk_ticks", "ticks", type_="primary")
    op.create_primary_key("pk_ticks", "ticks", ["symbol", "ts", "seq"])


def downgrade() -> None:
    """Back to one tick per instant (the first print kept) and orders without a sequence."""
    op.execute(
        "DELETE FROM ticks t USING ticks u "
        "WHERE t.symbol = u.symbol AND t.ts = u.ts AND t.seq > u.seq"
    )
    op.drop_constraint("pk_ticks", "ticks", type_="primary")
    op.create_primary_key("pk_ticks", "ticks", ["symbol", "ts"])
    op.drop_constraint(op.f("ck_ticks_seq_not_negative"), "ticks", type_="check")
    op.drop_column("ticks", "seq")
    op.drop_index("idx_order_history_recorded_at", "order_history")
    op.drop_constraint("uq_order_history_seq", "order_history", type_="unique")
    op.drop_column("order_history", "recorded_at")
    op.drop_column("order_history", "seq")

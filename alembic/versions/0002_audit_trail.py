"""Audit trail: audit_log and audit_checkpoint, append-only by trigger.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

REFUSE_CHANGE_FUNCTION = """
CREATE FUNCTION ingot_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def make_append_only(table: str) -> None:
    """Refuse UPDATE, DELETE and TRUNCATE on `table`, whatever session_replication_role says."""
    op.execute(
        f"CREATE TRIGGER {table}_refuse_update_delete BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ingot_refuse_audit_change()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ingot_refuse_audit_change()"
    )
    op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_refuse_update_delete")
    op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_refuse_truncate")


def upgrade() -> None:
    """Create the audit tables and their append-only triggers."""
    op.execute(REFUSE_CHANGE_FUNCTION)
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=True),
        sa.Column("payload_text", sa.Text(), nullable=False),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            sa.Computed("payload_text::jsonb", persisted=True),
            nullable=True,
        ),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("chain_hash", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_audit_log_seq_positive")),
        sa.CheckConstraint(
            "octet_length(leaf_hash) = 32", name=op.f("ck_audit_log_leaf_hash_length")
        ),
        sa.CheckConstraint(
            "octet_length(chain_hash) = 32", name=op.f("ck_audit_log_chain_hash_length")
        ),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
    )
    op.create_index("idx_audit_log_timestamp", "audit_log", ["timestamp"])
    op.create_index("idx_audit_log_event_type", "audit_log", ["event_type"])
    op.create_index("idx_audit_log_entity_id", "audit_log", ["entity_id"])
    op.create_table(
        "audit_checkpoint",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("chain_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("size >= 1", name=op.f("ck_audit_checkpoint_size_positive")),
        sa.PrimaryKeyConstraint("size", name="pk_audit_checkpoint"),
    )
    for table in ("audit_log", "audit_checkpoint"):
        make_append_only(table)


def downgrade() -> None:
    """Drop the audit tables (their triggers go with them) and the trigger function."""
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_log")
    op.execute("DROP FUNCTION ingot_refuse_audit_change()")

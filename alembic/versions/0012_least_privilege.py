"""Least privilege: the trade log's daily partitions are made by a function that runs with
its owner's rights, so the application role (which owns nothing) can append to a new day.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ingot_tradelog_partition(day_start_us), callable by nobody until granted."""
    op.execute(
        """
        CREATE FUNCTION ingot_tradelog_partition(day_start_us bigint) RETURNS text
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            day_us constant bigint := 86400000000;
            name text;
        BEGIN
            IF day_start_us % day_us <> 0 THEN
                RAISE EXCEPTION 'a trade log day starts at midnight UTC, not at %', day_start_us;
            END IF;
            name := 'tradelog_p' || to_char(to_timestamp(day_start_us / 1e6) AT TIME ZONE 'UTC',
                                             'YYYYMMDD');
            EXECUTE format('CREATE TABLE IF NOT EXISTS public.%I PARTITION OF public.tradelog '
                           'FOR VALUES FROM (%s) TO (%s)', name, day_start_us,
                           day_start_us + day_us);
            RETURN name;
        END $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION ingot_tradelog_partition(bigint) FROM PUBLIC")


def downgrade() -> None:
    """Drop the partition function."""
    op.execute("DROP FUNCTION ingot_tradelog_partition(bigint)")

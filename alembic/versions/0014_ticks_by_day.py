"""Ticks partitioned by day of market time (seed 001's retention): a day that ages out is one
partition dropped, not millions of rows deleted. Each day's partition is made by a function
running with its owner's rights, so the application role can store a new day's ticks.

The ticks there are moved into their days' partitions in this migration.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

PARTITION_FUNCTION = """
CREATE FUNCTION ingot_ticks_partition(day_start timestamptz) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    day timestamptz := date_trunc('day', day_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    name text := 'ticks_p' || to_char(day AT TIME ZONE 'UTC', 'YYYYMMDD');
BEGIN
    IF to_regclass('public.' || name) IS NOT NULL THEN
        RETURN name;
    END IF;
    PERFORM pg_advisory_xact_lock(7391552041);  -- one maker of tick partitions at a time
    EXECUTE format('CREATE TABLE IF NOT EXISTS public.%I PARTITION OF public.ticks '
                   'FOR VALUES FROM (%L) TO (%L)', name, day, day + interval '1 day');
    RETURN name;
END $$
"""


def upgrade() -> None:
    """Rebuild ticks as a table partitioned by RANGE (ts), a partition a UTC day."""
    op.execute("ALTER TABLE ticks RENAME TO ticks_unpartitioned")
    op.execute("ALTER TABLE ticks_unpartitioned RENAME CONSTRAINT pk_ticks TO pk_ticks_old")
    for check in ("price_positive", "volume_not_negative", "seq_not_negative"):
        op.execute(f"ALTER TABLE ticks_unpartitioned RENAME CONSTRAINT ck_ticks_{check} "
                   f"TO ck_ticks_old_{check}")  # fmt: skip
    op.execute(
        """
        CREATE TABLE ticks (
            symbol TEXT NOT NULL,
            ts     TIMESTAMPTZ NOT NULL,
            price  NUMERIC NOT NULL,
            volume NUMERIC,
            seq    BIGINT NOT NULL,
            CONSTRAINT pk_ticks PRIMARY KEY (symbol, ts, seq),
            CONSTRAINT ck_ticks_price_positive CHECK (price > 0),
            CONSTRAINT ck_ticks_volume_not_negative CHECK (volume >= 0),
            CONSTRAINT ck_ticks_seq_not_negative CHECK (seq >= 0)
        ) PARTITION BY RANGE (ts)
        """
    )
    op.execute(PARTITION_FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION ingot_ticks_partition(timestamptz) FROM PUBLIC")
    op.execute("SELECT ingot_ticks_partition(day) FROM (SELECT DISTINCT date_trunc('day', ts "
               "AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day FROM ticks_unpartitioned) "
               "AS days")  # fmt: skip
    op.execute("INSERT INTO ticks (symbol, ts, price, volume, seq) "
               "SELECT symbol, ts, price, volume, seq FROM ticks_unpartitioned")  # fmt: skip
    op.execute("DROP TABLE ticks_unpartitioned")


def downgrade() -> None:
    """Back to one plain ticks table."""
    op.execute(
        """
        CREATE TABLE ticks_plain (
            symbol TEXT NOT NULL,
            ts     TIMESTAMPTZ NOT NULL,
            price  NUMERIC NOT NULL,
            volume NUMERIC,
            seq    BIGINT NOT NULL
        )
        """
    )
    op.execute("INSERT INTO ticks_plain SELECT symbol, ts, price, volume, seq FROM ticks")
    op.execute("DROP TABLE ticks")
    op.execute("DROP FUNCTION ingot_ticks_partition(timestamptz)")
    op.execute("ALTER TABLE ticks_plain RENAME TO ticks")
    op.execute("ALTER TABLE ticks ADD CONSTRAINT pk_ticks PRIMARY KEY (symbol, ts, seq)")
    op.execute("ALTER TABLE ticks ADD CONSTRAINT ck_ticks_price_positive CHECK (price > 0)")
    op.execute("ALTER TABLE ticks ADD CONSTRAINT ck_ticks_volume_not_negative CHECK (volume >= 0)")
    op.execute("ALTER TABLE ticks ADD CONSTRAINT ck_ticks_seq_not_negative CHECK (seq >= 0)")

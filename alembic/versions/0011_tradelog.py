"""The unified trade log (seed 002): one table, partitioned by day of local_ts_us.

Seed 002's DDL with three of Ingot's columns (raw: the exact text; symbol; book) and its
client ids as text. A generated column cannot be a partition key, so the partitions are
ranges of local_ts_us, one a day (retention drops whole days); the writer creates each day's
partition before its first row.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the partitioned tradelog table and its indexes."""
    op.execute(
        """
        CREATE TABLE tradelog (
            id                BIGSERIAL NOT NULL,
            local_ts_us       BIGINT NOT NULL,
            exchange_ts_us    BIGINT,
            local_ts          TIMESTAMPTZ
                GENERATED ALWAYS AS (to_timestamp(local_ts_us / 1e6)) STORED,
            exchange_ts       TIMESTAMPTZ
                GENERATED ALWAYS AS (to_timestamp(exchange_ts_us / 1e6)) STORED,
            event_type        SMALLINT NOT NULL,
            req_id            BIGINT,
            cl_ord_id         TEXT,
            native_ord_id     TEXT,
            market_id         BIGINT,
            account_id        BIGINT,
            exec_type         SMALLINT,
            ord_status        SMALLINT,
            side              SMALLINT,
            is_taker          BOOLEAN,
            last_px           NUMERIC(38, 18),
            last_qty          NUMERIC(38, 18),
            leaves_qty        NUMERIC(38, 18),
            ord_px            NUMERIC(38, 18),
            ord_qty           NUMERIC(38, 18),
            fee               NUMERIC(38, 18),
            response_status   SMALLINT,
            error_code        TEXT,
            error_message     TEXT,
            source            TEXT,
            body              JSONB NOT NULL DEFAULT '{}'::jsonb,
            raw               TEXT NOT NULL,
            symbol            TEXT,
            book              TEXT,
            CONSTRAINT pk_tradelog PRIMARY KEY (id, local_ts_us)
        ) PARTITION BY RANGE (local_ts_us)
        """
    )
    op.execute("CREATE INDEX tradelog_local_ts_idx ON tradelog (local_ts)")
    op.execute("CREATE INDEX tradelog_cl_ord_id_idx ON tradelog (cl_ord_id)")


def downgrade() -> None:
    """Drop it with every partition."""
    op.execute("DROP TABLE tradelog CASCADE")

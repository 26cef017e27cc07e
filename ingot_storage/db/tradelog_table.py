"""The trade log's table (seed 002; ingot_core.tradelog), on Ingot's one MetaData."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from ingot_storage.db.metadata import metadata

__all__ = ["tradelog"]

# The unified trade log (seed 002; ingot_core.tradelog): every request, response and exchange
# event, shared by the books (a row names its book). Partitioned by day of local_ts_us (a
# generated column cannot be a partition key); the writer makes each day's partition.
_NUMERIC = sa.Numeric(38, 18, asdecimal=True)
# Seed 002's to_timestamp(x_us / 1e6), as PostgreSQL states it back: the division is exact
# (numeric), and a double then holds every microsecond until the year 2242.
_LOCAL_TS = "to_timestamp((local_ts_us::numeric / '1000000'::numeric)::double precision)"
_EXCHANGE_TS = "to_timestamp((exchange_ts_us::numeric / '1000000'::numeric)::double precision)"
tradelog = sa.Table(
    "tradelog",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("local_ts_us", sa.BigInteger, primary_key=True),
    sa.Column("exchange_ts_us", sa.BigInteger),
    sa.Column("local_ts", sa.DateTime(timezone=True), sa.Computed(_LOCAL_TS, persisted=True)),
    sa.Column("exchange_ts", sa.DateTime(timezone=True), sa.Computed(_EXCHANGE_TS, persisted=True)),
    sa.Column("event_type", sa.SmallInteger, nullable=False),
    sa.Column("req_id", sa.BigInteger),
    sa.Column("cl_ord_id", sa.Text),
    sa.Column("native_ord_id", sa.Text),
    sa.Column("market_id", sa.BigInteger),
    sa.Column("account_id", sa.BigInteger),
    sa.Column("exec_type", sa.SmallInteger),
    sa.Column("ord_status", sa.SmallInteger),
    sa.Column("side", sa.SmallInteger),
    sa.Column("is_taker", sa.Boolean),
    sa.Column("last_px", _NUMERIC),
    sa.Column("last_qty", _NUMERIC),
    sa.Column("leaves_qty", _NUMERIC),
    sa.Column("ord_px", _NUMERIC),
    sa.Column("ord_qty", _NUMERIC),
    sa.Column("fee", _NUMERIC),
    sa.Column("response_status", sa.SmallInteger),
    sa.Column("error_code", sa.Text),
    sa.Column("error_message", sa.Text),
    sa.Column("source", sa.Text),
    sa.Column("body", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    # Ingot's: the exact text as sent or received (JSONB keeps neither key order, spacing
    # nor number forms), the market's name and the book.
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("symbol", sa.Text),
    sa.Column("book", sa.Text),
    sa.Index("tradelog_local_ts_idx", "local_ts"),
    sa.Index("tradelog_cl_ord_id_idx", "cl_ord_id"),
    postgresql_partition_by="RANGE (local_ts_us)",
)

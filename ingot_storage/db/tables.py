"""Every table Ingot keeps in PostgreSQL, on one MetaData.

Alembic's env.py targets `metadata`; tests/storage/db/test_migrations.py proves the migrations
build exactly this. Money is NUMERIC (arbitrary precision, never float); time is TIMESTAMPTZ.

Beyond seed 000's columns:
- accounts.name is UNIQUE, and accounts/transactions carry an identity `seq` that breaks
  ties in their created_at / posted_at order (rows written in one database transaction share
  now()).
- entries.position numbers the legs of a transaction; (transaction_id, position) is unique,
  so replaying a write never duplicates a leg.
- CHECKs repeat the ledger's rules in the database: positive amounts, at most `decimals`
  digits after the point, known account types and sides.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from ingot_storage.db.metadata import NOW, metadata
from ingot_storage.db.tradelog_table import tradelog

__all__ = [
    "APPEND_ONLY_TABLES",
    "BOOK_TABLES",
    "accounts",
    "audit_checkpoint",
    "audit_log",
    "book_lease",
    "book_snapshots",
    "books",
    "entries",
    "equity_snapshots",
    "ingest_cursors",
    "metadata",
    "ohlcv_bars",
    "order_history",
    "position_snapshots",
    "signals",
    "strategy_runs",
    "ticks",
    "tradelog",
    "transactions",
]

_NOW = NOW

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("account_type", sa.Text, nullable=False),
    sa.Column("currency_code", sa.Text, nullable=False),
    sa.Column("decimals", sa.SmallInteger, nullable=False, server_default=sa.text("2")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    sa.CheckConstraint(
        "account_type IN ('Asset', 'Liability', 'Equity', 'Revenue', 'Expense')",
        name="account_type",
    ),
    sa.CheckConstraint("decimals BETWEEN 0 AND 18", name="decimals"),
    sa.Index("idx_accounts_currency", "currency_code"),
    sa.Index("idx_accounts_type", "account_type"),
)

transactions = sa.Table(
    "transactions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False, unique=True),
    sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    sa.Index("idx_transactions_posted_at", "posted_at"),
)

entries = sa.Table(
    "entries",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),  # BIGSERIAL
    sa.Column("transaction_id", sa.Uuid, sa.ForeignKey("transactions.id"), nullable=False),
    sa.Column("position", sa.SmallInteger, nullable=False),
    sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("side", sa.Text, nullable=False),
    sa.Column("amount", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("currency_code", sa.Text, nullable=False),
    sa.Column("decimals", sa.SmallInteger, nullable=False, server_default=sa.text("2")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    sa.CheckConstraint("side IN ('Debit', 'Credit')", name="side"),
    sa.CheckConstraint("amount > 0", name="amount_positive"),
    sa.CheckConstraint("scale(amount) <= decimals", name="amount_scale"),
    sa.CheckConstraint("position >= 0", name="position"),
    sa.UniqueConstraint("transaction_id", "position", name="uq_entries_transaction_position"),
    sa.Index("idx_entries_transaction", "transaction_id"),
    sa.Index("idx_entries_account", "account_id"),
)

# The audit trail (DESIGN.md, "The audit trail"). `seq` is the gapless order; `payload` is
# derived from the canonical text for queries only and is never hashed.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_type", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("entity_id", sa.Uuid, nullable=True),
    sa.Column("payload_text", sa.Text, nullable=False),
    sa.Column("payload", JSONB, sa.Computed("payload_text::jsonb", persisted=True)),
    sa.Column("leaf_hash", sa.LargeBinary, nullable=False),
    sa.Column("chain_hash", sa.LargeBinary, nullable=False),
    sa.CheckConstraint("seq >= 1", name="seq_positive"),
    sa.CheckConstraint("octet_length(leaf_hash) = 32", name="leaf_hash_length"),
    sa.CheckConstraint("octet_length(chain_hash) = 32", name="chain_hash_length"),
    sa.Index("idx_audit_log_timestamp", "timestamp"),
    sa.Index("idx_audit_log_event_type", "event_type"),
    sa.Index("idx_audit_log_entity_id", "entity_id"),
)

# Signed heads of the log. `frontier` lets the next checkpoint extend this one's Merkle
# tree without rereading every leaf; verify recomputes roots from the leaves regardless.
audit_checkpoint = sa.Table(
    "audit_checkpoint",
    metadata,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root", sa.LargeBinary, nullable=False),
    sa.Column("chain_hash", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("key_id", sa.Text, nullable=False),
    sa.Column("public_key", sa.LargeBinary, nullable=False),
    sa.Column("signature", sa.LargeBinary, nullable=False),
    sa.Column("frontier", sa.LargeBinary, nullable=False),
    sa.Column("note", sa.Text),  # the same head as a C2SP signed note (audit.notes)
    sa.CheckConstraint("size >= 1", name="size_positive"),
)

# Seed 000 Task 2.6.1's order_history, one row per status change of an order (Open, then
# Filled or Cancelled; or Filled / Rejected / Shadow at once), so it reads as a trade log.
# (client_id, status) is the natural key: a replayed write never duplicates a row.
# Two clocks, never mixed: event_at is market time (the tick or request that caused the
# change); seq is the book's sequence (the audit seq of the row's own entry: gapless and
# commit-ordered) and recorded_at the time the book wrote it. Replay and "recent" use seq.
order_history = sa.Table(
    "order_history",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("exchange_id", sa.Text, nullable=True),
    sa.Column("client_id", sa.Text, nullable=False),
    sa.Column("symbol", sa.Text, nullable=False),
    sa.Column("side", sa.Text, nullable=False),
    sa.Column("order_type", sa.Text, nullable=False),
    sa.Column("quantity", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("price", sa.Numeric(asdecimal=True), nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("filled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("fill_price", sa.Numeric(asdecimal=True), nullable=True),
    sa.Column("fill_quantity", sa.Numeric(asdecimal=True), nullable=True),
    sa.Column("cost", sa.Numeric(asdecimal=True), nullable=True),
    sa.Column("fee", sa.Numeric(asdecimal=True), nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("side IN ('Buy', 'Sell')", name="side"),
    sa.CheckConstraint("order_type IN ('Market', 'Limit')", name="order_type"),
    sa.CheckConstraint(
        "status IN ('Open', 'Filled', 'Cancelled', 'Rejected', 'Shadow')", name="status"
    ),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.UniqueConstraint("client_id", "status", name="uq_order_history_client_status"),
    sa.Index("idx_order_history_symbol", "symbol"),
    sa.Index("idx_order_history_submitted", "submitted_at"),
    sa.Index("idx_order_history_status", "status"),
    sa.Index("idx_order_history_recorded_at", "recorded_at"),
)

# A position as it stood after the fill of `client_id` (seed 004's position lifecycle).
position_snapshots = sa.Table(
    "position_snapshots",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.Text, nullable=False, unique=True),
    sa.Column("symbol", sa.Text, nullable=False),
    sa.Column("quantity", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("cost_basis", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("realized_pnl", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("fees", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("idx_position_snapshots_symbol_at", "symbol", "at"),
)

# NAV over time (seed 004's equity snapshots), throttled by the engine.
equity_snapshots = sa.Table(
    "equity_snapshots",
    metadata,
    sa.Column("at", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("currency", sa.Text, primary_key=True),
    sa.Column("nav", sa.Numeric(asdecimal=True), nullable=False),
)

# Last-trade prices (manual marks, replays, feeds). Best effort; never audited. A tick is
# (symbol, instant, seq): seq is its trade id when the source gives one, else its ordinal
# among the prints of that symbol and instant in its source, so many prints a second are
# all kept and re-ingesting the same source stores nothing twice.
ticks = sa.Table(
    "ticks",
    metadata,
    sa.Column("symbol", sa.Text, primary_key=True),
    sa.Column("ts", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("price", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("volume", sa.Numeric(asdecimal=True), nullable=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.CheckConstraint("price > 0", name="price_positive"),
    sa.CheckConstraint("volume >= 0", name="volume_not_negative"),
    sa.CheckConstraint("seq >= 0", name="seq_not_negative"),
    # A partition a UTC day of market time (migration 0014), made by ingot_ticks_partition.
    postgresql_partition_by="RANGE (ts)",
)

BAR_INTERVALS = "('1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w')"

# Closed OHLCV bars (seed 000 Task 2.8.3), keyed so that re-ingesting a range is a no-op.
ohlcv_bars = sa.Table(
    "ohlcv_bars",
    metadata,
    sa.Column("symbol", sa.Text, primary_key=True),
    sa.Column("interval", sa.Text, primary_key=True),
    sa.Column("ts", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("open", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("high", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("low", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("close", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("volume", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("trade_count", sa.Integer, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.CheckConstraint(f"interval IN {BAR_INTERVALS}", name="interval"),
    sa.CheckConstraint("low > 0 AND high >= low", name="price_range"),
    sa.CheckConstraint(
        "open BETWEEN low AND high AND close BETWEEN low AND high", name="open_close_in_range"
    ),
    sa.CheckConstraint("volume >= 0 AND trade_count >= 0", name="volume_not_negative"),
)

# Where an interrupted market-data ingestion resumes: one row per (source, symbol, interval).
ingest_cursors = sa.Table(
    "ingest_cursors",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("symbol", sa.Text, primary_key=True),
    sa.Column("interval", sa.Text, primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("target", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
)

# What strategies asked for; each signal names the order placed for it.
signals = sa.Table(
    "signals",
    metadata,
    sa.Column("client_id", sa.Text, primary_key=True),
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("strategy", sa.Text, nullable=False),
    sa.Column("symbol", sa.Text, nullable=False),
    sa.Column("side", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("price", sa.Numeric(asdecimal=True), nullable=False),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
    sa.Column("indicators", JSONB, nullable=False),
    sa.Column("tick_seq", sa.BigInteger),  # which tick of its run it came on (0015)
    sa.CheckConstraint("side IN ('Buy', 'Sell')", name="side"),
    sa.Index("idx_signals_run_id", "run_id"),
    sa.Index("idx_signals_ts", "ts"),
)

# Who may write the book (ingot_storage.trading.lock): one row. A writer takes the lease by
# raising the epoch under the book's trading lock, and every write transaction it makes
# checks, holding this row FOR SHARE, that the epoch is still its own: a writer that lost
# its lock (a dropped connection, a restarted server) can never commit after another took
# the book.
book_lease = sa.Table(
    "book_lease",
    metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("epoch", sa.BigInteger, nullable=False),
    sa.Column("holder", sa.Text, nullable=False),
    sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    sa.CheckConstraint("id = 1", name="one_row"),
    sa.CheckConstraint("epoch >= 0", name="epoch_not_negative"),
)

# The book's state at a known point (DESIGN.md: opening a book costs the same at 10 orders
# and at 1,000,000): every account's net debit, the positions, and how much of the history
# that covers (tx_seq: transactions.seq; order_seq: order_history.seq). `seq` is the audit
# seq of the snapshot's own entry, whose payload holds the SHA-256 of `state_text`.
book_snapshots = sa.Table(
    "book_snapshots",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("tx_seq", sa.BigInteger, nullable=False),
    sa.Column("order_seq", sa.BigInteger, nullable=False),
    sa.Column("state_text", sa.Text, nullable=False),
    sa.Column("state_hash", sa.LargeBinary, nullable=False),
    sa.CheckConstraint("octet_length(state_hash) = 32", name="state_hash_length"),
)

# The books of this database (DESIGN.md, "Books and time"). A book's tables (BOOK_TABLES)
# live in a schema of its own, `main`'s in public; market data (ticks, bars, cursors) is in
# public only and shared by all books. A connection for a book searches its schema first.
books = sa.Table(
    "books",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("schema_name", sa.Text, nullable=False, unique=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    # How sells close lots (ingot_core.engine.positions.BookingMethod), set at the book's
    # bootstrap and never changed after.
    sa.Column("booking", sa.Text, nullable=False, server_default=sa.text("'average'")),
    sa.CheckConstraint("kind IN ('paper', 'scratch')", name="kind"),
    sa.CheckConstraint("booking IN ('fifo', 'lifo', 'hifo', 'average')", name="booking"),
)

# What each strategy run did (ingot_core.engine.run_report), kept when it ends, for `ingot
# report run` and `report runs`; shared, since a run names the book it traded in.
strategy_runs = sa.Table(
    "strategy_runs",
    metadata,
    sa.Column("run_id", sa.Text, primary_key=True),
    sa.Column("book", sa.Text, primary_key=True),
    sa.Column("strategy", sa.Text, nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=_NOW),
    sa.Column("summary_text", sa.Text, nullable=False),
)

BOOK_TABLES = (
    "accounts",
    "transactions",
    "entries",
    "audit_log",
    "audit_checkpoint",
    "order_history",
    "position_snapshots",
    "equity_snapshots",
    "signals",
    "book_lease",
    "book_snapshots",
)

APPEND_ONLY_TABLES = ("audit_log", "audit_checkpoint")

# One function refuses every change; ENABLE ALWAYS makes the triggers fire even under
# session_replication_role = replica. Migration 0002 creates exactly these statements.
REFUSE_CHANGE_FUNCTION = """
CREATE FUNCTION ingot_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def append_only_statements(table: str) -> list[str]:
    """The trigger DDL that makes `table` append-only."""
    return [
        f"CREATE TRIGGER {table}_refuse_update_delete BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ingot_refuse_audit_change()",
        f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ingot_refuse_audit_change()",
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_refuse_update_delete",
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_refuse_truncate",
    ]


def _ddl(statement: str) -> sa.DDL:
    # sa.DDL formats its text with %, so PL/pgSQL's % placeholders are doubled for it.
    return sa.DDL(statement.replace("%", "%%"))  # type: ignore[no-untyped-call]


sa.event.listen(metadata, "before_create", _ddl(REFUSE_CHANGE_FUNCTION))
sa.event.listen(metadata, "after_drop", _ddl("DROP FUNCTION ingot_refuse_audit_change()"))
for _name in APPEND_ONLY_TABLES:
    for _statement in append_only_statements(_name):
        sa.event.listen(metadata.tables[_name], "after_create", _ddl(_statement))

"""The writer for engine events: orders, positions, equity, ticks and signals with the
ledger rows and audit entries they cause.

`write_events` persists a batch of engine events, with the audit entries of exactly the rows
that were new, all in the caller's database transaction. A batch none of whose rows is stored
yet (the usual one) is COPY'd straight into its tables. Otherwise each table's rows go through
a COPY stage and one INSERT … SELECT … ON CONFLICT DO NOTHING on its natural key. Replaying a
batch therefore writes nothing twice and audits nothing twice.

The audit lock is taken before any row is written, so the batch knows the seq each of its
entries gets: an order row carries its entry's seq as the book's sequence (`seq`) and the
entry's time as its recorded time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy.engine import Connection

from ingot_core.accounting import Account, Transaction
from ingot_core.audit import (
    AuditEntry,
    CanonicalJsonError,
    account_created,
    canonical_json,
    transaction_posted_text,
)
from ingot_core.audit.vocabulary import (
    EQUITY_SNAPSHOT,
    POSITION_SNAPSHOT,
    SIGNAL_RAISED,
    TRANSACTION_POSTED,
    order_event,
)
from ingot_core.engine import (
    AccountCreated,
    EquitySnapshot,
    OrderUpdated,
    PositionSnapshot,
    SignalRaised,
    StorageEvent,
    TickReceived,
    TransactionPosted,
)
from ingot_storage.audit.log import (
    AuditHead,
    AuditRecord,
    append_audit_texts,
    audit_head,
    audit_record,
    audit_timestamp,
    lock_audit_log,
)
from ingot_storage.db.database import driver_connection
from ingot_storage.db.tables import (
    equity_snapshots,
    order_history,
    position_snapshots,
    signals,
    ticks,
)
from ingot_storage.errors import translate_db_errors
from ingot_storage.ledger.accounts import copy_new_accounts, save_accounts
from ingot_storage.ledger.transactions import copy_new_transactions, save_transactions
from ingot_storage.market.tick_days import ensure_tick_days
from ingot_storage.writer.fence import check_lease
from ingot_storage.writer.rows import (
    AuditTexts,
    TableRows,
    order_row,
    position_row,
    signal_row,
)

__all__ = [
    "PreparedBatch",
    "prepare_events",
    "write_events",
]


class PreparedBatch:
    """A batch of engine events made ready to write: its rows and the canonical payloads of
    its audit entries, built before its database transaction opens.

    Events are added a unit at a time (the storage worker prepares the next batch while the
    server works on the current one). A payload with no canonical form is refused with its
    unit: `add` leaves a batch that already holds events as it was and says so, for the unit
    to go into a batch of its own; the first unit of a batch is kept with its error, which is
    raised when the batch is written, so that batch is refused whole.
    """

    def __init__(self, actor: str = "engine") -> None:
        self.actor = actor
        self.events: list[StorageEvent] = []
        self.accounts: list[Account] = []
        self.txs: list[Transaction] = []
        self.orders = TableRows(order_history, ("client_id", "status"))
        self.positions = TableRows(position_snapshots, ("client_id",))
        self.equity = TableRows(equity_snapshots, ("at", "currency"))
        self.ticks = TableRows(ticks, ("symbol", "ts", "seq"))
        self.signals = TableRows(signals, ("client_id",))
        # The audit record of each audited event, in order (ticks are never audited).
        self.audit: list[tuple[StorageEvent, AuditRecord]] = []
        # For each order row, the index of its record in `audit`.
        self.order_records: list[int] = []
        self.error: Exception | None = None
        self._texts = AuditTexts()
        # Every list a unit appends to, so that a refused unit can be taken back out.
        self._lists: tuple[list[Any], ...] = (
            self.events,
            self.accounts,
            self.txs,
            self.audit,
            self.order_records,
            *(part.rows for part in self.tables),
        )

    def __len__(self) -> int:
        return len(self.events)

    @property
    def tables(self) -> list[TableRows]:
        """The rows of every table but the ledger's, in the order they are written."""
        return [self.orders, self.positions, self.equity, self.ticks, self.signals]

    def add(self, events: Sequence[StorageEvent]) -> bool:
        """Prepare `events` (one unit) and append them to the batch.

        False when one of them has no canonical form and the batch already held events: the
        batch is left as it was, and the unit is refused only in a batch of its own.
        """
        if self.error is not None:
            self.events.extend(events)
            return True  # the batch is refused whole anyway
        sizes = [len(part) for part in self._lists]
        self.events.extend(events)
        try:
            for event in events:
                self._add(event)
        except CanonicalJsonError as error:  # a payload with no canonical form; bugs propagate
            if sizes[0]:
                for part, size in zip(self._lists, sizes, strict=True):
                    del part[size:]
                return False
            self.error = error  # raised again when the batch is written
        return True

    def _add(self, event: StorageEvent) -> None:
        texts, actor = self._texts, self.actor
        if isinstance(event, OrderUpdated):
            order = event.order
            row = order_row(order)
            self.orders.rows.append(row)
            kind = order_event(order.status)
            entity = texts.entity(order.request.client_id)
            self.order_records.append(len(self.audit))
            self._audit(event, kind, entity, texts.row(row))
        elif isinstance(event, TransactionPosted):
            tx = event.transaction
            self.txs.append(tx)
            self._audit(event, TRANSACTION_POSTED, tx.id, transaction_posted_text(tx))
        elif isinstance(event, PositionSnapshot):
            row = position_row(event)
            self.positions.rows.append(row)
            entity = texts.entity(event.client_id)
            self._audit(event, POSITION_SNAPSHOT, entity, texts.row(row))
        elif isinstance(event, EquitySnapshot):
            row = {"at": event.at, "currency": event.currency, "nav": event.nav}
            self.equity.rows.append(row)
            self._audit(event, EQUITY_SNAPSHOT, None, texts.row(row))
        elif isinstance(event, AccountCreated):
            self.accounts.append(event.account)
            self.audit.append((event, audit_record(account_created(event.account, actor))))
        elif isinstance(event, TickReceived):
            t = event.ticker
            self.ticks.rows.append(
                {
                    "symbol": str(t.symbol),
                    "ts": t.timestamp,
                    "seq": t.seq,
                    "price": t.price,
                    "volume": t.volume,
                }
            )
        elif isinstance(event, SignalRaised):
            row = signal_row(event)
            self.signals.rows.append({**row, "indicators": Jsonb(row["indicators"])})
            row["ts"] = texts.instant(row["ts"])
            entity = texts.entity(event.client_id)
            self._audit(event, SIGNAL_RAISED, entity, canonical_json(row))

    def _audit(self, event: StorageEvent, kind: str, entity: uuid.UUID | None, text: str) -> None:
        self.audit.append((event, AuditRecord(kind, self.actor, entity, text)))

    def number_orders(self, head: AuditHead, recorded_at: datetime, fresh: Sequence[bool]) -> None:
        """Give each order row the seq its audit entry gets after `head`, when only the
        records marked `fresh` are appended, and the time the book records it."""
        seqs, seq = [], head.size
        for new in fresh:
            seq += new
            seqs.append(seq)
        for row, index in zip(self.orders.rows, self.order_records, strict=True):
            row["seq"], row["recorded_at"] = seqs[index], recorded_at


def _copy_fresh(conn: Connection, batch: PreparedBatch) -> bool:
    """COPY a batch none of whose rows is stored yet straight into its tables.

    That is the usual batch, and it costs PostgreSQL one pass over each row. The COPYs run
    under a savepoint: when a natural key is already stored (a replayed batch, or a key twice
    in one batch) they are rolled back and False says so, for the staged path to sort out.
    Any other refusal (a foreign key, a CHECK) raises here as it would there.
    """
    savepoint = conn.begin_nested()
    try:
        if batch.accounts:
            copy_new_accounts(conn, batch.accounts)
        for part in batch.tables:
            part.copy(conn)
        if batch.txs:
            copy_new_transactions(conn, batch.txs)
    except psycopg.errors.UniqueViolation:
        savepoint.rollback()
        return False
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return True


def prepare_events(events: Sequence[StorageEvent], actor: str = "engine") -> PreparedBatch:
    """`events` made ready to write (see PreparedBatch)."""
    batch = PreparedBatch(actor)
    batch.add(events)
    return batch


@translate_db_errors
def write_events(
    conn: Connection,
    events: Sequence[StorageEvent] | PreparedBatch,
    actor: str = "engine",
    now: datetime | None = None,
    epoch: int | None = None,
) -> list[AuditEntry]:
    """Persist a batch of engine events and their audit entries in the caller's transaction.

    Only the rows not stored yet are written and audited, so a replayed batch writes nothing
    twice and audits nothing twice. A PreparedBatch is written with its own actor. Raises
    CanonicalJsonError, before anything is written, when a payload has no canonical form.
    A writer holding the book's lease passes its `epoch`: once another writer has taken the
    book the batch is refused with BookTaken, and nothing is written.
    """
    batch = events if isinstance(events, PreparedBatch) else prepare_events(events, actor)
    if batch.error is not None:
        raise batch.error
    if epoch is not None:
        check_lease(conn, epoch)
    timestamp = audit_timestamp(now)
    lock_audit_log(conn)
    head = audit_head(conn)
    records = [record for _, record in batch.audit]
    batch.number_orders(head, timestamp, [True] * len(records))
    if batch.ticks.rows:  # each day of ticks is a partition, made before its first row
        ensure_tick_days(conn, (row["ts"] for row in batch.ticks.rows))
    if _copy_fresh(conn, batch):
        return append_audit_texts(conn, records, timestamp, head)

    new_accounts = {a.id for a in save_accounts(conn, batch.accounts)}
    new_txs = {t.id for t in save_transactions(conn, batch.txs)}
    new_positions, new_equity, _, new_signals = (t.insert_new(conn) for t in batch.tables[1:])
    new_orders = _new_order_keys(conn, batch.orders.rows)

    unseen = set(new_orders)

    def fresh(event: StorageEvent) -> bool:
        if isinstance(event, AccountCreated):
            return event.account.id in new_accounts
        if isinstance(event, TransactionPosted):
            return event.transaction.id in new_txs
        if isinstance(event, OrderUpdated):
            key = (event.order.request.client_id, event.order.status.value)
            if key not in unseen:
                return False
            unseen.discard(key)  # a key twice in one batch is one row and one entry
            return True
        if isinstance(event, PositionSnapshot):
            return (event.client_id,) in new_positions
        if isinstance(event, SignalRaised):
            return (event.client_id,) in new_signals
        if isinstance(event, EquitySnapshot):
            return (event.at, event.currency) in new_equity
        return False

    flags = [fresh(event) for event, _ in batch.audit]
    batch.number_orders(head, timestamp, flags)
    # The batch itself stays whole: a failed write is tried again with it.
    fresh_rows = [r for r in batch.orders.rows if (r["client_id"], r["status"]) in new_orders]
    TableRows(order_history, batch.orders.keys, fresh_rows).insert_new(conn)
    fresh_records = [record for record, new in zip(records, flags, strict=True) if new]
    return append_audit_texts(conn, fresh_records, timestamp, head)


def _new_order_keys(conn: Connection, rows: Sequence[dict[str, Any]]) -> set[tuple[str, str]]:
    """The (client id, status) keys of `rows` not stored yet. Under the audit lock no other
    writer of the book can store one meanwhile."""
    if not rows:
        return set()
    wanted = {(row["client_id"], row["status"]) for row in rows}
    with driver_connection(conn).cursor() as cursor:
        cursor.execute(
            "SELECT client_id, status FROM order_history "
            "WHERE (client_id, status) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
            ([key[0] for key in wanted], [key[1] for key in wanted]),
        )
        stored = {(client_id, status) for client_id, status in cursor.fetchall()}
    return wanted - stored

"""The book's state: snapshots at known points, and opening a book from the newest one.

A snapshot holds every account's net debit, every position, and how far into the history
it reaches: `tx_seq` (transactions.seq) and `order_seq` (order_history.seq, the book's
sequence). Opening a book reads the newest snapshot and folds in only what came after it:
one aggregate over the entries of later transactions and a replay of later fills, both
through an index, so it costs the same at 10 orders and at 1,000,000. Within a book every
write holds the audit lock, so transactions.seq and order_history.seq grow in commit order
and "after the snapshot" is exactly the tail.

A snapshot is taken under the audit lock and recorded in the audit trail in the same
transaction (a `book_snapshot` entry whose payload carries the SHA-256 of its canonical
text), and opening checks that hash and that the balances balance per currency: a snapshot
that disagrees with its record is refused (CorruptLedger), never trusted silently. A full
replay through validation, compared with every stored snapshot, is `ingot db check`
(ingot_storage.ledger.check).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.accounting import Account, Ledger
from ingot_core.audit import canonical_json
from ingot_core.audit.vocabulary import BOOK_SNAPSHOT
from ingot_core.engine.positions import BookingMethod, Position, apply_fill
from ingot_core.execution import Fill, OrderSide
from ingot_core.money import EXACT
from ingot_core.symbols import Symbol
from ingot_storage.audit.log import (
    AuditRecord,
    append_audit_texts,
    audit_head,
    audit_timestamp,
    lock_audit_log,
)
from ingot_storage.db.tables import book_snapshots
from ingot_storage.errors import CorruptLedger, translate_db_errors
from ingot_storage.ledger.accounts import load_accounts
from ingot_storage.ledger.booking import booking_of

__all__ = [
    "FILLS_BETWEEN",
    "BookState",
    "fold_fills",
    "load_book_state",
    "state_from_text",
    "take_book_snapshot",
]


@dataclass(frozen=True)
class BookState:
    """The book at a point of its history.

    Attributes:
      net_debits: each account's debits minus credits.
      transactions: how many transactions made them.
      positions: each traded symbol's position.
      tx_seq: the last transactions.seq included (0: none).
      order_seq: the last order_history.seq included (0: none).
      snapshot_seq: the audit seq of the snapshot it was read from (0: none).
      booking: the book's booking method, which its positions follow.
    """

    net_debits: dict[UUID, Decimal]
    transactions: int
    positions: dict[Symbol, Position]
    tx_seq: int = 0
    order_seq: int = 0
    snapshot_seq: int = 0
    booking: BookingMethod = BookingMethod.AVERAGE

    def ledger(self, accounts: Iterable[Account]) -> Ledger:
        """The ledger in this state, over `accounts` (every stored account)."""
        return Ledger.from_balances(accounts, self.net_debits, self.transactions)

    def text(self) -> str:
        """The canonical JSON a snapshot stores."""
        return canonical_json(
            {
                "net_debits": {str(k): str(v) for k, v in sorted(self.net_debits.items())},
                "transactions": self.transactions,
                "positions": [
                    _position_data(p)
                    for p in sorted(self.positions.values(), key=lambda p: str(p.symbol))
                ],
                "tx_seq": self.tx_seq,
                "order_seq": self.order_seq,
            }
        )


def _position_data(p: Position) -> dict[str, Any]:
    data: dict[str, Any] = {
        "symbol": str(p.symbol),
        "quantity": str(p.quantity),
        "cost_basis": str(p.cost_basis),
        "realized_pnl": str(p.realized_pnl),
        "fees": str(p.fees),
    }
    if p.lots:  # fifo, lifo and hifo books: the buys still held, oldest first
        data["lots"] = [[str(quantity), str(cost)] for quantity, cost in p.lots]
    return data


def state_from_text(text: str, snapshot_seq: int) -> BookState:
    """A snapshot's state from its stored text."""
    data = json.loads(text)
    positions = {}
    for p in data["positions"]:
        symbol = Symbol.parse(p["symbol"])
        positions[symbol] = Position(
            symbol,
            Decimal(p["quantity"]),
            Decimal(p["cost_basis"]),
            Decimal(p["realized_pnl"]),
            Decimal(p["fees"]),
            tuple((Decimal(q), Decimal(c)) for q, c in p.get("lots", ())),
        )
    return BookState(
        {UUID(k): Decimal(v) for k, v in data["net_debits"].items()},
        int(data["transactions"]),
        positions,
        int(data["tx_seq"]),
        int(data["order_seq"]),
        snapshot_seq,
    )


_NEWEST = sa.text(
    "SELECT s.seq, s.state_text, s.state_hash, a.payload_text FROM book_snapshots s "
    "LEFT JOIN audit_log a ON a.seq = s.seq ORDER BY s.seq DESC LIMIT 1"
)
_TAIL_ENTRIES = sa.text(
    "SELECT e.account_id, sum(CASE e.side WHEN 'Debit' THEN e.amount ELSE -e.amount END) "
    "FROM transactions t JOIN entries e ON e.transaction_id = t.id WHERE t.seq > :after "
    "GROUP BY e.account_id"
)
_TAIL_COUNT = sa.text(
    "SELECT count(*), coalesce(max(seq), :after) FROM transactions WHERE seq > :after"
)
FILLS_BETWEEN = sa.text(
    "SELECT seq, client_id, symbol, side, fill_quantity, fill_price, cost, fee, event_at "
    "FROM order_history WHERE seq > :after AND seq <= :upto AND status = 'Filled' ORDER BY seq"
)
_ALL_LATER = 2**63 - 1
_LAST_ORDER = sa.text("SELECT coalesce(max(seq), :after) FROM order_history WHERE seq > :after")


def _newest_snapshot(conn: Connection) -> BookState:
    row = conn.execute(_NEWEST).first()
    if row is None:
        return BookState({}, 0, {})
    seq, text, digest, payload = row
    recorded = None if payload is None else json.loads(payload).get("state_sha256")
    actual = hashlib.sha256(text.encode()).hexdigest()
    if bytes(digest).hex() != actual or recorded != actual:
        raise CorruptLedger(
            f"book snapshot at seq {seq} does not match its audit entry; "
            "'ingot db check' replays the book from the start"
        )
    return state_from_text(text, seq)


def fold_fills(
    positions: dict[Symbol, Position],
    rows: Iterable[Any],
    booking: BookingMethod = BookingMethod.AVERAGE,
) -> None:
    """Apply fill rows (FILLS_BETWEEN's) to `positions`, in order, by `booking`."""
    for row in rows:
        symbol = Symbol.parse(row.symbol)
        fill = Fill(row.client_id, symbol, OrderSide(row.side), row.fill_quantity,
                    row.fill_price, row.cost, row.fee, row.event_at)  # fmt: skip
        positions[symbol] = apply_fill(positions.get(symbol, Position(symbol)), fill, booking)


@translate_db_errors
def load_book_state(conn: Connection, accounts: Iterable[Account] | None = None) -> BookState:
    """The book as it stands: the newest snapshot with everything after it folded in
    (`accounts`: every stored account, when the caller has them already)."""
    base = _newest_snapshot(conn)
    net = dict(base.net_debits)
    for account_id, amount in conn.execute(_TAIL_ENTRIES, {"after": base.tx_seq}):
        net[account_id] = EXACT.add(net.get(account_id, Decimal(0)), amount)
    count, tx_seq = conn.execute(_TAIL_COUNT, {"after": base.tx_seq}).one()
    positions = dict(base.positions)
    booking = booking_of(conn)
    later = {"after": base.order_seq, "upto": _ALL_LATER}
    fold_fills(positions, conn.execute(FILLS_BETWEEN, later), booking)
    order_seq = conn.execute(_LAST_ORDER, {"after": base.order_seq}).scalar_one()
    state = BookState(
        net, base.transactions + count, positions, tx_seq, order_seq, base.snapshot_seq, booking
    )
    _check_balanced(load_accounts(conn) if accounts is None else accounts, state)
    return state


def _check_balanced(accounts: Iterable[Account], state: BookState) -> None:
    """Every currency's net debits sum to zero, as a double-entry ledger's must."""
    totals: dict[str, Decimal] = {}
    by_id = {a.id: a for a in accounts}
    for account_id, amount in state.net_debits.items():
        account = by_id.get(account_id)
        if account is None:
            raise CorruptLedger(f"book state names account {account_id}, which is not stored")
        code = account.currency.code
        totals[code] = EXACT.add(totals.get(code, Decimal(0)), amount)
    unbalanced = sorted(code for code, total in totals.items() if total != 0)
    if unbalanced:
        raise CorruptLedger(
            f"the book's balances do not balance in {', '.join(unbalanced)}; "
            "'ingot db check' names the row"
        )


@translate_db_errors
def take_book_snapshot(conn: Connection, actor: str = "ingot", now: datetime | None = None) -> int:
    """Store the book's state as it stands, audited, in the caller's transaction; return
    the snapshot's seq (0 when the newest snapshot already covers everything)."""
    lock_audit_log(conn)  # no batch of this book commits meanwhile: the tail is exact
    head = audit_head(conn)
    state = load_book_state(conn)
    if state.snapshot_seq == head.size:
        return 0
    text = state.text()
    digest = hashlib.sha256(text.encode()).digest()
    payload = canonical_json(
        {
            "tx_seq": state.tx_seq,
            "order_seq": state.order_seq,
            "transactions": state.transactions,
            "state_sha256": digest.hex(),
        }
    )
    timestamp = audit_timestamp(now)
    record = AuditRecord(BOOK_SNAPSHOT, actor, None, payload)
    (entry,) = append_audit_texts(conn, [record], timestamp, head)
    conn.execute(
        book_snapshots.insert().values(
            seq=entry.seq,
            taken_at=timestamp,
            tx_seq=state.tx_seq,
            order_seq=state.order_seq,
            state_text=text,
            state_hash=digest,
        )
    )
    return entry.seq

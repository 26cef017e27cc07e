"""`ingot db check`: every book replayed from zero, compared with what it is opened from.

Opening a book trusts its newest snapshot (ingot_storage.ledger.book_state); this is what makes
that trust earned. For each book it replays every stored transaction through the ledger's
validation (a row edited by hand no longer validates, or no longer sums to what was
recorded), streams the history once in the book's order, and compares the balances and
positions at every stored snapshot's point with the snapshot, and at the end with what
opening the book gives. It reports every disagreement, the first first, never repairs one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.engine import Position
from ingot_core.money import EXACT
from ingot_core.symbols import Symbol
from ingot_storage.config import book_schema
from ingot_storage.errors import CorruptLedger, translate_db_errors
from ingot_storage.ledger.book_state import (
    FILLS_BETWEEN,
    BookState,
    fold_fills,
    load_book_state,
    state_from_text,
)
from ingot_storage.ledger.booking import booking_of
from ingot_storage.ledger.recovery import recover_ledger

__all__ = ["BookCheck", "check_book"]


@dataclass
class BookCheck:
    """What checking one book found.

    Attributes:
      book: the book's name.
      transactions: transactions replayed.
      snapshots: stored snapshots compared.
      problems: every disagreement found, in the order found (empty: the book is sound).
    """

    book: str
    transactions: int = 0
    snapshots: int = 0
    problems: list[str] = field(default_factory=list)


_ENTRIES = sa.text(
    "SELECT t.seq, e.account_id, e.side, e.amount FROM transactions t "
    "JOIN entries e ON e.transaction_id = t.id ORDER BY t.seq, e.position"
)
_SNAPSHOTS = sa.text("SELECT seq, state_text FROM book_snapshots ORDER BY seq")


@translate_db_errors
def check_book(conn: Connection, name: str) -> BookCheck:
    """Check book `name` (conn's transaction is pointed at it for the check)."""
    conn.execute(sa.text(f'SET LOCAL search_path = "{book_schema(name)}", public'))
    report = BookCheck(name)
    try:
        ledger = recover_ledger(conn)
    except CorruptLedger as error:
        report.problems.append(f"replay: {error}")
        ledger = None
    if ledger is not None:
        report.transactions = ledger.transaction_count
    snapshots = [state_from_text(text, seq) for seq, text in conn.execute(_SNAPSHOTS)]
    report.snapshots = len(snapshots)
    net: dict[UUID, Decimal] = {}
    pending = sorted(snapshots, key=lambda s: s.tx_seq)
    rows = conn.execute(_ENTRIES.execution_options(stream_results=True, max_row_buffer=5000))
    for seq, account_id, side, amount in rows:
        while pending and pending[0].tx_seq < seq:
            _compare_balances(report, pending.pop(0), net)
        signed = amount if side == "Debit" else -amount
        net[account_id] = EXACT.add(net.get(account_id, Decimal(0)), signed)
    for snapshot in pending:
        _compare_balances(report, snapshot, net)
    positions: dict[Symbol, Position] = {}
    booking = booking_of(conn)
    waiting = sorted(snapshots, key=lambda s: s.order_seq)
    fills = conn.execute(
        FILLS_BETWEEN.execution_options(stream_results=True, max_row_buffer=5000),
        {"after": 0, "upto": 2**63 - 1},
    )
    for fill in fills:
        while waiting and waiting[0].order_seq < fill.seq:
            _compare_snapshot_positions(report, waiting.pop(0), positions)
        fold_fills(positions, [fill], booking)
    for snapshot in waiting:
        _compare_snapshot_positions(report, snapshot, positions)
    if ledger is not None:
        replayed = {b.account.id: _net(b.account.type.normal_side.value, b.amount)
                    for b in ledger.balances()}  # fmt: skip
        try:
            opened = load_book_state(conn)
        except CorruptLedger as error:
            report.problems.append(f"open: {error}")
        else:
            _compare(report, "the book as opened", opened.net_debits, replayed)
            _compare_positions(report, "the book as opened", opened.positions, positions)
    return report


def _net(normal_side: str, balance: Decimal) -> Decimal:
    return balance if normal_side == "Debit" else -balance


def _compare_balances(report: BookCheck, snapshot: BookState, net: dict[UUID, Decimal]) -> None:
    _compare(report, f"snapshot at seq {snapshot.snapshot_seq}", snapshot.net_debits, net)


def _compare_snapshot_positions(
    report: BookCheck, snapshot: BookState, positions: dict[Symbol, Position]
) -> None:
    where = f"snapshot at seq {snapshot.snapshot_seq}"
    _compare_positions(report, where, snapshot.positions, positions)


def _compare(
    report: BookCheck, where: str, stored: dict[UUID, Decimal], replayed: dict[UUID, Decimal]
) -> None:
    for account_id in sorted(set(stored) | set(replayed), key=str):
        have = stored.get(account_id, Decimal(0))
        want = replayed.get(account_id, Decimal(0))
        if have != want:
            report.problems.append(
                f"{where}: account {account_id} nets {have}, the stored entries give {want}"
            )


def _compare_positions(
    report: BookCheck,
    where: str,
    stored: dict[Symbol, Position],
    replayed: dict[Symbol, Position],
) -> None:
    for symbol in sorted(set(stored) | set(replayed), key=str):
        have, want = stored.get(symbol, Position(symbol)), replayed.get(symbol, Position(symbol))
        if have != want:
            report.problems.append(
                f"{where}: position {symbol} is {json.dumps(_describe(have))}, the stored "
                f"fills give {json.dumps(_describe(want))}"
            )


def _describe(p: Position) -> dict[str, str]:
    return {"quantity": str(p.quantity), "cost_basis": str(p.cost_basis),
            "realized_pnl": str(p.realized_pnl), "fees": str(p.fees)}  # fmt: skip

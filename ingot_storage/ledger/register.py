"""The ledger read by date: one account's postings, the transactions of a period, and every
account's balance at an instant, streamed from PostgreSQL in posting order.

A book opens from its newest state snapshot, so its in-memory ledger holds only the balances
and the transactions since; reading by date goes to the stored transactions instead, all of
them, with the date filter in SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.accounting import Account, EntrySide, Transaction
from ingot_core.accounting.register import Posting, normal_amount
from ingot_storage.db.database import in_period, stream_rows
from ingot_storage.db.tables import entries, transactions
from ingot_storage.errors import translate_db_errors
from ingot_storage.ledger.transactions import group_transaction_rows, transaction_rows

__all__ = [
    "balance_before",
    "balances_at",
    "first_posted_at",
    "iter_postings",
    "iter_transactions_between",
]

_SIGNED = sa.case(
    (entries.c.side == EntrySide.DEBIT.value, entries.c.amount), else_=-entries.c.amount
)


@translate_db_errors
def balance_before(conn: Connection, account: Account, moment: datetime | None) -> Decimal:
    """`account`'s normal-side balance from every transaction posted before `moment` (0 for
    None: nothing comes before the beginning)."""
    if moment is None:
        return Decimal(0)
    net = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(_SIGNED), 0))
        .select_from(entries.join(transactions, entries.c.transaction_id == transactions.c.id))
        .where(entries.c.account_id == account.id, transactions.c.posted_at < moment)
    ).scalar_one()
    return normal_amount(account, EntrySide.DEBIT, Decimal(net)) if net else Decimal(0)


def iter_postings(
    conn: Connection, account: Account, since: datetime | None, until: datetime | None
) -> Iterator[Posting]:
    """`account`'s postings from `since` (inclusive) to `until` (exclusive), in posting
    order (the date, then the order the book stored them)."""
    query = in_period(
        sa.select(
            transactions.c.posted_at,
            transactions.c.id,
            transactions.c.description,
            entries.c.side,
            entries.c.amount,
        )
        .select_from(entries.join(transactions, entries.c.transaction_id == transactions.c.id))
        .where(entries.c.account_id == account.id)
        .order_by(transactions.c.posted_at, transactions.c.seq, entries.c.position),
        transactions.c.posted_at,
        since,
        until,
    )
    for row in stream_rows(conn, query, 2000):
        yield Posting(row.posted_at, row.id, row.description, EntrySide(row.side), row.amount)


def iter_transactions_between(
    conn: Connection, since: datetime | None, until: datetime | None
) -> Iterator[Transaction]:
    """The transactions posted from `since` (inclusive) to `until` (exclusive), with their
    entries, in posting order."""
    yield from group_transaction_rows(
        stream_rows(
            conn, in_period(transaction_rows(), transactions.c.posted_at, since, until), 2000
        )
    )


@translate_db_errors
def first_posted_at(conn: Connection) -> datetime | None:
    """When the book's first transaction was posted (None: it has none)."""
    moment: datetime | None = conn.execute(
        sa.select(sa.func.min(transactions.c.posted_at))
    ).scalar()
    return moment


@translate_db_errors
def balances_at(conn: Connection, moment: datetime) -> dict[UUID, Decimal]:
    """Each account's net debits (debit-positive) from the transactions posted before
    `moment`; accounts with none are left out."""
    rows = conn.execute(
        sa.select(entries.c.account_id, sa.func.sum(_SIGNED))
        .select_from(entries.join(transactions, entries.c.transaction_id == transactions.c.id))
        .where(transactions.c.posted_at < moment)
        .group_by(entries.c.account_id)
    )
    return {account_id: Decimal(net) for account_id, net in rows}

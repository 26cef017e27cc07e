"""Ledger transactions and their entries in PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.accounting import Currency, Entry, EntrySide, Transaction
from ingot_storage.db.copy import copy_rows, insert_new_rows
from ingot_storage.db.database import stream_rows
from ingot_storage.db.tables import entries, transactions
from ingot_storage.errors import CorruptLedger, IntegrityViolation, translate_db_errors

__all__ = [
    "copy_new_transactions",
    "group_transaction_rows",
    "iter_transactions",
    "load_transactions",
    "save_transaction",
    "save_transactions",
    "transaction_rows",
]


_HEADER = ("id", "posted_at", "description")
_ENTRY = ("transaction_id", "position", "account_id", "side", "amount", "currency_code", "decimals")


def _header_row(tx: Transaction) -> tuple[Any, ...]:
    return (tx.id, tx.posted_at, tx.description)  # in _HEADER order


def _entry_rows(tx: Transaction) -> list[tuple[Any, ...]]:
    return [
        (
            tx.id,
            position,
            entry.account_id,
            entry.side.value,
            entry.amount,
            entry.currency.code,
            entry.currency.decimals,
        )
        for position, entry in enumerate(tx.entries)
    ]


@translate_db_errors
def save_transactions(conn: Connection, txs: Sequence[Transaction]) -> list[Transaction]:
    """Insert transactions with all their entries; return those that were new, in order.

    Headers go through a COPY stage and one INSERT, new entries by COPY, inside the caller's
    database transaction: a failing entry rolls back every header with it. A transaction
    already stored is skipped; a different one under a stored id raises IntegrityViolation.
    """
    if not txs:
        return []
    headers = [_header_row(t) for t in txs]
    inserted = {key for (key,) in insert_new_rows(conn, transactions, _HEADER, headers, ["id"])}
    new = [tx for tx in txs if tx.id in inserted]
    existing = [tx for tx in txs if tx.id not in inserted]
    if existing:
        stored = {tx.id: tx for tx in _query_transactions(conn, [tx.id for tx in existing])}
        for tx in existing:
            if stored.get(tx.id) != tx:
                raise IntegrityViolation(
                    f"transaction {tx.id} is already stored with other content"
                )
    if new:  # headers just inserted, so every entry is new too
        copy_rows(conn, entries, _ENTRY, (row for tx in new for row in _entry_rows(tx)))
    return new


def copy_new_transactions(conn: Connection, txs: Sequence[Transaction]) -> None:
    """COPY transactions none of which is stored yet, with their entries; a stored id fails
    the COPY (psycopg's UniqueViolation), so the caller runs this under a savepoint and falls
    back to `save_transactions`."""
    copy_rows(conn, transactions, _HEADER, map(_header_row, txs))
    copy_rows(conn, entries, _ENTRY, (row for tx in txs for row in _entry_rows(tx)))


def save_transaction(conn: Connection, tx: Transaction) -> bool:
    """Insert one transaction and its entries; True if it was new (idempotent on id)."""
    return bool(save_transactions(conn, [tx]))


def transaction_rows() -> sa.Select[Any]:
    """Every transaction's entries, one row each, in posting order (the date, then the order
    the book stored them); `group_transaction_rows` makes them transactions again."""
    return (
        sa.select(
            transactions.c.id.label("tx_id"),
            transactions.c.posted_at,
            transactions.c.description,
            entries.c.account_id,
            entries.c.side,
            entries.c.amount,
            entries.c.currency_code,
            entries.c.decimals,
        )
        .join(entries, entries.c.transaction_id == transactions.c.id)
        .order_by(transactions.c.posted_at, transactions.c.seq, entries.c.position)
    )


def _query_transactions(conn: Connection, ids: Sequence[UUID] | None) -> Iterator[Transaction]:
    query = transaction_rows()
    if ids is not None:
        query = query.where(transactions.c.id.in_(ids))
    # Rows arrive ordered by transaction, so one pass groups each one's entries.
    yield from group_transaction_rows(stream_rows(conn, query, 2000))


def group_transaction_rows(rows: Iterable[Any]) -> Iterator[Transaction]:
    """Rows of `transaction_rows` (in its order) as transactions with their entries."""
    for tx_id, group in groupby(rows, key=lambda row: row.tx_id):
        legs = list(group)
        try:
            tx_entries = tuple(
                Entry(
                    row.account_id,
                    EntrySide(row.side),
                    row.amount,
                    Currency(row.currency_code, row.decimals),
                )
                for row in legs
            )
        except ValueError as error:
            raise CorruptLedger(f"stored transaction {tx_id} is invalid: {error}") from error
        yield Transaction(tx_id, legs[0].posted_at, legs[0].description, tx_entries)


def load_transactions(conn: Connection) -> list[Transaction]:
    """Every transaction with its entries, in posting order."""
    return list(_query_transactions(conn, None))


def iter_transactions(conn: Connection) -> Iterator[Transaction]:
    """Stream every transaction with its entries, in posting order."""
    yield from _query_transactions(conn, None)

"""The trader's book: the ledger Ingot works on, recovered or bootstrapped on open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Connection

from ingot_core.accounting import (
    AccountType,
    Currency,
    Ledger,
    bootstrap_ledger,
    capital_account_name,
)
from ingot_core.audit import AuditEntry, AuditEvent, account_created, transaction_posted
from ingot_core.engine.positions import BookingMethod
from ingot_core.errors import DuplicateAccount, UnknownAccount
from ingot_storage.audit.log import append_audit_batch, audit_head
from ingot_storage.config import StorageConfig
from ingot_storage.db.database import Database
from ingot_storage.db.locks import BOOTSTRAP_LOCK, lock_book
from ingot_storage.errors import CorruptLedger
from ingot_storage.ledger.accounts import load_accounts, save_accounts
from ingot_storage.ledger.book_state import BookState, load_book_state
from ingot_storage.ledger.booking import book_opened, booking_of
from ingot_storage.ledger.recovery import recover_ledger
from ingot_storage.ledger.transactions import save_transactions

__all__ = ["Book", "adopt_into_audit", "base_currency_of", "open_book", "persist_ledger"]


@dataclass(frozen=True)
class Book:
    """The open ledger and what opening it did.

    Attributes:
      ledger: every account and posted transaction, rebuilt exactly.
      base_currency: the currency NAV is reported in by default.
      bootstrapped: True when this open created the ledger in a fresh database.
      state: what the ledger was opened from (the newest snapshot and its tail), with the
        positions; None when it was bootstrapped or replayed whole.
      booking: how the book's sells close lots (ingot_storage.ledger.booking).
    """

    ledger: Ledger
    base_currency: Currency
    bootstrapped: bool
    state: BookState | None = None
    booking: BookingMethod = BookingMethod.AVERAGE


def base_currency_of(ledger: Ledger, fallback: Currency) -> Currency:
    """The currency of the owner's first capital account, else `fallback`."""
    for account in ledger.accounts:
        if account.type is AccountType.EQUITY and account.name == capital_account_name(
            account.currency.code
        ):
            return account.currency
    return fallback


def persist_ledger(
    conn: Connection,
    ledger: Ledger,
    actor: str = "ingot",
    now: datetime | None = None,
    first: Sequence[AuditEvent] = (),
) -> list[AuditEntry]:
    """Save every account and transaction of `ledger`, auditing the new ones (after the
    events `first`).

    Idempotent: rows already stored are skipped and get no second audit entry. Data rows
    and audit rows go into the caller's database transaction, so they commit together.
    """
    events = list(first)
    events += [account_created(a, actor) for a in save_accounts(conn, ledger.accounts)]
    events += [transaction_posted(t, actor) for t in save_transactions(conn, ledger.transactions)]
    return append_audit_batch(conn, events, now)


def adopt_into_audit(conn: Connection, ledger: Ledger, now: datetime) -> list[AuditEntry]:
    """Audit a ledger written before the audit trail existed (the 0001 -> 0002 upgrade).

    Runs only while the audit log is empty, so it happens once, in the opening transaction.
    """
    events = [account_created(a, "migration") for a in ledger.accounts]
    events += [transaction_posted(t, "migration") for t in ledger.transactions]
    return append_audit_batch(conn, events, now)


def open_book(database: Database, config: StorageConfig, now: datetime) -> Book:
    """Open the ledger from its newest snapshot and what came after (ingot_storage.
    book_state); in a fresh book, bootstrap one and persist it atomically.

    A ledger found without any audit entries (written before the audit trail existed) is
    replayed whole and adopted into the trail in the same transaction.
    """
    with database.begin() as conn:
        lock_book(conn, BOOTSTRAP_LOCK)  # two processes opening a fresh book make it once
        stored = load_accounts(conn)
        if stored and audit_head(conn).size == 0:
            ledger = recover_ledger(conn)
            if ledger is not None:
                adopt_into_audit(conn, ledger, now)
                base = base_currency_of(ledger, config.base_currency)
                return Book(ledger, base, False, booking=booking_of(conn))
        if stored:
            state = load_book_state(conn, stored)
            try:
                ledger = state.ledger(stored)
            except (DuplicateAccount, UnknownAccount) as error:
                raise CorruptLedger(f"stored accounts conflict: {error}") from error
            base = base_currency_of(ledger, config.base_currency)
            return Book(ledger, base, False, state, state.booking)
        ledger = bootstrap_ledger(config.base_currency, config.opening_capital, now)
        booking = BookingMethod(config.booking)
        opened = book_opened(conn, booking, config.base_currency.code, "bootstrap")
        persist_ledger(conn, ledger, actor="bootstrap", now=now, first=[opened])
        return Book(ledger, config.base_currency, True, booking=booking)

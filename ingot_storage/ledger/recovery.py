"""Rebuilding the ledger from PostgreSQL (seed 000, Step 2.3)."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Connection

from ingot_core.accounting import Ledger
from ingot_core.errors import DuplicateAccount, TransactionRejected
from ingot_storage.errors import CorruptLedger, db_errors
from ingot_storage.ledger.accounts import load_accounts
from ingot_storage.ledger.transactions import iter_transactions

__all__ = ["recover_ledger"]

_log = logging.getLogger(__name__)


def recover_ledger(conn: Connection) -> Ledger | None:
    """The ledger the database holds, replayed through validation; None for a fresh database.

    None tells the caller to bootstrap. A stored row that no longer validates raises
    CorruptLedger naming it: recovery never skips or repairs anything silently.
    """
    stored_accounts = load_accounts(conn)
    if not stored_accounts:
        _log.info("no persisted ledger; the caller bootstraps a fresh one")
        return None
    ledger = Ledger()
    for account in stored_accounts:
        try:
            ledger.add_account(account)
        except DuplicateAccount as error:
            raise CorruptLedger(f"stored accounts conflict: {error}") from error
    with db_errors():
        for tx in iter_transactions(conn):
            try:
                ledger.post(tx)
            except TransactionRejected as error:
                raise CorruptLedger(f"stored {error}") from error
    _log.info(
        "ledger recovered: %d accounts, %d transactions",
        len(stored_accounts),
        ledger.transaction_count,
    )
    return ledger

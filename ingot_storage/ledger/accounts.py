"""Accounts in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.accounting import Account, AccountType, Currency
from ingot_storage.db.copy import copy_rows, insert_new_rows
from ingot_storage.db.tables import accounts
from ingot_storage.errors import CorruptLedger, IntegrityViolation, translate_db_errors

__all__ = ["copy_new_accounts", "load_accounts", "save_account", "save_accounts"]

_COLUMNS = (
    accounts.c.id,
    accounts.c.name,
    accounts.c.account_type,
    accounts.c.currency_code,
    accounts.c.decimals,
)
_NAMES = [column.name for column in _COLUMNS]


def _account_to_row(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.name,
        "account_type": account.type.value,
        "currency_code": account.currency.code,
        "decimals": account.currency.decimals,
    }


def _row_to_account(row: Any) -> Account:
    # `row` is a SQLAlchemy Row of the _COLUMNS select; its generic form differs across 2.0/2.1.
    try:
        return Account(
            id=row.id,
            name=row.name,
            type=AccountType(row.account_type),
            currency=Currency(row.currency_code, row.decimals),
        )
    except ValueError as error:
        raise CorruptLedger(f"stored account {row.id} is invalid: {error}") from error


def _account_values(account: Account) -> list[Any]:
    row = _account_to_row(account)
    return [row[name] for name in _NAMES]


@translate_db_errors
def save_accounts(conn: Connection, new_accounts: Sequence[Account]) -> list[Account]:
    """Insert accounts (a COPY stage, one INSERT); return those that were new, in order.

    Saving an account already stored is a no-op; a different account under a stored id
    raises IntegrityViolation rather than being silently ignored.
    """
    if not new_accounts:
        return []
    rows = [_account_values(account) for account in new_accounts]
    inserted = {key for (key,) in insert_new_rows(conn, accounts, _NAMES, rows, ["id"])}
    skipped = [account for account in new_accounts if account.id not in inserted]
    if skipped:
        stored = {
            row.id: row
            for row in conn.execute(
                sa.select(*_COLUMNS).where(accounts.c.id.in_([a.id for a in skipped]))
            )
        }
        for account in skipped:
            if _row_to_account(stored[account.id]) != account:
                raise IntegrityViolation(
                    f"account {account.id} is already stored with different fields"
                )
    return [account for account in new_accounts if account.id in inserted]


def copy_new_accounts(conn: Connection, new_accounts: Sequence[Account]) -> None:
    """COPY accounts none of which is stored yet; a stored one fails the COPY (psycopg's
    UniqueViolation), so the caller runs this under a savepoint and falls back to
    `save_accounts`."""
    rows = (_account_values(account) for account in new_accounts)
    copy_rows(conn, accounts, _NAMES, rows)


def save_account(conn: Connection, account: Account) -> bool:
    """Insert one account; True if it was new (idempotent on id)."""
    return bool(save_accounts(conn, [account]))


@translate_db_errors
def load_accounts(conn: Connection) -> list[Account]:
    """Every account, oldest first."""
    query = sa.select(*_COLUMNS).order_by(accounts.c.created_at, accounts.c.seq)
    return [_row_to_account(row) for row in conn.execute(query)]

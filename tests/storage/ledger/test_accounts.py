"""Accounts in PostgreSQL (seed 000, Tasks 2.1.4-2.1.5)."""

from __future__ import annotations

from uuid import uuid4

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Connection, Engine

from ingot_core.accounting import Account, AccountType, Currency
from ingot_storage import IntegrityViolation, load_accounts, save_account, save_accounts
from tests.builders import BTC, account


def test_save_account_persists_all_fields(conn: Connection) -> None:
    saved = account("Assets:Holdings:BTC", AccountType.ASSET, BTC)
    assert save_account(conn, saved) is True
    row = conn.execute(sa.text("SELECT * FROM accounts")).one()
    assert row.id == saved.id
    assert row.name == "Assets:Holdings:BTC"
    assert row.account_type == "Asset"
    assert row.currency_code == "BTC"
    assert row.decimals == 8
    assert row.created_at.tzinfo is not None


def test_save_account_idempotent_on_duplicate_id(conn: Connection) -> None:
    saved = account()
    assert save_account(conn, saved) is True
    assert save_account(conn, saved) is False
    assert conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar() == 1


def test_save_account_different_account_under_same_id_is_refused(conn: Connection) -> None:
    # Stricter than seed 000's "silently ignored": a replay is ignored, a contradiction is not.
    saved = account("Assets:Cash:USD")
    save_account(conn, saved)
    with pytest.raises(IntegrityViolation, match="different fields"):
        save_account(conn, Account(saved.id, "Assets:Other", saved.type, saved.currency))


def test_save_account_different_ids_both_persist(conn: Connection) -> None:
    save_account(conn, account("A"))
    save_account(conn, account("B"))
    assert {a.name for a in load_accounts(conn)} == {"A", "B"}


def test_save_account_duplicate_name_is_an_integrity_violation(engine: Engine) -> None:
    with engine.begin() as conn:
        save_account(conn, account("Assets:Cash:USD"))
    with pytest.raises(IntegrityViolation, match="uq_accounts_name"), engine.begin() as conn:
        save_account(conn, account("Assets:Cash:USD"))


def test_load_accounts_empty_db_returns_empty_vec(conn: Connection) -> None:
    assert load_accounts(conn) == []


def test_load_accounts_returns_all_saved_accounts(conn: Connection) -> None:
    accounts = [account(f"Assets:N{n}") for n in range(5)]
    assert save_accounts(conn, accounts) == accounts
    assert load_accounts(conn) == accounts


def test_load_accounts_preserves_field_values(conn: Connection) -> None:
    kinds = list(AccountType)
    accounts = [account(f"X:{k}", k, Currency(f"C{n}X", n)) for n, k in enumerate(kinds)]
    save_accounts(conn, accounts)
    assert load_accounts(conn) == accounts


def test_load_accounts_ordered_by_created_at(engine: Engine) -> None:
    # Three separate commits get three created_at values; within a commit, write order wins.
    batches = [[account("late-1"), account("late-0")], [account("first")], [account("z")]]
    for batch in reversed(batches):
        with engine.begin() as conn:
            save_accounts(conn, batch)
    with engine.connect() as conn:
        names = [a.name for a in load_accounts(conn)]
    assert names == ["z", "first", "late-1", "late-0"]


def test_database_rejects_unknown_account_type(conn: Connection) -> None:
    with pytest.raises(sa.exc.IntegrityError, match="ck_accounts_account_type"):
        conn.execute(
            sa.text(
                "INSERT INTO accounts (id, name, account_type, currency_code) "
                "VALUES (:id, 'x', 'Asset ', 'USD')"
            ),
            {"id": uuid4()},
        )


names = st.text(min_size=1, max_size=60).filter(lambda s: s.strip() and "\x00" not in s)
codes = st.from_regex(r"[A-Z0-9]{2,12}", fullmatch=True)
accounts_strategy = st.builds(
    Account,
    id=st.uuids(),
    name=names,
    type=st.sampled_from(AccountType),
    currency=st.builds(Currency, code=codes, decimals=st.integers(0, 18)),
)


@given(saved=accounts_strategy)
def test_proptest_account_round_trip(engine: Engine, saved: Account) -> None:
    with engine.connect() as conn, conn.begin() as tx:
        save_account(conn, saved)
        assert load_accounts(conn) == [saved]
        tx.rollback()

"""A book's schema holds exactly main's tables, its own audit chain and its own locks."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ingot_storage.db.tables import BOOK_TABLES
from ingot_storage.errors import UnknownBook
from ingot_storage.ledger.books import book_exists, create_book, drop_book


def shape(engine: Engine, schema: str) -> dict[str, Any]:
    inspector = sa.inspect(engine)
    out: dict[str, Any] = {}
    for table in BOOK_TABLES:
        out[table] = (
            [(c["name"], str(c["type"]), c["nullable"], bool(c.get("identity")))
             for c in inspector.get_columns(table, schema=schema)],
            inspector.get_pk_constraint(table, schema=schema)["constrained_columns"],
            sorted(u["name"] for u in inspector.get_unique_constraints(table, schema=schema)),
            sorted(c["sqltext"] for c in inspector.get_check_constraints(table, schema=schema)),
            sorted(i["name"] for i in inspector.get_indexes(table, schema=schema)),
            sorted(fk["name"] for fk in inspector.get_foreign_keys(table, schema=schema)),
        )  # fmt: skip
    return out


def triggers(engine: Engine, schema: str) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.text(
                    "SELECT c.relname, t.tgname, t.tgenabled::text FROM pg_trigger t "
                    "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = :s AND NOT t.tgisinternal "
                    "ORDER BY 1, 2"
                ),
                {"s": schema},
            )
        ]


def test_a_new_book_has_exactly_mains_tables_and_append_only_triggers(engine: Engine) -> None:
    with engine.begin() as conn:
        assert create_book(conn, "bt-x") is True
        assert create_book(conn, "bt-x") is False  # made once
        assert book_exists(conn, "bt-x")
    assert shape(engine, "book_bt_x") == shape(engine, "public")
    assert triggers(engine, "book_bt_x") == triggers(engine, "public")
    assert {enabled for _, _, enabled in triggers(engine, "book_bt_x")} == {"A"}  # ALWAYS


def test_names_that_cannot_be_books_and_names_that_collide(engine: Engine) -> None:
    with engine.begin() as conn:
        create_book(conn, "a-b")
    with engine.begin() as conn, pytest.raises(UnknownBook, match="too close to 'a-b'"):
        create_book(conn, "a_b")
    with engine.begin() as conn, pytest.raises(UnknownBook, match="is not a book name"):
        create_book(conn, "A")
    with engine.begin() as conn:
        drop_book(conn, "a-b")
        assert not book_exists(conn, "a-b")

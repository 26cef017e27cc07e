"""Books: the registry of the ledgers this database holds.

`main` is the tables in public, as before. Every other book's tables live in a schema of
its own, created whole at the current revision when the book is made (ingot_storage.ledger.books),
so a migration that changes a book table must change it in each schema named here too.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the registry, holding main."""
    op.create_table(
        "books",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("schema_name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('paper', 'scratch')", name=op.f("ck_books_kind")),
        sa.PrimaryKeyConstraint("name", name="pk_books"),
        sa.UniqueConstraint("schema_name", name="uq_books_schema_name"),
    )
    op.execute(
        "INSERT INTO books (name, schema_name, kind, created_at) SELECT 'main', 'public', "
        "'paper', coalesce((SELECT min(created_at) FROM accounts), now())"
    )


def downgrade() -> None:
    """Drop every other book's schema, then the registry."""
    for (schema,) in op.get_bind().execute(
        sa.text("SELECT schema_name FROM books WHERE schema_name <> 'public'")
    ):
        op.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    op.drop_table("books")

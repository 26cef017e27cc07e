"""The one MetaData every table of Ingot is defined on, with its constraint naming rules."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["NAMING_CONVENTION", "NOW", "metadata"]

NAMING_CONVENTION = {
    "ix": "idx_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

NOW = sa.text("now()")

"""URLs and addresses in the configuration: PostgreSQL's (parsed and pointed at psycopg 3),
QuestDB's, Kraken's, and how a message may show one (its password masked)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ingot_core.numbers import parse_whole
from ingot_storage.errors import ConfigError

__all__ = [
    "http_url",
    "ilp_addr",
    "normalize_database_url",
    "questdb_pg_url",
    "redact_url",
    "without_passwords",
]

_POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg"}


def normalize_database_url(raw: str, variable: str = "DATABASE_URL") -> URL:
    """Parse a PostgreSQL URL and point it at the psycopg 3 driver."""
    text = raw.strip()
    if not text:
        raise ConfigError(variable, "is empty; unset it to use the embedded PostgreSQL")
    _, sep, rest = text.partition("://")
    if sep and rest.split("/", 1)[0].count("@") > 1:
        # make_url would take the password's tail for the host, and show it in errors.
        raise ConfigError(
            variable, "has an '@' in its user or password; write it as %40 (percent-encoded)"
        )
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise ConfigError(
            variable, "is not a URL; expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from None
    if url.drivername not in _POSTGRES_SCHEMES:
        raise ConfigError(
            variable, f"scheme {url.drivername!r} is not PostgreSQL; use postgresql://"
        )
    if not url.database:
        raise ConfigError(variable, "names no database; add /DATABASE at the end")
    try:
        _ = url.port
    except ValueError:
        raise ConfigError(variable, "has a port that is not a number") from None
    return url.set(drivername="postgresql+psycopg")


def ilp_addr(env: Mapping[str, str]) -> tuple[str, int] | None:
    raw = env.get("QUESTDB_ILP_ADDR", "").strip()
    if not raw:
        return None
    host, sep, port_text = raw.rpartition(":")
    if not sep or not host:
        raise ConfigError("QUESTDB_ILP_ADDR", f"{raw!r} must be HOST:PORT, e.g. localhost:9009")
    try:
        port = parse_whole(port_text, "port", 1, 65535)
    except ValueError as error:
        raise ConfigError("QUESTDB_ILP_ADDR", str(error)) from None
    return host.strip("[]"), port


def questdb_pg_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("QUESTDB_PG_URL", "").strip()
    if raw:
        if not raw.startswith(("postgres://", "postgresql://")):
            raise ConfigError("QUESTDB_PG_URL", f"{redact_url(raw)!r} must be a postgresql:// URL")
        return raw
    addr = ilp_addr(env)
    return None if addr is None else f"postgresql://admin:quest@{addr[0]}:8812/qdb"


_PASSWORD = re.compile(r"(://[^/@:\s]*:)[^/\s]*@")


def without_passwords(text: str) -> str:
    """`text` with the password of every URL in it masked (between ':' and '@')."""
    return _PASSWORD.sub(r"\1***@", text)


def redact_url(text: str) -> str:
    """What a message may show of a URL: its password masked, cut short."""
    shown = without_passwords(text)
    return shown if len(shown) <= 120 else shown[:120] + "…"


def http_url(
    env: Mapping[str, str], name: str, default: str, schemes: tuple[str, ...] = ("http", "https")
) -> str:
    """The URL in `name` (else `default`), refused unless it is one of `schemes`."""
    raw = env.get(name, "").strip() or default
    if not raw.startswith(tuple(f"{scheme}://" for scheme in schemes)):
        wanted = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ConfigError(name, f"{redact_url(raw)!r} must be a {wanted} URL")
    return raw.rstrip("/")

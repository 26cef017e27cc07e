"""Storage errors, and the one place driver errors become them.

    IngotError (ingot_core.errors)
    ├── StorageError
    │   ├── ConfigError            an environment variable is malformed (exit 12)
    │   ├── DatabaseUnavailable    the server cannot be reached or started (exit 10)
    │   ├── SchemaError            migrations missing, ahead of this Ingot, or failed
    │   ├── IntegrityViolation     the database refused a write (constraint, conflict)
    │   ├── CorruptLedger          persisted rows do not rebuild a valid ledger
    │   ├── SpillError             the spill file holds a batch that cannot be read or written
    │   ├── BookBusy               another process is trading the book (exit 13)
    │   ├── BookTaken              this writer lost the book's lease: fenced (exit 13)
    │   ├── ServerInUse            the embedded server cannot stop: others use it (exit 13)
    │   ├── UnknownBook            no book of that name, or a name no book can have (exit 11)
    │   ├── UnknownEntry           no audit entry with that sequence number (exit 11)
    │   ├── AuditRefused           the audit head does not extend the last trusted checkpoint:
    │   │                          it is not signed (exit 1)
    │   └── SourceUnavailable      a market-data source failed after retries (exit 10)
    │       └── KrakenRejected     (sources.kraken) Kraken answered with an error of its own
    └── ValidationError (ingot_core.errors)
        ├── BadInputFile           (market.ingest_report) a data file with bad rows (exit 11)
        ├── ConflictingBars        (market.stage) a bar differing from the stored one (exit 11)
        └── UnknownPair            (sources.kraken) Kraken lists no such pair (exit 11)

Internal, never leaving their module: `market.bar_copy.FastPathRefused` (the fast CSV path
gives up; the careful path reads the file again), `sources.bounded_http.AnswerRefused` and
its `AnswerTooSlow` (an answer over its size or time bound; the Kraken client turns them into
SourceUnavailable), the Kraken client's retry signal, and `sources.reconnect.RateLimited` (a
venue's "too many messages": a WebSocket feed waits longer before it reconnects).

SQLAlchemy and psycopg exceptions never leave this package: `translate_db_errors`
wraps every public entry point that touches the database, and `db_errors` every block
that uses the psycopg connection directly (COPY, server-side cursors).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from ingot_core.errors import IngotError

__all__ = [
    "AuditRefused",
    "BookBusy",
    "BookTaken",
    "ConfigError",
    "CorruptLedger",
    "DatabaseUnavailable",
    "IntegrityViolation",
    "SchemaError",
    "ServerInUse",
    "SourceUnavailable",
    "SpillError",
    "StorageError",
    "UnknownBook",
    "UnknownEntry",
    "db_errors",
    "translate_db_errors",
]

P = ParamSpec("P")
R = TypeVar("R")


class StorageError(IngotError):
    """Base class of storage failures."""


class ConfigError(StorageError):
    """A configuration value is missing or malformed; names the variable, never a secret."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


class DatabaseUnavailable(StorageError):
    """PostgreSQL could not be reached, or the embedded server could not start."""


class SpillError(StorageError):
    """The spill file holds a batch that cannot be read back, or that PostgreSQL refuses:
    the batches behind it wait, so that nothing is written out of order."""


class BookBusy(StorageError):
    """Another process holds the book's trading lock (ingot_storage.trading.lock)."""

    def __init__(self, holder: str, waited_s: float) -> None:
        self.holder = holder
        super().__init__(
            f"another Ingot process is trading this book ({holder}); waited {waited_s:g} s"
        )


class BookTaken(StorageError):
    """Another writer took the book's lease since this one took it (ingot_storage.
    trading.lock): this writer's batches are refused, and it must stop trading."""

    def __init__(self, holder: str, detail: str = "") -> None:
        self.holder = holder
        self.detail = detail
        tail = f"; {detail}" if detail else ""
        super().__init__(f"this session lost the book to {holder}{tail}")


class ServerInUse(StorageError):
    """The embedded server was asked to stop while other Ingot processes use it."""


class UnknownBook(StorageError):
    """No book of that name, or a name no book can have."""


class UnknownEntry(StorageError):
    """No audit entry has the sequence number asked for."""


class AuditRefused(StorageError):
    """The audit log's head does not extend the newest checkpoint the key signed, so it is
    not signed: signing it would vouch for a history nobody verified."""


class SchemaError(StorageError):
    """The database schema is not the one this Ingot expects, or a migration failed."""


class IntegrityViolation(StorageError):
    """The database refused a write that would break a constraint or contradict stored data."""


class CorruptLedger(StorageError):
    """Stored accounts and transactions do not rebuild a valid ledger."""


class SourceUnavailable(StorageError):
    """A market-data source could not be reached or kept failing after retries."""


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _storage_error(driver_error: BaseException) -> StorageError:
    # The one mapping from a psycopg error to Ingot's.
    import psycopg

    if isinstance(driver_error, psycopg.IntegrityError):
        return IntegrityViolation(f"database refused the write: {_first_line(driver_error)}")
    if isinstance(driver_error, psycopg.OperationalError | psycopg.InterfaceError):
        return DatabaseUnavailable(f"database unavailable: {_first_line(driver_error)}")
    return StorageError(f"database error: {_first_line(driver_error)}")


@contextmanager
def db_errors() -> Iterator[None]:
    """Re-raise SQLAlchemy / driver exceptions as storage errors."""
    # Imported here so that `import ingot_storage.errors` stays light (ingot --help).
    import psycopg
    from sqlalchemy import exc as sa_exc

    try:
        yield
    except sa_exc.DBAPIError as error:  # SQLAlchemy's wrapper around a psycopg error
        raise _storage_error(error.orig if error.orig is not None else error) from error
    except psycopg.Error as error:  # COPY and server-side cursors use psycopg directly
        raise _storage_error(error) from error


def translate_db_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a storage entry point so driver errors leave it as storage errors."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with db_errors():
            return func(*args, **kwargs)

    return wrapper

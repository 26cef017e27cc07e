"""Exit codes, and the one place exceptions become a message and an exit code.

Exit codes follow seed 003: 0 done, 10 network, 11 bad input, 12 configuration,
13 busy (another process is trading the book) or overloaded (a live feed the engine cannot
keep up with); and 1 for a failed verification (a corrupt ledger, a broken audit chain, a
spilled batch that cannot be written).

The CLI adds two exceptions to the tree (ingot_core.errors, ingot_storage.errors):

    IngotError
    ├── FeedBehind  a live feed outran the engine by more than its queue holds (exit 13)
    └── ValidationError
        └── BadInput    an argument or option that does not parse, named (exit 11)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer.core import TyperGroup

from ingot_core.engine import LiveTradingUnavailable, UnknownOrder
from ingot_core.errors import (
    DuplicateAccount,
    IngotError,
    MissingMarks,
    UnknownAccount,
    ValidationError,
)
from ingot_storage.errors import (
    AuditRefused,
    BookBusy,
    BookTaken,
    ConfigError,
    CorruptLedger,
    DatabaseUnavailable,
    IntegrityViolation,
    SchemaError,
    ServerInUse,
    SourceUnavailable,
    UnknownBook,
    UnknownEntry,
)

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CONFIG",
    "EXIT_NETWORK",
    "EXIT_OK",
    "EXIT_OVERLOAD",
    "EXIT_VERIFY_FAILED",
    "BadInput",
    "FeedBehind",
    "IngotGroup",
    "describe",
    "error_context",
    "errors_reported",
    "report_error",
    "report_note",
    "report_warning",
    "run_guarded",
]

EXIT_OK = 0
EXIT_VERIFY_FAILED = 1
EXIT_NETWORK = 10
EXIT_BAD_INPUT = 11
EXIT_CONFIG = 12
EXIT_OVERLOAD = 13
EXIT_INTERRUPTED = 130


class BadInput(ValidationError):
    """A command argument the user must correct."""


class FeedBehind(IngotError):
    """The engine fell behind a live feed by more than its queue holds; what it took is
    committed, and the run stops rather than trade on stale prices."""


# Most specific first: the first matching type decides.
_EXIT_CODES: tuple[tuple[type[IngotError], int], ...] = (
    (ConfigError, EXIT_CONFIG),
    (BookBusy, EXIT_OVERLOAD),
    (FeedBehind, EXIT_OVERLOAD),
    (BookTaken, EXIT_OVERLOAD),
    (ServerInUse, EXIT_OVERLOAD),
    (UnknownBook, EXIT_BAD_INPUT),
    (UnknownEntry, EXIT_BAD_INPUT),
    (SchemaError, EXIT_CONFIG),
    (DatabaseUnavailable, EXIT_NETWORK),
    (SourceUnavailable, EXIT_NETWORK),
    (CorruptLedger, EXIT_VERIFY_FAILED),
    (AuditRefused, EXIT_VERIFY_FAILED),
    (LiveTradingUnavailable, EXIT_CONFIG),
    (UnknownOrder, EXIT_BAD_INPUT),
    (MissingMarks, EXIT_BAD_INPUT),
    (ValidationError, EXIT_BAD_INPUT),
    (UnknownAccount, EXIT_BAD_INPUT),
    (DuplicateAccount, EXIT_BAD_INPUT),
    (IntegrityViolation, EXIT_BAD_INPUT),
)

_HINTS: dict[type[IngotError], str] = {
    MissingMarks: "give each price with --mark CODE=PRICE",
    BookBusy: "run the command in that session, or close it first",
    BookTaken: "nothing more is traded by this session; run the command again to trade",
}


def describe(error: IngotError) -> tuple[str, int]:
    """The one-line message and exit code for an Ingot error."""
    code = next((c for kind, c in _EXIT_CODES if isinstance(error, kind)), EXIT_VERIFY_FAILED)
    hint = next((h for kind, h in _HINTS.items() if isinstance(error, kind)), None)
    if isinstance(error, DatabaseUnavailable) and os.environ.get("DATABASE_URL", "").strip():
        hint = "check DATABASE_URL, or unset it to use the embedded PostgreSQL"
    message = str(error) if hint is None else f"{error} ({hint})"
    return message, code


_where: list[str] = []  # where the errors reported now come from, outermost first
_reported = [0]


@contextmanager
def error_context(where: str) -> Iterator[None]:
    """Name `where` (a script's file and line) at the start of every error reported inside."""
    _where.append(where)
    try:
        yield
    finally:
        _where.pop()


def errors_reported() -> int:
    """How many error lines this process has written so far."""
    return _reported[0]


def report_note(message: str) -> None:
    """Write one `note:` line to stderr: something the user should know, not a failure."""
    sys.stderr.write(f"note: {message}\n")
    sys.stderr.flush()


def report_warning(message: str) -> None:
    """Write one `warning:` line to stderr: something is wrong, though the command worked."""
    sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()


def report_error(message: str) -> None:
    """Write one error line to stderr."""
    prefix = "".join(f"{where}: " for where in _where)
    sys.stderr.write(f"error: {prefix}{message}\n")
    sys.stderr.flush()
    _reported[0] += 1


def run_guarded(call: Callable[[], Any]) -> int:
    """Run a command; return its exit code, printing one line for any expected failure.

    The one place where exceptions become messages and exit codes: the one-shot CLI exits
    with the code, scripts stop on it, the REPL prints the line and carries on.
    """
    try:
        result = call()
    except typer.Exit as done:
        return done.exit_code
    except (typer.Abort, KeyboardInterrupt):
        report_error("interrupted")
        return EXIT_INTERRUPTED
    except typer.TyperException as usage:
        # Click's usage errors (exit code 2) are bad input under Ingot's protocol.
        code = EXIT_BAD_INPUT if usage.exit_code == 2 else usage.exit_code
        ctx = getattr(usage, "ctx", None)
        path = ctx.command_path if ctx is not None else "ingot"
        message = " ".join(usage.format_message().split())  # Click folds choices over lines
        report_error(f"{message} (see '{path} --help')")
        return code
    except IngotError as error:
        message, code = describe(error)
        report_error(message)
        return code
    return result if isinstance(result, int) else EXIT_OK


class IngotGroup(TyperGroup):
    """The root command group: maps every expected failure to one line and an exit code.

    Both the installed `ingot` script and Typer's CliRunner enter through `main`, so the
    mapping is the same everywhere and no user error ever shows a traceback.
    """

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run the command line, translating errors into messages and exit codes."""
        sys.exit(self.run_line(*args, **kwargs))

    def run_line(self, *args: Any, **kwargs: Any) -> int:
        """Run one command line without exiting the process; return its exit code."""
        from ingot_cli.help_text import dress

        dress(self)
        return run_guarded(
            lambda: super(IngotGroup, self).main(*args, standalone_mode=False, **kwargs)
        )

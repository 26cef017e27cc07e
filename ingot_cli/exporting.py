"""Where an export goes: a file written atomically, or stdout.

The target is checked before any row is read, and a file is written under a temporary name
in the same directory, then renamed: a failed export never leaves a partial file behind and
never replaces an existing one unless --force says so.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import typer

from ingot_cli.errors import BadInput
from ingot_cli.output import counted
from ingot_cli.parsing import parse_period
from ingot_cli.progress import progress
from ingot_cli.session import Session

if TYPE_CHECKING:
    pass

Writer = Callable[..., int]
"""An export: (connection, stream, since, progress, until=...) -> how many records."""


class ExportFormat(StrEnum):
    """Export file formats."""

    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True)
class ExportResult:
    """How many records went where (None: stdout)."""

    count: int
    path: Path | None


__all__ = [
    "ExportFormat",
    "ExportResult",
    "check_export_target",
    "default_target",
    "export_target",
    "report_export",
    "run_export",
]


def default_target(output: str | None, default_name: str) -> str:
    """--output as given; without it, stdout when stdout is not a terminal (a pipe or a
    redirect, as `| gzip` means), else a dated file in the current directory."""
    if output is not None:
        return output
    return default_name if sys.stdout.isatty() else "-"


def check_export_target(output: str, *, force: bool) -> Path | None:
    """Validate an --output value; None means stdout ("-")."""
    if output == "-":
        return None
    path = Path(output).expanduser()
    problems = []
    if path.is_dir():
        problems.append(f"{path} is a directory; name a file")
    elif path.exists() and not force:
        problems.append(f"{path} already exists; use --force to replace it")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        problems.append(f"directory {parent} does not exist")
    elif not os.access(parent, os.W_OK):
        problems.append(f"directory {parent} is not writable")
    if problems:
        raise BadInput("--output", problems)
    return path


@contextlib.contextmanager
def export_target(path: Path | None) -> Iterator[TextIO]:
    """A text stream for the export; the file appears only if the block succeeds."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def run_export(
    session: Session,
    writers: Mapping[Any, Writer],
    stem: str,
    fmt: StrEnum,
    since: str | None,
    output: str | None,
    force: bool,
    until: str | None = None,
) -> ExportResult:
    """Check the inputs, then stream records through `writers[fmt]` to a file or stdout."""
    moment, end = parse_period(since, until)
    name = default_target(output, f"{stem}_{datetime.now(UTC):%Y%m%d}.{fmt.value}")
    path = check_export_target(name, force=force)
    with (
        session.database.connect() as conn,
        export_target(path) as stream,
        progress(f"Exporting {stem}") as tick,
    ):
        count = writers[fmt](conn, stream, moment, tick, until=end)
    return ExportResult(count, path)


def report_export(result: ExportResult, noun: str) -> None:
    """ "Exported N <noun>s to FILE" (on stderr when the export itself went to stdout)."""
    typer.echo(f"Exported {counted(result.count, noun)} to {result.path or 'stdout'}",
               err=result.path is None)  # fmt: skip

"""Scripts: REPL lines read from a file or stdin, run in order in one session.

Blank lines and `#` comments are skipped; quoting follows the shell (shlex); a leading
`ingot` is optional, so command lines can be pasted as they are. The first failing line
stops the script: its number and text are reported and its exit code becomes the script's.
Lines before it have been committed; the failing line changed nothing (bad input never
writes).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

import typer

from ingot_cli.errors import EXIT_BAD_INPUT, EXIT_OK, IngotGroup, report_error
from ingot_cli.session import Session

__all__ = ["execute", "run_lines", "split_line"]


def split_line(line: str) -> list[str]:
    """A command line split as a shell would (raises ValueError on unbalanced quotes)."""
    words = shlex.split(line, comments=True)
    return words[1:] if words[:1] == ["ingot"] else words


def root_group() -> IngotGroup:
    """The `ingot` command tree."""
    from ingot_cli.main import app

    group = typer.main.get_command(app)
    if not isinstance(group, IngotGroup):  # pragma: no cover - fixed by main.py
        raise TypeError("the ingot app must use IngotGroup")
    return group


def execute(argv: list[str], session: Session) -> int:
    """Run one command (argv without 'ingot') in `session`; return its exit code."""
    return root_group().run_line(args=argv, prog_name="ingot", obj=session)


def run_lines(lines: Iterable[str], session: Session, source: str) -> int:
    """Run script lines in order; stop at the first failure and name its line."""
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            argv = split_line(line)
        except ValueError as error:
            report_error(f"{source}, line {number}: {error} in: {line}")
            return EXIT_BAD_INPUT
        if not argv:
            continue
        code = execute(argv, session)
        if code != EXIT_OK:
            report_error(f"{source}, line {number} failed (exit {code}); stopped: {line}")
            return code
    return EXIT_OK

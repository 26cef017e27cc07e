"""Scripts: REPL lines read from a file or stdin, run in order in one session.

Blank lines and `#` comments are skipped; quoting follows the shell (shlex); a leading
`ingot` is optional, so command lines can be pasted as they are, and `help [COMMAND]` works
as in the REPL. A byte-order mark at the start is ignored; a line that is not UTF-8 stops the
script like any bad line. A script may run another (`run FILE`), but never itself, however
indirectly. The first failing line
stops the script: its one error line starts with the script's name and the line number, and
its exit code becomes the script's.
Lines before it have been committed; the failing line changed nothing (bad input never
writes).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ingot_cli.errors import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    BadInput,
    IngotGroup,
    error_context,
    errors_reported,
    report_error,
)
from ingot_cli.session import Session

__all__ = ["command_words", "execute", "run_lines", "running_script", "split_line"]

_BOM = "\ufeff"
_MAX_NESTING = 16
_PLAIN = re.compile(r"[\x21\x24-\x26\x28-\x5b\x5d-\x7e \t\r\n]*")  # no " # ' \\
_running: list[Path] = []  # the scripts this process is running, outermost first


def split_line(line: str) -> list[str]:
    """A command line split as a shell would (raises ValueError on unbalanced quotes).

    A line of plain words (printable ASCII, no quote, backslash or #) splits the same way at
    whitespace, without shlex reading it one character at a time: a hostile line of a
    million digits is refused in a moment, not in forty seconds."""
    words = line.split() if _PLAIN.fullmatch(line) else shlex.split(line, comments=True)
    return words[1:] if words[:1] == ["ingot"] else words


def command_words(line: str) -> list[str]:
    """The argv of a REPL or script line: `help [COMMAND…]` asks that command for its help."""
    argv = split_line(line)
    if argv[:1] == ["help"]:
        return [*argv[1:], "--help"]
    return argv


@contextmanager
def running_script(path: Path) -> Iterator[Path]:
    """Mark `path` as running while the `with` lasts; refuse a script that would run itself
    (directly or through others) or nest without end."""
    resolved = path.resolve()
    if resolved in _running:
        chain = " -> ".join(p.name for p in [*_running, resolved])
        raise BadInput("run", [f"{resolved.name} would run itself ({chain})"])
    if len(_running) >= _MAX_NESTING:
        raise BadInput("run", [f"scripts nest deeper than {_MAX_NESTING}"])
    _running.append(resolved)
    try:
        yield resolved
    finally:
        _running.remove(resolved)


def execute(argv: list[str], session: Session, root: IngotGroup) -> int:
    """Run one command (argv without 'ingot') of the `root` tree in `session`; return its exit
    code."""
    return root.run_line(args=argv, prog_name="ingot", obj=session)


def run_lines(lines: Iterable[str | bytes], session: Session, source: str, root: IngotGroup) -> int:
    """Run script lines (text, or bytes read as UTF-8) as commands of `root`, in order; stop
    at the first failure and name its line."""
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as error:
            report_error(f"{source}, line {number}: not UTF-8 text (byte {error.start})")
            return EXIT_BAD_INPUT
        line = (text.removeprefix(_BOM) if number == 1 else text).strip()
        if not line or line.startswith("#"):
            continue
        try:
            argv = command_words(line)
        except ValueError as error:
            report_error(f"{source}, line {number}: {error} in: {line}")
            return EXIT_BAD_INPUT
        if not argv:
            continue
        before = errors_reported()
        with error_context(f"{source}, line {number}"):
            code = execute(argv, session, root)
            if code != EXIT_OK and errors_reported() == before:
                report_error(f"{line} failed (exit {code})")  # it said why on stdout
        if code != EXIT_OK:
            return code
    return EXIT_OK

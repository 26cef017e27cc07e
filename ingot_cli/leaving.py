"""Ending the `ingot` process once its command is done, without the interpreter's teardown.

A one-shot command loads about 600 modules (SQLAlchemy, psycopg, Typer, rich and Ingot's own).
Tearing them down at exit takes about 0.1 s on a 2-core machine: a fifth of the command, spent
after its answer is printed. By the time the command returns, everything it owes is done:
`Session.close` has drained the storage worker, committed or spilled every event, signed the
shutdown checkpoint, released the book's lock and closed the database. So the process runs
its exit handlers (logging's flush, `weakref.finalize`, temporary directories), flushes the
standard streams and ends at once.

When another thread still runs, the ordinary exit is taken, since it waits for that thread.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

__all__ = ["EXIT_FLUSH_FAILED", "leave"]

EXIT_FLUSH_FAILED = 120
"""The output could not be written at exit (the reader went away): the interpreter's own code."""


def leave(code: object) -> NoReturn:
    """End the process with the exit status `code` (a `SystemExit` code)."""
    if not (code is None or isinstance(code, int)) or threading.active_count() > 1:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    status = code or 0
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe, or a stream already closed
            status = status or EXIT_FLUSH_FAILED
    os._exit(status)

"""Files named on the command line (or '-' for stdin), opened the same way by every command."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from ingot_cli.errors import BadInput

__all__ = ["open_binary", "open_input"]


@contextmanager
def open_input(name: str) -> Iterator[tuple[IO[str], int | None]]:
    """FILE or '-' (stdin) as text, with its size when known; BadInput when unreadable."""
    with open_binary(name) as (raw, size):
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            yield text, size
        finally:
            text.detach()


@contextmanager
def open_binary(name: str) -> Iterator[tuple[IO[bytes], int | None]]:
    """FILE or '-' (stdin) as bytes, with its size when known; BadInput when unreadable."""
    if name == "-":
        handle: IO[bytes] = sys.stdin.buffer
        size = None
    else:
        try:
            handle = open(name, "rb")  # noqa: SIM115 (closed below)
            size = os.fstat(handle.fileno()).st_size
        except OSError as error:
            raise BadInput(name, [f"cannot read it: {error.strerror}"]) from None
    try:
        yield handle, size
    except UnicodeDecodeError as error:
        raise BadInput(name, [f"is not UTF-8 text (byte {error.start})"]) from None
    finally:
        if name != "-":
            handle.close()

"""An input read twice: once by a fast path that may give up, then again from the start.

A file is simply read again; a pipe (stdin) is copied to a temporary file as the first reader
goes, so the second one reads the same bytes, with whatever the first left unread.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

__all__ = ["spooled"]


@contextmanager
def spooled(data: BinaryIO) -> Iterator[tuple[BinaryIO, Callable[[], BinaryIO]]]:
    """(what to read, a way to read it again): a pipe is copied to a temp file as it is read."""
    if data.seekable():
        start = data.tell()

        def rewind_seekable() -> BinaryIO:
            data.seek(start)
            return data

        yield data, rewind_seekable
        return
    with tempfile.TemporaryFile() as spool:
        tee = _Tee(data, spool)

        def rewind_spool() -> BinaryIO:
            shutil.copyfileobj(data, spool)  # the unread rest, if the fast path stopped early
            spool.seek(0)
            return spool

        yield tee, rewind_spool  # type: ignore[misc]


class _Tee(io.RawIOBase):
    def __init__(self, source: BinaryIO, copy: BinaryIO) -> None:
        self._source, self._copy = source, copy

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size)
        self._copy.write(chunk)
        return chunk

"""A local JSONL file that survives crashes: appended and fsync'd line by line under an
exclusive lock other processes respect, read back whole lines only, and taken from the front
crash-safely. The writer's spill and the trade log's spill are both kept in one.

Hand-written: the guarantees (a line counts once its newline is on disk, an unfinished line
is a write a crash cut off, a file replaced while a process waited is opened again) are what
Ingot's promise of no loss rests on, and no maintained library states them.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["JsonlFile", "complete_lines", "cut_unfinished_line"]

_log = logging.getLogger(__name__)


class JsonlFile:
    """Lines of JSON in a file at `path`, each access under an exclusive flock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append_lines(self, *lines: bytes) -> None:
        """Append `lines` (without their newlines) durably: fsync'd before returning."""
        with self.locked() as fd:
            cut_unfinished_line(fd, self.path)
            _write_all(fd, b"".join(line + b"\n" for line in lines))
            os.fsync(fd)

    def keep(self, fd: int, lines: list[bytes], taken: int) -> None:
        """Take the first `taken` of the `lines` read (under `locked`), crash-safely."""
        if not taken:
            return
        remaining = lines[taken:]
        if not remaining:
            os.ftruncate(fd, 0)
            os.fsync(fd)
            return
        # Replaced whole: a crash leaves either the old file (whose written batches are
        # written again, idempotently) or the new one, never a part.
        temporary = self.path.with_name(f"{self.path.name}.tmp")
        with open(temporary, "wb") as handle:
            handle.write(b"".join(line + b"\n" for line in remaining))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        _fsync_directory(self.path.parent)

    @contextmanager
    def locked(self) -> Iterator[int]:
        """The file, open to read and append, under an exclusive lock that other processes
        respect. Opened again when the file was replaced while this process waited."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                    break
            except FileNotFoundError:
                pass
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
        try:
            yield fd
        finally:
            os.close(fd)  # and the lock with it


def _read_all(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def complete_lines(fd: int) -> list[bytes]:
    """The file's lines that end in a newline; an unfinished last one is left out."""
    lines = _read_all(fd).split(b"\n")
    lines.pop()  # b"" after the last newline, or an unfinished write
    return lines


def cut_unfinished_line(fd: int, path: Path) -> None:
    """Cut away an unfinished last line: a write a crash cut off, never acknowledged."""
    size = os.fstat(fd).st_size
    if not size or os.pread(fd, 1, size - 1) == b"\n":
        return
    end = _read_all(fd).rfind(b"\n") + 1
    os.ftruncate(fd, end)
    os.fsync(fd)
    cut = size - end
    _log.warning("%s: cut an unfinished write of %d bytes (a crash during an append)", path, cut)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

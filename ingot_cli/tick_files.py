"""Ticks from a JSONL file or stdin, checked whole before the first one is used: a bad line
refuses the run with the database as it was. A file is read twice (constant memory); stdin,
which cannot be read twice, is kept."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ingot_cli.inputs import open_input
from ingot_core.feed import Ticker

__all__ = ["file_ticks"]


def file_ticks(name: str) -> Iterable[Ticker]:
    """The ticks of a JSONL file, or of stdin for '-' (seed 003's replay format)."""
    # The whole input is checked before the first tick reaches the engine, so a bad line
    # leaves the database as it was: a file is read twice (constant memory), stdin kept.
    from ingot_storage.market.files import read_ticks

    with open_input(name) as (handle, _):
        if name == "-":
            return list(read_ticks(handle, name))
        for _tick in read_ticks(handle, name):
            pass
    return _streamed(name)


def _streamed(name: str) -> Iterator[Ticker]:
    from ingot_storage.market.files import read_ticks

    with open_input(name) as (handle, _):
        yield from read_ticks(handle, name)

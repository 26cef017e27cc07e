"""Progress bars for long operations: on a terminal only, on stderr, gone when done."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Tick", "progress"]

Tick = Callable[..., None]


@contextmanager
def progress(label: str, total: int | None = None) -> Iterator[Tick]:
    """A callback taking the count done so far (and, when it becomes known, the total).

    A no-op when stderr is not a terminal.
    """
    if not sys.stderr.isatty():
        yield lambda done, total=None: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)

        def tick(done: int, new_total: int | None = None) -> None:
            if new_total is not None:
                bar.update(task, total=new_total)
            bar.update(task, completed=done)

        yield tick

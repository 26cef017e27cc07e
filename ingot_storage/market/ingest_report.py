"""What an ingestion reports: the rows read, stored and refused, and the error for a bad file.

Shared by every reader of files and stdin (OHLCV CSV, JSONL ticks) and by the COPY fast path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ingot_core.errors import ValidationError

__all__ = [
    "LAST_SECOND",
    "MAX_REPORTED",
    "BadInputFile",
    "BadRow",
    "IngestReport",
    "Progress",
    "counting",
]

LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z, the last instant a datetime holds
MAX_REPORTED = 20


@dataclass(frozen=True)
class BadRow:
    """One rejected input row.

    Attributes:
      line: 1-based line number in the input.
      field: the column or key at fault ("row" when the row's shape is wrong).
      problem: what is wrong with it.
    """

    line: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.problem}"


class BadInputFile(ValidationError):
    """An input file with bad rows; nothing from it was stored."""


@dataclass
class IngestReport:
    """What one ingestion did.

    Attributes:
      source: the file name ("-" for stdin).
      rows: data rows read (good and bad).
      stored: rows that were new.
      duplicates: good rows already stored (re-ingestion is a no-op).
      bad: the first MAX_REPORTED bad rows.
      bad_count: how many rows were bad in all.
      first, last: the earliest and latest timestamp among the good rows.
      symbols: the markets the good rows are for.
    """

    source: str
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    bad: list[BadRow] = field(default_factory=list)
    bad_count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    symbols: set[str] = field(default_factory=set)

    def reject(self, row: BadRow) -> None:
        """Count a bad row, keeping the first few."""
        self.bad_count += 1
        if len(self.bad) < MAX_REPORTED:
            self.bad.append(row)

    def fail(self) -> BadInputFile:
        """The error for a file that had bad rows."""
        problems = [str(b) for b in self.bad]
        if self.bad_count > len(self.bad):
            problems.append(f"... and {self.bad_count - len(self.bad)} more bad rows")
        return BadInputFile(f"{self.source}: {self.bad_count} bad rows, nothing stored", problems)

    def seen(self, moment: datetime) -> None:
        """Widen [first, last] to include `moment`."""
        if self.first is None or moment < self.first:
            self.first = moment
        if self.last is None or moment > self.last:
            self.last = moment


Progress = Callable[[int], None]


def counting(lines: Iterable[str], progress: Progress | None) -> Iterator[str]:
    """`lines` as they are, calling `progress` with the characters read about every MB."""
    if progress is None:
        for line in lines:  # not `yield from`: closing this must not close the caller's file
            yield line
        return
    done = 0
    for line in lines:
        done += len(line)
        yield line
        if done >= 1 << 20:
            progress(done)
            done = 0
    progress(done)

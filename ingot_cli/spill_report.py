"""What `ingot db spill` shows: the spill file read without writing anything, and what
`--set-aside` did."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ingot_cli.output import Column, Output, format_count
from ingot_cli.session import Session

if TYPE_CHECKING:
    from ingot_storage.writer.spill import DrainResult

__all__ = ["SpillReport", "render_spill", "spill_json", "spill_report", "spill_reports"]


@dataclass(frozen=True)
class SpillReport:
    """What waits in this database's spill file.

    Attributes:
      path: the spill file.
      size: its size in bytes.
      batches: the batches in it (0 when one of them cannot be read).
      events: their events, counted by kind.
      unreadable: why a batch cannot be read back, if one cannot.
      set_aside_path: where `--set-aside` keeps the batches PostgreSQL refuses.
      drained: what `--set-aside` did, when it ran.
    """

    path: str
    size: int
    batches: int
    events: dict[str, int]
    unreadable: str | None
    set_aside_path: str
    drained: DrainResult | None = None


def spill_reports(session: Session) -> tuple[list[SpillReport], str | None]:
    """The book's spill file read without writing anything, and None; with the database out
    of reach, the file its server last had (or every spill file of the data directory, when
    it never answered) and a note saying so."""
    from ingot_storage.db.local_files import offline_spill_files
    from ingot_storage.errors import DatabaseUnavailable

    try:
        return [spill_report(session.spill_path)], None
    except DatabaseUnavailable as error:
        reason = str(error)
    paths, known = offline_spill_files(session.config)
    note = f"PostgreSQL is out of reach ({reason}); " + (
        "this is the spill file of the server it last reached"
        if known
        else "it never answered this data directory, so here is every spill file in it"
    )
    return [spill_report(path) for path in paths], note


def spill_report(path: Path, drained: DrainResult | None = None) -> SpillReport:
    """Read the spill file at `path` without writing anything."""
    from ingot_storage.errors import SpillError
    from ingot_storage.writer.spill import SpillFile

    spill = SpillFile(path)
    try:
        batches, unreadable = spill.batches(), None
    except SpillError as error:
        batches, unreadable = [], str(error)
    kinds = Counter(type(event).__name__ for batch in batches for event in batch.events)
    return SpillReport(
        str(spill.path),
        spill.size(),
        len(batches),
        dict(sorted(kinds.items())),
        unreadable,
        str(spill.set_aside_path),
        drained,
    )


def spill_json(report: SpillReport) -> dict[str, object]:
    """A spill report as JSON for scripts."""
    drained = report.drained
    return {
        "path": report.path,
        "bytes": report.size,
        "batches": report.batches,
        "events": report.events,
        "unreadable": report.unreadable,
        "set_aside_path": report.set_aside_path,
        "drained": None
        if drained is None
        else {"written": drained.written, "set_aside": drained.set_aside},
    }


def render_spill(out: Output, report: SpillReport) -> None:
    """The spill file's contents, and what `--set-aside` did."""
    if out.json_mode:
        out.json(spill_json(report))
        return
    if report.drained is not None:
        drained = report.drained
        out.line(
            f"Batches written to PostgreSQL: {format_count(drained.written)}; set aside: "
            f"{format_count(drained.set_aside)}"
            + (f" (kept in {report.set_aside_path})" if drained.set_aside else "")
        )
    if not report.size:
        if report.drained is not None and report.drained.set_aside:
            out.line(
                f"The spill file is empty; what PostgreSQL refused is in {report.set_aside_path}"
            )
        else:
            out.line("The spill file is empty: every event is in PostgreSQL.")
        return
    facts = [
        ("File", report.path),
        ("Size", f"{format_count(report.size)} B"),
        ("Batches", format_count(report.batches)),
    ]
    facts += [(f"  {kind}", format_count(count)) for kind, count in report.events.items()]
    if report.unreadable is not None:
        facts.append(("Unreadable", report.unreadable))
    out.table([Column("Spill"), Column("")], facts)

"""The bottom toolbar: mode, NAV, database, audit size, storage queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ingot_cli.output import format_amount
from ingot_cli.session import Session
from ingot_core.errors import MissingMarks
from ingot_storage.audit.log import audit_head
from ingot_storage.errors import DatabaseUnavailable

__all__ = ["ToolbarState", "read_toolbar", "verify_for_toolbar"]


@dataclass(frozen=True)
class ToolbarState:
    """What the toolbar shows; read after each command, not on every keystroke."""

    mode: str
    nav: str
    database: str
    audit_entries: int
    queue_depth: int
    chain: str = "not verified"
    verified_entries: int = 0
    feed: str = ""  # a background feed's state (ingot_cli.repl.background)

    def render(self, width: int = 200) -> str:
        """One line of text within `width` columns: the least needed facts give way first
        (the queue, then the database, then the audit's newer count), mode and NAV stay."""
        newer = self.audit_entries - self.verified_entries
        since = f", +{newer:,} since" if newer > 0 else ""
        queue, database = f"queue {self.queue_depth}", f"{self.database} PostgreSQL"
        audit, audit_short = f"audit {self.chain}{since}", f"audit {self.chain}"
        parts = [self.mode.upper(), f"NAV {self.nav}", *([self.feed] if self.feed else []),
                 database, audit, queue]  # fmt: skip

        def swap(old: str, new: str | None) -> Callable[[list[str]], list[str]]:
            return lambda p: [new if x == old else x for x in p if new is not None or x != old]

        shorter = [
            swap(queue, None) if self.queue_depth == 0 else swap(queue, queue),  # empty: nothing
            swap(database, self.database),
            swap(audit, audit_short),
            swap(queue, None),
            swap(self.database, None),
        ]
        line = " " + " | ".join(parts)
        for step in shorter:
            if len(line) <= width:
                break
            parts = step(parts)
            line = " " + " | ".join(parts)
        return line


def verify_for_toolbar(session: Session) -> tuple[str, int]:
    """Verify the chain once (when the REPL opens), from the newest checkpoint that checks
    out: ("VALID at N" or "BROKEN at seq S", N)."""
    report = session.audit.verify_recent()
    if report.failure is None:
        return f"VALID at {report.entries:,}", report.entries
    return f"BROKEN at seq {report.failure.seq}", report.entries


def read_toolbar(
    session: Session,
    chain: str = "not verified",
    verified: int = 0,
    previous: ToolbarState | None = None,
) -> ToolbarState:
    """The toolbar's facts, from the open session. With PostgreSQL out of reach it says so
    and keeps what it last read: the session goes on (what it trades waits in the spill)."""
    worker = session.worker
    depth = worker.metrics().queue_depth if worker is not None else 0
    try:
        view = session.view
        try:
            nav = f"{format_amount(view.nav(), view.base_currency.decimals)} {view.base_currency}"
        except MissingMarks as error:
            nav = f"? (no mark: {', '.join(error.codes)})"
        with session.database.connect() as conn:
            size = audit_head(conn).size
    except DatabaseUnavailable:
        mode = session.config.mode if previous is None else previous.mode
        nav = "?" if previous is None else previous.nav
        size = 0 if previous is None else previous.audit_entries
        return ToolbarState(mode, nav, "unreachable", size, depth, chain, verified)
    return ToolbarState(view.mode, nav, session.database.kind, size, depth, chain, verified)

"""How `ingot audit` shows entries and a verification's verdict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ingot_cli.output import Column, Output, counted
from ingot_cli.zone import label, when
from ingot_core.audit import AuditEntry

if TYPE_CHECKING:
    from ingot_storage.audit.verify import VerifyReport

__all__ = ["render_entries", "render_verify"]


def render_entries(out: Output, entries: Sequence[AuditEntry]) -> None:
    """Audit entries as seed 000's table, or JSON."""
    if out.json_mode:
        out.json(
            [
                {
                    "seq": e.seq,
                    "timestamp": e.timestamp,
                    "event_type": e.event_type,
                    "actor": e.actor,
                    "entity_id": e.entity_id,
                    "payload": e.payload_text,
                }
                for e in entries
            ]
        )
        return
    out.table(
        [
            Column("Seq", "right"),
            Column(f"Timestamp ({label()})"),
            Column("Event type"),
            Column("Actor"),
            Column("Entity ID", drop=1),
        ],
        [
            (
                str(e.seq),
                f"{when(e.timestamp)}",
                e.event_type,
                e.actor,
                "" if e.entity_id is None else str(e.entity_id),
            )
            for e in entries
        ],
    )


def render_verify(out: Output, report: VerifyReport) -> None:
    """The verdict line seed 000 shows, or JSON."""
    failure = report.failure
    if out.json_mode:
        out.json(
            {
                "valid": report.valid,
                "entries": report.entries,
                "anchors": report.anchors,
                "failure": None
                if failure is None
                else {"seq": failure.seq, "check": failure.check, "detail": failure.detail},
            }
        )
    elif failure is None:
        out.line(f"Audit chain: VALID ({counted(report.entries, 'entry')} verified)")
    else:
        out.line(f"Audit chain: BROKEN at seq {failure.seq} ({failure.check}: {failure.detail})")

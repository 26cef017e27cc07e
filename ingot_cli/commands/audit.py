"""The audit trail: query, verify, digest, prove and export."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.errors import EXIT_VERIFY_FAILED, BadInput, report_error
from ingot_cli.exporting import ExportFormat, ExportResult, report_export, run_export
from ingot_cli.output import Column, Output, counted
from ingot_cli.parsing import MAX_ROWS, MAX_SEQ, parse_period, whole_number
from ingot_cli.progress import progress
from ingot_cli.session import Session
from ingot_cli.zone import label, when
from ingot_core.audit import AuditEntry
from ingot_core.audit.vocabulary import EVENT_TYPES
from ingot_core.numbers import shown

if TYPE_CHECKING:  # storage loads when a command runs, not for --help
    from ingot_storage.audit.checkpoints import Checkpoint
    from ingot_storage.audit.proofs import InclusionProof
    from ingot_storage.audit.verify import VerifyReport

__all__ = [
    "ExportFormat",
    "ExportResult",
    "app",
    "audit_digest",
    "audit_entries",
    "export_audit",
    "prove_entry",
    "verify_audit",
]

app = typer.Typer(help="The tamper-evident audit trail.", invoke_without_command=True)


# -- the command layer ----------------------------------------------------------------------


def audit_entries(
    session: Session,
    event_type: str | None,
    since: str | None,
    limit: int,
    until: str | None = None,
) -> list[AuditEntry]:
    """Audit entries, newest first, filtered as seed 000's `audit` command."""
    moment, end = parse_period(since, until)
    if limit < 1:
        raise BadInput("--limit", [f"{limit} must be at least 1"])
    if event_type is not None and event_type not in EVENT_TYPES:
        raise BadInput("--type", [f"{shown(event_type)} is not one of {', '.join(EVENT_TYPES)}"])
    from ingot_storage.audit.log import query_audit

    with session.database.connect() as conn:
        return query_audit(conn, event_type, moment, limit, end)


def read_checkpoint_file(path: Path, flag: str) -> Checkpoint:
    """A digest written by `ingot audit digest`."""
    from ingot_storage.audit.checkpoints import Checkpoint

    try:
        return Checkpoint.from_json(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInput(flag, [f"cannot read {path}: {error.strerror}"]) from None
    except ValueError as error:
        raise BadInput(flag, [f"{path}: {error}"]) from None


def verify_audit(session: Session, digest_file: Path | None) -> VerifyReport:
    """Verify the whole audit log against its checkpoints (and a digest, if given)."""
    digest = read_checkpoint_file(digest_file, "--digest") if digest_file else None
    audit = session.audit
    with progress("Verifying", audit.size()) as tick:
        return audit.verify(digest, tick)


def audit_digest(session: Session) -> Checkpoint | None:
    """A signed checkpoint of the current head, to keep somewhere outside this machine."""
    return session.audit.head_checkpoint()


def prove_entry(session: Session, seq: int) -> InclusionProof:
    """An inclusion proof of entry `seq` against a signed checkpoint."""
    if seq < 1:
        raise BadInput("SEQ", [f"{seq} must be at least 1"])
    return session.audit.prove(seq)


def export_audit(
    session: Session,
    fmt: ExportFormat,
    since: str | None,
    output: str | None,
    force: bool,
    until: str | None = None,
) -> ExportResult:
    """Stream the audit log to a file (atomically) or stdout."""
    from ingot_storage.audit.export import export_audit_csv, export_audit_json

    writers = {ExportFormat.CSV: export_audit_csv, ExportFormat.JSON: export_audit_json}
    return run_export(session, writers, "audit", fmt, since, output, force, until)


# -- rendering ------------------------------------------------------------------------------


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


# -- Typer registration ---------------------------------------------------------------------


@app.callback()
def audit_group(
    ctx: typer.Context,
    event_type: str | None = typer.Option(None, "--type", help="Only this event type."),
    since: str | None = typer.Option(None, "--since", help="Only entries at or after this date."),
    until: str | None = typer.Option(None, "--until", help="Only entries before this date."),
    limit: int = typer.Option(
        50, "--limit", parser=whole_number(1, MAX_ROWS), help="Show at most this many entries."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Query the audit log, newest first (or run a subcommand)."""
    if ctx.invoked_subcommand is None:
        entries = audit_entries(session_of(ctx), event_type, since, limit, until)
        render_entries(output_for(json_mode, fmt), entries)


@app.command("verify")
def verify_command(
    ctx: typer.Context,
    digest: Path | None = typer.Option(
        None, "--digest", help="Also hold the log to a digest saved by 'ingot audit digest'."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Verify every entry, hash and signed checkpoint; exit 1 on any break."""
    report = verify_audit(session_of(ctx), digest)
    render_verify(output_for(json_mode, fmt), report)
    if report.failure is not None:
        failure = report.failure
        report_error(f"audit chain broken at seq {failure.seq} ({failure.check})")
        raise typer.Exit(EXIT_VERIFY_FAILED)


@app.command("digest")
def digest_command(ctx: typer.Context) -> None:
    """Print a signed checkpoint of the log's head; keep it elsewhere to detect rewrites."""
    checkpoint = audit_digest(session_of(ctx))
    if checkpoint is None:
        raise BadInput("audit digest", ["the audit log is empty; there is nothing to sign"])
    typer.echo(checkpoint.to_json())


@app.command("prove")
def prove_command(
    ctx: typer.Context,
    seq: int = typer.Argument(
        ..., parser=whole_number(1, MAX_SEQ), help="Sequence number of the entry."
    ),
) -> None:
    """Print an RFC 6962 inclusion proof of one entry against a signed checkpoint."""
    typer.echo(prove_entry(session_of(ctx), seq).to_json())


@app.command("check-proof")
def check_proof_command(
    proof_file: Path = typer.Argument(..., help="A proof printed by 'ingot audit prove'."),
) -> None:
    """Check an inclusion proof offline: no database needed; exit 1 if it does not hold."""
    from ingot_storage.audit.proofs import InclusionProof, check_proof

    try:
        proof = InclusionProof.from_json(proof_file.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInput("PROOF_FILE", [f"cannot read {proof_file}: {error.strerror}"]) from None
    except ValueError as error:
        raise BadInput("PROOF_FILE", [str(error)]) from None
    problems = check_proof(proof)
    if problems:
        typer.echo(f"Proof: INVALID ({'; '.join(problems)})")
        raise typer.Exit(EXIT_VERIFY_FAILED)
    typer.echo(
        f"Proof: VALID (entry {proof.entry.seq} is in the log of "
        f"{counted(proof.checkpoint.size, 'entry')} signed by key {proof.checkpoint.key_id})"
    )


@app.command("export")
def export_command(
    ctx: typer.Context,
    fmt: ExportFormat = typer.Option(..., "--format", help="csv or json."),
    since: str | None = typer.Option(None, "--since", help="Only entries at or after this date."),
    until: str | None = typer.Option(None, "--until", help="Only entries before this date."),
    output: str | None = typer.Option(
        None,
        "--output",
        help="File ('-': stdout); default: stdout if piped, else audit_YYYYMMDD.FORMAT.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
) -> None:
    """Export the audit log, oldest first, streaming any size."""
    report_export(export_audit(session_of(ctx), fmt, since, output, force, until), "entry")

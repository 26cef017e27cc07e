"""The audit trail: query, verify, digest, prove and export."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ingot_cli.audit_files import (
    checkpoint_arg,
    key_trust,
    pinned_public_key,
    read_checkpoint_file,
    read_text,
)
from ingot_cli.audit_report import render_entries, render_verify
from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.errors import EXIT_VERIFY_FAILED, BadInput, report_error, report_note
from ingot_cli.exporting import ExportFormat, ExportResult, report_export, run_export
from ingot_cli.output import Column, counted
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


def verify_audit(
    session: Session, digest_file: Path | None, key: str | None = None, strict: bool = False
) -> VerifyReport:
    """Verify the whole audit log against its checkpoints (and a digest, if given); `key`:
    the key every checkpoint must be signed by (default: the local audit key)."""
    digest = read_checkpoint_file(digest_file, "--digest") if digest_file else None
    audit = session.audit
    pinned = pinned_public_key(key, digest) if key is not None else None
    if key is None and (strict or digest is not None):
        if strict:
            raise BadInput("--key", ["--strict needs --key: the local key file proves nothing"])
        from ingot_storage.audit.keys import key_id_of, public_key_of

        local = public_key_of(audit.key_path)
        named = "none" if local is None else key_id_of(local)
        report_note(f"the trusted key is the local audit key ({named}, {audit.key_path}); "
                    "pin the one you trust with --key")  # fmt: skip
    with progress("Verifying", audit.size()) as tick:
        return audit.verify(digest, tick, trusted_key=pinned)


def audit_digest(session: Session) -> Checkpoint | None:
    """A signed checkpoint of the current head, to keep somewhere outside this machine."""
    return session.audit.head_checkpoint()


def prove_entry(
    session: Session, seq: int, size: int | None = None, since_file: Path | None = None
) -> InclusionProof:
    """An inclusion proof of entry `seq` against the newest signed checkpoint (or the one of
    `size` entries), with the consistency proof from the digest in `since_file`."""
    if seq < 1:
        raise BadInput("SEQ", [f"{seq} must be at least 1"])
    since = read_checkpoint_file(since_file, "--since-digest") if since_file else None
    return session.audit.prove(seq, size, since)


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
    key: str | None = typer.Option(
        None, "--key", help="Trust only this key: a PEM file or a 16-digit key id."
    ),
    strict: bool = typer.Option(False, "--strict", help="Refuse to verify without --key."),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Verify every entry, hash and signed checkpoint; exit 1 on any break."""
    report = verify_audit(session_of(ctx), digest, key, strict)
    render_verify(output_for(json_mode, fmt), report)
    if report.failure is not None:
        failure = report.failure
        report_error(f"audit chain broken at seq {failure.seq} ({failure.check})")
        raise typer.Exit(EXIT_VERIFY_FAILED)


class DigestFormat(StrEnum):
    """How `audit digest` writes the checkpoint."""

    JSON = "json"
    NOTE = "note"


@app.command("digest")
def digest_command(
    ctx: typer.Context,
    fmt: DigestFormat = typer.Option(
        DigestFormat.JSON, "--format", help="json (Ingot's digest) or note (C2SP signed note)."
    ),
) -> None:
    """Print a signed checkpoint of the log's head; keep it elsewhere to detect rewrites."""
    checkpoint = audit_digest(session_of(ctx))
    if checkpoint is None:
        raise BadInput("audit digest", ["the audit log is empty; there is nothing to sign"])
    if fmt is DigestFormat.JSON:
        typer.echo(checkpoint.to_json())
    elif checkpoint.note is None:
        raise BadInput("--format", [f"the checkpoint of {checkpoint.size:,} entries predates "
                                    "notes; the next entry's checkpoint has one"])  # fmt: skip
    else:
        typer.echo(checkpoint.note, nl=False)


@app.command("prove")
def prove_command(
    ctx: typer.Context,
    seq: int = typer.Argument(
        ..., parser=whole_number(1, MAX_SEQ), help="Sequence number of the entry."
    ),
    size: int | None = typer.Option(
        None,
        "--checkpoint",
        parser=whole_number(1, MAX_SEQ),
        help="Prove against the stored checkpoint of this size (default: the newest).",
    ),
    since: Path | None = typer.Option(
        None, "--since-digest", help="Add the consistency proof from this older digest."
    ),
) -> None:
    """Print an RFC 6962 inclusion proof of one entry against a signed checkpoint."""
    typer.echo(prove_entry(session_of(ctx), seq, size, since).to_json())


@app.command("prove-consistency")
def prove_consistency_command(
    ctx: typer.Context,
    old: str = typer.Argument(..., help="The older checkpoint: its size, or a digest file."),
    new: str | None = typer.Argument(
        None, help="The newer checkpoint: its size, or a digest file (default: the newest)."
    ),
) -> None:
    """Print the RFC 9162 consistency proof between two signed checkpoints."""
    session = session_of(ctx)
    proof = session.audit.prove_consistency(
        checkpoint_arg(old, "OLD"), None if new is None else checkpoint_arg(new, "NEW")
    )
    typer.echo(proof.to_json())


@app.command("check-proof")
def check_proof_command(
    proof_file: Path = typer.Argument(
        ..., help="A proof printed by 'ingot audit prove' or 'prove-consistency'."
    ),
    key: str | None = typer.Option(
        None, "--key", help="Trust only this key: a PEM file or a 16-digit key id."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Refuse to take the signing key from the proof itself."
    ),
    since: Path | None = typer.Option(
        None, "--since-digest", help="Your older digest, which the proof must start from."
    ),
    rotations: Path | None = typer.Option(
        None, "--rotations", help="Follow these key rotations from the --key you trust."
    ),
) -> None:
    """Check a proof offline: no database needed; exit 1 if it does not hold."""
    from ingot_storage.audit.proofs import (
        ConsistencyProof,
        InclusionProof,
        check_consistency,
        check_proof,
    )

    text = read_text(proof_file, "PROOF_FILE")
    older = read_checkpoint_file(since, "--since-digest") if since else None
    try:
        kind = json.loads(text).get("kind", "inclusion")
        proof: InclusionProof | ConsistencyProof = (
            ConsistencyProof.from_data(json.loads(text))
            if kind == "consistency"
            else InclusionProof.from_json(text)
        )
    except (ValueError, AttributeError) as error:
        typer.echo(f"Proof: INVALID ({error})")
        report_error(f"the proof does not hold: {str(error)[:300]}")
        raise typer.Exit(EXIT_VERIFY_FAILED) from None
    signer = proof.new if isinstance(proof, ConsistencyProof) else proof.checkpoint
    trust = key_trust(key, strict, signer.key_id, rotations)
    if isinstance(proof, ConsistencyProof):
        problems = check_consistency(proof, trust, older)
        claim = (f"the log of {counted(proof.old.size, 'entry')} is the start of the log of "
                 f"{counted(proof.new.size, 'entry')}")  # fmt: skip
    else:
        problems = check_proof(proof, trust, older)
        claim = (f"entry {proof.entry.seq} is in the log of "
                 f"{counted(proof.checkpoint.size, 'entry')}")  # fmt: skip
        if proof.since is not None:
            claim += f", which extends the log of {counted(proof.since.old.size, 'entry')}"
    if problems:
        typer.echo(f"Proof: INVALID ({'; '.join(problems)})")
        report_error(f"the proof does not hold: {problems[0][:300]}")
        raise typer.Exit(EXIT_VERIFY_FAILED)
    typer.echo(f"Proof: VALID ({claim}, signed by key {signer.key_id})")


@app.command("rotate-key")
def rotate_key_command(ctx: typer.Context) -> None:
    """Retire the audit key: it signs the head and a statement naming a new key, which signs
    from then on; checkpoints signed by the old key still verify up to that point."""
    statement = session_of(ctx).audit.rotate_key()
    from ingot_storage.audit.keys import key_id_of

    typer.echo(f"Audit key rotated at {counted(statement.size, 'entry')}: "
               f"{key_id_of(statement.old_key)} -> {key_id_of(statement.new_key)}; "
               "'ingot audit rotations' prints the statements for your auditor")  # fmt: skip


@app.command("rotations")
def rotations_command(ctx: typer.Context) -> None:
    """Print the audit key's rotation statements (JSON lines, oldest first), for
    'check-proof --rotations'."""
    for statement in session_of(ctx).audit.rotations():
        typer.echo(statement.to_json())


@app.command("key")
def key_command(ctx: typer.Context) -> None:
    """Print the audit key's id and public key (PEM), to hand to an auditor for --key."""
    from ingot_storage.audit.keys import public_pem

    signer = session_of(ctx).audit.signer
    typer.echo(f"# audit key {signer.key_id}")
    typer.echo(public_pem(signer.public_key), nl=False)


@app.command("checkpoints")
def checkpoints_command(
    ctx: typer.Context, json_mode: bool = JsonOption, fmt: OutputFormat | None = FormatOption
) -> None:
    """List the stored signed checkpoints, oldest first."""
    stored = session_of(ctx).audit.checkpoints()
    out = output_for(json_mode, fmt)
    if out.json_mode:
        out.json([json.loads(c.to_json()) for c in stored])
        return
    out.table(
        [Column("Size", "right"), Column(f"Signed ({label()})"), Column("Key"),
         Column("Root", drop=1)],
        [(f"{c.size:,}", when(c.created_at), c.key_id, c.root.hex()) for c in stored],
    )  # fmt: skip


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

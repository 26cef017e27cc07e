"""`ingot tradelog`: the unified trade log (seed 002) — listing, one event, export, follow,
and retention (`tradelog prune`)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.errors import BadInput
from ingot_cli.exporting import report_export, run_export
from ingot_cli.output import Column, Output, format_count
from ingot_cli.parsing import MAX_ROWS, parse_age, parse_period, positive_seconds, whole_number
from ingot_cli.zone import label, when
from ingot_core.tradelog.events import EventType, event_type_named, label_of
from ingot_core.tradelog.wire import pretty_json

__all__ = ["app", "parse_types"]

app = typer.Typer()
"""This group's commands, joined to the root app by ingot_cli.main."""

tradelog_app = typer.Typer(
    help="The trade log: every request, response and exchange event, raw and typed.",
    invoke_without_command=True,
)
TYPE_NAMES = tuple(t.label for t in EventType)


class TradelogFormat(StrEnum):
    """Export formats of the trade log."""

    JSONL = "jsonl"
    CSV = "csv"


def parse_types(values: list[str] | None) -> list[EventType] | None:
    """--type values (names or codes, comma-separated too) as event types."""
    if not values:
        return None
    wanted = []
    for value in values:
        for part in value.split(","):
            try:
                wanted.append(event_type_named(part))
            except ValueError:
                known = ", ".join(f"{t.label} ({int(t)})" for t in EventType)
                raise BadInput("--type", [f"{part.strip()!r} is not one of {known}"]) from None
    return wanted


def _amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f") if value else "0"


def _render(out: Output, rows: list[Any]) -> None:
    from ingot_storage.tradelog.store import row_data

    if out.json_mode:
        out.json([row_data(r) for r in rows])
        return
    if not rows:
        out.line("No trade log events match.")
        return
    out.table(
        [Column("Id", "right", drop=4), Column(f"Local time ({label()})"), Column("Type"),
         Column("Source", drop=5), Column("Order", drop=1), Column("Symbol", drop=3),
         Column("Qty", "right", drop=2), Column("Price", "right"), Column("Status")],
        [(str(r.id), f"{when(r.local_ts, '%Y-%m-%d %H:%M:%S.%f')}", label_of(r.event_type),
          r.source or "", r.cl_ord_id or r.native_ord_id or "", r.symbol or "",
          _amount(r.last_qty if r.last_qty is not None else r.ord_qty),
          _amount(r.last_px if r.last_px is not None else r.ord_px), _status(r))
         for r in rows],
    )  # fmt: skip


def _status(r: Any) -> str:
    from ingot_core.tradelog.events import OrdStatus

    if r.error_message:
        return f"error: {r.error_message}"
    if r.ord_status is not None:
        try:
            return OrdStatus(r.ord_status).name.lower()
        except ValueError:
            return str(r.ord_status)
    if r.response_status is not None:
        if r.event_type == EventType.API_RESPONSE:
            return "ok" if r.response_status == 0 else "error"
        return f"HTTP {r.response_status}"
    return ""


@tradelog_app.callback()
def tradelog_group(
    ctx: typer.Context,
    types: list[str] | None = typer.Option(
        None, "--type", help=f"Only these types (name or code): {', '.join(TYPE_NAMES)}."
    ),
    order: str | None = typer.Option(None, "--order", help="Only this client or venue order id."),
    source: str | None = typer.Option(None, "--source", help="Only this source (paper-rest, …)."),
    since: str | None = typer.Option(None, "--since", help="Only events from this time."),
    until: str | None = typer.Option(None, "--until", help="Only events before this time."),
    limit: int = typer.Option(
        50, "--limit", parser=whole_number(1, MAX_ROWS), help="Show at most this many rows."
    ),
    follow: bool = typer.Option(False, "--follow", help="Keep showing new events as they land."),
    seconds: float | None = typer.Option(
        None, "--seconds", parser=positive_seconds, help="With --follow: stop after this long."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Trade log events, newest first (or run a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    from ingot_storage.tradelog.store import list_events

    filters = {"types": parse_types(types), "order": order, "source": source}
    start, end = parse_period(since, until)
    session = session_of(ctx)
    with session.database.connect() as conn:
        rows = list_events(conn, limit, since=start, until=end, **filters)
    out = output_for(json_mode, fmt)
    if not follow:
        _render(out, rows)
        return
    _follow(session, out, list(reversed(rows)), filters, seconds)


def _follow(session: Any, out: Output, shown: list[Any], filters: dict[str, Any],
            seconds: float | None) -> None:  # fmt: skip
    """Print events oldest first, then new ones as they land, until Ctrl-C or `seconds`."""
    from ingot_storage.tradelog.store import list_events, row_data

    def emit(rows: list[Any]) -> None:
        for r in rows:
            if out.json_mode:
                typer.echo(json.dumps(row_data(r)))
            else:
                kind = label_of(r.event_type)
                at = when(r.local_ts, "%Y-%m-%d %H:%M:%S.%f")
                typer.echo(f"{r.id:>8}  {at}  {kind:<24} {r.cl_ord_id or ''}  {_status(r)}")

    emit(shown)
    last = max((r.id for r in shown), default=0)
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.25)
            with session.database.connect() as conn:
                fresh = list(reversed(list_events(conn, MAX_ROWS, after_id=last, **filters)))
            emit(fresh)
            last = max((r.id for r in fresh), default=last)
    except KeyboardInterrupt:
        return


@tradelog_app.command("show")
def show_command(
    ctx: typer.Context,
    event_id: int = typer.Argument(..., parser=whole_number(1), help="The event's id."),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """One event: its typed columns and its raw body, pretty-printed."""
    from ingot_storage.tradelog.store import get_event, row_data

    with session_of(ctx).database.connect() as conn:
        row = get_event(conn, event_id)
    if row is None:
        raise BadInput("ID", [f"no trade log event {event_id}"])
    data = row_data(row)
    out = output_for(json_mode, fmt)
    if out.json_mode:
        out.json(data)
        return
    for name, value in data.items():
        if name != "raw" and value is not None:
            typer.echo(f"{name:<16} {value}")
    typer.echo("raw:")
    try:
        typer.echo(pretty_json(row.raw))
    except ValueError:  # a venue's answer that was not JSON: as received
        typer.echo(row.raw)


@tradelog_app.command("export")
def export_command(
    ctx: typer.Context,
    fmt: TradelogFormat = typer.Option(..., "--format", help="jsonl or csv."),
    since: str | None = typer.Option(None, "--since", help="Only events from this time."),
    until: str | None = typer.Option(None, "--until", help="Only events before this time."),
    output: str | None = typer.Option(
        None,
        "--output",
        help="File ('-': stdout); default: stdout if piped, else tradelog_YYYYMMDD.FORMAT.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
) -> None:
    """Export the trade log, oldest first, streaming any size (raw text included)."""
    from ingot_storage.tradelog.store import export_csv, export_jsonl

    writers = {TradelogFormat.JSONL: export_jsonl, TradelogFormat.CSV: export_csv}
    result = run_export(session_of(ctx), writers, "tradelog", fmt, since, output, force, until)
    report_export(result, "event")


@tradelog_app.command("prune")
def prune_command(
    ctx: typer.Context,
    older_than: str | None = typer.Option(
        None, "--older-than", help="Remove events older than this (default: the retention)."
    ),
    archive: Path | None = typer.Option(
        None, "--archive", help="Archive every removed event here first (gzip JSONL per day)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would go; change nothing."),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Drop whole days older than the retention (INGOT_TRADELOG_RETENTION_DAYS, 90)."""
    session = session_of(ctx)
    age = (parse_age(older_than) if older_than is not None
           else timedelta(days=session.config.tradelog_retention_days))  # fmt: skip
    if archive is not None and not dry_run:
        archive = archive.expanduser()
        if not archive.is_dir():
            raise BadInput("--archive", [f"{archive} is not a directory"])
    from ingot_storage.tradelog.retention import prune_tradelog

    result = prune_tradelog(session.database.owner_engine, datetime.now(UTC) - age, archive,
                            dry_run=dry_run)  # fmt: skip
    out = output_for(json_mode, fmt)
    if out.json_mode:
        out.json({"cutoff": result.cutoff.isoformat(), "dry_run": dry_run,
                  "dropped": [{"partition": n, "rows": c} for n, c in result.dropped],
                  "trimmed": result.trimmed, "kept": result.kept,
                  "archived": [str(p) for p in result.archived]})  # fmt: skip
        return
    gone = sum(c for _, c in result.dropped) + result.trimmed
    verb = "Would remove" if dry_run else "Removed"
    days = len(result.dropped)
    out.line(f"{verb} {format_count(gone)} events before {when(result.cutoff)} {label()} "
             f"({days} whole days); {format_count(result.kept)} kept", markup=False)  # fmt: skip
    for path in result.archived:
        out.line(f"archived: {path}", markup=False)


app.add_typer(tradelog_app, name="tradelog")

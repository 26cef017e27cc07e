"""Ingot's commands: plain functions over a Session, plus their Typer registrations."""

from __future__ import annotations

from enum import StrEnum

import typer

from ingot_cli.output import Output
from ingot_cli.session import Session

__all__ = ["FormatOption", "JsonOption", "OutputFormat", "output_for", "session_of"]


class OutputFormat(StrEnum):
    """How a listing is printed."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


JsonOption = typer.Option(False, "--json", help="Print JSON for scripts (as --format json).")
FormatOption = typer.Option(
    None, "--format", help="table (default), csv (the table's columns) or json."
)


def session_of(ctx: typer.Context) -> Session:
    """The Session the root command opened for this command line."""
    session = ctx.find_root().obj
    if not isinstance(session, Session):
        raise RuntimeError("ingot commands must run under the ingot root command")
    return session


def output_for(json_mode: bool, fmt: OutputFormat | None = None) -> Output:
    """An Output for --json or --format (table, csv or json)."""
    if fmt is OutputFormat.CSV and not json_mode:
        return Output(csv_mode=True)
    return Output(json_mode=json_mode or fmt is OutputFormat.JSON)

"""Ingot's commands: plain functions over a Session, plus their Typer registrations."""

from __future__ import annotations

import typer

from ingot_cli.output import Output
from ingot_cli.session import Session

__all__ = ["JsonOption", "output_for", "session_of"]

JsonOption = typer.Option(False, "--json", help="Print JSON for scripts instead of a table.")


def session_of(ctx: typer.Context) -> Session:
    """The Session the root command opened for this command line."""
    session = ctx.find_root().obj
    if not isinstance(session, Session):
        raise RuntimeError("ingot commands must run under the ingot root command")
    return session


def output_for(json_mode: bool) -> Output:
    """An Output in table or JSON mode."""
    return Output(json_mode=json_mode)

"""`ingot watch`: the order history, followed live (ingot_cli.follow)."""

from __future__ import annotations

import typer

from ingot_cli.commands import session_of
from ingot_cli.follow import watch
from ingot_cli.parsing import MAX_ROWS, positive_seconds, whole_number

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add `ingot watch`."""

    @app.command("watch")
    def watch_command(
        ctx: typer.Context,
        symbol: str | None = typer.Option(None, "--symbol", help="Only this market."),
        recent: int = typer.Option(
            20,
            "--recent",
            parser=whole_number(0, MAX_ROWS),
            help="Orders to show before following.",
        ),
        seconds: float | None = typer.Option(
            None,
            "--seconds",
            parser=positive_seconds,
            help="Stop after this many seconds (default: until a keypress).",
        ),
    ) -> None:
        """Follow the trade log live: buys green, sells red, rejected grey; any key leaves."""
        watch(session_of(ctx), symbol, recent, seconds)

"""The `ingot` command: composes the command groups, nothing else."""

from __future__ import annotations

import typer

from ingot_cli.commands import audit, db, ledger, trading
from ingot_cli.errors import IngotGroup
from ingot_cli.session import Session

__all__ = ["app", "run"]

app = typer.Typer(
    name="ingot",
    cls=IngotGroup,
    help="Ingot: portfolio management and systematic trading in the terminal.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(ctx: typer.Context) -> None:
    """Open a session shared by the command, closed when it ends."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    session = Session()
    ctx.obj = session
    ctx.call_on_close(session.close)


app.add_typer(db.app, name="db")
app.add_typer(audit.app, name="audit")
ledger.register(app)
trading.register(app)


def run() -> None:
    """Console-script entry point."""
    app()

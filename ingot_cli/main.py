"""The `ingot` command: composes the command groups and picks the front end."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import typer

from ingot_cli.commands import (
    audit,
    books,
    db,
    ledger,
    market,
    session_of,
    strategy,
    trading,
    watch,
)
from ingot_cli.errors import BadInput, IngotGroup
from ingot_cli.script import run_lines, running_script
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
def root(
    ctx: typer.Context,
    book: str | None = typer.Option(
        None, "--book", help="Work on this book (default: INGOT_BOOK, else main)."
    ),
) -> None:
    """Ingot: portfolio management and systematic trading in the terminal.

    With no command: the REPL on a terminal, or commands read from stdin in a pipe.
    """
    if isinstance(ctx.obj, Session):
        if book is not None and book != ctx.obj.config.book:
            # A script or REPL line for another book runs in a session of its own.
            other = ctx.obj.for_book(book)
            ctx.obj = other
            ctx.call_on_close(other.close)
        return  # otherwise this line runs in the longer-lived session of the script or REPL
    session = Session(book=book)
    ctx.obj = session
    ctx.call_on_close(session.close)
    if ctx.invoked_subcommand is None:
        raise typer.Exit(interactive_or_stdin(session))


def interactive_or_stdin(session: Session) -> int:
    """The REPL on a terminal; otherwise run the commands piped to stdin."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        from ingot_cli.repl.loop import run_repl

        return run_repl(session, app)
    return run_lines(sys.stdin.buffer, session, "<stdin>", root_group())


@app.command("run")
def run_command(
    ctx: typer.Context,
    script: Path = typer.Argument(..., help="A file of ingot commands, one per line."),
) -> None:
    """Run a script of commands in one session; stop at the first failing line."""
    with running_script(script):
        try:
            handle = script.open("rb")
        except OSError as error:
            raise BadInput("SCRIPT", [f"cannot read {script}: {error.strerror}"]) from None
        with handle:
            code = run_lines(handle, session_of(ctx), str(script), root_group())
    raise typer.Exit(code)


app.add_typer(db.app, name="db")
app.add_typer(audit.app, name="audit")
app.add_typer(books.app, name="books")
ledger.register(app)
trading.register(app)
market.register(app)
strategy.register(app)
watch.register(app)


@functools.cache
def root_group() -> IngotGroup:
    """The `ingot` command tree, as scripts and the REPL run its lines."""
    group = typer.main.get_command(app)
    if not isinstance(group, IngotGroup):  # pragma: no cover - fixed above
        raise TypeError("the ingot app must use IngotGroup")
    return group


def run() -> None:
    """Console-script entry point."""
    app()

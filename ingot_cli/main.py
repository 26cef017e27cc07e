"""The `ingot` command: composes the command groups and picks the front end."""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from ingot_cli.commands import session_of
from ingot_cli.errors import BadInput, IngotGroup
from ingot_cli.leaving import leave
from ingot_cli.script import run_lines, running_script
from ingot_cli.session import Session

__all__ = ["COMMAND_GROUPS", "build_app", "full_app", "root_group", "run"]

# Which module of ingot_cli.commands registers each top-level command: a one-shot command
# loads only its own group (a command's start-up pays for what it uses); --help, the REPL,
# scripts and anything unknown get the whole tree. tests/cli/test_help.py keeps this complete.
COMMAND_GROUPS = {
    "accounts": "ledger", "balances": "ledger", "nav": "ledger",
    "register": "journal", "journal": "journal",
    "buy": "orders", "sell": "orders", "cancel": "orders", "orders": "orders", "mark": "orders",
    "positions": "portfolio", "status": "portfolio",
    "history": "history", "watch": "history",
    "report": "report", "strategy": "strategy",
    "ingest": "ingest", "bars": "bars", "gaps": "bars", "ticks": "bars",
    "ledger": "ledger_export", "books": "books", "db": "db", "audit": "audit",
    "tradelog": "tradelog", "config": "config", "feed": "feed", "metrics": "metrics",
}  # fmt: skip
# Groups that are a Typer app of their own: module -> the command that names it.
_SUB_APPS = {"db": "db", "audit": "audit", "books": "books", "report": "report",
             "ledger_export": "ledger", "config": "config"}  # fmt: skip


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"ingot {version('ingot')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("ingot (not installed)")
        raise typer.Exit(0)


def root(
    ctx: typer.Context,
    book: str | None = typer.Option(
        None, "--book", help="Work on this book (default: INGOT_BOOK, else main)."
    ),
    show_version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version, help="Print Ingot's version."
    ),
    no_pager: bool = typer.Option(
        False, "--no-pager", help="Never page long output (default: INGOT_PAGER, PAGER, less)."
    ),
    config_file: Path | None = typer.Option(
        None, "--config", help="Read settings from this TOML file (default: DATA_DIR/ingot.toml)."
    ),
    db_url: str | None = typer.Option(
        None, "--db-url", help="PostgreSQL to use (over DATABASE_URL and the config file)."
    ),
    data_dir: str | None = typer.Option(
        None, "--data-dir", help="Data directory (over INGOT_DATA_DIR and the config file)."
    ),
    tz: str | None = typer.Option(
        None, "--tz", help="Show times in this zone, e.g. Europe/Paris (default: TZ, else UTC)."
    ),
) -> None:
    """Ingot: portfolio management and systematic trading in the terminal.

    With no command: the REPL on a terminal, or commands read from stdin in a pipe.
    """
    if no_pager:
        from ingot_cli.pager import disable_paging

        disable_paging()
    from ingot_cli.zone import use_zone

    try:
        use_zone(tz)  # each command line says its own zone (None: TZ, else UTC)
    except ValueError as error:
        raise BadInput("--tz", [str(error)]) from None
    if isinstance(ctx.obj, Session):
        if book is not None and book != ctx.obj.config.book:
            # A script or REPL line for another book runs in a session of its own.
            other = ctx.obj.for_book(book)
            ctx.obj = other
            ctx.call_on_close(other.close)
        return  # otherwise this line runs in the longer-lived session of the script or REPL
    session = Session(book=book, settings=_settings(config_file, db_url, data_dir))
    ctx.obj = session
    ctx.call_on_close(session.close)
    if ctx.invoked_subcommand is None:
        raise typer.Exit(interactive_or_stdin(session))


def _settings(config_file: Path | None, db_url: str | None, data_dir: str | None) -> Any:
    if config_file is None and db_url is None and data_dir is None:
        return None
    from ingot_storage.settings import Settings

    overrides = {name: value for name, value in (("DATABASE_URL", db_url),
                 ("INGOT_DATA_DIR", data_dir)) if value is not None}  # fmt: skip
    return Settings(config_file.expanduser() if config_file else None, overrides)


def interactive_or_stdin(session: Session) -> int:
    """The REPL on a terminal; otherwise run the commands piped to stdin."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        from ingot_cli.repl.loop import run_repl

        return run_repl(session, full_app())
    return run_lines(sys.stdin.buffer, session, "<stdin>", root_group())


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


def build_app(groups: Sequence[str] | None = None) -> typer.Typer:
    """The `ingot` app with the command groups named (all of them when None)."""
    built = typer.Typer(
        name="ingot",
        cls=IngotGroup,
        help="Ingot: portfolio management and systematic trading in the terminal.",
        invoke_without_command=True,
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
    )
    built.callback()(root)
    built.command("run")(run_command)
    # In the order above, which is the order `ingot --help` lists them in.
    wanted = list(dict.fromkeys(COMMAND_GROUPS.values())) if groups is None else groups
    for name in wanted:
        module = importlib.import_module(f"ingot_cli.commands.{name}")
        # Each group is one typer.Typer(): a named one for db, audit and books, the others'
        # commands join the root (ingest, history and strategy name their own subgroups).
        built.add_typer(module.app, name=_SUB_APPS.get(name))
    return built


@functools.cache
def full_app() -> typer.Typer:
    """The whole command tree (help, the REPL, scripts)."""
    return build_app()


def __getattr__(name: str) -> Any:
    # `ingot_cli.main.app` is the whole tree, built when first asked for.
    if name == "app":
        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _command_of(argv: Sequence[str]) -> str | None:
    # The first word that is not a root option (or --book's value).
    words = iter(argv)
    for word in words:
        if word == "--book":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


@functools.cache
def root_group() -> IngotGroup:
    """The `ingot` command tree, as scripts and the REPL run its lines."""
    group = typer.main.get_command(full_app())
    if not isinstance(group, IngotGroup):  # pragma: no cover - fixed by build_app
        raise TypeError("the ingot app must use IngotGroup")
    return group


def run() -> None:
    """Console-script entry point."""
    group = COMMAND_GROUPS.get(_command_of(sys.argv[1:]) or "")
    app = full_app() if group is None else build_app([group])
    try:
        app()
    except SystemExit as done:
        leave(done.code)

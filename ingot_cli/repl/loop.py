"""The REPL loop: read a line, run it through the same commands as the shell, repeat."""

from __future__ import annotations

from typing import Any

import typer
from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, InMemoryHistory

from ingot_cli.errors import EXIT_OK, IngotGroup, report_error
from ingot_cli.repl.completion import IngotCompleter
from ingot_cli.repl.toolbar import ToolbarState, read_toolbar, verify_for_toolbar
from ingot_cli.script import command_words, execute
from ingot_cli.session import Session

__all__ = ["run_repl"]

BANNER = "Ingot. Type 'help' for commands, 'help COMMAND' for one; Ctrl-D or 'exit' leaves."


def _may_leave(prompt: PromptSession[str], session: Session) -> bool:
    open_orders = len(session.view.open_orders)
    if not open_orders:
        return True
    answer = prompt.prompt(f"{open_orders} open order(s) stay open; leave anyway? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def run_repl(session: Session, app: typer.Typer, **io: Any) -> int:
    """Run the interactive loop over the commands of `app` until the trader leaves; `io`
    passes input/output for tests."""
    root = typer.main.get_command(app)
    if not isinstance(root, IngotGroup):  # pragma: no cover - fixed by main.py
        raise TypeError("the ingot app must use IngotGroup")
    history_path = session.config.data_dir / "repl_history"
    try:
        history_path.parent.mkdir(parents=True, exist_ok=True)
        history: FileHistory | InMemoryHistory = FileHistory(str(history_path))
    except OSError:
        history = InMemoryHistory()
    chain, verified = verify_for_toolbar(session)
    state: list[ToolbarState] = [read_toolbar(session, chain, verified)]
    prompt: PromptSession[str] = PromptSession(
        history=history,
        completer=IngotCompleter(app, lambda: [str(s) for s in session.view.marks]),
        complete_while_typing=False,
        bottom_toolbar=lambda: state[0].render(),
        enable_history_search=True,
        **io,
    )
    print(BANNER)
    while True:
        try:
            line = prompt.prompt("ingot> ").strip()
        except KeyboardInterrupt:
            continue  # Ctrl-C drops the line, not the session
        except EOFError:
            if _may_leave(prompt, session):
                return EXIT_OK
            continue
        if not line or line.startswith("#"):
            continue
        if line in ("exit", "quit"):
            if _may_leave(prompt, session):
                return EXIT_OK
            continue
        try:
            argv = command_words(line)
        except ValueError as error:
            report_error(f"{error} in: {line}")
            continue
        execute(argv, session, root)  # errors print one line; the session goes on
        state[0] = read_toolbar(session, chain, verified, state[0])

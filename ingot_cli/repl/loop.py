"""The REPL loop: read a line, run it through the same commands as the shell, repeat."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import typer
from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.history import FileHistory, InMemoryHistory

from ingot_cli.errors import EXIT_OK, IngotGroup, report_error
from ingot_cli.repl.background import ENGINE_LOCK, BackgroundFeed
from ingot_cli.repl.completion import IngotCompleter
from ingot_cli.repl.toolbar import ToolbarState, read_toolbar, verify_for_toolbar
from ingot_cli.script import command_words, execute
from ingot_cli.session import Session

__all__ = ["run_repl"]

BANNER = "Ingot. 'help' (or ?) lists commands, 'help COMMAND' shows one; Ctrl-D leaves."
"""Fits 80 columns, as the toolbar does."""
_HELP_WORDS = ("?", "\\?")


def split_commands(line: str) -> list[str]:
    """The commands of one line, separated by `;` outside quotes (as pgcli and a shell do)."""
    pieces, current, quote, escaped = [], [], "", False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\" and quote != "'":
            current.append(char)
            escaped = True
        elif quote:
            current.append(char)
            quote = "" if char == quote else quote
        elif char in "'\"":
            current.append(char)
            quote = char
        elif char == ";":
            pieces.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    pieces.append("".join(current).strip())
    return [piece for piece in pieces if piece]


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
    feed = BackgroundFeed(session)
    prompt: PromptSession[str] = PromptSession(
        history=history,
        completer=IngotCompleter(app, lambda: [str(s) for s in session.view.marks]),
        complete_while_typing=False,
        bottom_toolbar=lambda: replace(state[0], feed=feed.toolbar()).render(_columns()),
        auto_suggest=AutoSuggestFromHistory(),
        enable_history_search=True,
        **io,
    )
    print(BANNER)
    timing = [False]
    while True:
        try:
            line = prompt.prompt("ingot> ").strip()
        except KeyboardInterrupt:
            continue  # Ctrl-C drops the line, not the session
        except EOFError:
            if _may_leave(prompt, session):
                return _leave(feed)
            continue
        for command in split_commands(line):
            outcome = _one(command, session, root, timing, feed)
            if outcome == "leave":
                if _may_leave(prompt, session):
                    return _leave(feed)
                break
        with ENGINE_LOCK:
            state[0] = read_toolbar(session, chain, verified, state[0])


def _leave(feed: BackgroundFeed) -> int:
    if feed.running:
        feed.stop()  # what it brought is committed as the session closes
    return EXIT_OK


def _columns() -> int:
    try:
        return get_app().output.get_size().columns
    except Exception:  # no running application (a test renders it): assume 80
        return 80


def _one(
    command: str, session: Session, root: IngotGroup, timing: list[bool], feed: BackgroundFeed
) -> str:
    """Run one command of a line; "leave" when it asks to."""
    if command.startswith("#"):
        return ""
    words = command.split()
    if words[:1] == ["feed"] and words[1:2] and words[1] in ("start", "stop", "status"):
        feed.command(command)
        return ""
    if command in ("exit", "quit", "\\q"):
        return "leave"
    if command in _HELP_WORDS:
        command = "help"
    if command == "\\timing":
        timing[0] = not timing[0]
        print(f"Timing is {'on' if timing[0] else 'off'}.")
        return ""
    if command == "clear":
        print("\x1b[H\x1b[2J", end="", flush=True)
        return ""
    try:
        argv = command_words(command)
    except ValueError as error:
        report_error(f"{error} in: {command}")
        return ""
    started = time.perf_counter()
    with ENGINE_LOCK:  # a background feed waits between two ticks
        execute(argv, session, root)  # errors print one line; the session goes on
    if timing[0]:
        print(f"Time: {(time.perf_counter() - started) * 1000:.3f} ms")
    return ""

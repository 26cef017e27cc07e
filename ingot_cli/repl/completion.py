"""Completion: a pure `suggest` over the command tree, and a thin prompt-toolkit Completer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import typer
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from ingot_core.audit.vocabulary import EVENT_TYPES
from ingot_core.tradelog.events import EventType

__all__ = ["REPL_WORDS", "IngotCompleter", "suggest"]

REPL_WORDS = ("help", "exit", "quit")


def _options(command: object) -> list[str]:
    names: list[str] = []
    for param in getattr(command, "params", []):
        if getattr(param, "param_type_name", "") == "option":
            names += [o for o in param.opts if o.startswith("--")]
    return sorted({*names, "--help"})


def suggest(text: str, root: object, symbols: Iterable[str] = ()) -> list[str]:
    """Words that complete `text` (the line before the cursor), in order."""
    words = text.split()
    current = "" if not words or text.endswith(" ") else words[-1]
    before = words if current == "" else words[:-1]
    command: object = root
    depth = 0
    for word in before:
        children = getattr(command, "commands", None)
        if children and word in children:
            command = children[word]
            depth += 1
    if depth == 0 and not before:
        candidates = [*sorted(getattr(root, "commands", {})), *REPL_WORDS]
    elif before and before[-1] == "--type":
        in_tradelog = bool(before) and before[0] == "tradelog"
        candidates = [t.label for t in EventType] if in_tradelog else list(EVENT_TYPES)
    elif (before and before[-1] == "--symbol") or _expects_symbol(command, before):
        candidates = sorted(set(symbols))
    elif current.startswith("-"):
        candidates = _options(command)
    elif getattr(command, "commands", None):
        candidates = sorted(command.commands)  # type: ignore[attr-defined]
    else:
        candidates = _options(command)
    return [c for c in candidates if c.startswith(current) and c != current]


def _expects_symbol(command: object, before: list[str]) -> bool:
    params = [p for p in getattr(command, "params", []) if p.param_type_name == "argument"]
    return (
        bool(params)
        and params[0].name == "symbol"
        and not any(w for w in before[1:] if not w.startswith("-"))
    )


class IngotCompleter(Completer):
    """prompt-toolkit glue around `suggest`."""

    def __init__(self, app: typer.Typer, symbols: Callable[[], Iterable[str]]) -> None:
        self.root = typer.main.get_command(app)
        self.symbols = symbols

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterator[Completion]:
        """Completions for the text before the cursor."""
        text = document.text_before_cursor
        current = "" if text.endswith(" ") or not text else text.split()[-1]
        for word in suggest(text, self.root, self.symbols()):
            yield Completion(word, start_position=-len(current))

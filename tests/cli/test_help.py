"""Every command and every option carries help text."""

from __future__ import annotations

import typer

from ingot_cli.main import app


def walk(command, path=()):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, (*path, name))


def test_every_command_and_option_has_help() -> None:
    root = typer.main.get_command(app)
    missing = []
    for path, command in walk(root):
        if not (command.help or "").strip():
            missing.append(" ".join(path) or "ingot")
        for param in command.params:
            if param.param_type_name == "option" and not (getattr(param, "help", "") or "").strip():
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert missing == []


def test_command_set_of_this_release() -> None:
    names = {" ".join(path) for path, _ in walk(typer.main.get_command(app)) if path}
    assert names >= {"accounts", "balances", "nav", "db", "db upgrade", "db status"}

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


def test_every_command_is_found_when_its_group_loads_alone() -> None:
    from ingot_cli.main import COMMAND_GROUPS, build_app

    top = set(typer.main.get_command(app).commands) - {"run"}  # type: ignore[attr-defined]
    assert top == set(COMMAND_GROUPS)  # a new command must say which group registers it
    for name, group in COMMAND_GROUPS.items():
        alone = typer.main.get_command(build_app([group]))
        assert name in alone.commands  # type: ignore[attr-defined]


def test_a_one_shot_command_loads_only_its_own_group() -> None:
    import subprocess
    import sys

    probe = (
        "import atexit, sys; sys.argv = ['ingot', '--book', 'main', 'positions', '--help']\n"
        "atexit.register(lambda: print(sorted(\n"
        "    m for m in sys.modules if m.startswith('ingot_cli.commands.'))))\n"
        "from ingot_cli.main import run\n"
        "run()"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "['ingot_cli.commands.portfolio']"


def test_version_and_the_short_help_flag(invoke) -> None:  # type: ignore[no-untyped-def]
    from importlib.metadata import version

    shown = invoke("--version")
    assert shown.exit_code == 0
    assert shown.output.strip() == f"ingot {version('ingot')}"
    assert invoke("-h").output == invoke("--help").output
    assert invoke("nav", "-h").output == invoke("nav", "--help").output
    assert "Usage: ingot nav" in invoke("nav", "-h").output


def test_a_missing_choice_is_one_line_naming_the_choices(invoke) -> None:  # type: ignore[no-untyped-def]
    missing = invoke("history", "export")
    assert missing.exit_code == 11
    lines = missing.output.strip().splitlines()
    assert lines == ["error: Missing option '--format'. Choose from: csv, json (see "
                     "'ingot history export --help')"]  # fmt: skip


def test_every_command_shows_an_example_in_a_task_panel_with_readable_names(invoke) -> None:  # type: ignore[no-untyped-def]
    from ingot_cli.help_text import EXAMPLES, PANELS

    paths = [" ".join(path) for path, command in walk(typer.main.get_command(app)) if path
             and (not getattr(command, "commands", None)
                  or getattr(command, "invoke_without_command", False))]  # fmt: skip
    for path in paths:
        shown = invoke(*path.split(), "--help")
        assert shown.exit_code == 0, path
        text = " ".join(shown.output.split())
        assert f"Example: ingot {path}" in text, path
        assert "<str>" not in text, path  # readable names
        assert "<int>" not in text, path
    assert set(EXAMPLES) - set(paths) <= {"report", "ingest", "strategy", "ledger", "config"}
    top = invoke("--help").output
    panels = [name for name in PANELS if f"─ {name} " in top]
    assert panels == list(PANELS)  # grouped by task, in that order
    placed = {n for names in PANELS.values() for n in names}
    assert placed == set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_shell_completion_is_offered_and_completes_commands_and_options() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    ingot = str(Path(sys.executable).with_name("ingot"))
    env = {**os.environ, "COMP_WORDS": "ingot tradelog --ty", "COMP_CWORD": "2",
           "_INGOT_COMPLETE": "complete_bash"}  # fmt: skip
    done = subprocess.run([ingot], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["--type"]
    script = subprocess.run([ingot, "--show-completion", "bash"], capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert "_ingot_completion" in script.stdout

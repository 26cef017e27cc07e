"""`ingot config show`: every setting in effect, where it came from, secrets masked."""

from __future__ import annotations

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.output import Column

__all__ = ["app"]

app = typer.Typer(help="Settings: the command line, the environment, ingot.toml, defaults.")


@app.command("show")
def show_command(
    ctx: typer.Context, json_mode: bool = JsonOption, fmt: OutputFormat | None = FormatOption
) -> None:
    """Every setting with its value in effect and its source (option, environment, the
    config file, or default); passwords in URLs are shown as ***."""
    from ingot_storage.settings import DEFAULTS, KNOWN, masked

    session = session_of(ctx)
    session.config  # noqa: B018 - a value that does not parse is refused here, named
    values, sources = session.environment()
    rows = []
    for name in KNOWN:
        if name in values:
            rows.append((name, masked(name, values[name]), sources[name]))
        else:
            rows.append((name, DEFAULTS.get(name, ""), "default"))
    out = output_for(json_mode, fmt)
    if out.json_mode:
        out.json([{"name": n, "value": v, "source": s} for n, v, s in rows])
        return
    out.table([Column("Setting"), Column("Value"), Column("Source", drop=1)], rows)

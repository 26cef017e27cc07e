"""Output longer than the terminal goes through a pager, as psql and git do: `$INGOT_PAGER`,
else `$PAGER`, else `less -SRXF` (chopped long lines, colours kept, no screen clearing, and
straight through when it fits after all). Never when stdout is not a terminal, and never
after `--no-pager`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

from rich.console import Console

__all__ = ["disable_paging", "show"]

_DEFAULT = "less -SRXF"
_enabled = True


def disable_paging() -> None:
    """`--no-pager`: everything goes straight to the terminal from now on."""
    global _enabled
    _enabled = False


def show(text: str, console: Console) -> None:
    """Write `text` (already rendered for `console`) to the terminal, paged when it is taller
    than the terminal."""
    height = console.size.height  # 0 on a terminal that gives no size: do not guess
    tall = height > 1 and text.count("\n") >= height - 1
    if not (_enabled and console.is_terminal and tall):
        console.file.write(text)
        console.file.flush()
        return
    command = os.environ.get("INGOT_PAGER") or os.environ.get("PAGER") or _DEFAULT
    try:
        subprocess.run(shlex.split(command), input=text, text=True, check=False)
    except (OSError, ValueError):  # no such pager, or a command line that does not parse
        sys.stdout.write(text)
        sys.stdout.flush()

"""Long output on a terminal goes through the pager; piped, or with --no-pager, it does not."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

INGOT = str(Path(sys.executable).parent / "ingot")


def _on_a_terminal(argv: list[str], env: dict[str, str], rows: int) -> str:
    """Run `argv` on a pseudo-terminal `rows` high; what it wrote to the terminal."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of `rows` lines, then ingot
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 100, 0, 0))
        os.execve(INGOT, [INGOT, *argv], env)
    screen = b""
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        try:
            chunk = os.read(fd, 65536) if ready else b""
        except OSError:
            chunk = b""
        if not chunk:
            break
        screen += chunk
    os.waitpid(pid, 0)
    os.close(fd)
    return screen.decode(errors="replace")


def _recorder(tmp_path: Path) -> tuple[str, Path]:
    paged = tmp_path / "paged.txt"
    script = tmp_path / "pager.py"
    script.write_text(f"import sys\nopen({str(paged)!r}, 'w').write(sys.stdin.read())\n")
    return f"{sys.executable} {script}", paged


def test_a_listing_taller_than_the_terminal_goes_through_the_pager(cli_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pager, paged = _recorder(tmp_path)
    env = {**os.environ, **cli_env, "INGOT_PAGER": pager, "TERM": "xterm"}
    env.pop("PYTHONUNBUFFERED", None)
    screen = _on_a_terminal(["accounts"], env, rows=5)  # six accounts and a header: 7 lines
    assert "Assets:Cash:USD" in paged.read_text()
    assert "Assets:Cash:USD" not in screen  # the pager had it, not the terminal


def test_a_listing_that_fits_is_not_paged(cli_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pager, paged = _recorder(tmp_path)
    env = {**os.environ, **cli_env, "INGOT_PAGER": pager, "TERM": "xterm"}
    screen = _on_a_terminal(["accounts"], env, rows=40)
    assert "Assets:Cash:USD" in screen
    assert not paged.exists()


def test_no_pager_when_piped_or_asked_not_to(cli_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pager, paged = _recorder(tmp_path)
    env = {**os.environ, **cli_env, "INGOT_PAGER": pager}
    piped = subprocess.run([INGOT, "accounts"], env=env, capture_output=True, text=True)
    assert "Assets:Cash:USD" in piped.stdout
    assert not paged.exists()
    screen = _on_a_terminal(["--no-pager", "accounts"], {**env, "TERM": "xterm"}, rows=5)
    assert "Assets:Cash:USD" in screen
    assert not paged.exists()

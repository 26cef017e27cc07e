"""Whether a postmaster runs: a live process, a zombie left unreaped, and no process at all."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ingot_storage.db import server_watch


def test_a_running_process_is_alive() -> None:
    assert server_watch._alive(os.getpid())


def test_an_unreaped_child_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # exited, not yet reaped: a zombie
            if not server_watch._alive(child.pid):
                break
            time.sleep(0.01)
        assert not server_watch._alive(child.pid)
        assert os.path.exists(f"/proc/{child.pid}")  # still there, as a zombie
    finally:
        child.wait()
    assert not server_watch._alive(child.pid)


def test_a_process_with_parentheses_in_its_name_is_read_right(tmp_path: Path) -> None:
    odd = tmp_path / "pg) Z (x"  # /proc/PID/stat shows the name in parentheses
    shutil.copy(shutil.which("sleep") or "/bin/sleep", odd)
    child = subprocess.Popen([str(odd), "30"])
    try:
        assert ") Z (" in Path(f"/proc/{child.pid}/stat").read_text()
        assert server_watch._alive(child.pid)
    finally:
        child.kill()
        child.wait()

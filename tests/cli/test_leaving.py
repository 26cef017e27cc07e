"""The fast exit: status kept, output and exit handlers not lost, running threads waited for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    script = tmp_path / "leaving.py"
    script.write_text("from ingot_cli.leaving import leave\n" + code)
    return subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60)


@pytest.mark.parametrize(("code", "status"), [("None", 0), ("0", 0), ("11", 11), ("13", 13)])
def test_the_exit_status_is_kept(tmp_path: Path, code: str, status: int) -> None:
    assert _python(f"leave({code})", tmp_path).returncode == status


def test_buffered_output_reaches_a_pipe_whole(tmp_path: Path) -> None:
    done = _python(
        "import sys\nsys.stdout.write('x' * 1_000_000)\nsys.stderr.write('error: late\\n')\n"
        "leave(0)",
        tmp_path,
    )
    assert done.returncode == 0
    assert done.stdout == b"x" * 1_000_000
    assert done.stderr == b"error: late\n"


def test_exit_handlers_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    done = _python(
        f"import atexit, pathlib\natexit.register(pathlib.Path({str(marker)!r}).write_text, 'y')\n"
        "leave(3)",
        tmp_path,
    )
    assert done.returncode == 3
    assert marker.read_text() == "y"


def test_a_running_thread_is_waited_for(tmp_path: Path) -> None:
    marker = tmp_path / "finished"
    done = _python(
        "import pathlib, threading, time\n"
        f"def work():\n    time.sleep(0.3)\n    pathlib.Path({str(marker)!r}).write_text('y')\n"
        "threading.Thread(target=work).start()\nleave(5)",
        tmp_path,
    )
    assert done.returncode == 5
    assert marker.read_text() == "y"


def test_a_message_code_exits_as_the_interpreter_would(tmp_path: Path) -> None:
    done = _python("leave('stopped')", tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().endswith(b"stopped")


def test_output_to_a_closed_pipe_ends_without_a_traceback(tmp_path: Path) -> None:
    script = tmp_path / "closed.py"
    script.write_text(
        "import sys\nfrom ingot_cli.leaving import leave\nsys.stdout.write('x' * 100)\nleave(0)"
    )
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    reader = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=buffered
    )
    assert reader.stdout is not None
    reader.stdout.close()  # the reader went away before the buffered output was flushed
    _, err = reader.communicate(timeout=60)
    assert reader.returncode == 120
    assert b"Traceback" not in err

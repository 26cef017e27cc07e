"""Live metrics across processes: a process that trades a book (the REPL, `feed`, `strategy
run`, a script) writes what its storage worker, trade log writer and feed have counted to
DATA_DIR/run/metrics-<pid>.json every PUBLISH_SECONDS (atomically: a temporary file renamed),
and removes it when it closes. Another process (`ingot status`, `ingot metrics`) reads the
snapshots of the processes still alive, named and dated, instead of its own empty counters.

A snapshot older than STALE_SECONDS, or whose process is gone, is not shown (a SIGKILLed
process leaves its file behind; the next reader removes it).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingot_storage.config_urls import without_passwords
from ingot_storage.errors import StorageError

__all__ = ["PUBLISH_SECONDS", "MetricsPublisher", "Published", "read_published"]

_log = logging.getLogger(__name__)
PUBLISH_SECONDS = 2.0
STALE_SECONDS = 30.0


def _folder(data_dir: Path) -> Path:
    return data_dir / "run"


@dataclass(frozen=True)
class Published:
    """One trading process's latest snapshot."""

    pid: int
    command: str
    book: str
    database: str
    updated_at: datetime
    data: dict[str, Any]

    @property
    def age_s(self) -> float:
        """How old the snapshot is, in seconds."""
        return max(0.0, (datetime.now(UTC) - self.updated_at).total_seconds())


class MetricsPublisher:
    """Writes this process's snapshot every PUBLISH_SECONDS on a daemon thread."""

    def __init__(
        self, data_dir: Path, book: str, database: str, collect: Callable[[], dict[str, Any]]
    ) -> None:
        self.path = _folder(data_dir) / f"metrics-{os.getpid()}.json"
        self._book, self._database, self._collect = book, database, collect
        self.extras: dict[str, Callable[[], Any]] = {}  # e.g. a running feed's counters
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingot-metrics", daemon=True)

    def start(self) -> MetricsPublisher:
        """Publish now and then every PUBLISH_SECONDS."""
        self.publish()
        self._thread.start()
        return self

    def publish(self) -> None:
        """Write the snapshot now (a failure is a warning: metrics never stop trading)."""
        try:
            command = without_passwords(" ".join(["ingot", *sys.argv[1:]]))[:200]
            data = {"pid": os.getpid(), "command": command,
                    "book": self._book, "database": self._database,
                    "updated_at": datetime.now(UTC).isoformat(), **self._collect(),
                    **{name: extra() for name, extra in self.extras.items()}}  # fmt: skip
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            temporary = self.path.with_name(self.path.name + ".part")
            temporary.write_text(json.dumps(data, default=str), encoding="utf-8")
            os.replace(temporary, self.path)
        except (OSError, TypeError, ValueError, StorageError) as error:  # metrics never stop it
            _log.warning("metrics not published: %s", error)

    def _run(self) -> None:
        while not self._stop.wait(PUBLISH_SECONDS):
            self.publish()

    def close(self) -> None:
        """Stop publishing and remove the snapshot."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(PUBLISH_SECONDS * 2)
        self.path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, but there
    return True


def read_published(data_dir: Path, book: str | None = None) -> list[Published]:
    """The live snapshots (of `book`, when given), newest first, without this process's."""
    found = []
    for path in sorted(_folder(data_dir).glob("metrics-*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            snapshot = Published(int(data["pid"]), str(data["command"]), str(data["book"]),
                                 str(data["database"]),
                                 datetime.fromisoformat(data["updated_at"]), data)  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            continue  # half written or not ours: skipped
        if not _alive(snapshot.pid):
            path.unlink(missing_ok=True)
            continue
        if snapshot.pid == os.getpid() or snapshot.age_s > STALE_SECONDS:
            continue
        if book is None or snapshot.book == book:
            found.append(snapshot)
    return sorted(found, key=lambda s: s.updated_at, reverse=True)

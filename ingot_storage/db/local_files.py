"""Local files of a book (spill, external checkpoints), named by the server's identity.

Two spellings of one server (`127.0.0.1` and `localhost`, a socket path and a TCP port) are
one database, so its files must be one file: they are named by the server's
`system_identifier` and the database name, which every spelling reaches, never by the URL's
text. The identity is read when a session connects; the data directory's `servers.json`
remembers which identity each spelling reached last, so `ingot db spill` can find the spill
while the server is down.

Files named by the URL's text (releases before this one) are taken over at the first
connection: a spill file becomes the identity's (older batches first, when both exist), and
so does an external checkpoint file.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL

from ingot_storage.config import MAIN_BOOK, StorageConfig, database_key

__all__ = [
    "adopt_url_files",
    "bytes_waiting",
    "checkpoint_file_for",
    "files_label",
    "known_identity",
    "offline_spill_files",
    "remember_identity",
    "server_key",
    "signed_heads_for",
    "spill_file_for",
    "tradelog_spill_for",
]


def spill_file_for(data_dir: Path, database_label: str) -> Path:
    """The spill file of one book of one database (label: Database.files_label)."""
    return data_dir / "spill" / f"spill-{database_key(database_label)}.jsonl"


def tradelog_spill_for(data_dir: Path, identity: str) -> Path:
    """The trade log's spill of one database (the trade log is shared by its books)."""
    return data_dir / "spill" / f"tradelog-{database_key(identity)}.jsonl"


def checkpoint_file_for(data_dir: Path, database_label: str) -> Path:
    """The external checkpoint file of one book of one database (label: Database.files_label)."""
    return data_dir / "audit" / f"checkpoints-{database_key(database_label)}.jsonl"


def signed_heads_for(key_path: Path, database_label: str) -> Path:
    """The signer's memory of the heads its key signed for one book of one database: beside
    the key, not the data, so that losing the data directory's files does not lose it."""
    return key_path.with_name(f"{key_path.name}.heads-{database_key(database_label)}.jsonl")


def bytes_waiting(path: Path) -> int:
    """How many bytes the file at `path` holds (0: none, or no such file)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


_INDEX = "servers.json"
_log = logging.getLogger(__name__)


def files_label(identity: str, book: str) -> str:
    """What names a book's local files: the server's identity, and the book when not main."""
    return identity if book == MAIN_BOOK else f"{identity}#{book}"


def _read_index(data_dir: Path) -> dict[str, str]:
    try:
        data = json.loads((data_dir / _INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}


def known_identity(data_dir: Path, key: str) -> str | None:
    """The identity the server named `key` (server_key) had when it last answered."""
    return _read_index(data_dir).get(key)


def server_key(database_url: URL | None) -> str:
    """How servers.json names a server: its URL without password, or "embedded" for the
    data directory's own server (whose URL changes with its socket)."""
    return "embedded" if database_url is None else database_url.render_as_string(True)


def offline_spill_files(config: StorageConfig) -> tuple[list[Path], bool]:
    """The book's spill file as far as can be told with the server down: the one of the
    identity the configured server last had (True), or, when it never answered, every
    spill file of the data directory (False)."""
    identity = known_identity(config.data_dir, server_key(config.database_url))
    if identity is not None:
        return [spill_file_for(config.data_dir, files_label(identity, config.book))], True
    return sorted((config.data_dir / "spill").glob("spill-*.jsonl")), False


def remember_identity(data_dir: Path, key: str, identity: str) -> None:
    """Note that the server named `key` has `identity` (best effort: the index only helps)."""
    index = _read_index(data_dir)
    if index.get(key) == identity:
        return
    index[key] = identity
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        _write_atomically(data_dir / _INDEX, json.dumps(index, indent=1, sort_keys=True))
    except OSError as error:
        _log.debug("could not record the server identity: %s", error)


def adopt_url_files(data_dir: Path, display_url: str, identity: str, book: str) -> None:
    """Take over the spill and checkpoint files an earlier release named by the URL."""
    old, new = files_label(display_url, book), files_label(identity, book)
    for folder, prefix in (("spill", "spill"), ("audit", "checkpoints")):
        before = data_dir / folder / f"{prefix}-{database_key(old)}.jsonl"
        after = data_dir / folder / f"{prefix}-{database_key(new)}.jsonl"
        if before.exists() and before != after:
            _merge_into(before, after)


def _merge_into(older: Path, newer: Path) -> None:
    # Lines of `older` first, then those of `newer`, in one atomic replace; then `older` goes.
    if newer.exists():
        text = older.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):
            text += "\n"
        _write_atomically(newer, text + newer.read_text(encoding="utf-8"))
        older.unlink()
    else:
        os.replace(older, newer)
    _log.info("%s now holds what %s held", newer, older)


def _write_atomically(path: Path, text: str) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

"""Local files named by the server's identity, whatever the URL's spelling."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL

from ingot_storage.config import StorageConfig, database_key
from ingot_storage.db.database import open_database
from ingot_storage.db.local_files import (
    adopt_url_files,
    files_label,
    known_identity,
    offline_spill_files,
    server_key,
)


def _file(data_dir: Path, folder: str, prefix: str, label: str) -> Path:
    return data_dir / folder / f"{prefix}-{database_key(label)}.jsonl"


def test_a_spill_named_by_the_url_is_taken_over_older_batches_first(tmp_path: Path) -> None:
    url, identity = "postgresql+psycopg://app:***@127.0.0.1:5432/ingot", "7714/ingot"
    old = _file(tmp_path, "spill", "spill", url)
    new = _file(tmp_path, "spill", "spill", identity)
    old.parent.mkdir(parents=True)
    old.write_text('{"epoch": 1, "events": ["older"]}\n')
    new.write_text('{"epoch": 2, "events": ["newer"]}\n')
    checkpoints = _file(tmp_path, "audit", "checkpoints", f"{url}#bt-1")
    checkpoints.parent.mkdir(parents=True)
    checkpoints.write_text('{"size": 3}\n')
    adopt_url_files(tmp_path, url, identity, "main")
    adopt_url_files(tmp_path, url, identity, "bt-1")
    assert not old.exists()
    assert new.read_text().splitlines() == [
        '{"epoch": 1, "events": ["older"]}',
        '{"epoch": 2, "events": ["newer"]}',
    ]
    assert _file(tmp_path, "audit", "checkpoints", f"{identity}#bt-1").read_text() == (
        '{"size": 3}\n'
    )


def test_two_spellings_of_one_server_name_the_same_files(database_url: URL, tmp_path: Path) -> None:
    spellings = [database_url]
    socket_dir = database_url.query.get("host")
    if isinstance(socket_dir, str):
        spellings.append(database_url.update_query_dict({"host": socket_dir + "/./"}))
    elif database_url.host in ("localhost", "127.0.0.1"):
        other = "127.0.0.1" if database_url.host == "localhost" else "localhost"
        spellings.append(database_url.set(host=other))
    labels = set()
    for url in spellings:
        config = StorageConfig.from_env(
            {"DATABASE_URL": url.render_as_string(False), "INGOT_DATA_DIR": str(tmp_path)}
        )
        database = open_database(config)
        try:
            labels.add(database.files_label)
            assert known_identity(tmp_path, server_key(config.database_url)) == database.identity
            assert offline_spill_files(config) == (
                [tmp_path / "spill" / f"spill-{database_key(database.files_label)}.jsonl"],
                True,
            )
        finally:
            database.close()
    assert len(labels) == 1
    [label] = labels
    assert label.endswith(f"/{database_url.database}")
    assert files_label(label, "bt-1") == f"{label}#bt-1"


def test_a_server_never_seen_lists_every_spill_file(tmp_path: Path) -> None:
    (tmp_path / "spill").mkdir()
    for name in ("spill-a.jsonl", "spill-b.jsonl"):
        (tmp_path / "spill" / name).write_text("{}\n")
    config = StorageConfig.from_env(
        {"DATABASE_URL": "postgresql://u@never.example/db", "INGOT_DATA_DIR": str(tmp_path)}
    )
    paths, known = offline_spill_files(config)
    assert not known
    assert [p.name for p in paths] == ["spill-a.jsonl", "spill-b.jsonl"]

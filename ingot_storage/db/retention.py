"""Retention of a table partitioned by time: whole partitions older than the cutoff go,
archived first; the partition the cutoff falls in keeps its newer rows.

A partition wholly older than the cutoff is archived (every row, gzip-compressed JSONL,
fsync'd, under a temporary name then renamed) and then detached and dropped, in the same
transaction as the rest. The partition the cutoff falls in has its older rows archived and
deleted, so what stays is exactly the rows from the cutoff on, and the archive holds every row
that went. The trade log and the ticks use it (ingot_storage.tradelog.retention,
ingot_storage.market.retention).
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

__all__ = ["Partition", "PruneResult", "prune_partitioned", "write_archive"]


@dataclass(frozen=True)
class Partition:
    """One partition: its table and its range of the partition key, [start, end)."""

    name: str
    start: Any
    end: Any


@dataclass(frozen=True)
class PruneResult:
    """What a prune did (or, dry, would do).

    Attributes:
      cutoff: rows before it go.
      dropped: the partitions that went whole, with their row counts.
      trimmed: rows deleted from the partition the cutoff falls in.
      archived: the archive files written.
      kept: rows left.
    """

    cutoff: datetime
    dropped: list[tuple[str, int]]
    trimmed: int
    archived: list[Path]
    kept: int


def write_archive(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Write `records` to a gzip JSONL file, durably; return how many."""
    temporary = path.with_name(path.name + ".part")
    count = 0
    with open(temporary, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as packed:
        for record in records:
            packed.write((json.dumps(record, ensure_ascii=False) + "\n").encode())
            count += 1
        packed.close()
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(temporary, path)
    return count


def prune_partitioned(
    conn: Connection,
    parent: str,
    key: str,
    parts: Sequence[Partition],
    cut: Any,
    cutoff: datetime,
    archive: Path | None,
    records: Callable[[str, Any | None], Iterable[dict[str, Any]]],
    *,
    dry_run: bool = False,
    stamp: str = "",
) -> PruneResult:
    """Prune `parent`'s rows whose `key` is before `cut` (the `cutoff` as the key's value),
    in the caller's transaction. `records(partition, before)`: the rows of one partition
    (those before `before`, when given) as archive records, in order."""
    dropped: list[tuple[str, int]] = []
    archived: list[Path] = []
    trimmed = 0
    for part in parts:
        if part.start >= cut:
            continue
        whole = part.end <= cut
        where = "" if whole else f' WHERE "{key}" < :cut'
        count = conn.execute(sa.text(f'SELECT count(*) FROM public."{part.name}"{where}'),
                             {"cut": cut}).scalar_one()  # fmt: skip
        if dry_run:
            if whole:
                dropped.append((part.name, count))
            else:
                trimmed = count
            continue
        if archive is not None and count:
            name = part.name if whole else f"{part.name}.before-{stamp or cut}"
            path = archive / f"{name}.jsonl.gz"
            if write_archive(path, records(part.name, None if whole else cut)) != count:
                raise RuntimeError(f"{path}: the archive does not hold every row")
            archived.append(path)
        if whole:
            conn.execute(sa.text(f'ALTER TABLE public."{parent}" DETACH PARTITION '
                                 f'public."{part.name}"'))  # fmt: skip
            conn.execute(sa.text(f'DROP TABLE public."{part.name}"'))
            dropped.append((part.name, count))
        else:
            conn.execute(sa.text(f'DELETE FROM public."{part.name}"{where}'), {"cut": cut})
            trimmed = count
    kept = conn.execute(sa.text(f'SELECT count(*) FROM public."{parent}"')).scalar_one()
    if dry_run:
        kept -= trimmed + sum(n for _, n in dropped)
    return PruneResult(cutoff, dropped, trimmed, archived, kept)

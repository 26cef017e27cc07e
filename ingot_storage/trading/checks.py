"""How many inconsistencies `ingot db check` has found, per book, kept beside the published
metrics (DATA_DIR/run/inconsistencies.json) for `ingot metrics`' inconsistencies_total."""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["count_inconsistencies", "last_inconsistencies"]


def _path(data_dir: Path) -> Path:
    return data_dir / "run" / "inconsistencies.json"


def last_inconsistencies(data_dir: Path) -> dict[str, int]:
    """Every book's running total (none before the first check)."""
    try:
        data = json.loads(_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}


def count_inconsistencies(data_dir: Path, found: dict[str, int]) -> None:
    """Add what one check found to each book's total (atomically replaced)."""
    totals = last_inconsistencies(data_dir)
    for book, count in found.items():
        totals[book] = totals.get(book, 0) + count
    path = _path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(json.dumps(totals, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)

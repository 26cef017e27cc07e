"""PostgreSQL first, then the mirror: the one way market data reaches QuestDB.

A row goes to QuestDB only once PostgreSQL has committed it, and never instead of it:

- the storage worker hands over the ticks of each batch it committed (`tick_mirror`);
- the Kraken backfill hands over the bars of each page it committed (`bar_mirror`);
- a file ingest, once its one transaction committed, reads the range it stored back from
  PostgreSQL and sends that (`mirror_stored_bars`, `mirror_stored_ticks`), so QuestDB gets
  exactly the stored rows, duplicates and refused rows of the file left out.

Sending is best effort (`QuestDbMirror`): QuestDB down is a warning and a counter, never a
failed command, and a row sent twice lands once (DEDUP UPSERT KEYS).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from ingot_core.feed import BarInterval, OhlcvBar, Ticker
from ingot_core.symbols import Symbol
from ingot_storage.db.database import Database
from ingot_storage.market.questdb import QuestDbMirror
from ingot_storage.market.store import iter_bars, iter_ticks

__all__ = ["bar_mirror", "mirror_stored_bars", "mirror_stored_ticks", "tick_mirror"]


def tick_mirror(mirror: QuestDbMirror | None) -> Callable[[list[Ticker]], object] | None:
    """What the storage worker calls with the ticks of each committed batch (None: no mirror)."""
    return None if mirror is None else mirror.send_ticks


def bar_mirror(mirror: QuestDbMirror | None) -> Callable[[list[OhlcvBar]], object] | None:
    """What the Kraken backfill calls with the bars of each committed page (None: no mirror)."""
    return None if mirror is None else mirror.send_bars


def mirror_stored_bars(
    database: Database,
    mirror: QuestDbMirror | None,
    symbol: Symbol,
    interval: BarInterval,
    first: datetime | None,
    last: datetime | None,
) -> None:
    """Send the stored bars of `symbol` at `interval` opening from `first` to `last`."""
    if mirror is None or first is None or last is None:
        return
    with database.connect() as conn:
        mirror.send_bars(iter_bars(conn, symbol, interval, first, last))


def mirror_stored_ticks(
    database: Database,
    mirror: QuestDbMirror | None,
    symbols: Iterable[str],
    first: datetime | None,
    last: datetime | None,
) -> None:
    """Send the stored ticks of each of `symbols` from `first` to `last`."""
    if mirror is None or first is None or last is None:
        return
    with database.connect() as conn:
        for symbol in sorted(symbols):
            mirror.send_ticks(iter_ticks(conn, Symbol.parse(symbol), first, last))

"""Configuration from the environment.

| variable                  | meaning                                  | default                 |
|---------------------------|------------------------------------------|-------------------------|
| DATABASE_URL              | external PostgreSQL (>= 15)              | embedded server         |
| INGOT_OWNER_DATABASE_URL  | the owner role, for migrations and DDL   | DATABASE_URL            |
| QUESTDB_ILP_ADDR          | QuestDB ILP host:port                    | none: PostgreSQL only   |
| PG_POOL_SIZE              | connections in the pool (1-100)          | 5                       |
| STORAGE_BATCH_SIZE        | events per write batch (1-100000)        | 50                      |
| STORAGE_FLUSH_INTERVAL_MS | longest wait for a partial batch (1-60000)| 100                    |
| STORAGE_GROUP_COMMIT_MAX  | most events one commit groups (1-100000) | 1000                    |
| INGOT_LOCK_WAIT_MS        | wait for another process trading the book| 5000                    |
| INGOT_SERVER_IDLE_SECONDS | embedded server's life after last user   | 300                     |
| INGOT_BOOK                | the book commands work on                | main                    |
| INGOT_SNAPSHOT_EVERY      | book state snapshot after N audit entries| 1000                    |
| INGOT_DATA_DIR            | embedded database, keys, history         | user data directory     |
| INGOT_BASE_CURRENCY       | currency of a fresh ledger               | USD                     |
| INGOT_OPENING_CAPITAL     | paper capital of a fresh ledger          | 100000.00               |
| INGOT_AUDIT_KEY           | Ed25519 checkpoint signing key (0600)    | DATA_DIR/audit/...pem   |
| INGOT_AUDIT_CHECKPOINT_EVERY   | checkpoint after N new entries      | 1000                    |
| INGOT_AUDIT_CHECKPOINT_SECONDS | checkpoint after T s of activity    | 60                      |
| INGOT_MODE                | paper, shadow or live (live fails closed)| paper                   |
| INGOT_BOOKING             | a new book's booking method (lots)       | average                 |
| INGOT_FEE_RATE            | paper taker fee, fraction of cost        | 0.0026                  |
| INGOT_SLIPPAGE_BPS        | paper market-order slippage, bps         | 5                       |
| INGOT_MAX_EXPOSURE        | risk cap: total exposure (quote ccy)     | 10000                   |
| INGOT_MAX_SYMBOL_EXPOSURE | risk cap: exposure per symbol            | 5000                    |
| INGOT_MAX_OPEN_ORDERS     | risk cap: resting orders                 | 10                      |
| QUESTDB_PG_URL            | QuestDB's PostgreSQL wire, for its DDL   | admin@ILP host:8812/qdb |
| INGOT_KRAKEN_URL          | Kraken REST base URL                     | https://api.kraken.com  |
| INGOT_KRAKEN_WS_URL       | Kraken WebSocket API v2 (ingot feed)     | wss://ws.kraken.com/v2  |
| INGOT_KRAKEN_WS_IDLE_S    | Kraken WebSocket: quiet before reconnect | 10                      |
| INGOT_KRAKEN_BACKOFF_MS   | Kraken WebSocket: first reconnect wait   | 1000                    |
| INGOT_KRAKEN_MIN_INTERVAL_MS | least time between Kraken calls       | 1000                    |
| INGOT_KRAKEN_RETRIES      | retries of a failing Kraken call (0-20)  | 5                       |
| INGOT_KRAKEN_TIMEOUT_S    | longest wait for one whole answer (1-300) | 30                     |
| INGOT_HEARTBEAT_SECONDS   | a feed's heartbeat interval (s)          | 10                      |
| INGOT_TRADELOG_QUEUE      | trade log queue bound (drop-oldest)      | 100000                  |
| INGOT_TRADELOG_BATCH      | trade log events per COPY (1-100000)     | 1000                    |
| INGOT_TRADELOG_FLUSH_MS   | trade log wait for a partial batch       | 50                      |
| INGOT_TRADELOG_RETENTION_DAYS | trade log days kept by prune         | 90                      |
| INGOT_RETENTION_TICKS_DAYS | tick days kept by db prune          | 90                      |
| INGOT_RETENTION_BARS_DAYS | bar days kept by db prune (0: all)      | 0                       |

A malformed value raises ConfigError naming the variable. The database URL's password is
never part of a message, a repr or a log line.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import platformdirs
from sqlalchemy.engine import URL

from ingot_core.accounting import Currency, currency
from ingot_core.money import fraction_digits
from ingot_core.numbers import parse_decimal, parse_whole
from ingot_storage.config_urls import (
    http_url,
    ilp_addr,
    normalize_database_url,
    questdb_pg_url,
    redact_url,
    without_passwords,
)
from ingot_storage.errors import ConfigError

__all__ = [
    "MAIN_BOOK",
    "StorageConfig",
    "book_problem",
    "book_schema",
    "database_key",
    "normalize_database_url",
    "redact_url",
    "without_passwords",
]

BOOK_NAME = re.compile(r"[a-z][a-z0-9_-]{0,47}")
MAIN_BOOK = "main"


def book_problem(name: str) -> str | None:
    """Why `name` cannot name a book, or None."""
    if BOOK_NAME.fullmatch(name) is None:
        return (
            f"{name!r} is not a book name: a lowercase letter, then up to 47 lowercase "
            "letters, digits, '-' or '_'"
        )
    return None


def book_schema(name: str) -> str:
    """The PostgreSQL schema of a book's tables: `public` for main, `book_<name>` otherwise
    ('-' becomes '_')."""
    return "public" if name == MAIN_BOOK else "book_" + name.replace("-", "_")


def _book(env: Mapping[str, str]) -> str:
    name = env.get("INGOT_BOOK", MAIN_BOOK)
    problem = book_problem(name)
    if problem is not None:
        raise ConfigError("INGOT_BOOK", problem)
    return name


def database_key(database_label: str) -> str:
    """A short stable key naming one database's local files (label: local_files.files_label)."""
    return hashlib.sha256(database_label.encode()).hexdigest()[:16]


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse_whole(raw, "", low, high)
    except ValueError as error:
        raise ConfigError(name, str(error)) from None


_BASE_CURRENCY = "USD"
_OPENING_CAPITAL = Decimal("100000.00")


def _base_currency(env: Mapping[str, str]) -> Currency:
    raw = env.get("INGOT_BASE_CURRENCY", "").strip() or _BASE_CURRENCY
    try:
        return currency(raw)
    except ValueError as error:
        raise ConfigError("INGOT_BASE_CURRENCY", str(error)) from None


def _opening_capital(env: Mapping[str, str], base: Currency) -> Decimal:
    raw = env.get("INGOT_OPENING_CAPITAL", "").strip() or str(_OPENING_CAPITAL)
    try:
        value = parse_decimal(raw, "amount")
    except ValueError as error:
        raise ConfigError("INGOT_OPENING_CAPITAL", str(error)) from None
    if value < 0:
        raise ConfigError("INGOT_OPENING_CAPITAL", f"{raw} must not be negative")
    if fraction_digits(value) > base.decimals:
        raise ConfigError(
            "INGOT_OPENING_CAPITAL",
            f"{raw} has more decimals than {base.code} allows ({base.decimals})",
        )
    return value


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip().lower() or default
    if raw not in allowed:
        raise ConfigError(name, f"{raw!r} must be one of {', '.join(allowed)}")
    return raw


def _decimal(
    env: Mapping[str, str], name: str, default: Decimal, low: Decimal, high: Decimal | None
) -> Decimal:
    raw = env.get(name, "").strip() or str(default)
    try:
        value = parse_decimal(raw, "value")
    except ValueError as error:
        raise ConfigError(name, str(error)) from None
    if value < low or (high is not None and value > high):
        bound = f"{low}-{high}" if high is not None else f">= {low}"
        raise ConfigError(name, f"{raw} is out of range {bound}")
    return value


def _optional_path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    if path.is_dir():
        raise ConfigError(name, f"{path} is a directory; name the key file itself")
    return path.resolve()


def _data_dir(env: Mapping[str, str]) -> Path:
    raw = env.get("INGOT_DATA_DIR", "").strip()
    path = (
        Path(raw).expanduser()
        if raw
        else Path(platformdirs.user_data_dir("ingot", appauthor=False))
    )
    if path.exists() and not path.is_dir():
        raise ConfigError("INGOT_DATA_DIR", f"{path} exists and is not a directory")
    return path.resolve()


@dataclass(frozen=True)
class StorageConfig:
    """Where Ingot's data lives and how storage behaves.

    Attributes:
      database_url: an external PostgreSQL, or None for the embedded server.
      owner_database_url: the same database as its owner role (migrations, books, partition
        drops), when DATABASE_URL names an application role; None: DATABASE_URL's role.
      questdb_ilp_addr: (host, port) of QuestDB's ILP listener, or None.
      pg_pool_size: PostgreSQL connections in the pool.
      batch_size: events written per batch.
      flush_interval_ms: longest wait before a partial batch is written.
      group_commit_max: the most events one commit takes in under load (what arrives while a
        batch is written joins the next); never fewer than batch_size.
      lock_wait_ms: how long a trading command waits for another process trading the book.
      server_idle_seconds: how long the embedded server outlives the last Ingot process.
      book: the book (ledger, orders, audit trail) commands work on.
      snapshot_every: take a book state snapshot after this many new audit entries.
      data_dir: directory for the embedded database, keys and history.
      base_currency: the currency a fresh ledger is kept in.
      opening_capital: the paper capital a fresh ledger starts with.
      audit_key: the checkpoint signing key file, or None for DATA_DIR/audit/signing-key.pem.
      checkpoint_every: take an audit checkpoint after this many new entries.
      checkpoint_seconds: or after this many seconds of activity.
      questdb_pg_url: QuestDB's PostgreSQL-wire URL (table DDL), when QuestDB is configured.
      kraken_url: Kraken's REST base URL; kraken_ws_url: its WebSocket API v2.
      kraken_ws_idle_s: how long the WebSocket may be quiet (a ping at half) before it is
        taken for dead and reconnected; kraken_backoff_ms: the first wait before reconnecting
        (doubling with each failure in a row).
      kraken_min_interval_ms: the least time between two Kraken calls.
      kraken_retries: how often a failing Kraken call is retried.
      kraken_timeout_s: the longest one Kraken answer may take, from request to last byte.
      tradelog_queue, tradelog_batch, tradelog_flush_ms: the trade log writer's queue bound,
        batch size and longest wait for a partial batch.
      tradelog_retention_days: how many days of the trade log `tradelog prune` keeps.
      retention_ticks_days, retention_bars_days: how many days of ticks and of bars
        `db prune` keeps (bars: 0, all of them, unless asked).
      heartbeat_seconds: how often a running feed prints its heartbeat.
    """

    database_url: URL | None = field(default=None, repr=False)
    owner_database_url: URL | None = field(default=None, repr=False)
    questdb_ilp_addr: tuple[str, int] | None = None
    pg_pool_size: int = 5
    batch_size: int = 50
    flush_interval_ms: int = 100
    group_commit_max: int = 1000
    lock_wait_ms: int = 5000
    server_idle_seconds: int = 300
    book: str = MAIN_BOOK
    snapshot_every: int = 1000
    data_dir: Path = field(default_factory=lambda: _data_dir({}))
    base_currency: Currency = field(default_factory=lambda: currency(_BASE_CURRENCY))
    opening_capital: Decimal = _OPENING_CAPITAL
    audit_key: Path | None = None
    checkpoint_every: int = 1000
    checkpoint_seconds: int = 60
    mode: str = "paper"
    booking: str = "average"
    fee_rate: Decimal = Decimal("0.0026")
    slippage_bps: Decimal = Decimal("5")
    max_exposure: Decimal = Decimal("10000")
    max_symbol_exposure: Decimal = Decimal("5000")
    max_open_orders: int = 10
    questdb_pg_url: str | None = field(default=None, repr=False)
    kraken_url: str = "https://api.kraken.com"
    kraken_ws_url: str = "wss://ws.kraken.com/v2"
    kraken_ws_idle_s: int = 10
    kraken_backoff_ms: int = 1000
    kraken_min_interval_ms: int = 1000
    kraken_retries: int = 5
    kraken_timeout_s: int = 30
    tradelog_queue: int = 100_000
    tradelog_batch: int = 1000
    tradelog_flush_ms: int = 50
    tradelog_retention_days: int = 90
    retention_ticks_days: int = 90
    retention_bars_days: int = 0
    heartbeat_seconds: int = 10

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StorageConfig:
        """Read every variable; raise ConfigError for the first malformed one."""
        env = os.environ if env is None else env
        raw_url, owner_url = env.get("DATABASE_URL"), env.get("INGOT_OWNER_DATABASE_URL")
        if owner_url is not None and raw_url is None:
            raise ConfigError("INGOT_OWNER_DATABASE_URL", "needs DATABASE_URL (the embedded "
                              "server makes its own roles)")  # fmt: skip
        base = _base_currency(env)
        return cls(
            database_url=None if raw_url is None else normalize_database_url(raw_url),
            owner_database_url=None
            if owner_url is None
            else normalize_database_url(owner_url, "INGOT_OWNER_DATABASE_URL"),
            questdb_ilp_addr=ilp_addr(env),
            pg_pool_size=_int(env, "PG_POOL_SIZE", cls.pg_pool_size, 1, 100),
            batch_size=_int(env, "STORAGE_BATCH_SIZE", cls.batch_size, 1, 100_000),
            flush_interval_ms=_int(
                env, "STORAGE_FLUSH_INTERVAL_MS", cls.flush_interval_ms, 1, 60_000
            ),
            group_commit_max=_int(
                env, "STORAGE_GROUP_COMMIT_MAX", cls.group_commit_max, 1, 100_000
            ),
            lock_wait_ms=_int(env, "INGOT_LOCK_WAIT_MS", cls.lock_wait_ms, 0, 600_000),
            server_idle_seconds=_int(
                env, "INGOT_SERVER_IDLE_SECONDS", cls.server_idle_seconds, 0, 604_800
            ),
            book=_book(env),
            snapshot_every=_int(env, "INGOT_SNAPSHOT_EVERY", cls.snapshot_every, 1, 1_000_000_000),
            data_dir=_data_dir(env),
            base_currency=base,
            opening_capital=_opening_capital(env, base),
            audit_key=_optional_path(env, "INGOT_AUDIT_KEY"),
            checkpoint_every=_int(
                env, "INGOT_AUDIT_CHECKPOINT_EVERY", cls.checkpoint_every, 1, 1_000_000_000
            ),
            checkpoint_seconds=_int(
                env, "INGOT_AUDIT_CHECKPOINT_SECONDS", cls.checkpoint_seconds, 1, 86_400
            ),
            mode=_choice(env, "INGOT_MODE", cls.mode, ("paper", "shadow", "live")),
            booking=_choice(env, "INGOT_BOOKING", cls.booking, ("fifo", "lifo", "hifo", "average")),
            fee_rate=_decimal(env, "INGOT_FEE_RATE", cls.fee_rate, Decimal(0), Decimal("0.1")),
            slippage_bps=_decimal(
                env, "INGOT_SLIPPAGE_BPS", cls.slippage_bps, Decimal(0), Decimal(1000)
            ),
            max_exposure=_decimal(env, "INGOT_MAX_EXPOSURE", cls.max_exposure, Decimal(0), None),
            max_symbol_exposure=_decimal(
                env, "INGOT_MAX_SYMBOL_EXPOSURE", cls.max_symbol_exposure, Decimal(0), None
            ),
            max_open_orders=_int(env, "INGOT_MAX_OPEN_ORDERS", cls.max_open_orders, 0, 100_000),
            questdb_pg_url=questdb_pg_url(env),
            kraken_url=http_url(env, "INGOT_KRAKEN_URL", cls.kraken_url),
            kraken_ws_url=http_url(env, "INGOT_KRAKEN_WS_URL", cls.kraken_ws_url, ("ws", "wss")),
            kraken_ws_idle_s=_int(env, "INGOT_KRAKEN_WS_IDLE_S", cls.kraken_ws_idle_s, 1, 600),
            kraken_backoff_ms=_int(
                env, "INGOT_KRAKEN_BACKOFF_MS", cls.kraken_backoff_ms, 1, 60_000
            ),
            kraken_min_interval_ms=_int(
                env, "INGOT_KRAKEN_MIN_INTERVAL_MS", cls.kraken_min_interval_ms, 0, 60_000
            ),
            kraken_retries=_int(env, "INGOT_KRAKEN_RETRIES", cls.kraken_retries, 0, 20),
            kraken_timeout_s=_int(env, "INGOT_KRAKEN_TIMEOUT_S", cls.kraken_timeout_s, 1, 300),
            tradelog_queue=_int(env, "INGOT_TRADELOG_QUEUE", cls.tradelog_queue, 1, 10_000_000),
            tradelog_batch=_int(env, "INGOT_TRADELOG_BATCH", cls.tradelog_batch, 1, 100_000),
            tradelog_flush_ms=_int(
                env, "INGOT_TRADELOG_FLUSH_MS", cls.tradelog_flush_ms, 1, 60_000
            ),
            tradelog_retention_days=_int(
                env, "INGOT_TRADELOG_RETENTION_DAYS", cls.tradelog_retention_days, 1, 36_500
            ),
            retention_ticks_days=_int(
                env, "INGOT_RETENTION_TICKS_DAYS", cls.retention_ticks_days, 1, 36_500
            ),
            retention_bars_days=_int(
                env, "INGOT_RETENTION_BARS_DAYS", cls.retention_bars_days, 0, 36_500
            ),
            heartbeat_seconds=_int(
                env, "INGOT_HEARTBEAT_SECONDS", cls.heartbeat_seconds, 1, 86_400
            ),
        )

    @property
    def audit_key_path(self) -> Path:
        """The checkpoint signing key file."""
        return self.audit_key or self.data_dir / "audit" / "signing-key.pem"

    @property
    def redacted_database_url(self) -> str | None:
        """The external URL with its password masked, for display."""
        if self.database_url is None:
            return None
        return self.database_url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return (
            f"StorageConfig(database_url={self.redacted_database_url!r}, "
            f"questdb_ilp_addr={self.questdb_ilp_addr!r}, pg_pool_size={self.pg_pool_size}, "
            f"batch_size={self.batch_size}, flush_interval_ms={self.flush_interval_ms}, "
            f"group_commit_max={self.group_commit_max}, "
            f"data_dir={str(self.data_dir)!r}, base_currency={self.base_currency.code!r}, "
            f"opening_capital={str(self.opening_capital)!r}, "
            f"audit_key={str(self.audit_key_path)!r}, checkpoint_every={self.checkpoint_every}, "
            f"checkpoint_seconds={self.checkpoint_seconds})"
        )

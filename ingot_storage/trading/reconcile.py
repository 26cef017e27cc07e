"""Reconciliation (seed 004's consistency checks): the stored rows against their audit
entries, and the orders against the ledger.

`audit verify` proves the audit log was not rewritten; it says nothing of the rows beside it.
A balanced hand edit of `entries`, or a doubled `fill_price` in `order_history`, changes NAV and
keeps the log intact. This checks, for the book the connection is pointed at, that:

- every transaction has its `transaction_posted` entry and every such entry its transaction,
  and each transaction's date, description and entries (account, side, amount, currency, in
  order) are what the entry's payload says;
- every order_history row is what the audit entry at its seq says (the same kind of event, the
  order's entity, every column), and every order entry has its row;
- every signal is what its `signal_raised` entry says, and every such entry has its signal;
- each filled order has exactly one ledger transaction, with its quantity, cost and fee;
- with QuestDB configured, its daily tick counts are PostgreSQL's (`questdb_day_counts`).

Every inconsistency is reported, naming the row, never only the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ingot_core.accounting import fee_account_name, holdings_account_name, trading_account_name
from ingot_core.audit.vocabulary import SIGNAL_RAISED, TRANSACTION_POSTED
from ingot_core.numbers import loads_json
from ingot_storage.errors import translate_db_errors
from ingot_storage.writer.rows import order_entity_id

__all__ = ["questdb_day_counts", "reconcile_book"]

_ORDER_KINDS = ("order_open", "order_filled", "order_cancelled", "order_rejected", "order_shadow")
_AUDITED = sa.text(
    "SELECT seq, event_type, entity_id, payload_text FROM audit_log WHERE event_type IN "
    "('transaction_posted', 'signal_raised', " + ", ".join(f"'{k}'" for k in _ORDER_KINDS)
    + ") ORDER BY seq"
)  # fmt: skip
_TRANSACTIONS = sa.text(
    "SELECT t.id, t.posted_at, t.description, e.account_id, e.side, e.amount, e.currency_code, "
    "a.name FROM transactions t JOIN entries e ON e.transaction_id = t.id "
    "JOIN accounts a ON a.id = e.account_id ORDER BY t.seq, e.position"
)
_ORDERS = sa.text("SELECT * FROM order_history ORDER BY seq")
_SIGNALS = sa.text("SELECT * FROM signals ORDER BY client_id")
_SKIPPED = ("id", "seq", "recorded_at", "created_at")  # the store's bookkeeping, not audited


def _same(stored: Any, said: Any) -> bool:
    """Whether a column and its payload value agree (numbers by value, instants as instants)."""
    if stored is None or said is None:
        return stored is None and said is None
    if isinstance(stored, Decimal):
        try:
            return stored == Decimal(str(said))
        except ArithmeticError:
            return False
    if isinstance(stored, datetime):
        try:
            return stored == datetime.fromisoformat(str(said))
        except ValueError:
            return False
    return str(stored) == str(said)


def _differences(row: dict[str, Any], said: dict[str, Any]) -> list[str]:
    return [f"{column} is {value} but its audit entry says {said.get(column)}"
            for column, value in row.items()
            if column not in _SKIPPED and not _same(value, said.get(column))]  # fmt: skip


Entries = list[tuple[str, str, Decimal, str]]  # account id, side, amount, currency


def _transactions(
    conn: Connection, names: dict[str, str]
) -> Iterator[tuple[UUID, datetime, str, Entries]]:
    """Each transaction with its entries, in order; `names` learns each account's name."""
    current: list[Any] | None = None
    for row in conn.execute(_TRANSACTIONS):
        if current is None or current[0] != row.id:
            if current is not None:
                yield current[0], current[1], current[2], current[3]
            current = [row.id, row.posted_at, row.description, []]
        names[str(row.account_id)] = row.name
        current[3].append((str(row.account_id), row.side, row.amount, row.currency_code))
    if current is not None:
        yield current[0], current[1], current[2], current[3]


@translate_db_errors
def reconcile_book(conn: Connection) -> list[str]:
    """Every inconsistency between the book's rows, its audit entries and its ledger."""
    problems: list[str] = []
    posted: dict[UUID, tuple[int, dict[str, Any]]] = {}
    signalled: dict[UUID, tuple[int, dict[str, Any]]] = {}
    orders_at: dict[int, tuple[str, UUID | None, dict[str, Any]]] = {}
    for seq, kind, entity, text in conn.execute(_AUDITED):
        payload = loads_json(text)
        if kind == TRANSACTION_POSTED:
            posted[entity] = (seq, payload)
        elif kind == SIGNAL_RAISED:
            signalled[entity] = (seq, payload)
        else:
            orders_at[seq] = (kind, entity, payload)
    fills: dict[str, list[tuple[UUID, Entries]]] = {}
    names: dict[str, str] = {}
    for tx_id, posted_at, description, entries in _transactions(conn, names):
        entry = posted.pop(tx_id, None)
        if entry is None:
            problems.append(f"transaction {tx_id} has no audit entry")
        else:
            seq, said = entry
            told = [(e["account_id"], e["side"], Decimal(str(e["amount"])), e["currency"])
                    for e in said.get("entries", [])]  # fmt: skip
            if entries != told:
                problems.append(f"transaction {tx_id}: its entries are not what audit entry "
                                f"{seq} says")  # fmt: skip
            if not _same(posted_at, said.get("posted_at")) or description != said.get(
                "description"
            ):
                problems.append(f"transaction {tx_id}: its date or description is not what "
                                f"audit entry {seq} says")  # fmt: skip
        if description.endswith(")") and "(order " in description:
            client = description.rsplit("(order ", 1)[1][:-1]
            fills.setdefault(client, []).append((tx_id, entries))
    problems += [f"audit entry {seq} posts transaction {tx_id}, which is not stored"
                 for tx_id, (seq, _) in posted.items()]  # fmt: skip
    for row in conn.execute(_ORDERS).mappings():
        order = dict(row)
        seq, client = order["seq"], order["client_id"]
        audited = orders_at.pop(seq, None)
        name = f"order {client} ({order['status']}, seq {seq})"
        if audited is None:
            problems.append(f"{name} has no audit entry")
            continue
        kind, entity, payload = audited
        if entity != order_entity_id(client) or kind != f"order_{order['status'].lower()}":
            problems.append(f"{name}: audit entry {seq} is a {kind} of another order")
            continue
        problems += [f"{name}: {d}" for d in _differences(order, payload)]
        if order["status"] == "Filled":
            problems += _fill_problems(name, order, fills.pop(client, []), names)
    problems += [f"audit entry {seq} records a {kind} whose order_history row is missing"
                 for seq, (kind, _, _) in orders_at.items()]  # fmt: skip
    for row in conn.execute(_SIGNALS).mappings():
        signal = dict(row)
        entry = signalled.pop(order_entity_id(signal["client_id"]), None)
        if entry is None:
            problems.append(f"signal {signal['client_id']} has no audit entry")
            continue
        seq, said = entry
        problems += [f"signal {signal['client_id']}: {d}"
                     for d in _differences(signal, said)]  # fmt: skip
    problems += [f"audit entry {seq} raises a signal that is not stored"
                 for seq, _ in signalled.values()]  # fmt: skip
    return problems


def _fill_problems(
    name: str, order: dict[str, Any], txs: list[tuple[UUID, Entries]], names: dict[str, str]
) -> list[str]:
    """A filled order's one ledger transaction: its quantity, cost and fee."""
    if len(txs) != 1:
        return [f"{name} has {len(txs)} ledger transactions, not exactly one"]
    tx_id, entries = txs[0]
    base, quote = order["symbol"].split("-", 1)

    def booked(account: str) -> Decimal:
        return sum((a for i, _, a, _ in entries if names.get(i) == account), Decimal(0))

    found = (booked(holdings_account_name(base)), booked(trading_account_name(quote)),
             booked(fee_account_name(quote)))  # fmt: skip
    told = (order["fill_quantity"], order["cost"], order["fee"] or Decimal(0))
    if found != told:
        return [f"{name}: its transaction {tx_id} books quantity {found[0]}, cost {found[1]}, "
                f"fee {found[2]}; the order says {told[0]}, {told[1]}, {told[2]}"]  # fmt: skip
    return []


def questdb_day_counts(conn: Connection, questdb_pg_url: str, table: str = "ticks") -> list[str]:
    """Every UTC day whose row count in QuestDB's `table` differs from PostgreSQL's (ticks and
    bars are mirrored to QuestDB); one problem when QuestDB cannot be asked."""
    import psycopg

    stored = "ohlcv_bars" if table == "ohlcv_bars" else "ticks"
    query = ("SELECT date_trunc('day', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', count(*) "
             f"FROM {stored} GROUP BY 1 ORDER BY 1")  # fmt: skip
    ours = {day: int(n) for day, n in conn.execute(sa.text(query))}
    problems = []
    try:
        with psycopg.connect(questdb_pg_url, autocommit=True, connect_timeout=3) as quest:
            for day, count in ours.items():
                later = day + timedelta(days=1)
                theirs = quest.execute(
                    f"SELECT count(*) FROM {table} WHERE timestamp >= %s AND timestamp < %s",
                    (day, later),
                ).fetchone()
                held = int(theirs[0]) if theirs else 0
                if held != count:
                    problems.append(f"QuestDB's {table} holds {held:,} rows of {day:%Y-%m-%d}, "
                                    f"PostgreSQL {count:,}")  # fmt: skip
    except psycopg.Error as error:
        text = str(error).strip().splitlines()
        return [f"QuestDB could not be asked for its {table} counts: "
                f"{text[0] if text else type(error).__name__}"]  # fmt: skip
    return problems

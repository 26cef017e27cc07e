"""Strategy runs: a registered strategy drives the engine over a replay file or stored bars."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import typer

from ingot_cli.commands import FormatOption, JsonOption, OutputFormat, output_for, session_of
from ingot_cli.errors import BadInput
from ingot_cli.output import Column, Output, format_amount, format_count
from ingot_cli.parsing import (
    MAX_WINDOW,
    parse_amount,
    parse_interval,
    parse_since,
    parse_symbol,
    positive_seconds,
    whole_number,
)
from ingot_cli.progress import progress
from ingot_cli.run_report import summary_lines
from ingot_cli.session import Session
from ingot_cli.tick_files import file_ticks
from ingot_cli.zone import label, when
from ingot_core.engine import StrategyRun, TradingMode, run_strategy
from ingot_core.engine.run_report import RunSummary, RunTracker
from ingot_core.errors import ValidationError
from ingot_core.execution import OrderStatus
from ingot_core.feed import Ticker
from ingot_core.feeds.stats import FeedStats
from ingot_core.strategies import STRATEGIES, Strategy, create_strategy
from ingot_storage.writer.metrics import FlushOutcome

__all__ = ["StrategyResult", "app", "run"]


@dataclass(frozen=True)
class StrategyResult:
    """A finished run and where its events went."""

    name: str
    parameters: dict[str, int]
    mode: TradingMode
    run: StrategyRun
    outcome: FlushOutcome
    book: str
    summary: RunSummary


def _bar_ticks(
    session: Session, symbol_text: str, interval_text: str, since: str | None
) -> Iterator[Ticker]:
    # Each stored bar becomes one tick: its close, at the instant the bar closed.
    from ingot_storage.market.store import iter_bars

    symbol, interval = parse_symbol(symbol_text), parse_interval(interval_text)
    moment = parse_since(since)
    with session.database.connect() as conn:
        for bar in iter_bars(conn, symbol, interval, moment):
            yield Ticker(bar.symbol, bar.close, bar.closes_at, bar.volume)


@dataclass(frozen=True)
class Live:
    """A run on a live feed: its symbol, source (ingot_cli.feeding) and length."""

    symbol: str
    source: str = "kraken"
    seconds: float | None = None
    heartbeat: float | None = None  # None: INGOT_HEARTBEAT_SECONDS
    record: Path | None = None


def run(
    session: Session,
    name: str,
    parameters: dict[str, int],
    replay: str | None,
    bars: tuple[str, str] | None,
    since: str | None,
    mode_text: str | None,
    quantity_text: str,
    run_id: str | None,
    book: str | None = None,
    live: Live | None = None,
) -> StrategyResult:
    """Run a strategy over ticks; every signal and order is persisted, then committed.

    A run over history trades in a scratch book of its own, `bt-<run id>` (made with the
    configured opening capital), unless `book` names one (made as scratch if missing) or
    the session's book was chosen (--book, INGOT_BOOK). A live run trades in the session's
    book, in SHADOW mode unless --mode says paper (seed 003).
    """
    if [replay, bars, live].count(None) != 2:
        raise BadInput("strategy run", ["give exactly one of --replay FILE, --bars SYMBOL "
                                        "INTERVAL or --live SYMBOL"])  # fmt: skip
    try:
        strategy = create_strategy(name, **parameters)
    except ValidationError as error:
        raise BadInput(error.subject, error.problems) from None
    quantity = parse_amount(quantity_text, "--qty")
    default = TradingMode.SHADOW if live is not None else TradingMode(session.config.mode)
    mode = TradingMode(mode_text) if mode_text else default
    if mode is TradingMode.LIVE:
        raise BadInput("--mode", ["strategy runs are shadow or paper; live fails closed"])
    run_name = run_id or f"{name}-{uuid4().hex[:10]}"
    if live is not None:
        from ingot_cli.feeding import feed_ticks, publish_feed, source_for

        target_session = session if book is None else session.for_book(book, "scratch")
        feed = source_for(target_session, live.source, [parse_symbol(live.symbol)], None, 100,
                          None, None, live.record)  # fmt: skip
        stats = FeedStats()
        target_session.trading_engine  # noqa: B018 - the book's lock, and its publisher
        publish_feed(target_session, stats, feed)
        ticks: Iterable[Ticker] = feed_ticks(
            target_session,
            feed,
            stats,
            seconds=live.seconds,
            heartbeat=live.heartbeat or float(session.config.heartbeat_seconds),
            quotes=target_session.trading_engine.on_quote,
        )
        try:
            return _run_in(target_session, name, strategy, ticks, quantity, run_name, mode, stats)
        finally:
            if target_session is not session:
                target_session.close()
    if replay is not None:
        ticks = file_ticks(replay)
    else:
        symbol_text, interval_text = bars or ("", "")
        ticks = _bar_ticks(session, symbol_text, interval_text, since)
    target = book or (session.config.book if session.book_chosen else scratch_book(run_name))
    if target == session.config.book:
        return _run_in(session, name, strategy, ticks, quantity, run_name, mode)
    scratch = session.for_book(target, make_book="scratch")
    try:
        return _run_in(scratch, name, strategy, ticks, quantity, run_name, mode)
    finally:
        scratch.close()


def scratch_book(run_id: str) -> str:
    """The scratch book a run over history trades in: `bt-<run id>`, spelled as a book name."""
    spelled = re.sub(r"[^a-z0-9_-]+", "-", run_id.lower()).strip("-") or "run"
    return f"bt-{spelled}"[:48]


def _run_in(
    session: Session,
    name: str,
    strategy: Strategy,
    ticks: Iterable[Ticker],
    quantity: Decimal,
    run_id: str,
    mode: TradingMode,
    stats: FeedStats | None = None,
) -> StrategyResult:
    engine = session.trading_engine
    previous, engine.mode = engine.mode, mode
    tracker = RunTracker(engine)

    def after_tick(run_: StrategyRun, ticker: Ticker) -> None:
        tracker.observe(run_, ticker)
        if stats is not None:  # a live run's heartbeat counts what the strategy did
            stats.strategy_took(ticker, run_.signals)
        if run_.ticks % 1000 == 0:
            tick(run_.ticks)

    try:
        with progress(f"Running {name}") as tick:
            result = run_strategy(engine, strategy, ticks, quantity, run_id, on_tick=after_tick)
    finally:
        engine.mode = previous
    outcome = session.commit()
    book = session.config.book
    summary = tracker.summary(result, name, strategy.parameters, mode.value, book)
    if outcome is FlushOutcome.COMMITTED:  # a run whose events wait in the spill is not done
        from ingot_storage.trading.runs import save_run

        with session.database.begin() as conn:
            save_run(conn, summary)
    return StrategyResult(name, strategy.parameters, mode, result, outcome, book, summary)


def render_run(out: Output, result: StrategyResult) -> None:
    """The signals as a table and a summary line, or JSON."""
    run_ = result.run
    if out.json_mode:
        out.json(
            {
                "run_id": run_.run_id,
                "strategy": result.name,
                "parameters": result.parameters,
                "mode": result.mode.value,
                "book": result.book,
                "ticks": run_.ticks,
                "storage": result.outcome.value,
                "summary": result.summary.as_data(),
                "signals": [
                    {
                        "timestamp": s.timestamp,
                        "symbol": str(s.symbol),
                        "side": s.side.value,
                        "reason": s.reason,
                        "price": s.price,
                        "indicators": dict(s.indicators),
                        "order": o.request.client_id,
                        "status": o.status.value,
                        "order_reason": o.reason,
                        "fill_price": o.fill_price,
                        "fee": o.fee,
                    }
                    for s, o in run_.signals
                ],
            }
        )
        return
    if run_.signals:
        out.table(
            [
                Column(f"Timestamp ({label()})"),
                Column("Symbol"),
                Column("Signal"),
                Column("Price", "right"),
                Column("Indicators"),
                Column("Order"),
                Column("Status"),
                Column("Fill", "right"),
            ],
            [
                (
                    f"{when(s.timestamp)}",
                    str(s.symbol),
                    f"{s.side.value.upper()} {s.reason}",
                    format_amount(s.price, s.symbol.quote_currency.decimals),
                    " ".join(f"{k}={v}" for k, v in s.indicators),
                    o.request.client_id,
                    o.status.value,
                    ""
                    if o.fill_price is None
                    else format_amount(o.fill_price, s.symbol.quote_currency.decimals),
                )
                for s, o in run_.signals
            ],
        )
    for _, order in run_.signals:
        if order.status is OrderStatus.REJECTED and order.reason:
            out.line(f"{order.request.client_id} rejected: {order.reason}")
    sides = [s.side.value.upper() for s, _ in run_.signals]
    settings = " ".join(f"{k}={v}" for k, v in result.parameters.items())
    out.line(
        f"{result.name} ({settings}) over {format_count(run_.ticks)} ticks in "
        f"{result.mode.value.upper()} mode: {len(sides)} signals "
        f"({sides.count('BUY')} BUY, {sides.count('SELL')} SELL), run {run_.run_id}, "
        f"book {result.book}"
    )
    for line in summary_lines(result.summary):
        out.line(f"  {line}", markup=False)
    if result.outcome is FlushOutcome.SPILLED:
        typer.echo("warning: PostgreSQL is unreachable; saved to the local spill file", err=True)


strategy_app = typer.Typer(help="Run trading strategies over replays or stored bars.")


app = typer.Typer()
"""The strategy commands (`ingot strategy run`)."""


@strategy_app.command("run")
def run_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help=f"Strategy: {', '.join(sorted(STRATEGIES))}."),
    short: int = typer.Option(
        5, "--short", parser=whole_number(1, MAX_WINDOW), help="SMA: short window (ticks)."
    ),
    long: int = typer.Option(
        20, "--long", parser=whole_number(1, MAX_WINDOW), help="SMA: long window (ticks)."
    ),
    replay: str | None = typer.Option(
        None, "--replay", help="JSONL ticks to replay (- for stdin)."
    ),
    bars: tuple[str, str] | None = typer.Option(
        None, "--bars", help="Replay stored bars: SYMBOL INTERVAL (closes as ticks)."
    ),
    since: str | None = typer.Option(None, "--since", help="With --bars: from this date."),
    mode: str | None = typer.Option(
        None, "--mode", help="shadow (record intended orders) or paper (fill them)."
    ),
    qty: str = typer.Option("0.1", "--qty", help="Order quantity per signal (base units)."),
    run_id: str | None = typer.Option(
        None, "--run-id", help="Name the run; rerunning a name places nothing twice."
    ),
    book: str | None = typer.Option(
        None,
        "--book",
        help="Trade in this book (made if missing) instead of a new scratch book bt-RUN_ID.",
    ),
    live: str | None = typer.Option(
        None, "--live", help="Run on a live feed of this symbol, in this book (shadow mode)."
    ),
    source: str = typer.Option(
        "kraken", "--source", help="With --live: kraken, synthetic, replay-db, a file or -."
    ),
    seconds: float | None = typer.Option(
        None, "--seconds", parser=positive_seconds, help="With --live: stop after this long."
    ),
    record: Path | None = typer.Option(
        None, "--record", help="With --live kraken: keep every raw message received (JSONL)."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Drive the engine with a strategy; signals and orders are persisted and audited."""
    if mode is not None and mode not in ("shadow", "paper"):
        raise BadInput("--mode", [f"{mode!r} is not shadow or paper"])
    result = run(
        session_of(ctx),
        name,
        {"short": short, "long": long},
        replay,
        bars,
        since,
        mode,
        qty,
        run_id,
        book,
        None if live is None else Live(live, source, seconds, None, record),
    )
    render_run(output_for(json_mode, fmt), result)


@strategy_app.command("journal")
def journal_command(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., help="The run (its id, as 'ingot report runs' lists)."),
    export: str | None = typer.Option(
        None, "--export", help="Write the journal as JSONL to this file ('-': stdout)."
    ),
    json_mode: bool = JsonOption,
    fmt: OutputFormat | None = FormatOption,
) -> None:
    """Every decision of a run: signal, indicators, order placed or risk veto, outcome."""
    from ingot_cli.strategy_journal import journal_lines, render_journal
    from ingot_storage.trading.journal import run_journal

    session = session_of(ctx)
    with session.database.connect() as conn:
        decisions = run_journal(conn, run_id)
    if export is None:
        render_journal(output_for(json_mode, fmt), run_id, decisions)
        return
    text = "".join(line + "\n" for line in journal_lines(decisions))
    if export == "-":
        typer.echo(text, nl=False)
        return
    from pathlib import Path

    try:
        Path(export).expanduser().write_text(text, encoding="utf-8")
    except OSError as error:
        raise BadInput("--export", [f"cannot write {export}: {error.strerror}"]) from None
    typer.echo(f"Exported {len(decisions)} decisions of run {run_id} to {export}")


app.add_typer(strategy_app, name="strategy")

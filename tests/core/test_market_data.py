"""Bars, intervals, trade aggregation and gap finding (seed 000 Task 2.8.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingot_core.bars import BarBuilder, Gap, TradePrint, find_gaps
from ingot_core.errors import ValidationError
from ingot_core.feed import BarInterval, InvalidBar, OhlcvBar
from ingot_core.symbols import Symbol

BTC = Symbol("BTC", "USD")
T0 = datetime(2024, 2, 29, tzinfo=UTC)


def bar(ts: datetime, o="10", h="12", lo="9", c="11", v="1.5", n=3, iv=BarInterval.H1):
    return OhlcvBar(BTC, iv, ts, Decimal(o), Decimal(h), Decimal(lo), Decimal(c), Decimal(v), n)


def test_bar_interval_to_kraken_minutes() -> None:
    minutes = [i.minutes for i in BarInterval]
    assert minutes == [1, 5, 15, 30, 60, 240, 1440, 10080]


def test_bar_interval_as_str() -> None:
    assert [str(i) for i in BarInterval] == ["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w"]


def test_bar_interval_all_variants_round_trip() -> None:
    for interval in BarInterval:
        assert BarInterval.parse(interval.value) is interval
        if not interval.value.endswith("m"):  # 1M would read as a month
            assert BarInterval.parse(interval.value.upper()) is interval


def test_upper_case_m_is_never_a_minute() -> None:
    with pytest.raises(ValueError, match="minutes are a lower-case m"):
        BarInterval.parse("1M")


def test_unknown_interval_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="1m 5m 15m 30m 1h 4h 1d 1w"):
        BarInterval.parse("2h")


def test_floor_aligns_to_the_epoch_and_weeks_open_on_thursday() -> None:
    instant = datetime(2024, 3, 6, 13, 47, 12, 999_999, tzinfo=UTC)  # a Wednesday
    assert BarInterval.M15.floor(instant) == datetime(2024, 3, 6, 13, 45, tzinfo=UTC)
    assert BarInterval.H4.floor(instant) == datetime(2024, 3, 6, 12, tzinfo=UTC)
    assert BarInterval.D1.floor(instant) == datetime(2024, 3, 6, tzinfo=UTC)
    assert BarInterval.W1.floor(instant) == datetime(2024, 2, 29, tzinfo=UTC)  # Thursday


def test_a_bar_reports_every_inconsistency() -> None:
    with pytest.raises(InvalidBar) as caught:
        bar(T0 + timedelta(minutes=7), h="9.5", v="-1", n=-2)
    problems = " | ".join(caught.value.problems)
    assert "high 9.5 is below" in problems
    assert "volume must not be negative" in problems
    assert "trades must not be negative" in problems
    assert "not a 1h bar opening" in problems


def test_prices_must_be_positive() -> None:
    with pytest.raises(InvalidBar, match="low must be positive"):
        bar(T0, lo="0")


def test_builder_closes_a_bar_only_when_a_later_trade_arrives() -> None:
    builder = BarBuilder(BTC, BarInterval.M1)
    assert builder.add(TradePrint(Decimal("10"), Decimal("1"), T0 + timedelta(seconds=5))) == []
    assert builder.add(TradePrint(Decimal("12"), Decimal("2"), T0 + timedelta(seconds=30))) == []
    assert builder.add(TradePrint(Decimal("9"), Decimal("0.5"), T0 + timedelta(seconds=59))) == []
    [closed] = builder.add(TradePrint(Decimal("11"), Decimal("1"), T0 + timedelta(minutes=3)))
    assert closed == OhlcvBar(
        BTC, BarInterval.M1, T0, Decimal(10), Decimal(12), Decimal(9), Decimal(9), Decimal("3.5"), 3
    )
    assert builder.open_bar == T0 + timedelta(minutes=3)
    assert builder.close_until(T0 + timedelta(minutes=3, seconds=59)) == []
    [last] = builder.close_until(T0 + timedelta(minutes=4))
    assert last.trade_count == 1
    assert builder.open_bar is None


def test_builder_refuses_trades_out_of_order() -> None:
    builder = BarBuilder(BTC, BarInterval.M1)
    builder.add(TradePrint(Decimal("10"), Decimal("1"), T0 + timedelta(seconds=5)))
    with pytest.raises(ValidationError, match="earlier than"):
        builder.add(TradePrint(Decimal("10"), Decimal("1"), T0))


trades_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3600 * 6),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2),
        st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("50"), places=8),
    ),
    min_size=1,
    max_size=200,
)


@given(trades_strategy, st.sampled_from([BarInterval.M1, BarInterval.M15, BarInterval.H1]))
def test_builder_bars_match_a_direct_grouping(raw, interval) -> None:
    raw.sort(key=lambda t: t[0])
    builder = BarBuilder(BTC, interval)
    built = []
    for offset, price, volume in raw:
        built += builder.add(TradePrint(price, volume, T0 + timedelta(seconds=offset)))
    built += builder.close_until(T0 + timedelta(days=2))
    groups: dict[datetime, list[tuple[Decimal, Decimal]]] = {}
    for offset, price, volume in raw:
        groups.setdefault(interval.floor(T0 + timedelta(seconds=offset)), []).append(
            (price, volume)
        )
    assert [b.timestamp for b in built] == sorted(groups)
    for b in built:
        prices = [p for p, _ in groups[b.timestamp]]
        assert (b.open, b.high, b.low, b.close) == (prices[0], max(prices), min(prices), prices[-1])
        assert b.volume == sum(v for _, v in groups[b.timestamp])
        assert b.trade_count == len(prices)


def test_find_gaps_names_each_missing_run() -> None:
    hour = timedelta(hours=1)
    present = [T0, T0 + hour, T0 + 4 * hour, T0 + 5 * hour]
    gaps = list(find_gaps(present, BarInterval.H1, T0, T0 + 8 * hour))
    assert gaps == [
        Gap(T0 + 2 * hour, T0 + 3 * hour, 2),
        Gap(T0 + 6 * hour, T0 + 8 * hour, 3),
    ]


def test_find_gaps_on_a_complete_series_is_empty_and_on_nothing_is_one_run() -> None:
    hour = timedelta(hours=1)
    present = [T0 + i * hour for i in range(5)]
    assert list(find_gaps(present, BarInterval.H1, T0, T0 + 4 * hour)) == []
    assert list(find_gaps([], BarInterval.H1, T0 + timedelta(minutes=1), T0 + 4 * hour)) == [
        Gap(T0 + hour, T0 + 4 * hour, 4)
    ]


@given(st.sets(st.integers(min_value=0, max_value=200)), st.integers(0, 50), st.integers(0, 250))
def test_gaps_and_present_bars_partition_the_range(present, lo, hi) -> None:
    step = BarInterval.M5.duration
    openings = [T0 + i * step for i in sorted(present)]
    start, end = T0 + lo * step, T0 + hi * step
    missing = set()
    for gap in find_gaps(openings, BarInterval.M5, start, end):
        count = (gap.end - gap.start) // step + 1
        assert count == gap.missing
        missing |= {gap.start + k * step for k in range(count)}
    expected = {T0 + i * step for i in range(lo, hi + 1)} - set(openings)
    assert missing == expected


def test_epoch_conversions_are_exact_to_the_microsecond() -> None:
    from ingot_core.instants import epoch_micros, epoch_seconds, from_epoch

    moment = from_epoch(Decimal("1688669597.827736"))
    assert moment == datetime(2023, 7, 6, 18, 53, 17, 827_736, tzinfo=UTC)
    assert (epoch_seconds(moment), epoch_micros(moment)) == (1_688_669_597, 1_688_669_597_827_736)
    assert from_epoch(Decimal("1688669597.8277369"), truncate=True) == moment
    with pytest.raises(ValueError, match="more precision than microseconds"):
        from_epoch(Decimal("1688669597.8277369"))
    assert from_epoch(-1) == datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)

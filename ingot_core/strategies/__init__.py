"""Strategies behind a small registry, and the loop that lets one drive the engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ingot_core.errors import ValidationError
from ingot_core.feed import Ticker
from ingot_core.signals import Signal
from ingot_core.strategies.sma import SmaCrossover

__all__ = ["STRATEGIES", "SmaCrossover", "Strategy", "create_strategy"]


class Strategy(Protocol):
    """Anything that turns ticks into signals."""

    name: str

    @property
    def parameters(self) -> dict[str, int]:
        """The settings the run used, for its record."""

    def on_tick(self, ticker: Ticker) -> Signal | None:
        """Take one tick; return a signal or nothing."""


STRATEGIES: dict[str, Callable[..., Strategy]] = {"sma": SmaCrossover}


def create_strategy(name: str, **parameters: int) -> Strategy:
    """Build a registered strategy by name; ValidationError for an unknown name."""
    factory = STRATEGIES.get(name)
    if factory is None:
        known = ", ".join(sorted(STRATEGIES))
        raise ValidationError("strategy", [f"{name!r} is not a strategy; known: {known}"])
    return factory(**parameters)

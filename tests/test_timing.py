"""The timing helpers the hostile-input bounds rest on: a bound that is met passes on the first batch, one that is not
fails after every batch (a helper that always passed would make every bound in the suite a check that cannot fail)."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests import timing


def _sleeper(seconds: float, calls: list[int]) -> Callable[[], object]:
    def run() -> None:
        calls.append(1)
        time.sleep(seconds)

    return run


def test_within_stops_at_the_first_batch_under_the_limit() -> None:
    calls: list[int] = []
    assert timing.within(_sleeper(0.0, calls), 0.05) < 0.05
    assert len(calls) == timing.RUNS


def test_within_reports_a_cost_over_the_limit_after_every_try() -> None:
    calls: list[int] = []
    best = timing.within(_sleeper(0.002, calls), 0.001)
    assert best >= 0.002 and len(calls) == timing.RUNS * timing.TRIES


def test_ratio_holds_when_cheaper_and_fails_when_not() -> None:
    calls: list[int] = []
    assert timing.ratio(_sleeper(0.001, calls), _sleeper(0.004, calls), 1.0) < 1.0
    assert len(calls) == 2 * timing.RUNS
    calls.clear()
    assert timing.ratio(_sleeper(0.004, calls), _sleeper(0.001, calls), 1.5) > 1.5
    assert len(calls) == 2 * timing.RUNS * timing.TRIES

"""ThresholdSearch as an ask/tell AdaptiveAlgorithm, driven here by plain functions."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from modelops_contracts import AdaptiveAlgorithm, TrialResult, TrialStatus
from purelms_sweep._grid import GridError
from purelms_sweep._optimise import Target, ThresholdSearch, Vary, trial_result


def drive(
    search: ThresholdSearch, f: Callable[[float], float | None], batch: int = 2
) -> list[list[float]]:
    """Ask/tell until finished; returns the x values of every round."""
    rounds = []
    while not search.finished():
        asked = search.ask(batch)
        assert asked, "an unfinished search must ask for something"
        assert len(asked) <= batch
        xs = [p.params[search.vary.name] for p in asked]
        rounds.append(xs)
        results = []
        for params, x in zip(asked, xs, strict=True):
            value = f(x)
            row = {"status": "success", "out": value} if value is not None else {"status": "x"}
            results.append(trial_result(params.param_id, row, search.target, search.tol))
        search.tell(results)
        assert len(rounds) < 50
    return rounds


def test_is_an_adaptive_algorithm() -> None:
    search = ThresholdSearch(Vary("x", 0, 1), Target("out", "<=", 1))
    assert isinstance(search, AdaptiveAlgorithm)


@pytest.mark.parametrize("batch", [1, 2, 4])
def test_finds_the_crossing_of_a_monotonic_response(batch: int) -> None:
    search = ThresholdSearch(
        Vary("u", 0.1, 1.0), Target("out", "<=", 5000), {"climate": "chicago"}, budget=30
    )
    rounds = drive(search, lambda u: 3000 + 4000 * u**1.3, batch)
    best = search.best()
    assert best is not None
    assert best.met
    assert best.value is not None
    assert 5000 - search.tol <= best.value <= 5000
    assert search.reason.startswith("a run met the target within the tolerance of ")
    assert all(0.1 <= x <= 1.0 for xs in rounds for x in xs)
    assert len(search.trials) <= 12


def test_greater_or_equal_and_decreasing_response() -> None:
    search = ThresholdSearch(Vary("u", 0.0, 10.0), Target("out", ">=", 20.0), tol=0.01, budget=30)
    drive(search, lambda u: 100 * math.exp(-u))
    best = search.best()
    assert best is not None
    assert best.value is not None
    assert 20.0 <= best.value <= 20.01
    assert best.x == pytest.approx(math.log(5), abs=1e-3)


def test_equality_target_within_tolerance() -> None:
    search = ThresholdSearch(Vary("u", -3.0, 5.0), Target("out", "=", 2.0), tol=1e-3, budget=30)
    drive(search, lambda u: u**3)
    best = search.best()
    assert best is not None
    assert best.value is not None
    assert abs(best.value - 2.0) <= 1e-3


def test_stops_when_the_whole_range_meets_the_target() -> None:
    search = ThresholdSearch(Vary("u", 0, 1), Target("out", "<=", 100))
    drive(search, lambda u: u)
    assert search.reason == "the target is met over the whole range of u"
    best = search.best()
    assert best is not None
    assert best.x == 1  # closest to the target while meeting it
    assert len(search.trials) == 2


def test_stops_when_the_target_is_never_crossed() -> None:
    search = ThresholdSearch(Vary("u", 0, 1), Target("out", "<=", -5))
    drive(search, lambda u: u)
    assert search.reason == "the target is not crossed within the range of u"
    best = search.best()
    assert best is not None
    assert not best.met
    assert best.x == 0


def test_budget_is_never_exceeded() -> None:
    search = ThresholdSearch(Vary("u", 0, 1), Target("out", "=", 0.123456789), budget=5, tol=0)
    drive(search, lambda u: u**3, batch=4)
    assert len(search.trials) == 5
    assert search.reason == "the budget of 5 runs is spent"


def test_failed_interior_points_are_skipped_and_a_failed_end_stops() -> None:
    calls: list[float] = []

    def flaky(u: float) -> float | None:
        calls.append(u)
        return None if len(calls) in (3, 5) else u**2  # two interior evaluations fail

    search = ThresholdSearch(Vary("u", 0, 1), Target("out", "<=", 0.25), tol=1e-4, budget=40)
    drive(search, flaky, batch=3)
    best = search.best()
    assert best is not None
    assert best.met
    assert best.value is not None
    assert 0.25 - 1e-4 <= best.value <= 0.25
    assert sum(t.status is TrialStatus.FAILED for t in search.trials) == 2

    search = ThresholdSearch(Vary("u", 0, 1), Target("out", "<=", 0.25))
    drive(search, lambda u: None if 0 < u < 1 else u, batch=2)
    assert search.reason == "every run of the last round failed"

    search = ThresholdSearch(Vary("u", 0, 1), Target("out", "<=", 0.25))
    drive(search, lambda u: None if u == 1 else u)
    assert search.reason == "the run at u=1 failed"

    search = ThresholdSearch(Vary("u", 0, 1), Target("out", "<=", 0.5))
    drive(search, lambda u: None if u == 1 else u)
    assert search.reason == "the run at u=1 failed"


def test_results_are_matched_by_param_id_and_unknown_ones_ignored() -> None:
    search = ThresholdSearch(Vary("u", 0, 1), Target("out", "<=", 0.5))
    asked = search.ask(2)
    assert search.ask(2) == [], "no new points until the last ones are told"
    stranger = TrialResult(param_id="f" * 64, loss=1.0, status=TrialStatus.COMPLETED)
    results = [
        trial_result(p.param_id, {"status": "success", "out": p.params["u"]}, search.target, 0.1)
        for p in reversed(asked)
    ]
    search.tell([stranger, *results, results[0]])  # out of order, a stranger, a duplicate
    assert sorted(t.x for t in search.trials) == [0, 1]
    assert search.bracket == (0, 1)


def test_trial_result_statuses() -> None:
    target = Target("heating_kwh", "<=", 10)
    ok = trial_result("a" * 64, {"status": "success", "heating_kwh": 8.0}, target, 1.0)
    assert ok.status is TrialStatus.COMPLETED
    assert ok.loss == 2.0
    assert ok.diagnostics["met"] is True
    timeout = trial_result("a" * 64, {"status": "timed_out", "status_message": "slow"}, target, 1)
    assert timeout.status is TrialStatus.TIMEOUT
    assert timeout.loss is None
    failed = trial_result("a" * 64, {"status": "success", "heating_kwh": None}, target, 1.0)
    assert failed.status is TrialStatus.FAILED


def test_bad_settings() -> None:
    with pytest.raises(GridError, match="needs at least 2 evaluations"):
        ThresholdSearch(Vary("u", 0, 1), Target("out", "<=", 1), budget=1)
    with pytest.raises(GridError, match="must be >= 0"):
        ThresholdSearch(Vary("u", 0, 1), Target("out", "<=", 1), tol=-1)

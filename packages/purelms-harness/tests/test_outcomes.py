"""``lms_outcomes`` evaluated as the platform does: one pure function, every rule of §1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from purelms_harness import Outcome, describe_outcome, evaluate_outcome, write_outcome
from purelms_shared import LmsOutcomes, OutcomeRule, OutputStatus


def rule(transform: str, source: str = "outputs.x", **args: Any) -> dict[str, Any]:
    return {"source": source, "transform": transform, **args}


def outcome(outputs: dict[str, Any], status: str = "success", **rules: Any) -> Outcome:
    return evaluate_outcome(LmsOutcomes.model_validate(rules), OutputStatus(status), outputs)


def test_no_rules_success_passes_with_completion_one_and_no_score() -> None:
    assert outcome({}) == Outcome(passed=True, score=None, completion=1.0)
    assert outcome({"x": 1}) == Outcome(passed=True, score=None, completion=1.0)


@pytest.mark.parametrize(
    "status", ["failed_simulation", "failed_runtime", "cancelled", "timed_out"]
)
def test_a_run_that_did_not_succeed_is_not_graded(status: str) -> None:
    assert outcome({}, status) == Outcome(passed=False, score=None, completion=None)
    graded = outcome(
        {"x": 1.0},
        status,
        passed=rule("less_than", threshold=5),
        score=rule("normalize", bounds=[0, 2]),
    )
    assert graded == Outcome(passed=False, score=None, completion=None)


@pytest.mark.parametrize(
    ("transform", "args", "value", "passed"),
    [
        ("passthrough", {}, True, True),
        ("passthrough", {}, False, False),
        ("equals", {"value": "worth it"}, "worth it", True),
        ("equals", {"value": "worth it"}, "Worth it", False),
        ("equals", {"value": 1}, 1.0, True),
        ("equals", {"value": 1}, True, False),  # a boolean is not the number 1
        ("equals", {"value": True}, 1, False),
        ("equals", {"value": "1"}, 1, False),
        ("less_than", {"threshold": 10}, 9.99, True),
        ("less_than", {"threshold": 10}, 10, False),  # strict
        ("greater_than", {"threshold": 10}, 10.01, True),
        ("greater_than", {"threshold": 10}, 10, False),
        ("in_range", {"bounds": [1, 3]}, 1, True),  # inclusive
        ("in_range", {"bounds": [1, 3]}, 3, True),
        ("in_range", {"bounds": [1, 3]}, 3.5, False),
        ("in_range", {"bounds": [2, 2]}, 2, True),
    ],
)
def test_boolean_transforms_decide_passed(
    transform: str, args: dict[str, Any], value: Any, passed: bool
) -> None:
    result = outcome({"x": value}, passed=rule(transform, **args))
    assert result.passed is passed
    assert result.completion == 1.0  # no completion rule: the default
    assert result.score is None


@pytest.mark.parametrize(
    ("transform", "bounds", "value", "score"),
    [
        ("normalize", [0, 200], 50, 0.25),
        ("normalize", [0, 200], 200, 1.0),
        ("normalize", [0, 200], 350, 1.0),  # clamped
        ("normalize", [0, 200], -10, 0.0),  # clamped
        ("normalize_inverse", [1000, 5000], 2000, 0.75),
        ("normalize_inverse", [1000, 5000], 500, 1.0),  # clamped
        ("normalize_inverse", [1000, 5000], 5070, 0.0),  # clamped
        ("normalize_inverse", [-1, 1], 0, 0.5),
    ],
)
def test_normalisations_give_a_score_clamped_to_0_1(
    transform: str, bounds: list[float], value: float, score: float
) -> None:
    result = outcome({"x": value}, score=rule(transform, bounds=bounds))
    assert result.score == pytest.approx(score)
    assert result.passed is True


def test_score_and_completion_from_booleans_and_passthrough_numbers() -> None:
    result = outcome(
        {"ok": True, "share": 0.4, "big": 7, "small": -3},
        score=rule("less_than", source="outputs.share", threshold=1),
        completion=rule("passthrough", source="outputs.share"),
    )
    assert (result.score, result.completion) == (1.0, 0.4)
    clamped = outcome(
        {"big": 7, "small": -3},
        score=rule("passthrough", source="outputs.big"),
        completion=rule("passthrough", source="outputs.small"),
    )
    assert (clamped.score, clamped.completion) == (1.0, 0.0)
    assert outcome({"ok": False}, score=rule("passthrough", source="outputs.ok")).score == 0.0


@pytest.mark.parametrize(
    ("outputs", "passed_rule"),
    [
        ({}, rule("less_than", threshold=1)),  # the source is missing
        ({"x": "5"}, rule("less_than", threshold=10)),  # text is not a number
        ({"x": True}, rule("greater_than", threshold=0)),  # a boolean is not a number
        ({"x": None}, rule("in_range", bounds=[0, 1])),
        ({"x": [1, 2]}, rule("less_than", threshold=10)),
        ({"x": 0.5}, rule("passthrough")),  # passed needs a boolean
        ({"x": "yes"}, rule("passthrough")),
        ({"x": 0.5}, rule("normalize", bounds=[0, 1])),  # a share is not a verdict
    ],
)
def test_passed_fails_closed_when_its_rule_cannot_be_evaluated(
    outputs: dict[str, Any], passed_rule: dict[str, Any]
) -> None:
    assert outcome(outputs, passed=passed_rule).passed is False


@pytest.mark.parametrize(
    ("outputs", "share_rule"),
    [
        ({}, rule("normalize", bounds=[0, 1])),
        ({"x": "0.5"}, rule("normalize", bounds=[0, 1])),
        ({"x": False}, rule("normalize_inverse", bounds=[0, 1])),
        ({"x": "text"}, rule("passthrough")),
        ({"x": {"a": 1}}, rule("passthrough")),
    ],
)
def test_score_and_completion_are_best_effort(
    outputs: dict[str, Any], share_rule: dict[str, Any]
) -> None:
    result = outcome(outputs, score=share_rule, completion=share_rule)
    assert result == Outcome(passed=True, score=None, completion=None)


def test_rules_are_the_shared_model_and_reject_a_foreign_argument() -> None:
    with pytest.raises(ValueError, match="threshold is not an argument of equals"):
        OutcomeRule.model_validate(rule("equals", value=1, threshold=2))


def test_outcome_json_is_written_in_the_run_folder(tmp_path: Path) -> None:
    path = write_outcome(tmp_path, Outcome(passed=True, score=0.25, completion=1.0))
    assert path == tmp_path / "outcome.json"
    assert json.loads(path.read_text()) == {"passed": True, "score": 0.25, "completion": 1.0}


def reasons(outputs: dict[str, Any], status: str = "success", **rules: Any) -> list[str]:
    return describe_outcome(LmsOutcomes.model_validate(rules), OutputStatus(status), outputs)


def test_each_rule_is_described_by_the_value_it_read_and_its_arguments() -> None:
    described = reasons(
        {"heating_kwh": 5070.3217, "label": "ok"},
        passed=rule("less_than", source="outputs.heating_kwh", threshold=2500),
        score=rule("normalize_inverse", source="outputs.heating_kwh", bounds=[1000, 5000]),
        completion=rule("equals", source="outputs.label", value="ok"),
    )
    assert described == [
        "passed: heating_kwh 5070.32, less_than 2500",
        "score: heating_kwh 5070.32, normalize_inverse 1000..5000",
        'completion: label "ok", equals "ok"',
    ]


def test_absent_rules_are_not_described_and_a_missing_output_is_named() -> None:
    assert reasons({"x": 1}) == []
    assert reasons({}, score=rule("passthrough", source="outputs.x")) == [
        "score: x missing, passthrough"
    ]


def test_a_run_that_did_not_succeed_says_it_was_not_graded() -> None:
    assert reasons({}, "timed_out", passed=rule("less_than", threshold=5)) == [
        "not graded: the run ended timed_out"
    ]

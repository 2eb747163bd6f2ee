"""``lms_outcomes``: a run's outputs turned into ``(passed, score, completion)`` as on the platform.

:func:`evaluate_outcome` is one pure function of the rules, the run's status and its
outputs. The platform's rules (``platform.md`` §1), and the choices made where it is
silent (each has a test):

* Rules are evaluated on a ``success`` envelope only. Any other status gives
  ``passed = false``, ``score = null``, ``completion = null``: the run produced nothing
  to grade.
* ``{}`` (no rules): ``passed = true``, ``completion = 1.0``, ``score = null``. A rule
  that is absent from a set of rules keeps that same default.
* ``passed`` fails closed: when its rule cannot be evaluated (the output is missing,
  not a number where a number is compared, not a boolean for ``passthrough``, a
  ``normalize`` whose result is not a verdict) it is ``false``.
* ``score`` and ``completion`` are best effort: when their rule cannot be evaluated they
  are ``null``. A boolean result counts as 1.0 or 0.0; a number (``passthrough``, the
  normalisations) is clamped to 0..1.
* Transforms: ``passthrough`` (the value as it is), ``equals`` (JSON equality: ``1`` is
  ``1.0`` but not ``true`` or ``"1"``), ``less_than`` / ``greater_than`` (strict),
  ``in_range`` (inclusive), ``normalize`` ((x - min) / (max - min), clamped to 0..1),
  ``normalize_inverse`` (1 minus that). Booleans are not numbers here.

A course author's per-block override of the threshold-style arguments (``threshold``,
``bounds``, ``value``) is applied before evaluation by the caller (``_layers``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from purelms_shared import LmsOutcomes, OutcomeRule, OutcomeTransform, OutputStatus

__all__ = ["OUTCOME_NAME", "Outcome", "describe_outcome", "evaluate_outcome", "write_outcome"]

OUTCOME_NAME = "outcome.json"


@dataclass(frozen=True)
class Outcome:
    """The standard triple the platform records on the learner's attempt."""

    passed: bool
    score: float | None
    completion: float | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class _NotEvaluable(Exception):
    """The rule cannot be evaluated on these outputs."""


def _number(value: Any, rule: OutcomeRule) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _NotEvaluable(f"{rule.source} is not a number ({value!r})")
    return float(value)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return bool(a == b)


def _evaluate(rule: OutcomeRule, outputs: Mapping[str, Any]) -> bool | float | Any:
    """The raw result of one rule: a boolean, a number in 0..1, or (``passthrough``) the value.

    Raises ``_NotEvaluable`` when the source output is missing or of the wrong kind for
    the transform (a dedicated exception, so that a bug here is not taken for that).
    """
    name = rule.output_name
    if name not in outputs:
        raise _NotEvaluable(f"{rule.source} is missing from the outputs")
    value = outputs[name]
    transform = rule.transform
    if transform is OutcomeTransform.PASSTHROUGH:
        return value
    if transform is OutcomeTransform.EQUALS:
        return _equal(value, rule.value)
    x = _number(value, rule)
    if transform is OutcomeTransform.LESS_THAN:
        assert rule.threshold is not None
        return x < rule.threshold
    if transform is OutcomeTransform.GREATER_THAN:
        assert rule.threshold is not None
        return x > rule.threshold
    assert rule.bounds is not None
    low, high = rule.bounds
    if transform is OutcomeTransform.IN_RANGE:
        return low <= x <= high
    share = min(1.0, max(0.0, (x - low) / (high - low)))
    return share if transform is OutcomeTransform.NORMALIZE else 1.0 - share


def _verdict(rule: OutcomeRule, outputs: Mapping[str, Any]) -> bool:
    """``passed``: a boolean result, else not passed (fail closed)."""
    try:
        result = _evaluate(rule, outputs)
    except _NotEvaluable:
        return False
    return result if isinstance(result, bool) else False


def _share(rule: OutcomeRule, outputs: Mapping[str, Any]) -> float | None:
    """``score`` / ``completion``: a number in 0..1, or null when not evaluable."""
    try:
        result = _evaluate(rule, outputs)
    except _NotEvaluable:
        return None
    if isinstance(result, bool):
        return 1.0 if result else 0.0
    if isinstance(result, int | float) and math.isfinite(result):
        return min(1.0, max(0.0, float(result)))
    return None


def evaluate_outcome(
    outcomes: LmsOutcomes, status: OutputStatus | str, outputs: Mapping[str, Any]
) -> Outcome:
    """``(passed, score, completion)`` of a finished run (see the module docstring)."""
    if OutputStatus(status) is not OutputStatus.SUCCESS:
        return Outcome(passed=False, score=None, completion=None)
    return Outcome(
        passed=_verdict(outcomes.passed, outputs) if outcomes.passed else True,
        score=_share(outcomes.score, outputs) if outcomes.score else None,
        completion=_share(outcomes.completion, outputs) if outcomes.completion else 1.0,
    )


def _shown(value: Any) -> str:
    """Six significant digits, no thousands separators (unlike the results table's
    ``format_number``, which rounds 2499.6 to ``2,500``: beside ``less_than 2500`` that
    would contradict the verdict); other values as JSON."""
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.6g}"
    return json.dumps(value, ensure_ascii=False, default=str)


def _rule_text(rule: OutcomeRule) -> str:
    """``less_than 2500``, ``normalize_inverse 1000..5000``, ``equals "pass"``."""
    transform = rule.transform.value
    if rule.bounds is not None:
        low, high = rule.bounds
        return f"{transform} {_shown(low)}..{_shown(high)}"
    if rule.threshold is not None:
        return f"{transform} {_shown(rule.threshold)}"
    if rule.value is not None:
        return f"{transform} {_shown(rule.value)}"
    return transform


def describe_outcome(
    outcomes: LmsOutcomes, status: OutputStatus | str, outputs: Mapping[str, Any]
) -> list[str]:
    """Why :func:`evaluate_outcome` gave what it gave: one phrase per rule the task sets.

    ``passed: heating_kwh 5070.2, less_than 2500`` -- the output's value beside the
    rule, so an author sees at once which number decided it. Absent rules (defaults)
    are not listed; a run that did not succeed is not graded, and says so.
    """
    if OutputStatus(status) is not OutputStatus.SUCCESS:
        return [f"not graded: the run ended {OutputStatus(status).value}"]
    phrases = []
    for field, rule in (
        ("passed", outcomes.passed),
        ("score", outcomes.score),
        ("completion", outcomes.completion),
    ):
        if rule is None:
            continue
        name = rule.output_name
        value = f"{name} {_shown(outputs[name])}" if name in outputs else f"{name} missing"
        phrases.append(f"{field}: {value}, {_rule_text(rule)}")
    return phrases


def write_outcome(run_dir: Path, outcome: Outcome) -> Path:
    """``<run_dir>/outcome.json``; returns its path."""
    path = run_dir / OUTCOME_NAME
    path.write_text(json.dumps(outcome.as_json(), indent=2) + "\n", encoding="utf-8")
    return path

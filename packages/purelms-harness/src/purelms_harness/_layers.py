"""The three configuration layers (``platform.md`` §2), as pure functions.

* **Layer 1** is the manifest (:class:`purelms_shared.InteractiveTaskManifest`).
* **Layer 2** is a course author's per-block config, JSON::

      {"parameters": {NAME: {"visible", "enabled", "default", "min", "max", "choices"}},
       "outputs": {NAME: {"visible", "display_hint"}},
       "lms_outcomes": {"passed" | "score" | "completion": {"threshold" | "bounds" | "value"}}}

  Every key is optional (a missing entry means visible, enabled, the manifest's values).
  :func:`block_config_problems` checks it against Layer 1: a block may only *tighten*
  (a narrower range, a subset of the choices, a default inside what remains); widening,
  an unknown parameter or output, or a key that does not fit the parameter's type is
  refused, one line each naming the key path and the rule. A parameter that is hidden
  (``visible: false``) or disabled (``enabled: false``) keeps its default, so it must have
  one. ``choices`` entries are ``{value, label}`` (the label may differ from the
  manifest's) or a bare value (the manifest's label).

  ``lms_outcomes`` is this repository's form of what the platform allows a course author:
  overriding the threshold-style arguments of the manifest's rules per block. An override
  names a rule the manifest has and only the arguments its transform takes
  (``threshold`` for ``less_than``/``greater_than``, ``bounds`` for ``in_range`` and the
  normalisations, ``value`` for ``equals``); the rule with its override must still be
  valid (ordered bounds).
* **Layer 3** is the learner's submission. :func:`submission_problems` checks it against
  Layer 1 ∩ Layer 2 before anything runs and refuses, one line each: an unknown
  parameter, a missing required one, a wrong type, a number out of range, a value that is
  not one of the choices, and a new value for a hidden or disabled parameter. It returns
  the parameters to run with: the submission, plus the block's default for every
  parameter the block hides, disables or gives a default that the submission omits (the
  backend would otherwise use the manifest's default).

An open-schema task (``parameters: []``) skips the parameter checks of both layers: any
parameters are accepted and passed on as they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationError

from purelms_shared import (
    OUTCOME_ARGUMENTS,
    EnumChoice,
    InteractiveTaskManifest,
    LmsOutcomes,
    OutcomeRule,
    TaskChoiceValue,
    TaskNumber,
    TaskParameter,
    TaskScalar,
    TaskValueType,
    error_lines,
)

from ._errors import did_you_mean

__all__ = [
    "BlockConfig",
    "BlockConfigError",
    "EffectiveParameter",
    "OutputSettings",
    "ParameterSettings",
    "block_config_problems",
    "effective_outcomes",
    "effective_parameters",
    "load_block_config",
    "submission_problems",
]

_Number = TaskNumber
_Scalar = TaskScalar


def _choice_entry(value: Any) -> Any:
    """``{value, label}`` as an :class:`EnumChoice`, anything else as a bare value."""
    return EnumChoice.model_validate(value) if isinstance(value, dict) else value


class _Config(BaseModel):
    # Built on first use: only a run with --block-config (or `purelms serve` with one) reads
    # a block config, and every `purelms run` imports this module.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ParameterSettings(_Config):
    """One parameter's Layer 2 entry."""

    visible: Annotated[bool, Strict()] = True
    enabled: Annotated[bool, Strict()] = True
    default: _Scalar | None = None
    min: _Number | None = None
    max: _Number | None = None
    choices: (
        list[Annotated[EnumChoice | TaskChoiceValue, BeforeValidator(_choice_entry)]] | None
    ) = None


class OutputSettings(_Config):
    """One output's Layer 2 entry."""

    visible: Annotated[bool, Strict()] = True
    display_hint: Annotated[str, Strict(), Field(min_length=1)] | None = None


class ArgumentOverride(_Config):
    """A block's threshold-style arguments for one of the manifest's outcome rules."""

    value: _Scalar | None = None
    threshold: _Number | None = None
    bounds: tuple[_Number, _Number] | None = None


class BlockConfig(_Config):
    """A course author's per-block configuration (Layer 2)."""

    parameters: dict[str, ParameterSettings] = Field(default_factory=dict)
    outputs: dict[str, OutputSettings] = Field(default_factory=dict)
    lms_outcomes: dict[Literal["passed", "score", "completion"], ArgumentOverride] = Field(
        default_factory=dict
    )


class BlockConfigError(ValueError):
    """A Layer 2 file that cannot be read or is not a block config (one line per problem)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines


def load_block_config(path: Path) -> BlockConfig:
    """Read a Layer 2 JSON file; :class:`BlockConfigError` naming every problem."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise BlockConfigError([f"cannot read: {exc.strerror or exc}"]) from exc
    try:
        return BlockConfig.model_validate_json(text)
    except ValidationError as exc:
        raise BlockConfigError(error_lines(exc)) from exc


# --------------------------------------------------------------------------- Layer 1 ∩ 2


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``1`` equals ``1.0``; ``true`` is not ``1``; ``"1"`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return bool(a == b)


def _choice_value(choice: EnumChoice | Any) -> Any:
    return choice.value if isinstance(choice, EnumChoice) else choice


@dataclass(frozen=True)
class EffectiveParameter:
    """One parameter as a block presents it: Layer 1 narrowed by Layer 2."""

    spec: TaskParameter
    visible: bool = True
    enabled: bool = True
    default: Any = None
    block_default: bool = False
    """True when the default is the block's (Layer 2), not the manifest's."""
    min: float | int | None = None
    max: float | int | None = None
    choices: tuple[EnumChoice, ...] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def locked(self) -> bool:
        """Hidden or disabled: the learner cannot change it; it keeps its default."""
        return not (self.visible and self.enabled)

    @property
    def choice_values(self) -> list[Any]:
        return [choice.value for choice in self.choices or ()]


def _labelled(spec: TaskParameter, given: list[Any]) -> tuple[EnumChoice, ...]:
    manifest = {repr(choice.value): choice for choice in spec.choices or []}
    result = []
    for item in given:
        if isinstance(item, EnumChoice):
            result.append(item)
        else:
            known = manifest.get(repr(item))
            result.append(known or EnumChoice(value=item, label=str(item)))
    return tuple(result)


def effective_parameters(
    task: InteractiveTaskManifest, config: BlockConfig | None
) -> dict[str, EffectiveParameter]:
    """Every Layer 1 parameter with its block settings applied (unchecked: see below)."""
    result = {}
    for spec in task.parameters:
        settings = (config.parameters.get(spec.name) if config else None) or ParameterSettings()
        block_default = settings.default is not None
        result[spec.name] = EffectiveParameter(
            spec=spec,
            visible=settings.visible,
            enabled=settings.enabled,
            default=settings.default if block_default else spec.default,
            block_default=block_default,
            min=settings.min if settings.min is not None else spec.min,
            max=settings.max if settings.max is not None else spec.max,
            choices=_labelled(spec, settings.choices)
            if settings.choices is not None
            else tuple(spec.choices or ()) or None,
        )
    return result


def _type_problem(kind: TaskValueType, value: Any) -> str | None:
    if kind is TaskValueType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number (got {value!r})"
        if not math.isfinite(value):
            return f"must be a finite number (got {value!r})"
    elif kind is TaskValueType.STRING and not isinstance(value, str):
        return f"must be a string (got {value!r})"
    elif kind is TaskValueType.BOOLEAN and not isinstance(value, bool):
        return f"must be true or false (got {value!r})"
    return None


def _unknown(what: str, name: str, known: Sequence[str], where: str) -> str:
    """``unknown parameter; did you mean 'x'? (the manifest declares a, b)``: one line."""
    hint = did_you_mean(name, known)
    listed = ", ".join(known) or "none"
    if hint:
        return f"{what}; {hint}({where} {listed})"
    return f"{what} ({where} {listed})"


def _value_problem(parameter: EffectiveParameter, value: Any) -> str | None:
    """Why ``value`` is not allowed for ``parameter`` (Layer 1 ∩ Layer 2), or None."""
    kind = parameter.spec.type
    if kind is TaskValueType.ENUM:
        allowed = parameter.choice_values
        if not any(_same(value, choice) for choice in allowed):
            texts = [choice for choice in allowed if isinstance(choice, str)]
            hint = did_you_mean(value, texts).strip() if isinstance(value, str) else ""
            return f"{value!r} is not one of the choices {allowed}" + (f"; {hint}" if hint else "")
        return None
    problem = _type_problem(kind, value)
    if problem or kind is not TaskValueType.NUMBER:
        return problem
    if parameter.min is not None and value < parameter.min:
        return f"{value!r} is below the minimum {parameter.min}"
    if parameter.max is not None and value > parameter.max:
        return f"{value!r} is above the maximum {parameter.max}"
    return None


def _parameter_setting_problems(
    spec: TaskParameter, settings: ParameterSettings, effective: EffectiveParameter
) -> list[str]:
    where = f"parameters.{spec.name}"
    kind = spec.type
    problems = []
    for key in ("min", "max"):
        value = getattr(settings, key)
        if value is None:
            continue
        if kind is not TaskValueType.NUMBER:
            problems.append(f"{where}.{key}: only number parameters take {key} ({kind.value})")
            continue
        low, high = spec.min, spec.max
        if key == "min" and low is not None and value < low:
            problems.append(
                f"{where}.min: {value} widens the manifest's min {low} (a block may only narrow)"
            )
        elif key == "max" and high is not None and value > high:
            problems.append(
                f"{where}.max: {value} widens the manifest's max {high} (a block may only narrow)"
            )
        elif key == "min" and high is not None and value > high:
            problems.append(f"{where}.min: {value} is above the manifest's max {high}")
        elif key == "max" and low is not None and value < low:
            problems.append(f"{where}.max: {value} is below the manifest's min {low}")
    low, high = effective.min, effective.max
    if not problems and low is not None and high is not None and low > high:
        problems.append(f"{where}.min: min {effective.min} is greater than max {effective.max}")
    if settings.choices is not None:
        if kind is not TaskValueType.ENUM:
            problems.append(f"{where}.choices: only enum parameters take choices ({kind.value})")
        elif not settings.choices:
            problems.append(f"{where}.choices: a block offers at least one choice")
        else:
            allowed = spec.choice_values
            for index, choice in enumerate(settings.choices):
                value = _choice_value(choice)
                if not any(_same(value, known) for known in allowed):
                    problems.append(
                        f"{where}.choices[{index}]: {value!r} is not a choice of the manifest "
                        f"{allowed} (a block may only offer a subset)"
                    )
    if problems:
        return problems
    if settings.default is not None:
        problem = _value_problem(effective, settings.default)
        if problem:
            problems.append(f"{where}.default: {problem}")
    elif effective.default is not None and _value_problem(effective, effective.default):
        problems.append(
            f"{where}.default: the manifest's default {effective.default!r} is outside what "
            "this block allows; give the block a default"
        )
    if effective.locked and effective.default is None:
        state = "hidden" if not effective.visible else "disabled"
        problems.append(
            f"{where}: a {state} parameter keeps its default, and it has none; give one"
        )
    return problems


def _outcome_problems(task: InteractiveTaskManifest, config: BlockConfig) -> list[str]:
    problems = []
    rules = task.lms_outcomes.rules()
    for name, override in config.lms_outcomes.items():
        rule = rules.get(name)
        if rule is None:
            problems.append(f"lms_outcomes.{name}: the manifest has no {name} rule to adjust")
            continue
        takes = OUTCOME_ARGUMENTS[rule.transform]
        given = override.model_dump(exclude_none=True)
        wrong = [key for key in given if key not in takes]
        for key in wrong:
            problems.append(
                f"lms_outcomes.{name}.{key}: the {name} rule ({rule.transform.value}) takes "
                f"{', '.join(takes) or 'no arguments'}"
            )
        if wrong:
            continue
        try:
            OutcomeRule.model_validate({**rule.model_dump(exclude_none=True), **given})
        except ValidationError as exc:
            problems += [f"lms_outcomes.{name}.{line}" for line in error_lines(exc)]
    return problems


def block_config_problems(task: InteractiveTaskManifest, config: BlockConfig) -> list[str]:
    """Every way ``config`` does not fit Layer 1 (``[]``: it only tightens), one line each."""
    problems: list[str] = []
    if not task.open_schema:
        effective = effective_parameters(task, config)
        for name, settings in config.parameters.items():
            spec = task.parameter(name)
            if spec is None:
                known = [p.name for p in task.parameters]
                line = _unknown(
                    "no parameter of that name in the manifest", name, known, "it declares"
                )
                problems.append(f"parameters.{name}: {line}")
                continue
            problems += _parameter_setting_problems(spec, settings, effective[name])
    outputs = [o.name for o in task.outputs]
    for name in config.outputs:
        if task.output(name) is None:
            line = _unknown(
                "no declared output of that name", name, outputs, "the manifest declares"
            )
            problems.append(f"outputs.{name}: {line}")
    return problems + _outcome_problems(task, config)


def effective_outcomes(task: InteractiveTaskManifest, config: BlockConfig | None) -> LmsOutcomes:
    """The manifest's outcome rules with the block's argument overrides applied."""
    if config is None or not config.lms_outcomes:
        return task.lms_outcomes
    rules: dict[str, Any] = {
        name: rule.model_dump(exclude_none=True) for name, rule in task.lms_outcomes.rules().items()
    }
    for name, override in config.lms_outcomes.items():
        if name in rules:
            rules[name].update(override.model_dump(exclude_none=True))
    return LmsOutcomes.model_validate(rules)


# --------------------------------------------------------------------------- Layer 3


def submission_problems(
    task: InteractiveTaskManifest,
    config: BlockConfig | None,
    values: Mapping[str, Any],
) -> tuple[dict[str, Any], list[str]]:
    """Check a submission against Layer 1 ∩ Layer 2: ``(parameters to run with, problems)``."""
    if task.open_schema:
        return dict(values), []
    effective = effective_parameters(task, config)
    resolved = dict(values)
    problems = []
    for name in values:
        if name not in effective:
            line = _unknown("unknown parameter", name, list(effective), "the manifest declares")
            problems.append(f"parameters.{name}: {line}")
    for name, parameter in effective.items():
        if parameter.locked:
            state = "hidden" if not parameter.visible else "disabled"
            if name in values and not _same(values[name], parameter.default):
                problems.append(
                    f"parameters.{name}: {state} in this block; it keeps its default "
                    f"{parameter.default!r} (got {values[name]!r})"
                )
                continue
            resolved[name] = parameter.default
        elif name not in values and parameter.block_default:
            resolved[name] = parameter.default
        if name not in resolved:
            if parameter.spec.required:
                problems.append(f"parameters.{name}: required (missing)")
            continue
        problem = _value_problem(parameter, resolved[name])
        if problem:
            problems.append(f"parameters.{name}: {problem}")
    return resolved, problems

"""The task manifest, ``interactive_task.yaml``, schema ``purelms.interactive_task.v1``.

The platform's installer reads this document, validates it and refuses the *whole*
install on any violation. This model says exactly what that installer accepts, so a
manifest that validates here installs there. It is an additive part of the contract:
the envelopes are untouched, and the model is versioned like them (an incompatible
change is an ``InteractiveTaskManifestV2`` beside this class, registered in
:data:`SUPPORTED_TASK_MANIFEST_VERSIONS`).

Why every rule is in the model rather than in a checker beside it: a parsed
``InteractiveTaskManifest`` is then always one the platform would install, whoever
parsed it (the harness, a test, a tool). Rules that relate several fields (``min <=
max``, a default inside its range and among its choices, duplicate names, an outcome
``source`` naming a declared output, a transform's arguments) are checked in the
models too, and report every problem with its own path, so ``purelms manifest check``
prints one line per problem. The one rule that needs more than the document, "the slug
equals the task's folder name", belongs to whoever knows the folder (the harness).

What the platform leaves open is decided here, each time in the direction that cannot
let an uninstallable manifest pass, and written down:

* ``schema_version``, ``deployment`` and ``frontend`` are required (a manifest without
  them is refused); ``parameters``, ``outputs``, ``lms_context_used``,
  ``requires_user_context`` and ``lms_outcomes`` may be omitted (``[]``, ``[]``,
  ``[]``, ``false``, ``{}``), as the platform's own minimal manifests do.
* A parameter carries only the keys of its type: ``unit``, ``min``, ``max`` and
  ``step`` only on a ``number``, ``choices`` only on an ``enum``.
* ``bounds`` are ordered: ``min <= max`` for ``in_range``, ``min < max`` for
  ``normalize`` and ``normalize_inverse`` (which divide by ``max - min``).
* Each transform takes exactly its own arguments (``equals``: ``value``;
  ``less_than`` / ``greater_than``: ``threshold``; the other three: ``bounds``;
  ``passthrough``: none); an argument of another transform is refused.
* ``frontend.bundle`` is a file name (no folder); numbers are finite; text is text
  (``"5"`` is not a number, ``5`` is not a string), as everywhere in this contract.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    Field,
    PlainValidator,
    Strict,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from ._base import NonNegativeInt, PositiveInt, StrictText, WireModel, empty_list
from ._parsing import WireDocument, _parse, _Registry

__all__ = [
    "INTERACTIVE_MOUNT_V1",
    "OUTCOME_ARGUMENTS",
    "PORTABLE_CONTAINER_V1",
    "SUPPORTED_TASK_MANIFEST_VERSIONS",
    "TASK_MANIFEST_SCHEMA_V1",
    "EnumChoice",
    "InteractiveMountV1",
    "InteractiveTaskManifest",
    "LmsContextField",
    "LmsOutcomes",
    "OutcomeRule",
    "OutcomeTransform",
    "PortableContainerV1",
    "ProgressReporting",
    "TaskBackend",
    "TaskChoiceValue",
    "TaskDeployment",
    "TaskFrontend",
    "TaskManifestSchemaV1",
    "TaskNumber",
    "TaskOutput",
    "TaskParameter",
    "TaskScalar",
    "TaskValueType",
    "TrustTier",
    "derived_image",
    "parse_task_manifest",
]

TaskManifestSchemaV1 = Literal["purelms.interactive_task.v1"]
PortableContainerV1 = Literal["purelms.portable_container.v1"]
InteractiveMountV1 = Literal["purelms.interactive_mount.v1"]

TASK_MANIFEST_SCHEMA_V1: Final[TaskManifestSchemaV1] = "purelms.interactive_task.v1"
PORTABLE_CONTAINER_V1: Final[PortableContainerV1] = "purelms.portable_container.v1"
INTERACTIVE_MOUNT_V1: Final[InteractiveMountV1] = "purelms.interactive_mount.v1"


class TrustTier(StrEnum):
    """Who vouches for a task: the platform team, a reviewed contributor, anyone."""

    PLATFORM = "platform"
    VERIFIED = "verified"
    COMMUNITY = "community"


class ProgressReporting(StrEnum):
    """``percentage`` only when the tool measures completed work (wall time is not progress)."""

    NONE = "none"
    PERCENTAGE = "percentage"


class TaskValueType(StrEnum):
    """The type of a parameter or an output."""

    NUMBER = "number"
    STRING = "string"
    BOOLEAN = "boolean"
    ENUM = "enum"


class LmsContextField(StrEnum):
    """The input-envelope fields a task may declare it reads (``lms_context_used``)."""

    RUN_ID = "run_id"
    BACKEND_SLUG = "backend_slug"
    BACKEND_VERSION = "backend_version"
    STUDENT_ID = "student_id"
    COURSE_ID = "course_id"
    BLOCK_ID = "block_id"
    UNIT_BLOCK_ID = "unit_block_id"


class OutcomeTransform(StrEnum):
    """How an ``lms_outcomes`` rule turns an output into a verdict or a score."""

    PASSTHROUGH = "passthrough"
    EQUALS = "equals"
    LESS_THAN = "less_than"
    GREATER_THAN = "greater_than"
    IN_RANGE = "in_range"
    NORMALIZE = "normalize"
    NORMALIZE_INVERSE = "normalize_inverse"


OUTCOME_ARGUMENTS: Final[Mapping[OutcomeTransform, tuple[str, ...]]] = {
    OutcomeTransform.PASSTHROUGH: (),
    OutcomeTransform.EQUALS: ("value",),
    OutcomeTransform.LESS_THAN: ("threshold",),
    OutcomeTransform.GREATER_THAN: ("threshold",),
    OutcomeTransform.IN_RANGE: ("bounds",),
    OutcomeTransform.NORMALIZE: ("bounds",),
    OutcomeTransform.NORMALIZE_INVERSE: ("bounds",),
}
"""The arguments each transform takes (and needs): exactly these, no others."""

_OUTPUT_SOURCE_PREFIX: Final = "outputs."


# --------------------------------------------------------------------------- field types


def _matching(kind: str, pattern: str, rule: str) -> tuple[AfterValidator, WithJsonSchema]:
    """Metadata of a strict string matching ``pattern``; a mismatch is reported as ``rule``."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if compiled.fullmatch(value) is None:
            raise PydanticCustomError(kind, rule)
        return value

    schema = WithJsonSchema({"type": "string", "pattern": pattern, "description": rule})
    return AfterValidator(check), schema


_SLUG_RULE: Final = "a slug is 1 to 64 characters of a-z, 0-9 and _, not starting or ending with _"
_SEMVER_PATTERN: Final = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)

TaskSlug = Annotated[
    str, Strict(), *_matching("slug", r"^[a-z0-9](?:[a-z0-9_]{0,62}[a-z0-9])?$", _SLUG_RULE)
]
SemanticVersion = Annotated[
    str,
    Strict(),
    *_matching("semver", _SEMVER_PATTERN, "a version is semantic: MAJOR.MINOR.PATCH, e.g. 0.2.0"),
]
MemoryLimit = Annotated[
    str,
    Strict(),
    *_matching(
        "memory_limit",
        r"^[1-9][0-9]*(?:Ki|Mi|Gi|Ti)$",
        'a memory limit is a whole number with Ki, Mi, Gi or Ti, e.g. "2Gi" or "512Mi"',
    ),
]
CpuLimit = Annotated[
    str,
    Strict(),
    *_matching(
        "cpu_limit",
        r"^(?:0\.[0-9]*[1-9][0-9]*|[1-9][0-9]*(?:\.[0-9]+)?)$",
        'a CPU limit is a decimal number of vCPUs greater than 0, as text, e.g. "1.0"',
    ),
]
Identifier = Annotated[
    str,
    Strict(),
    *_matching("identifier", r"^[a-z][a-z0-9_]*$", "a name of lowercase letters, digits and _"),
]
BundleFile = Annotated[
    str,
    Strict(),
    *_matching(
        "bundle_file",
        r"^(?!\.{1,2}$)[^/\\]+$",
        "the bundle is a file name in frontend/dist/ (no folder), e.g. my_task.js",
    ),
]
OutputSource = Annotated[
    str,
    Strict(),
    *_matching(
        "output_source",
        r"^outputs\.[^.\s]+$",
        "a source is outputs.<name of a declared output>",
    ),
]

NonEmptyText = Annotated[str, Strict(), Field(min_length=1)]


def _finite_number(value: object) -> int | float:
    if _is_number(value) and math.isfinite(value):  # type: ignore[arg-type]
        return value  # type: ignore[return-value]
    raise PydanticCustomError("number_type", "input should be a finite number")


def _choice_value(value: object) -> str | int | float:
    if isinstance(value, str):
        return value
    if _is_number(value) and math.isfinite(value):  # type: ignore[arg-type]
        return value  # type: ignore[return-value]
    raise PydanticCustomError("choice_value_type", "input should be a string or a finite number")


def _scalar(value: object) -> str | bool | int | float:
    if isinstance(value, str | bool):
        return value
    return _finite_number(value)


TaskNumber = Annotated[
    int | float, PlainValidator(_finite_number), WithJsonSchema({"type": "number"})
]
"""A finite JSON number, one error when it is not; an integer stays an integer (``0``)."""
TaskChoiceValue = Annotated[
    str | int | float,
    PlainValidator(_choice_value),
    WithJsonSchema({"type": ["string", "number"]}),
]
TaskScalar = Annotated[
    str | bool | int | float,
    PlainValidator(_scalar),
    WithJsonSchema({"type": ["string", "boolean", "number"]}),
]
"""A JSON string, boolean or finite number (a default, an ``equals`` value)."""


# --------------------------------------------------------------------------- problems

_Loc = tuple[int | str, ...]


def _raise_problems(title: str, problems: Sequence[tuple[_Loc, str, str, Any]]) -> None:
    """Raise every ``(loc, kind, rule, input)`` at once, each at its own path."""
    if problems:
        raise ValidationError.from_exception_data(
            title,
            [
                InitErrorDetails(
                    type=PydanticCustomError(kind, "{rule}", {"rule": rule}),
                    loc=loc,
                    input=value,
                )
                for loc, kind, rule, value in problems
            ],
        )


def _same_value(a: object, b: object) -> bool:
    """JSON equality: ``1 == 1.0``, but ``true`` is not ``1`` and ``"1"`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return a == b


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _duplicates(items: Sequence[Any], what: str) -> list[tuple[_Loc, str, str, Any]]:
    first: dict[str, int] = {}
    problems: list[tuple[_Loc, str, str, Any]] = []
    for index, item in enumerate(items):
        if item.name in first:
            rule = f"duplicate {what} name {item.name!r} (first at [{first[item.name]}])"
            problems.append(((index, "name"), "duplicate_name", rule, item.name))
        else:
            first[item.name] = index
    return problems


# --------------------------------------------------------------------------- models


class EnumChoice(WireModel):
    """One choice of an ``enum`` parameter: the value submitted and the label shown."""

    value: TaskChoiceValue
    label: NonEmptyText


_NUMBER_ONLY: Final = ("unit", "min", "max", "step")


class TaskParameter(WireModel):
    """One Layer 1 parameter: what the learner may submit, and the form that asks for it."""

    name: NonEmptyText
    type: TaskValueType
    label: NonEmptyText
    description: StrictText | None = None
    default: TaskScalar | None = None
    required: Annotated[bool, Strict()] = False
    unit: StrictText | None = None
    min: TaskNumber | None = None
    max: TaskNumber | None = None
    step: TaskNumber | None = None
    choices: list[EnumChoice] | None = None

    @model_validator(mode="after")
    def _rules_of_its_type(self) -> TaskParameter:
        problems: list[tuple[_Loc, str, str, Any]] = []
        kind = self.type
        if kind is not TaskValueType.NUMBER:
            for key in _NUMBER_ONLY:
                if getattr(self, key) is not None:
                    rule = f"only number parameters take {key} (this one is {kind.value})"
                    problems.append(((key,), "number_only", rule, getattr(self, key)))
        if kind is TaskValueType.ENUM:
            if not self.choices:
                rule = "an enum parameter needs choices: a non-empty list of {value, label}"
                problems.append((("choices",), "choices_required", rule, self.choices))
        elif self.choices is not None:
            rule = f"only enum parameters take choices (this one is {kind.value})"
            problems.append((("choices",), "enum_only", rule, "[...]"))
        if self.min is not None and self.max is not None and self.min > self.max:
            rule = f"min {self.min} is greater than max {self.max}"
            problems.append((("min",), "min_above_max", rule, self.min))
        if self.default is not None and not problems:
            problem = self._default_problem()
            if problem:
                problems.append((("default",), "default", problem, self.default))
        _raise_problems("TaskParameter", problems)
        return self

    def _default_problem(self) -> str | None:
        value, kind = self.default, self.type
        if kind is TaskValueType.NUMBER:
            if not _is_number(value):
                return "the default of a number parameter must be a number"
            assert isinstance(value, int | float)
            if self.min is not None and value < self.min:
                return f"the default {value} is below min {self.min}"
            if self.max is not None and value > self.max:
                return f"the default {value} is above max {self.max}"
        elif kind is TaskValueType.STRING and not isinstance(value, str):
            return "the default of a string parameter must be a string"
        elif kind is TaskValueType.BOOLEAN and not isinstance(value, bool):
            return "the default of a boolean parameter must be true or false"
        elif kind is TaskValueType.ENUM:
            values = [choice.value for choice in self.choices or []]
            if not any(_same_value(value, choice) for choice in values):
                return f"the default is not one of the choices {values}"
        return None

    @property
    def choice_values(self) -> list[Any]:
        """The values of an enum parameter's choices (``[]`` for other types)."""
        return [choice.value for choice in self.choices or []]


class TaskOutput(WireModel):
    """One declared output: the platform shows declared outputs and drops the others."""

    name: NonEmptyText
    type: TaskValueType
    label: NonEmptyText
    description: StrictText | None = None
    unit: StrictText | None = None
    display_hint: NonEmptyText | None = None


class TaskBackend(WireModel):
    """How the platform runs the task's container."""

    image: NonEmptyText | None = None
    credit_cost: NonNegativeInt
    trust_tier: TrustTier
    execution_mode: Literal["sync"]
    progress_reporting: ProgressReporting = ProgressReporting.NONE
    default_timeout_seconds: PositiveInt
    max_timeout_seconds: PositiveInt | None = None
    default_memory_limit: MemoryLimit | None = None
    default_cpu_limit: CpuLimit | None = None

    @model_validator(mode="after")
    def _maximum_not_below_default(self) -> TaskBackend:
        most, default = self.max_timeout_seconds, self.default_timeout_seconds
        if most is not None and most < default:
            rule = f"max_timeout_seconds {most} is below default_timeout_seconds {default}"
            _raise_problems("TaskBackend", [(("max_timeout_seconds",), "max_timeout", rule, most)])
        return self


class TaskDeployment(WireModel):
    """What a managed deployment must offer the task (the portable container contract)."""

    portable_contract: PortableContainerV1
    required_capabilities: list[Identifier] = Field(default_factory=empty_list)
    provider_allowlist: list[Identifier] | None = None


class TaskFrontend(WireModel):
    """The task's bundle and the mount contract it implements (absent means v1)."""

    bundle: BundleFile
    mount_contract: InteractiveMountV1 = INTERACTIVE_MOUNT_V1


class OutcomeRule(WireModel):
    """``{source: outputs.<name>, transform, ...its arguments}``."""

    source: OutputSource
    transform: OutcomeTransform
    value: TaskScalar | None = None
    threshold: TaskNumber | None = None
    bounds: tuple[TaskNumber, TaskNumber] | None = None

    @model_validator(mode="after")
    def _carries_its_arguments(self) -> OutcomeRule:
        problems: list[tuple[_Loc, str, str, Any]] = []
        wanted = OUTCOME_ARGUMENTS[self.transform]
        name = self.transform.value
        for argument in ("value", "threshold", "bounds"):
            given = getattr(self, argument)
            if argument in wanted and given is None:
                rule = f"{name} needs {argument}" + (": [min, max]" if argument == "bounds" else "")
                problems.append(((argument,), "argument_missing", rule, None))
            elif argument not in wanted and given is not None:
                takes = ", ".join(wanted) or "no arguments"
                rule = f"{argument} is not an argument of {name} (it takes {takes})"
                problems.append(((argument,), "argument_unknown", rule, given))
        if self.bounds is not None and "bounds" in wanted:
            low, high = self.bounds
            if self.transform is OutcomeTransform.IN_RANGE and low > high:
                rule = f"bounds must be ordered: min {low} is greater than max {high}"
                problems.append((("bounds",), "bounds_order", rule, list(self.bounds)))
            elif self.transform is not OutcomeTransform.IN_RANGE and not low < high:
                rule = f"bounds of {name} must be ordered with min < max: {low} is not below {high}"
                problems.append((("bounds",), "bounds_order", rule, list(self.bounds)))
        _raise_problems("OutcomeRule", problems)
        return self

    @property
    def output_name(self) -> str:
        """The output the rule reads (``heating_kwh`` for ``outputs.heating_kwh``)."""
        return self.source.removeprefix(_OUTPUT_SOURCE_PREFIX)


class LmsOutcomes(WireModel):
    """Up to three rules; ``{}`` means: success passes, completion 1.0, no score."""

    passed: OutcomeRule | None = None
    score: OutcomeRule | None = None
    completion: OutcomeRule | None = None

    def rules(self) -> dict[str, OutcomeRule]:
        """The rules given, by outcome name (``passed``, ``score``, ``completion``)."""
        return {
            name: rule
            for name in ("passed", "score", "completion")
            if (rule := getattr(self, name)) is not None
        }


def _no_duplicate_parameters(items: list[TaskParameter]) -> list[TaskParameter]:
    _raise_problems("parameters", _duplicates(items, "parameter"))
    return items


def _no_duplicate_outputs(items: list[TaskOutput]) -> list[TaskOutput]:
    _raise_problems("outputs", _duplicates(items, "output"))
    return items


class InteractiveTaskManifest(WireModel):
    """``interactive_task.yaml``: the task as the platform installs it (Layer 1)."""

    schema_version: TaskManifestSchemaV1
    slug: TaskSlug
    name: NonEmptyText
    version: SemanticVersion
    description: NonEmptyText
    backend: TaskBackend
    deployment: TaskDeployment
    frontend: TaskFrontend
    parameters: Annotated[list[TaskParameter], AfterValidator(_no_duplicate_parameters)] = Field(
        default_factory=empty_list
    )
    outputs: Annotated[list[TaskOutput], AfterValidator(_no_duplicate_outputs)] = Field(
        default_factory=empty_list
    )
    lms_context_used: list[LmsContextField] = Field(default_factory=empty_list)
    requires_user_context: Annotated[bool, Strict()] = False
    lms_outcomes: LmsOutcomes = Field(default_factory=LmsOutcomes)

    @field_validator("lms_outcomes")
    @classmethod
    def _sources_name_declared_outputs(cls, value: LmsOutcomes, info: ValidationInfo) -> Any:
        outputs = info.data.get("outputs")
        if outputs is None:  # the outputs themselves are invalid: reported there
            return value
        declared = {output.name for output in outputs}
        problems: list[tuple[_Loc, str, str, Any]] = []
        for name, rule in value.rules().items():
            if rule.output_name not in declared:
                known = ", ".join(sorted(declared)) or "none"
                text = f"{rule.source} names no declared output (declared: {known})"
                problems.append(((name, "source"), "undeclared_output", text, rule.source))
        _raise_problems("lms_outcomes", problems)
        return value

    @property
    def open_schema(self) -> bool:
        """``parameters: []``: any parameters are accepted; Layers 2 and 3 are not checked."""
        return not self.parameters

    def parameter(self, name: str) -> TaskParameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def output(self, name: str) -> TaskOutput | None:
        return next((o for o in self.outputs if o.name == name), None)

    def image_ref(self, registry: str = "") -> str:
        """``backend.image``, or the reference the installer derives when it is absent."""
        return self.backend.image or derived_image(self.slug, self.version, registry)


def derived_image(slug: str, version: str, registry: str = "") -> str:
    """``[<registry>/]purelms-itask-<slug with _ replaced by ->:<version>``."""
    name = f"purelms-itask-{slug.replace('_', '-')}:{version}"
    return f"{registry.rstrip('/')}/{name}" if registry else name


SUPPORTED_TASK_MANIFEST_VERSIONS: Final[Mapping[str, type[InteractiveTaskManifest]]] = {
    TASK_MANIFEST_SCHEMA_V1: InteractiveTaskManifest,
}

_MANIFEST: Final = _Registry(SUPPORTED_TASK_MANIFEST_VERSIONS)


def parse_task_manifest(data: WireDocument) -> InteractiveTaskManifest:
    """Parse a task manifest of any supported version (JSON text or a decoded mapping).

    YAML is read by the caller (this package depends on pydantic only): pass the mapping
    ``yaml.safe_load`` returns. Raises :class:`pydantic.ValidationError`, one error per
    problem, each at its own path (render them with :func:`error_lines`).
    """
    return _parse(data, _MANIFEST)

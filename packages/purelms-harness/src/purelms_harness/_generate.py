"""Manifests generated from one source: the backend's models plus one declaration.

``interactive_task.yaml`` is *generated* (``purelms manifest <slug> --write``) and never
edited by hand. Its parts come from two places, each said once:

* **the models** (the parameter and output models of the backend's function): every
  parameter (name, type, label, unit, description, range, step, choices, default,
  required) and every scalar output (name, type, label, unit, description); the slug
  and version of the ``Backend``; the image (``purelms-itask-<slug with ->:<version>``,
  what ``nox -s images`` builds), the bundle (``<slug>.js``) and the contract literals;
* **the declaration**, ``[tool.purelms.manifest]`` in ``backends/<slug>/backend/pyproject.toml``:
  what the models cannot say. Its keys are the manifest's own, at the same paths::

      [tool.purelms.manifest]
      name = "Echo"
      description = "..."                    # markdown
      lms_context_used = ["run_id", "backend_slug", "backend_version"]
      requires_user_context = false
      [tool.purelms.manifest.backend]        # credit_cost, trust_tier, progress_reporting,
      credit_cost = 1                        # default_timeout_seconds, max_timeout_seconds,
      trust_tier = "platform"                # default_memory_limit, default_cpu_limit
      default_timeout_seconds = 60
      [tool.purelms.manifest.deployment]     # required_capabilities, provider_allowlist
      required_capabilities = ["callbacks"]
      [tool.purelms.manifest.lms_outcomes.passed]
      source = "outputs.heating_kwh"
      transform = "less_than"
      threshold = 3000

  plus two tables keyed by name for the per-item keys: ``choice_labels.<parameter>``
  (value -> label shown for an enum choice; default: the value with ``_`` as spaces,
  capitalised) and ``display_hints`` (output -> ``value-card``, ``alert``, ...).

**From the models to v1.** ``int`` fields become ``number`` parameters with ``step: 1``
(or the field's own step) and integer bounds and default: v1 has no integer type, and an
integer ``step`` is how the platform's form keeps values whole (the model still refuses
``7.5``). ``Literal``/``Enum`` fields become ``enum`` parameters with ``{value, label}``
choices. An open parameter model (``purelms_runtime.OpenParameters``) gives
``parameters: []``. Outputs that are lists or mappings (a monthly series, end uses by
name) have no v1 type: they stay in ``output.json`` for the task's own bundle and are not
declared (the platform's result view shows declared outputs only).

``manifest_drift`` compares the YAML with what would be generated now and names every
difference by key path; every backend's tests and ``nox -s wire_sync`` run it.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from purelms_shared import (
    INTERACTIVE_MOUNT_V1,
    PORTABLE_CONTAINER_V1,
    TASK_MANIFEST_SCHEMA_V1,
    derived_image,
    error_lines,
)

from ._manifest import (
    MANIFEST_NAME,
    PROJECT_NAME,
    BackendManifest,
    BackendProject,
    ManifestError,
    read_manifest_data,
    task_problems,
)

if TYPE_CHECKING:
    from purelms_runtime import Backend

__all__ = [
    "DECLARATION_TABLE",
    "TaskDeclaration",
    "generate_manifest",
    "manifest_drift",
    "model_outputs",
    "model_parameters",
    "render_manifest",
    "v1_outputs",
    "v1_parameters",
    "write_manifest",
]

DECLARATION_TABLE = "[tool.purelms.manifest]"


# --------------------------------------------------------------------------- the models


class ModelError(ManifestError):
    """A model field the manifest cannot describe."""


def _numeric_bounds(info: FieldInfo) -> dict[str, float]:
    bounds: dict[str, float] = {}
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            bounds["min"] = float(item.ge)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Gt):
            bounds["min"] = float(item.gt)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Le):
            bounds["max"] = float(item.le)  # type: ignore[arg-type]
        elif isinstance(item, annotated_types.Lt):
            bounds["max"] = float(item.lt)  # type: ignore[arg-type]
    return bounds


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return dict(extra) if isinstance(extra, dict) else {}


def _choices(annotation: Any) -> list[Any] | None:
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [member.value for member in annotation]
    return None


def _scalar_type(annotation: Any) -> str | None:
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    if annotation is float:
        return "number"
    if annotation is str:
        return "string"
    return None


def model_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The parameters of a model in the harness's own terms (``integer`` and ``choice`` kept).

    The sweep commands read these (an integer axis is every integer of a range); the
    manifest's v1 list is derived from them (:func:`v1_parameters`).
    """
    entries = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        extra = _extra(info)
        entry: dict[str, Any] = {"name": name}
        choices = _choices(annotation)
        if choices is not None:
            entry["type"] = "choice"
        else:
            kind = _scalar_type(annotation)
            if kind is None:
                raise ModelError(f"{model.__name__}.{name}: unsupported type {annotation!r}")
            entry["type"] = kind
        entry["label"] = info.title or name
        entry["unit"] = extra.get("unit", "")
        if info.description:
            entry["description"] = info.description
        if entry["type"] in ("number", "integer"):
            cast = int if entry["type"] == "integer" else float
            entry.update({k: cast(v) for k, v in _numeric_bounds(info).items()})
            if "step" in extra:
                entry["step"] = extra["step"]
        if choices is not None:
            entry["choices"] = choices
        default = info.get_default(call_default_factory=True)
        if isinstance(default, enum.Enum):
            default = default.value
        entry["default"] = None if info.is_required() else default
        entry["required"] = info.is_required()
        entries.append(entry)
    return entries


def _output_type(annotation: Any) -> dict[str, Any]:
    scalar = _scalar_type(annotation)
    if scalar:
        return {"type": scalar}
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (list, tuple, typing.Sequence) and args and _scalar_type(args[0]):
        return {"type": "array", "items": _scalar_type(args[0])}
    if origin is dict:
        values = _scalar_type(args[1]) if len(args) == 2 else None
        return {"type": "object", "values": values} if values else {"type": "object"}
    if origin in (types.UnionType, typing.Union):
        non_null = [a for a in args if a is not type(None)]
        if len(non_null) == 1:
            return {**_output_type(non_null[0]), "nullable": True}
    choices = _choices(annotation)
    if choices is not None:
        return {"type": "string"}
    raise ModelError(f"unsupported output type {annotation!r}")


def model_outputs(model: type[BaseModel]) -> list[dict[str, Any]]:
    """Every output of a model in the harness's own terms (``array`` and ``object`` kept)."""
    entries = []
    for name, info in model.model_fields.items():
        extra = _extra(info)
        entry: dict[str, Any] = {"name": name, **_output_type(info.annotation)}
        entry["label"] = info.title or name
        entry["unit"] = extra.get("unit", "")
        if info.description:
            entry["description"] = info.description
        entries.append(entry)
    return entries


# --------------------------------------------------------------------------- v1 lists


def choice_label(value: Any) -> str:
    """The default label of an enum choice: ``san_francisco`` -> ``San francisco``."""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def v1_parameters(
    model: type[BaseModel], choice_labels: Mapping[str, Mapping[str, str]] | None = None
) -> list[dict[str, Any]]:
    """The manifest's ``parameters`` for a parameter model (``[]`` for an open one)."""
    from purelms_runtime import OpenParameters  # loaded with the model's backend

    if issubclass(model, OpenParameters):
        return []
    labels = choice_labels or {}
    result = []
    for entry in model_parameters(model):
        kind = entry["type"]
        item: dict[str, Any] = {
            "name": entry["name"],
            "type": {"integer": "number", "choice": "enum"}.get(kind, kind),
            "label": entry["label"],
        }
        if "description" in entry:
            item["description"] = entry["description"]
        if kind in ("number", "integer"):
            if entry["unit"]:
                item["unit"] = entry["unit"]
            item.update({key: entry[key] for key in ("min", "max") if key in entry})
            step = entry.get("step", 1 if kind == "integer" else None)
            if step is not None:
                item["step"] = step
        if kind == "choice":
            named = labels.get(entry["name"], {})
            item["choices"] = [
                {"value": value, "label": named.get(str(value)) or choice_label(value)}
                for value in entry["choices"]
            ]
        if not entry["required"]:
            item["default"] = entry["default"]
        item["required"] = entry["required"]
        result.append(item)
    return result


_V1_OUTPUT_TYPES = {
    "boolean": "boolean",
    "integer": "number",
    "number": "number",
    "string": "string",
}


def v1_outputs(
    model: type[BaseModel], display_hints: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The manifest's ``outputs``: every scalar output (lists and mappings stay undeclared)."""
    hints = display_hints or {}
    result = []
    for entry in model_outputs(model):
        kind = _V1_OUTPUT_TYPES.get(entry["type"])
        if kind is None:
            continue
        item: dict[str, Any] = {"name": entry["name"], "type": kind, "label": entry["label"]}
        if "description" in entry:
            item["description"] = entry["description"]
        if entry["unit"]:
            item["unit"] = entry["unit"]
        if entry["name"] in hints:
            item["display_hint"] = hints[entry["name"]]
        result.append(item)
    return result


# --------------------------------------------------------------------------- the declaration


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeclaredBackend(_Table):
    """``[tool.purelms.manifest.backend]``: typed by the manifest model once assembled."""

    credit_cost: Any = None
    trust_tier: Any = None
    progress_reporting: Any = None
    default_timeout_seconds: Any = None
    max_timeout_seconds: Any = None
    default_memory_limit: Any = None
    default_cpu_limit: Any = None


class DeclaredDeployment(_Table):
    required_capabilities: Any = None
    provider_allowlist: Any = None


class TaskDeclaration(_Table):
    """``[tool.purelms.manifest]``: the manifest's keys the models cannot say.

    Only the keys are checked here (an unknown key is refused by name); their values are
    checked where they end up, by :class:`purelms_shared.InteractiveTaskManifest`, at
    the same key paths.
    """

    name: Any = None
    description: Any = None
    backend: DeclaredBackend = Field(default_factory=DeclaredBackend)
    deployment: DeclaredDeployment = Field(default_factory=DeclaredDeployment)
    lms_context_used: Any = None
    requires_user_context: Any = None
    lms_outcomes: Any = None
    choice_labels: dict[str, dict[str, str]] = Field(default_factory=dict)
    display_hints: dict[str, str] = Field(default_factory=dict)


_BACKEND_KEYS = tuple(DeclaredBackend.model_fields)
"""The declared backend keys in the platform's order (``execution_mode`` goes after two)."""


def _declared(table: _Table) -> dict[str, Any]:
    return {
        key: value
        for key, value in table.model_dump(exclude_unset=True).items()
        if key not in ("choice_labels", "display_hints")
    }


def _declaration(project: BackendProject) -> TaskDeclaration:
    try:
        return TaskDeclaration.model_validate(project.declaration)
    except ValidationError as exc:
        lines = "; ".join(error_lines(exc))
        raise ManifestError(f"{project.path} {DECLARATION_TABLE}: {lines}") from exc


def _declaration_problems(
    declaration: TaskDeclaration, parameters: list[dict[str, Any]], outputs: list[dict[str, Any]]
) -> list[str]:
    """Per-item declarations that name nothing the models have."""
    problems = []
    enums = {p["name"]: p for p in parameters if p["type"] == "enum"}
    for name, labels in declaration.choice_labels.items():
        if name not in enums:
            problems.append(f"choice_labels.{name}: no enum parameter of that name")
            continue
        values = {str(choice["value"]) for choice in enums[name]["choices"]}
        for value in labels:
            if value not in values:
                problems.append(f"choice_labels.{name}.{value}: no choice of that value")
    declared = {o["name"] for o in outputs}
    for name in declaration.display_hints:
        if name not in declared:
            problems.append(f"display_hints.{name}: no declared (scalar) output of that name")
    return problems


def generate_manifest(task_dir: Path, backend: Backend[Any, Any]) -> dict[str, Any]:
    """The manifest ``backends/<slug>/`` should hold, as data in the platform's key order.

    Raises :class:`ManifestError` naming every problem: an unknown declaration key, a
    declaration naming no parameter or output, or anything the installer would refuse.
    """
    project = BackendProject.load(task_dir / PROJECT_NAME)
    declaration = _declaration(project)
    declared = _declared(declaration)
    backend_table = _declared(declaration.backend)
    deployment_table = _declared(declaration.deployment)
    parameters = v1_parameters(backend.parameters_model, declaration.choice_labels)
    outputs = v1_outputs(backend.outputs_model, declaration.display_hints)
    data: dict[str, Any] = {
        "schema_version": TASK_MANIFEST_SCHEMA_V1,
        "slug": backend.slug,
        "name": declared.get("name"),
        "version": backend.version,
        "description": declared.get("description"),
        "backend": {
            "image": derived_image(backend.slug, backend.version),
            **{key: backend_table.get(key) for key in ("credit_cost", "trust_tier")},
            "execution_mode": "sync",
            **{key: backend_table.get(key) for key in _BACKEND_KEYS[2:]},
        },
        "deployment": {"portable_contract": PORTABLE_CONTAINER_V1, **deployment_table},
        "frontend": {"bundle": f"{backend.slug}.js", "mount_contract": INTERACTIVE_MOUNT_V1},
        "parameters": parameters,
        "outputs": outputs,
        "lms_context_used": declared.get("lms_context_used", []),
        "requires_user_context": declared.get("requires_user_context", False),
        "lms_outcomes": declared.get("lms_outcomes", {}),
    }
    data = _without_none(data)
    problems = [
        f"{DECLARATION_TABLE} {line}"
        for line in _declaration_problems(declaration, parameters, outputs)
    ]
    _, invalid = task_problems(data, task_dir.name)
    problems += invalid
    if problems:
        raise ManifestError(
            f"{task_dir / MANIFEST_NAME} cannot be generated from {project.path} and "
            f"{project.module}: " + "; ".join(problems)
        )
    return data


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


@functools.cache
def _dumper() -> type[Any]:
    """PyYAML's safe dumper with block lists and mappings, multi-line text as ``|`` blocks
    and keys in the given order (made on first use: a run imports no PyYAML, see
    ``_document_cache``)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return Dumper


def render_manifest(data: Mapping[str, Any], source: str) -> str:
    """The YAML text of a generated manifest, with a header naming its sources."""
    header = (
        "# Generated by `uv run purelms manifest {slug} --write` from the models of the\n"
        "# backend in {source} and the [tool.purelms.manifest] table of its pyproject.toml:\n"
        "# edit those, not this file. `purelms manifest check` validates it as the\n"
        "# platform's installer does.\n"
    ).format(slug=data["slug"], source=source)
    import yaml

    body = yaml.dump(dict(data), Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=100)
    return header + body


def write_manifest(task_dir: Path, backend: Backend[Any, Any]) -> bool:
    """Regenerate ``task_dir/interactive_task.yaml``; True if its content changed."""
    data = generate_manifest(task_dir, backend)
    path = task_dir / MANIFEST_NAME
    text = render_manifest(data, f"backends/{task_dir.name}/backend")
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def _differences(expected: Any, actual: Any, path: str) -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in [*expected, *(k for k in actual if k not in expected)]:
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                found.append(f"{where}: missing (generated: {expected[key]!r})")
            elif key not in expected:
                found.append(f"{where}: not generated (the YAML says {actual[key]!r})")
            else:
                found += _differences(expected[key], actual[key], where)
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        found = []
        for index, (want, have) in enumerate(zip(expected, actual, strict=True)):
            found += _differences(want, have, f"{path}[{index}]")
        return found
    if expected == actual and type(expected) is type(actual):
        return []
    shown = [
        repr(v) if not isinstance(v, list | dict) else f"{type(v).__name__} of {len(v)}"
        for v in (actual, expected)
    ]
    return [f"{path}: the YAML says {shown[0]}, generated: {shown[1]}"]


def manifest_drift(manifest: Path | BackendManifest, backend: Backend[Any, Any]) -> list[str]:
    """Every difference between a manifest file and what its sources generate now.

    One line per difference, by key path; ``[]`` when they agree. Problems that stop
    generation (an invalid declaration) are one line too.
    """
    path = manifest.path if isinstance(manifest, BackendManifest) else manifest
    fix = f"run `uv run purelms manifest {path.parent.name} --write`"
    try:
        expected = generate_manifest(path.parent, backend)
        actual = (
            manifest.data if isinstance(manifest, BackendManifest) else read_manifest_data(path)
        )
    except ManifestError as exc:
        return [str(exc)]
    problems = _differences(expected, actual, "")
    return [f"{line} ({fix})" for line in problems]

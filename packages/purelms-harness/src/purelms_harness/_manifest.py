"""Interactive-task manifests (``backends/<slug>/interactive_task.yaml``).

The parameter model is the single source of truth. The manifest's
``parameters`` and ``outputs`` lists are *generated* from the backend's
models (``purelms manifest <slug> --write``) and a test in every backend
checks they still agree (``manifest_drift``), so the form the learner sees
and the validation the backend applies cannot disagree.

The Backend object of a manifest is found as ``<backend.module>.backend``,
and ``python -m <backend.module>`` is its entrypoint, here and in its image.
"""

from __future__ import annotations

import enum
import importlib
import os
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import annotated_types
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from purelms_runtime import Backend

__all__ = [
    "MANIFEST_NAME",
    "BackendManifest",
    "ManifestError",
    "discover",
    "find_repo_root",
    "manifest_drift",
    "model_outputs",
    "model_parameters",
    "write_manifest_lists",
]

MANIFEST_NAME = "interactive_task.yaml"
REPO_ROOT_ENV = "PURELMS_REPO_ROOT"


class ManifestError(Exception):
    """A manifest is missing, unreadable or inconsistent."""


@dataclass(frozen=True)
class BackendManifest:
    path: Path
    data: dict[str, Any]

    @property
    def slug(self) -> str:
        return str(self.data["slug"])

    @property
    def name(self) -> str:
        return str(self.data.get("name", self.slug))

    @property
    def version(self) -> str:
        return str(self.data["version"])

    @property
    def module(self) -> str:
        return str(self.data["backend"]["module"])

    @property
    def default_timeout_seconds(self) -> float:
        return float(self.data["backend"].get("default_timeout_seconds", 300))

    @property
    def progress_reporting(self) -> str:
        """``backend.progress_reporting`` as the runtime takes it: ``percentage`` or ``none``.

        Absent means ``none`` (the platform's default). ``callbacks`` is the pre-v1
        manifests' spelling for a backend that measures its work, read as ``percentage``.
        """
        value = str(self.data["backend"].get("progress_reporting") or "none")
        return "percentage" if value in ("percentage", "callbacks") else value

    @property
    def parameters(self) -> list[dict[str, Any]]:
        return list(self.data.get("parameters") or [])

    @property
    def outputs(self) -> list[dict[str, Any]]:
        return list(self.data.get("outputs") or [])

    @property
    def directory(self) -> Path:
        return self.path.parent

    @classmethod
    def load(cls, path: Path) -> BackendManifest:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ManifestError(f"{path}: cannot read manifest: {exc}") from exc
        if not isinstance(data, dict):
            raise ManifestError(f"{path}: manifest must be a mapping")
        for key in ("slug", "version", "backend"):
            if key not in data:
                raise ManifestError(f"{path}: missing required key {key!r}")
        if not isinstance(data["backend"], dict) or "module" not in data["backend"]:
            raise ManifestError(f"{path}: backend.module is required")
        return cls(path=path, data=data)

    def load_backend(self) -> Backend[Any, Any]:
        """Import the backend's module and return its ``backend`` object."""
        module = importlib.import_module(self.module)
        backend = getattr(module, "backend", None)
        if not isinstance(backend, Backend):
            raise ManifestError(f"{self.module}.backend is not a purelms_runtime.Backend")
        return backend


def find_repo_root(start: Path | None = None) -> Path:
    """The repository holding ``backends/``: ``$PURELMS_REPO_ROOT`` or the nearest parent."""
    env = os.environ.get(REPO_ROOT_ENV)
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "backends").is_dir() and (candidate / "pyproject.toml").is_file():
            return candidate
    raise ManifestError(
        f"no repository with a backends/ folder above {here}; run inside the repository "
        f"or set {REPO_ROOT_ENV}"
    )


def discover(root: Path) -> dict[str, BackendManifest]:
    """Every ``backends/*/interactive_task.yaml`` under ``root``, by slug."""
    found: dict[str, BackendManifest] = {}
    for path in sorted((root / "backends").glob(f"*/{MANIFEST_NAME}")):
        manifest = BackendManifest.load(path)
        if manifest.slug != path.parent.name:
            raise ManifestError(
                f"{path}: slug {manifest.slug!r} differs from its folder {path.parent.name!r}"
            )
        found[manifest.slug] = manifest
    return found


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
    """The manifest ``parameters`` list derived from a parameter model."""
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
                raise ManifestError(f"{model.__name__}.{name}: unsupported type {annotation!r}")
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
    raise ManifestError(f"unsupported output type {annotation!r}")


def model_outputs(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The manifest ``outputs`` list derived from an output model."""
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


def manifest_drift(manifest: BackendManifest, backend: Backend[Any, Any]) -> list[str]:
    """Every disagreement between a manifest and its backend, one readable line each."""
    fix = f"run `uv run purelms manifest {manifest.slug} --write`"
    problems = []
    if manifest.slug != backend.slug:
        problems.append(f"slug: manifest says {manifest.slug!r}, backend says {backend.slug!r}")
    if manifest.version != backend.version:
        problems.append(
            f"version: manifest says {manifest.version!r}, backend package is {backend.version!r}"
        )
    for section, expected in (
        ("parameters", model_parameters(backend.parameters_model)),
        ("outputs", model_outputs(backend.outputs_model)),
    ):
        actual = manifest.data.get(section) or []
        if actual != expected:
            problems.append(f"{section}: differ from the backend's models ({fix})")
    return problems


def write_manifest_lists(manifest: BackendManifest, backend: Backend[Any, Any]) -> bool:
    """Regenerate the manifest's ``version``, ``parameters`` and ``outputs``; True if changed."""
    data = dict(manifest.data)
    data["version"] = backend.version
    data["parameters"] = model_parameters(backend.parameters_model)
    data["outputs"] = model_outputs(backend.outputs_model)
    if data == manifest.data:
        return False
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    manifest.path.write_text(text, encoding="utf-8")
    return True

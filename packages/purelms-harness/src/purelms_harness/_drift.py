"""Drift is loud: what ``purelms run`` checks before a backend runs.

A backend's author edits its models and runs it. Two things generated from the models
can be stale then, and a run would use them without a word:

* **the manifest** (``interactive_task.yaml``): the Layer 3 check reads it, the platform
  installs it. :func:`manifest_staleness` compares it with what the models and the
  declaration generate now (``manifest_drift``: the same comparison the backend's tests
  make; it imports the backend and renders the manifest, a few milliseconds). A stale
  manifest **refuses** the run, naming the first difference and the fix
  (``purelms manifest <slug> --write``): a run checked against an old manifest proves
  nothing about the new one.
* **the frontend's TypeScript types** (``frontend/src/*.ts``): :func:`typescript_staleness`
  compares, by name only, the fields of the bundle's ``*Parameters`` interface with the
  manifest's parameters and those of its ``*Outputs`` interface with the output model, and
  the contract marker's version with the installed purelms-shared. That is a text scan,
  cheap enough for every run; the types themselves are proven by ``nox -s wire_sync``
  (``tsc``), which is too slow here. The run does not use the bundle, so this is a
  **warning**, with the fix (``nox -s wire_sync -- --write``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from ._generate import manifest_drift, model_outputs
from ._manifest import read_manifest_data

if TYPE_CHECKING:
    from purelms_runtime import Backend

__all__ = ["BackendChecks", "backend_checks", "manifest_staleness", "typescript_staleness"]

_INTERFACE = re.compile(
    r"^export interface (?P<name>\w+?)(?P<kind>Parameters|Outputs)\b[^{\n]*\{"
    r"(?:(?P<inline>[^\n]*)\}[ \t]*;?[ \t]*$|(?P<body>[ \t]*\n.*?)^\})",
    re.MULTILINE | re.DOTALL,
)
"""An ``export interface XParameters`` (or ``XOutputs``): ``{ ... }`` on its line, or up to
a line that starts with ``}``."""
_FIELD = re.compile(r"^\s*(?P<name>[A-Za-z_$][\w$]*)\??\s*:", re.MULTILINE)
_MARKER = re.compile(r"^// purelms-shared contract: (?P<version>\S+) ", re.MULTILINE)
FIX_TYPES = "uv run --locked nox -s wire_sync -- --write"


class BackendChecks(TypedDict):
    """What ``purelms run`` learns from the backend before it runs (JSON: a zygote sends it)."""

    stale: str | None
    """How the manifest differs from the models, with the fix (one line); None: it agrees."""
    warnings: list[str]
    """About the bundle's TypeScript types, one line each."""
    outputs: list[dict[str, Any]]
    """Every output the output model declares, with its label and unit (``model_outputs``)."""


def backend_checks(path: Path, module: str, backend: Backend[Any, Any]) -> BackendChecks:
    """The checks of ``backend`` (imported from ``module``) against the task folder's
    manifest at ``path``, on the manifest as its YAML says it.

    Not on the validated manifest: ``purelms run`` has its zygote make these checks
    while the harness validates the manifest (``cli.cmd_run``); a run whose manifest is
    invalid is refused for that, whatever the checks say.
    """
    data = read_manifest_data(path)
    raw = data.get("parameters") if isinstance(data, dict) else None
    names = {p.get("name") for p in raw if isinstance(p, dict)} if isinstance(raw, list) else set()
    outputs = model_outputs(backend.outputs_model)
    return {
        "stale": manifest_staleness(path, module, backend),
        "warnings": typescript_staleness(path.parent, {str(n) for n in names}, outputs),
        "outputs": outputs,
    }


def manifest_staleness(path: Path, module: str, backend: Backend[Any, Any]) -> str | None:
    """One line naming how the manifest differs from its models and the fix, or None."""
    problems = manifest_drift(path, backend)
    if not problems:
        return None
    first = problems[0].split(" (run `", 1)[0]
    more = f" (and {len(problems) - 1} more difference(s))" if len(problems) > 1 else ""
    slug = path.parent.name  # a manifest's slug is its folder's name (an installer rule)
    return (
        f"{path} is stale against the models of {module}: {first}{more}; "
        f"regenerate it with `uv run purelms manifest {slug} --write`, then run again"
    )


def _fields(body: str) -> set[str]:
    return {match["name"] for match in _FIELD.finditer(body)}


def _names(names: Sequence[str]) -> str:
    return ", ".join(sorted(names))


def typescript_staleness(
    task_dir: Path, parameters: set[str], outputs: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Warnings, one line each, about the bundle's types (see the module docstring):
    against the manifest's ``parameters`` (names) and the output model's ``outputs``."""
    source = task_dir / "frontend" / "src"
    files = sorted(source.glob("*.ts")) if source.is_dir() else []
    expected = {
        "Parameters": parameters,
        "Outputs": {str(o["name"]) for o in outputs},
    }
    what = {"Parameters": "the manifest's parameters", "Outputs": "the output model"}
    warnings = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        warnings += _marker_warning(path, text)
        for match in _INTERFACE.finditer(text):
            kind = match["kind"]
            body = (
                match["body"] if match["body"] is not None else match["inline"].replace(";", "\n")
            )
            if body.strip().startswith("["):
                declared: set[str] | None = None  # an open schema: any object
            else:
                declared = _fields(body)
            wanted = expected[kind]
            if declared is None:
                if wanted:
                    warnings.append(
                        f"{_shown(path)}: {match['name']}{kind} is an open object, but "
                        f"{what[kind]} are {_names(list(wanted))}; {_fix()}"
                    )
                continue
            missing, extra = wanted - declared, declared - wanted
            if missing or extra:
                parts = [f"lacks {_names(list(missing))}"] if missing else []
                parts += [f"has {_names(list(extra))}"] if extra else []
                warnings.append(
                    f"{_shown(path)}: {match['name']}{kind} {' and '.join(parts)}, compared "
                    f"by name with {what[kind]}; {_fix()}"
                )
    return warnings


def _marker_warning(path: Path, text: str) -> list[str]:
    match = _MARKER.search(text)
    if match is None:
        return []
    try:
        installed = version("purelms-shared")
    except PackageNotFoundError:  # pragma: no cover - the harness depends on it
        return []
    if match["version"] == installed:
        return []
    return [
        f"{_shown(path)}: synced to contract {match['version']}, purelms-shared is "
        f"{installed}; run `uv run --locked nox -s lockstep_check -- --fix`"
    ]


def _fix() -> str:
    return f"the bundle's types are stale: run `{FIX_TYPES}` (`nox -s wire_sync` checks types)"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

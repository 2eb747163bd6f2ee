"""Interactive-task manifests (``backends/<slug>/interactive_task.yaml``) and where backends are.

A manifest is read as the platform's installer reads it: YAML, validated against
:class:`purelms_shared.InteractiveTaskManifest` (``purelms.interactive_task.v1``, every
installer rule), with the slug equal to its folder's name. A manifest the platform would
refuse is refused here too, with the first problem and the command that lists them all
(``purelms manifest check``), so nothing runs locally that could not be installed.

**Where the backend's code is.** The v1 manifest names no Python module (the platform
runs an image). The backend package says it, in ``backends/<slug>/backend/pyproject.toml``::

    [tool.purelms]
    module = "purelms_echo"   # python -m purelms_echo runs it; purelms_echo.backend is it

The same table holds what the manifest says that the models cannot
(``[tool.purelms.manifest]``, see ``_generate``). The distribution's name is that
pyproject's ``[project] name``.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from purelms_shared import InteractiveTaskManifest, error_lines, parse_task_manifest

from ._document_cache import cached_document, remember_document
from ._errors import closest

if TYPE_CHECKING:
    from purelms_runtime import Backend

__all__ = [
    "MANIFEST_NAME",
    "PROJECT_NAME",
    "BackendManifest",
    "BackendProject",
    "ManifestError",
    "discover",
    "find_repo_root",
    "load_manifest",
    "read_manifest_data",
    "task_problems",
]

MANIFEST_NAME = "interactive_task.yaml"
PROJECT_NAME = Path("backend") / "pyproject.toml"
"""The backend package's pyproject, relative to the task folder (``backends/<slug>/``)."""
REPO_ROOT_ENV = "PURELMS_REPO_ROOT"


class ManifestError(Exception):
    """A manifest or a backend's ``[tool.purelms]`` table is missing, unreadable or invalid."""


@dataclass(frozen=True)
class BackendProject:
    """``backends/<slug>/backend/pyproject.toml``: the package and its ``[tool.purelms]``."""

    path: Path
    package: str
    module: str
    declaration: dict[str, Any]
    """``[tool.purelms.manifest]``: the manifest's keys the models cannot say."""

    @classmethod
    def load(cls, path: Path) -> BackendProject:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ManifestError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        known, data = cached_document("toml", text)
        if not known:
            import tomllib  # only for a text not seen before (see _document_cache)

            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise ManifestError(f"{path}: not TOML: {exc}") from exc
            remember_document("toml", text, data)
        table = data.get("tool", {}).get("purelms")
        if not isinstance(table, dict):
            raise ManifestError(
                f"{path}: no [tool.purelms] table; it names the backend's module "
                '(module = "purelms_<slug>")'
            )
        module = table.get("module")
        if not isinstance(module, str) or not module.isidentifier():
            raise ManifestError(
                f"{path}: [tool.purelms] module must name the backend's Python package "
                f"(got {module!r})"
            )
        unknown = sorted(set(table) - {"module", "manifest"})
        if unknown:
            raise ManifestError(
                f"{path}: [tool.purelms] has unknown keys {unknown}; it holds module and manifest"
            )
        declaration = table.get("manifest", {})
        if not isinstance(declaration, dict):
            raise ManifestError(f"{path}: [tool.purelms.manifest] must be a table")
        package = data.get("project", {}).get("name")
        if not isinstance(package, str):
            raise ManifestError(f"{path}: [project] name is missing")
        return cls(path=path, package=package, module=module, declaration=declaration)

    def load_backend(self) -> Backend[Any, Any]:
        """Import the module and return its ``backend`` object."""
        return import_backend(self.module)


def import_backend(module_name: str) -> Backend[Any, Any]:
    module = importlib.import_module(module_name)
    backend = getattr(module, "backend", None)
    from purelms_runtime import Backend  # loaded by the backend's import (the runtime is lazy)

    if not isinstance(backend, Backend):
        raise ManifestError(f"{module_name}.backend is not a purelms_runtime.Backend")
    return backend


def read_manifest_data(path: Path) -> Any:
    """The YAML document at ``path`` (any value: the caller checks it is a mapping).

    Parsed once per content and then read from the cache of parsed documents
    (``_document_cache``): PyYAML is imported only for a text not seen before.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    known, document = cached_document("yaml", text)
    if known:
        return document
    document = _parse_yaml(path, text)
    remember_document("yaml", text, document)
    return document


def _parse_yaml(path: Path, text: str) -> Any:
    import yaml

    # libyaml's safe loader where PyYAML has it (about 10x faster than the pure-Python
    # one on a 37-parameter manifest), the pure-Python one otherwise.
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError:
        pass
    try:  # malformed: the pure-Python loader's message, the same with or without libyaml
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(exc, "problem", None) or "malformed"
        raise ManifestError(f"{path}: not YAML{line}: {problem}") from exc


def task_problems(
    data: Any, folder_name: str | None
) -> tuple[InteractiveTaskManifest | None, list[str]]:
    """Validate a decoded manifest as the installer does: ``(manifest or None, problems)``.

    Each problem is one line, ``key.path: rule (got value)``. ``folder_name`` is the name of
    the folder holding the manifest (the task folder): the slug must equal it.
    """
    if not isinstance(data, dict):
        return None, [f"<document>: a manifest is a mapping of keys (got {type(data).__name__})"]
    problems: list[str] = []
    manifest: InteractiveTaskManifest | None = None
    try:
        manifest = parse_task_manifest(data)
    except ValidationError as exc:
        problems.extend(error_lines(exc))
    slug = data.get("slug")
    if folder_name is not None and isinstance(slug, str) and slug != folder_name:
        problems.append(
            f"slug: the slug must equal the task's folder name {folder_name!r} (got {slug!r})"
        )
        manifest = None
    return manifest, problems


@dataclass(frozen=True)
class BackendManifest:
    """A task as the harness runs it: its v1 manifest and where its backend's code is."""

    path: Path
    task: InteractiveTaskManifest
    module: str
    package: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    """The manifest as its YAML says it (for ``purelms list --json``)."""

    @property
    def slug(self) -> str:
        return self.task.slug

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def version(self) -> str:
        return self.task.version

    @property
    def default_timeout_seconds(self) -> int:
        return self.task.backend.default_timeout_seconds

    @property
    def progress_reporting(self) -> str:
        """``backend.progress_reporting`` as the runtime takes it: ``percentage`` or ``none``
        (absent means ``none``, the platform's default)."""
        return str(self.task.backend.progress_reporting.value)

    @property
    def parameters(self) -> list[dict[str, Any]]:
        """Layer 1 parameters as the manifest states them (v1 form, absent keys left out)."""
        return [p.model_dump(mode="json", exclude_none=True) for p in self.task.parameters]

    @property
    def outputs(self) -> list[dict[str, Any]]:
        """Declared outputs as the manifest states them (v1 form, absent keys left out)."""
        return [o.model_dump(mode="json", exclude_none=True) for o in self.task.outputs]

    @property
    def directory(self) -> Path:
        return self.path.parent

    @classmethod
    def load(cls, path: Path, *, module: str | None = None) -> BackendManifest:
        """Read and validate ``path``; the module comes from ``backend/pyproject.toml``.

        ``module`` given: that module, and no pyproject is read (throwaway test backends).
        """
        data = read_manifest_data(path)
        task, problems = task_problems(data, path.parent.name)
        if task is None:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ManifestError(
                f"{path}: not an installable purelms.interactive_task.v1 manifest: "
                f"{problems[0]}{more}; `purelms manifest check {path}` lists every problem"
            )
        package: str | None = None
        if module is None:
            project = BackendProject.load(path.parent / PROJECT_NAME)
            module, package = project.module, project.package
        return cls(path=path, task=task, module=module, package=package, data=dict(data))

    def load_backend(self) -> Backend[Any, Any]:
        """Import the backend's module and return its ``backend`` object."""
        return import_backend(self.module)


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
        f"no repository with a backends/ folder above {here}; run inside the repository, "
        f"pass `purelms --root DIR` or set {REPO_ROOT_ENV}"
    )


def _task_folders(root: Path) -> list[Path]:
    return sorted(path.parent for path in (root / "backends").glob(f"*/{MANIFEST_NAME}"))


def load_manifest(root: Path, slug: str) -> BackendManifest:
    """The manifest of ``backends/<slug>/`` (only that one is read)."""
    path = root / "backends" / slug / MANIFEST_NAME
    if not path.is_file():
        raise ManifestError(unknown_backend(root, slug))
    return BackendManifest.load(path)


def unknown_backend(root: Path, slug: str) -> str:
    """``unknown backend 'eplus'; did you mean ...? known backends: ...`` (one line)."""
    known = [folder.name for folder in _task_folders(root)]
    found = closest(slug, known)
    hint = f"; did you mean {found!r}?" if found else ""
    return f"unknown backend {slug!r}{hint}; known backends: {', '.join(known) or 'none'}"


def discover(root: Path) -> dict[str, BackendManifest]:
    """Every ``backends/*/interactive_task.yaml`` under ``root``, by slug."""
    return {
        folder.name: BackendManifest.load(folder / MANIFEST_NAME) for folder in _task_folders(root)
    }

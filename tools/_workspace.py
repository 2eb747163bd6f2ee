"""Where the lockstep and wire-sync tools find things in a repository.

Shared by ``tools/lockstep.py`` and ``tools/wire_sync.py``. Everything here takes the
repository root as an argument (never the location of this file), so the tests can run
the tools against a temporary copy of the repository.

Consumers of the contract, found automatically:

* **Python consumers**: every ``pyproject.toml`` of a uv workspace member (the globs of
  ``[tool.uv.workspace] members``), and every ``pyproject.toml`` / ``pyproject.toml.jinja``
  under ``templates/`` (the copier template), whose ``[project] dependencies``,
  ``[project.optional-dependencies]``, ``[dependency-groups]`` or ``[tool.uv]
  dev-dependencies`` name ``purelms-shared``. The virtual workspace root is not one:
  it is never published and its dev group installs the workspace's own source.
* **TypeScript consumers**: every ``backends/*/frontend/src/types.ts`` and every
  ``types.ts`` / ``types.ts.jinja`` under a ``frontend/src`` folder of ``templates/``.
* **External checkouts** (another repository moved in the same step, e.g. the
  platform's): paths given with ``--also`` or listed in ``lockstep.toml``. A directory
  contributes its ``pyproject.toml`` files that name ``purelms-shared`` and its ``.ts``
  files that carry the contract marker; a file is taken as it is.

A TypeScript consumer states the contract version it was synced to on a marker line
(see :data:`MARKER_RE`); the generated module carries the same line.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

SHARED: Final = "purelms-shared"
SHARED_DIR: Final = Path("packages/purelms-shared")
SHARED_PYPROJECT: Final = SHARED_DIR / "pyproject.toml"
SCHEMA_DIR: Final = SHARED_DIR / "src" / "purelms_shared" / "schemas"
SHARED_SRC: Final = SHARED_DIR / "src"
TS_DIR: Final = SHARED_DIR / "typescript"
WIRE_MODULE: Final = TS_DIR / "purelms-wire.ts"
CONFIG: Final = Path("lockstep.toml")
LOCKFILE: Final = Path("uv.lock")

VERSION_RE: Final = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
MARKER_RE: Final = re.compile(
    r"^// purelms-shared contract: (?P<version>\S+) sha256:(?P<fingerprint>[0-9a-f]{16})[ \t]*$",
    re.MULTILINE,
)
"""``// purelms-shared contract: 0.6.0 sha256:0123456789abcdef`` (version, contract fingerprint)."""

_SKIP_DIRS: Final = frozenset(
    {".git", ".venv", ".nox", "node_modules", "dist", "build", "__pycache__", ".mypy_cache"}
)
_REQUIREMENT_LITERAL: Final = re.compile(
    r'"(?P<basic>\s*purelms[-_.]shared\b(?:[^"\\\n]|\\.)*)"'
    r"|'(?P<literal>\s*purelms[-_.]shared\b[^'\n]*)'",
    re.IGNORECASE,
)
"""A TOML basic ("...") or literal ('...') string holding a purelms-shared requirement."""

Kind = Literal["member", "template", "external"]


class LockstepError(Exception):
    """A problem the user must fix; the message says what and how."""


def marker_line(version: str, fingerprint: str) -> str:
    return f"// purelms-shared contract: {version} sha256:{fingerprint}"


def shown(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it is inside it, else as given."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def parse_version(text: str) -> tuple[int, int, int]:
    match = VERSION_RE.match(text)
    if not match:
        raise LockstepError(f"{text!r} is not a plain X.Y.Z version")
    return int(match[1]), int(match[2]), int(match[3])


def shared_version(root: Path) -> str:
    """``[project] version`` of ``packages/purelms-shared/pyproject.toml``."""
    path = root / SHARED_PYPROJECT
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    version = data.get("project", {}).get("version")
    if not isinstance(version, str):
        raise LockstepError(f"{path}: no [project] version")
    return version


# --------------------------------------------------------------------------- floors


@dataclass(frozen=True)
class Floor:
    """One requirement on purelms-shared in one pyproject file."""

    path: Path
    line: int
    where: str
    """``project.dependencies``, ``dependency-groups.dev``, ... (``text`` for a template)."""
    requirement: str
    floor: str | None
    """The version after ``>=``; None when the requirement has no ``>=`` clause."""
    satisfied_by_floor: bool
    """Whether the floor version itself satisfies every clause (``<1`` ceilings and the like)."""

    def with_floor(self, version: str) -> str:
        """The requirement text with its floor set to ``version`` (added if it had none)."""
        return with_floor(self.requirement, version)

    def allows(self, version: str) -> bool:
        """Whether ``version`` would satisfy this requirement with its floor set to it."""
        try:
            requirement = Requirement(self.with_floor(version))
        except InvalidRequirement:
            return False
        return requirement.specifier.contains(version, prereleases=True)


@dataclass(frozen=True)
class PyConsumer:
    path: Path
    kind: Kind
    floors: tuple[Floor, ...]
    templated: bool = False
    """A Jinja file (``.jinja``) that is not TOML until copier renders it: edited as text."""


def with_floor(requirement: str, version: str) -> str:
    """``requirement`` with its ``>=`` clause set to ``version`` (added when it has none).

    Only the floor changes: extras, other clauses, markers and spacing are kept.
    """
    if _floor_of(Requirement(requirement)) is not None:
        return re.sub(r">=\s*[^,;\s]+", f">={version}", requirement, count=1)
    name_end = re.match(r"\s*[A-Za-z0-9._-]+\s*(\[[^\]]*\])?", requirement)
    assert name_end is not None
    head, tail = requirement[: name_end.end()], requirement[name_end.end() :]
    spec, _, marker = tail.partition(";")
    specifier = spec.strip()
    joined = f">={version}" + (f",{specifier}" if specifier else "")
    return f"{head}{joined}" + (f"; {marker.strip()}" if marker else "")


def names_shared(text: str) -> bool:
    return _names_shared(text) is not None


def _names_shared(text: str) -> Requirement | None:
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None
    return requirement if canonicalize_name(requirement.name) == SHARED else None


def _floor_of(requirement: Requirement) -> str | None:
    floors = [spec.version for spec in requirement.specifier if spec.operator == ">="]
    return floors[0] if floors else None


def requirement_arrays(doc: Any) -> Iterator[tuple[str, Any]]:
    """``(where, array)`` for every dependency list of a parsed pyproject (tomllib or tomlkit)."""
    project = doc.get("project") or {}
    if isinstance(project.get("dependencies"), list):
        yield "project.dependencies", project["dependencies"]
    for extra, items in (project.get("optional-dependencies") or {}).items():
        if isinstance(items, list):
            yield f"project.optional-dependencies.{extra}", items
    for group, items in (doc.get("dependency-groups") or {}).items():
        if isinstance(items, list):
            yield f"dependency-groups.{group}", items
    dev = ((doc.get("tool") or {}).get("uv") or {}).get("dev-dependencies")
    if isinstance(dev, list):
        yield "tool.uv.dev-dependencies", dev


def _literal_lines(text: str) -> list[tuple[int, str]]:
    """``(line number, requirement)`` of every quoted purelms-shared requirement, in file order.

    TOML parsers do not give line numbers, so the line of a requirement is found by
    searching the raw text; commented-out lines are skipped.
    """
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("#", 1)[0] if "#" in line else line
        for match in _REQUIREMENT_LITERAL.finditer(code):
            basic = match["basic"]
            found.append((number, basic if basic is not None else match["literal"]))
    return found


def scan_pyproject(path: Path, kind: Kind) -> PyConsumer | None:
    """The purelms-shared requirements of one pyproject file; None when it names none."""
    text = path.read_text(encoding="utf-8")
    literals = _literal_lines(text)
    templated = path.name.endswith(".jinja")
    located: list[tuple[str, str]] = []
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        if not templated:
            raise LockstepError(f"{path}: not valid TOML") from None
        located = [("text", requirement) for _, requirement in literals]
    else:
        templated = False
        for where, items in requirement_arrays(doc):
            located.extend((where, item) for item in items if isinstance(item, str))
    floors: list[Floor] = []
    used: set[int] = set()
    for where, requirement_text in located:
        requirement = _names_shared(requirement_text)
        if requirement is None:
            continue
        line = 0
        for index, (number, literal) in enumerate(literals):
            if index not in used and literal == requirement_text:
                used.add(index)
                line = number
                break
        floor = _floor_of(requirement)
        floors.append(
            Floor(
                path=path,
                line=line,
                where=where,
                requirement=requirement_text,
                floor=floor,
                satisfied_by_floor=floor is None
                or requirement.specifier.contains(floor, prereleases=True),
            )
        )
    if not floors:
        return None
    return PyConsumer(path=path, kind=kind, floors=tuple(floors), templated=templated)


def _walk(directory: Path) -> Iterator[Path]:
    for current, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            yield Path(current) / name


def workspace_members(root: Path) -> list[Path]:
    """Directories of the uv workspace members, from the root's ``[tool.uv.workspace]``."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    workspace = data.get("tool", {}).get("uv", {}).get("workspace", {})
    excluded = {
        path.resolve() for pattern in workspace.get("exclude", []) for path in root.glob(pattern)
    }
    members = {
        path.resolve()
        for pattern in workspace.get("members", [])
        for path in root.glob(pattern)
        if (path / "pyproject.toml").is_file()
    }
    return sorted(members - excluded)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Config:
    also: tuple[Path, ...] = ()
    """External checkouts (or single files) moved with every bump."""


def load_config(root: Path) -> Config:
    """``lockstep.toml`` at the root: ``also = [paths]`` relative to the file."""
    path = root / CONFIG
    if not path.is_file():
        return Config()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - {"also"}
    if unknown:
        raise LockstepError(f"{path}: unknown keys {sorted(unknown)} (expected only 'also')")
    also = data.get("also", [])
    if not isinstance(also, list) or not all(isinstance(item, str) for item in also):
        raise LockstepError(f"{path}: 'also' must be a list of paths")
    return Config(also=tuple((root / item).resolve() for item in also))


# --------------------------------------------------------------------------- discovery


@dataclass(frozen=True)
class TsConsumer:
    path: Path
    kind: Kind
    slug: str | None = None
    """The backend a ``backends/<slug>/frontend/src/types.ts`` belongs to."""

    @property
    def templated(self) -> bool:
        return self.path.name.endswith(".jinja")


@dataclass(frozen=True)
class Consumers:
    python: tuple[PyConsumer, ...]
    typescript: tuple[TsConsumer, ...]
    missing_external: tuple[Path, ...] = field(default=())


def _template_files(root: Path, names: tuple[str, ...]) -> list[Path]:
    templates = root / "templates"
    if not templates.is_dir():
        return []
    return [path for path in _walk(templates) if path.name in names]


def discover(root: Path, also: tuple[Path, ...] = ()) -> Consumers:
    """Every consumer of the contract in ``root``, plus the external checkouts ``also``."""
    python: list[PyConsumer] = []
    for member in workspace_members(root):
        if member == (root / SHARED_DIR).resolve():
            continue
        consumer = scan_pyproject(member / "pyproject.toml", "member")
        if consumer is not None:
            python.append(consumer)
    for path in _template_files(root, ("pyproject.toml", "pyproject.toml.jinja")):
        consumer = scan_pyproject(path, "template")
        if consumer is not None:
            python.append(consumer)

    typescript = [
        TsConsumer(path=path.resolve(), kind="member", slug=path.parents[2].name)
        for path in sorted(root.glob("backends/*/frontend/src/types.ts"))
    ]
    typescript += [
        TsConsumer(path=path.resolve(), kind="template")
        for path in _template_files(root, ("types.ts", "types.ts.jinja"))
        if path.parent.name == "src" and path.parent.parent.name == "frontend"
    ]

    missing: list[Path] = []
    for external in (*load_config(root).also, *(path.resolve() for path in also)):
        if not external.exists():
            missing.append(external)
            continue
        files = [external] if external.is_file() else list(_walk(external))
        for path in files:
            if path.name == "pyproject.toml":
                consumer = scan_pyproject(path, "external")
                if consumer is not None:
                    python.append(consumer)
            elif path.suffix == ".ts" and (
                path == external or MARKER_RE.search(path.read_text(encoding="utf-8"))
            ):
                typescript.append(TsConsumer(path=path.resolve(), kind="external"))
    unique_py = {consumer.path.resolve(): consumer for consumer in python}
    unique_ts = {consumer.path: consumer for consumer in typescript}
    return Consumers(
        python=tuple(unique_py.values()),
        typescript=tuple(unique_ts.values()),
        missing_external=tuple(missing),
    )

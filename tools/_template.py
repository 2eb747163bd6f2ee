"""The copier template for new backends: slug rules, scaffolding, registration, updates.

Used by ``tools/new_backend.py`` (``nox -s new_backend``, ``nox -s update_backend``) and its
tests. Everything takes the repository root as an argument, so the tests can run it against
a temporary copy of the repository.

* The template is ``templates/_template``; its copier configuration is ``copier.yml`` at the
  repository root with ``_subdirectory: templates/_template``, because copier can only
  *update* a project from a template that is the root of a git repository.
* A backend is rendered into ``backends/<slug>/`` with copier run from that folder and the
  template source ``../..``: the answers file records ``_src_path: ../..``, a path that
  stays true in every clone, and ``_commit``, the template's commit. Copier is given the
  commit itself (``--vcs-ref <sha>``), never ``HEAD``: with ``HEAD`` it would fold
  uncommitted changes of the whole repository into a throw-away commit and record that,
  and a later update could not find it. Hence an uncommitted template is refused.
* Registration: the root virtual project installs only what its dev group names, so
  ``uv run purelms run <slug>`` needs the new package there (with a ``[tool.uv.sources]``
  workspace entry), and ruff needs its module among the first-party ones. ``register``
  does both with tomlkit (comments and layout survive) and re-locks.
* Updates: ``copier update`` renders the template at the recorded commit and at the new
  one with the same answers and merges the difference into the backend (3-way; a clash is
  left as inline conflict markers), so the backend's own edits survive.
"""

from __future__ import annotations

import keyword
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import tomlkit
import yaml
from packaging.utils import canonicalize_name
from tomlkit.items import Whitespace

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from _workspace import discover, shared_version, shown, workspace_members

COPIER_CONFIG: Final = Path("copier.yml")
TEMPLATE_DIR: Final = Path("templates/_template")
ANSWERS_FILE: Final = ".copier-answers.yml"
SRC_FROM_BACKEND: Final = "../.."
"""The template source as the answers file records it: the repository root, seen from
``backends/<slug>/``."""

SLUG_PATTERN: Final = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
SLUG_RE: Final = re.compile(SLUG_PATTERN)
SLUG_LENGTH: Final = (2, 40)
PROJECT_RESERVED: Final = frozenset(
    {
        "backend",  # every backend's folders: backends/<slug>/backend, /frontend
        "check",  # `purelms manifest check` is the command, `purelms manifest <slug>` a backend
        "frontend",
        "harness",  # purelms-harness, the workspace package
        "purelms",  # purelms-purelms, purelms_purelms
        "runtime",  # purelms-runtime, the workspace package
        "shared",  # purelms-shared, the wire contract
        "sweep",  # purelms-sweep, the workspace package
        "template",  # the template itself
        "templates",
        "test",  # test_test_backend.py, a test module named like pytest's own folders
        "tests",
    }
)
KEYWORDS: Final = frozenset(
    word
    for word in (*keyword.kwlist, *keyword.softkwlist, "type")
    if word.islower() and len(word) >= SLUG_LENGTH[0]
)
"""Python keywords (and soft keywords, ``type`` included): not an identifier anywhere."""
RESERVED: Final = PROJECT_RESERVED | KEYWORDS

CONFLICT_MARKERS: Final = ("<<<<<<< before updating", ">>>>>>> after updating")


class TemplateError(Exception):
    """A problem the user must fix; the message says what, and nothing was written."""


@dataclass(frozen=True)
class Names:
    """Every name a backend derives from its slug."""

    slug: str

    @property
    def package(self) -> str:
        return "purelms-" + self.slug.replace("_", "-")

    @property
    def module(self) -> str:
        return f"purelms_{self.slug}"

    @property
    def class_prefix(self) -> str:
        return "".join(part.capitalize() for part in self.slug.split("_"))

    @property
    def image(self) -> str:
        """The image name the platform derives (``purelms-itask-<slug with ->``)."""
        return f"purelms-itask-{self.slug.replace('_', '-')}"

    @property
    def bundle(self) -> str:
        return f"dist/{self.slug}.js"

    def directory(self, root: Path) -> Path:
        return root / "backends" / self.slug


def slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot name a backend (one line), or None when it can.

    The same rules, in the same order and words, are the ``slug`` validator of
    ``copier.yml`` (for ``copier copy`` used directly); a test keeps them in agreement.
    """
    shown_slug = f'"{slug}"'
    low, high = SLUG_LENGTH
    if not low <= len(slug) <= high:
        return f"slug {shown_slug} must be {low} to {high} characters long"
    if not re.match(r"^[a-z]", slug):
        return f"slug {shown_slug} must start with a lowercase letter"
    if not SLUG_RE.match(slug):
        return (
            f"slug {shown_slug} may hold only lowercase letters, digits and single "
            "underscores between them"
        )
    if slug in RESERVED:
        return (
            f"slug {shown_slug} is reserved (a workspace package, a folder of every backend, "
            "a purelms command word or a Python keyword)"
        )
    return None


def check_new_slug(root: Path, slug: str) -> Names:
    """The names of a new backend ``slug``; TemplateError when it cannot be created here."""
    problem = slug_problem(slug)
    if problem:
        raise TemplateError(problem)
    names = Names(slug)
    directory = names.directory(root)
    if directory.exists() or directory.is_symlink():
        raise TemplateError(f"backends/{slug} already exists; choose another slug")
    taken = {_project_name(member) for member in workspace_members(root)}
    if canonicalize_name(names.package) in taken:
        raise TemplateError(
            f"slug {slug!r}: the workspace already has a package named {names.package}"
        )
    return names


def _project_name(member: Path) -> str:
    data = tomllib.loads((member / "pyproject.toml").read_text(encoding="utf-8"))
    return canonicalize_name(str(data.get("project", {}).get("name", "")))


# --------------------------------------------------------------------------- git


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise TemplateError(f"`git {' '.join(args)}` failed in {root}: {result.stderr.strip()}")
    return result.stdout


def head_commit(root: Path) -> str:
    """The full hash of HEAD; TemplateError outside a git checkout."""
    if not (root / ".git").exists():
        raise TemplateError(
            f"{root} is not a git checkout: the template is versioned by its commits "
            "(copier records the one a backend was made from)"
        )
    return _git(root, "rev-parse", "HEAD").strip()


def uncommitted(root: Path, *paths: str) -> list[str]:
    """Paths under ``paths`` that differ from HEAD (modified, staged, untracked)."""
    out = _git(root, "status", "--porcelain", "--untracked-files=all", "-z", "--", *paths)
    return sorted({entry[3:] for entry in out.split("\0") if entry})


def require_committed_template(root: Path) -> str:
    """HEAD's hash, after making sure the template at HEAD is the template on disk."""
    commit = head_commit(root)
    dirty = uncommitted(root, COPIER_CONFIG.as_posix(), TEMPLATE_DIR.as_posix())
    if dirty:
        listed = ", ".join(dirty[:5]) + (", ..." if len(dirty) > 5 else "")
        raise TemplateError(
            f"the template has uncommitted changes ({listed}); commit them first: a backend "
            "records the template commit it was made from, so that `nox -s update_backend` "
            "can merge later template changes"
        )
    return commit


# --------------------------------------------------------------------------- floors


def template_floor_problem(root: Path) -> str | None:
    """Why the template's purelms-shared floor is not the current version, or None.

    The floor is a literal in ``backend/pyproject.toml.jinja`` that ``lockstep_bump`` moves
    with every other consumer, so a backend scaffolded now starts in lockstep.
    """
    version = shared_version(root)
    template = (root / TEMPLATE_DIR).resolve()
    floors = [
        floor
        for consumer in discover(root).python
        if consumer.kind == "template" and consumer.path.is_relative_to(template)
        for floor in consumer.floors
    ]
    if not floors:
        return (
            f"{TEMPLATE_DIR}/backend/pyproject.toml.jinja names no purelms-shared floor "
            f'(expected "purelms-shared>={version}")'
        )
    for floor in floors:
        if floor.floor != version:
            return (
                f"{shown(floor.path, root)}:{floor.line}: the template's floor "
                f"{floor.requirement!r} is not purelms-shared {version}; run "
                "`nox -s lockstep_check -- --fix` first"
            )
    return None


# --------------------------------------------------------------------------- copier


def answers_for(
    slug: str,
    *,
    name: str | None = None,
    description: str | None = None,
    author: str | None = None,
    version: str | None = None,
    timeout_seconds: int | None = None,
) -> dict[str, Any]:
    """The copier answers given on the command line; the template's defaults fill the rest."""
    given: dict[str, Any] = {
        "slug": slug,
        "name": name,
        "description": description,
        "author": author,
        "version": version,
        "timeout_seconds": timeout_seconds,
    }
    return {key: value for key, value in given.items() if value is not None}


VERSION_RE: Final = re.compile(r"^(0|[1-9][0-9]*)[.](0|[1-9][0-9]*)[.](0|[1-9][0-9]*)$")
_TEXT_LIMITS: Final = {"name": ("display name", 80), "description": ("description", 300)}


def answers_problem(answers: Mapping[str, Any]) -> str | None:
    """Why the answers other than the slug would fail copier.yml's validators, or None."""
    for key, (what, limit) in _TEXT_LIMITS.items():
        value = answers.get(key)
        if value is None:
            continue
        if not str(value).strip():
            return f"the {what} must not be empty"
        if "\n" in str(value) or "\r" in str(value):
            return f"the {what} must be one line"
        if len(str(value)) > limit:
            return f"the {what} must be at most {limit} characters"
    author = answers.get("author")
    if author is not None and ("\n" in author or "\r" in author or len(author) > 100):
        return "the author must be one line of at most 100 characters"
    version = answers.get("version")
    if version is not None and not VERSION_RE.match(str(version)):
        return f'version "{version}" must be X.Y.Z (for example 0.1.0)'
    timeout = answers.get("timeout_seconds")
    if timeout is not None and not 1 <= int(timeout) <= 86400:
        return "the timeout must be between 1 and 86400 seconds"
    return None


#: copier commits only in its own temporary repositories (the template clone, the old and
#: new renders of an update); on a machine without a git identity those commits need one.
_GIT_IDENTITY: Final = {
    "GIT_AUTHOR_NAME": "copier",
    "GIT_AUTHOR_EMAIL": "copier@localhost",
    "GIT_COMMITTER_NAME": "copier",
    "GIT_COMMITTER_EMAIL": "copier@localhost",
}


def _copier(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "copier", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**_GIT_IDENTITY, **os.environ, "NO_COLOR": "1"},
    )


def _copier_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    return "\n".join(lines[-15:]) or f"copier exited {result.returncode}"


def render(root: Path, destination: Path, answers: Mapping[str, Any], commit: str) -> None:
    """Render the template at ``commit`` of ``root`` into ``destination`` (created, empty).

    ``destination`` should be ``backends/<slug>`` of ``root`` for a real backend (the
    answers file then records ``_src_path: ../..``); elsewhere, the source is recorded as
    the absolute path of ``root``. On failure ``destination`` is removed.
    """
    destination.mkdir(parents=True)
    try:
        inside = destination.resolve().parent.parent == root.resolve()
        source = SRC_FROM_BACKEND if inside else str(root.resolve())
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as handle:
            yaml.safe_dump(dict(answers), handle)
            data_file = Path(handle.name)
        try:
            args = ["copy", "--defaults", "--quiet", "--vcs-ref", commit]
            result = _copier([*args, "--data-file", str(data_file), source, "."], destination)
        finally:
            data_file.unlink()
        if result.returncode != 0:
            raise TemplateError(f"copier could not render the template:\n{_copier_error(result)}")
    except BaseException:
        shutil.rmtree(destination, ignore_errors=True)
        raise


# --------------------------------------------------------------------------- registration


def registration_text(root: Path, names: Names) -> str:
    """The root pyproject with the backend in the dev group, the uv sources and ruff's isort."""
    path = root / "pyproject.toml"
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    sources = doc["tool"]["uv"].setdefault("sources", tomlkit.table())
    if names.package not in sources:
        body = sources.value.body
        blank_after = bool(body) and body[-1][0] is None and isinstance(body[-1][1], Whitespace)
        sources[names.package] = tomlkit.parse("x = { workspace = true }")["x"]
        if blank_after:  # tomlkit puts the new key after the blank line, then drops it
            sources.add(tomlkit.nl())
    dev = doc.setdefault("dependency-groups", tomlkit.table()).setdefault("dev", tomlkit.array())
    listed = [
        canonicalize_name(re.split(r"[\[<>=!~;\s]", str(item), maxsplit=1)[0]) for item in dev
    ]
    if canonicalize_name(names.package) not in listed:
        workspace = {canonicalize_name(str(key)) for key in sources}
        after = max((i for i, item in enumerate(listed) if item in workspace), default=-1)
        dev.insert(after + 1, names.package)
    isort = doc["tool"].setdefault("ruff", tomlkit.table())
    isort = isort.setdefault("lint", tomlkit.table()).setdefault("isort", tomlkit.table())
    first_party = isort.setdefault("known-first-party", tomlkit.array())
    if names.module not in first_party:
        first_party.append(names.module)
    return tomlkit.dumps(doc)


def uv() -> str:
    found = shutil.which("uv")
    if found is None:
        raise TemplateError("uv is not on PATH (`python -m pip install uv`)")
    return found


def relock(root: Path) -> bool:
    """``uv lock`` in ``root``; whether uv.lock changed."""
    lock = root / "uv.lock"
    before = lock.read_bytes() if lock.is_file() else b""
    result = subprocess.run(
        [uv(), "lock", "--quiet"], cwd=root, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise TemplateError(f"`uv lock` failed in {root}:\n{result.stderr.strip()}")
    return lock.read_bytes() != before


def register(root: Path, slug: str) -> list[Path]:
    """Add backends/<slug> to the root dev group, sources and ruff; re-lock. Files changed."""
    names = Names(slug)
    if not (names.directory(root) / "backend" / "pyproject.toml").is_file():
        raise TemplateError(f"backends/{slug}/backend/pyproject.toml does not exist")
    path = root / "pyproject.toml"
    changed: list[Path] = []
    text = registration_text(root, names)
    if text != path.read_text(encoding="utf-8"):
        path.write_text(text, encoding="utf-8")
        changed.append(path)
    if relock(root):
        changed.append(root / "uv.lock")
    return changed


# --------------------------------------------------------------------------- new backend


def scaffold(root: Path, answers: Mapping[str, Any], *, lock: bool = True) -> list[Path]:
    """Create ``backends/<slug>/`` and register it; return every file created or changed.

    Everything is checked before anything is written: the slug (format, reserved, already
    there), the template committed and its floor current.
    """
    slug = str(answers["slug"])
    names = check_new_slug(root, slug)
    problem = answers_problem(answers)
    if problem:
        raise TemplateError(problem)
    commit = require_committed_template(root)
    floor = template_floor_problem(root)
    if floor:
        raise TemplateError(floor)
    directory = names.directory(root)
    render(root, directory, answers, commit)
    created = sorted(path for path in directory.rglob("*") if path.is_file())
    if not lock:
        return created
    try:
        return created + register(root, slug)
    except TemplateError:
        print(
            f"new_backend: backends/{slug} was created but not registered; fix the problem "
            f"below, then run `python tools/new_backend.py --register {slug}`",
            file=sys.stderr,
        )
        raise


# --------------------------------------------------------------------------- update


@dataclass(frozen=True)
class UpdateResult:
    changed: list[str]
    """Paths (relative to the root) that differ from HEAD after the update."""
    conflicts: list[str]
    """Files left with inline conflict markers."""
    relocked: bool


def read_answers(directory: Path) -> dict[str, Any]:
    path = directory / ANSWERS_FILE
    if not path.is_file():
        raise TemplateError(
            f"{path.relative_to(directory.parent.parent)} is missing: the backend was not "
            "made from the template (or lost its answers file), so there is nothing to merge from"
        )
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "_commit" not in data or "_src_path" not in data:
        raise TemplateError(f"{path}: not a copier answers file with _commit and _src_path")
    return data


def update(root: Path, slug: str, *, ref: str | None = None) -> UpdateResult:
    """``copier update`` of ``backends/<slug>`` to the template at ``ref`` (default: HEAD)."""
    directory = Names(slug).directory(root)
    if not directory.is_dir():
        raise TemplateError(f"backends/{slug} does not exist")
    answers = read_answers(directory)
    head = require_committed_template(root)
    commit = _git(root, "rev-parse", "--verify", f"{ref}^{{commit}}").strip() if ref else head
    relative = directory.relative_to(root).as_posix()
    dirty = uncommitted(root, relative)
    if dirty:
        raise TemplateError(
            f"backends/{slug} has uncommitted changes ({', '.join(dirty[:5])}); commit them "
            "first, so the update's merge can be reviewed and undone"
        )
    source = str(answers["_src_path"])
    if (directory / source).resolve() == root.resolve():
        cwd, destination = directory, "."
    elif (root / source).resolve() == root.resolve():
        cwd, destination = root, relative
    else:
        raise TemplateError(
            f"{relative}/{ANSWERS_FILE}: _src_path {source!r} does not lead to this repository "
            f"(expected {SRC_FROM_BACKEND!r})"
        )
    args = ["update", "--defaults", "--quiet", "--conflict", "inline", "--vcs-ref", commit]
    result = _copier([*args, destination], cwd)
    if result.returncode != 0:
        raise TemplateError(f"copier update failed:\n{_copier_error(result)}")
    changed = uncommitted(root, relative)
    answers_path = f"{relative}/{ANSWERS_FILE}"
    if changed == [answers_path] and _only_commit_moved(root, answers_path):
        # No template change reached the backend: keep the recorded commit, no churn.
        _git(root, "checkout", "--", answers_path)
        changed = []
    relocked = f"{relative}/backend/pyproject.toml" in changed and relock(root)
    conflicts = [
        name for name in changed if (root / name).is_file() and _has_conflict_markers(root / name)
    ]
    return UpdateResult(changed=changed, conflicts=conflicts, relocked=relocked)


def _only_commit_moved(root: Path, answers_path: str) -> bool:
    """Whether the answers file differs from HEAD's in ``_commit`` alone."""
    before = yaml.safe_load(_git(root, "show", f"HEAD:{answers_path}"))
    after = yaml.safe_load((root / answers_path).read_text(encoding="utf-8"))
    if not isinstance(before, dict) or not isinstance(after, dict):
        return False
    before.pop("_commit", None)
    after.pop("_commit", None)
    return bool(before == after)


def _has_conflict_markers(path: Path) -> bool:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        return False
    return any(line.rstrip() in CONFLICT_MARKERS for line in lines)

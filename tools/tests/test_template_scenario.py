"""A backend author's first minutes, in a temporary copy of this repository.

``tools/new_backend.py demo_backend`` runs in the copy exactly as ``nox -s new_backend``
runs it; then, with nothing registered by hand, the untouched backend

* is what was promised: its files, the root dev group, ``[tool.uv.sources]``, ruff's
  first-party modules and ``uv.lock`` name it, and its floor is the current version;
* passes its own tests, and ruff and ``mypy --strict``, in the copy's own environment
  (``uv run --locked``, created from the copy's lock);
* appears in ``purelms list`` and runs under ``purelms run demo_backend`` with success;
* passes ``lockstep_check`` and every ``wire_sync`` check (its types.ts against its
  manifest, by tsc);
* builds its frontend bundle and passes its unit tests (npm ci, tsc, esbuild, node --test);
* moves with ``lockstep_bump``: its floor and its TypeScript contract marker.

The image build and smoke run is ``test_template_images.py`` (it needs a container engine).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1]
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import lockstep  # noqa: E402
import wire_sync  # noqa: E402
from _template_testing import run_in, scaffolded_copy, uv_run  # noqa: E402
from _testing import changed_files, clone, git  # noqa: E402
from _workspace import shared_version  # noqa: E402

pytestmark = pytest.mark.timeout(900)

SLUG = "demo_backend"
BACKEND = f"backends/{SLUG}"
EXPECTED_FILES = {
    f"{BACKEND}/{name}"
    for name in (
        ".copier-answers.yml",
        "Containerfile",
        "interactive_task.yaml",
        "backend/README.md",
        "backend/pyproject.toml",
        "backend/src/purelms_demo_backend/__init__.py",
        "backend/src/purelms_demo_backend/__main__.py",
        "backend/src/purelms_demo_backend/_demo_backend.py",
        "backend/src/purelms_demo_backend/py.typed",
        "backend/tests/test_demo_backend_backend.py",
        "frontend/build.mjs",
        "frontend/package-lock.json",
        "frontend/package.json",
        "frontend/tsconfig.json",
        "frontend/src/index.ts",
        "frontend/src/types.ts",
        "frontend/test/demo_backend.test.ts",
    )
}


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return scaffolded_copy(
        tmp_path_factory.mktemp("scenario"),
        SLUG,
        "--name",
        "Demo backend",
        "--description",
        'A "demo" backend: <made> by the template tests.',
        "--author",
        "Template tests",
    )


@pytest.fixture(scope="module")
def root(scaffolded: tuple[Path, str]) -> Path:
    return scaffolded[0]


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_new_backend_creates_the_backend_and_registers_it(scaffolded: tuple[Path, str]) -> None:
    root, printed = scaffolded
    committed = set(git(root, "show", "--name-only", "--format=", "HEAD").split())
    assert committed == EXPECTED_FILES | {"pyproject.toml", "uv.lock"}
    listed = set(re.findall(r"^  (\S+)$", printed, re.MULTILINE))
    assert listed == EXPECTED_FILES | {"pyproject.toml", "uv.lock"}, printed

    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert "purelms-demo-backend" in data["dependency-groups"]["dev"]
    assert data["tool"]["uv"]["sources"]["purelms-demo-backend"] == {"workspace": True}
    assert "purelms_demo_backend" in data["tool"]["ruff"]["lint"]["isort"]["known-first-party"]
    assert '\nname = "purelms-demo-backend"\nversion = "0.1.0"\n' in (root / "uv.lock").read_text()

    project = tomllib.loads((root / BACKEND / "backend/pyproject.toml").read_text())["project"]
    assert project["name"] == "purelms-demo-backend"
    assert project["description"] == 'A "demo" backend: <made> by the template tests.'
    assert project["authors"] == [{"name": "Template tests"}]
    assert f"purelms-shared>={shared_version(root)}" in project["dependencies"]


def test_its_own_tests_pass(root: Path) -> None:
    out = _ok(uv_run(root, "pytest", "-q", "-p", "no:cacheprovider", BACKEND))
    assert "7 passed" in out, out


def test_purelms_lists_it_and_runs_it_with_success(root: Path) -> None:
    listed = _ok(uv_run(root, "purelms", "list"))
    assert SLUG in listed
    assert (
        _ok(uv_run(root, "purelms", "manifest", SLUG))
        .strip()
        .endswith("the tables of README.md agree with purelms_demo_backend and pyproject.toml")
    )
    checked = _ok(uv_run(root, "purelms", "manifest", "check"))
    assert f"backends/{SLUG}/interactive_task.yaml: installable (slug {SLUG})" in checked
    out = _ok(uv_run(root, "purelms", "run", SLUG, "--quiet"))
    assert "status: success" in out, out
    assert re.search(r"Remaining amount.*25", out), out
    assert "outcome: passed yes, score -, completion 1.00" in out


def test_it_passes_ruff_and_mypy_strict(root: Path) -> None:
    _ok(uv_run(root, "ruff", "check", BACKEND))
    _ok(uv_run(root, "ruff", "format", "--check", BACKEND))
    _ok(uv_run(root, "mypy", "--strict", "-p", "purelms_demo_backend"))


def test_lockstep_check_and_wire_sync_pass(root: Path) -> None:
    problems = lockstep.check(root)
    assert not problems, "\n".join(p.render(root) for p in problems)
    state = wire_sync.State(root)
    assert SLUG in {consumer.slug for consumer in state.consumers}
    # In the copy's own environment: check 4 reads the backends' output models.
    _ok(uv_run(root, "python", "tools/wire_sync.py", "check"))


def test_its_frontend_builds_and_passes_its_tests(root: Path) -> None:
    frontend = root / BACKEND / "frontend"
    for command in (["ci", "--no-audit", "--no-fund"], ["run", "typecheck"], ["run", "build"]):
        _ok(run_in(root, "npm", *command, cwd=frontend))
    assert (frontend / "dist" / f"{SLUG}.js").is_file()
    tests = run_in(root, "npm", "test", cwd=frontend)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert re.search(r"^# fail 0$", tests.stdout, re.MULTILINE), tests.stdout
    assert changed_files(root) == set(), "npm ci must not rewrite package-lock.json"


def test_lockstep_bump_moves_its_floor_and_its_types(root: Path, tmp_path: Path) -> None:
    repo = clone(root, tmp_path / "repo")
    old = shared_version(repo)
    # In the copy's own environment: the check after the bump reads the output models.
    result = uv_run(repo, "python", "tools/lockstep.py", "bump", "patch", timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    new = shared_version(repo)
    assert new != old
    changed = changed_files(repo)
    expected = {
        f"{BACKEND}/backend/pyproject.toml",
        f"{BACKEND}/frontend/src/types.ts",
        "templates/_template/backend/pyproject.toml.jinja",
        "templates/_template/frontend/src/types.ts.jinja",
    }
    assert expected <= changed, changed
    assert f'"purelms-shared>={new}"' in (repo / BACKEND / "backend/pyproject.toml").read_text()
    types = (repo / BACKEND / "frontend/src/types.ts").read_text()
    assert types.startswith(f"// purelms-shared contract: {new} sha256:")

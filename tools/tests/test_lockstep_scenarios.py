"""The contract maintainer's job, end to end, in temporary copies of this repository.

Each scenario starts from a fresh copy (see ``tools/_testing.py``) whose git status is
clean, runs the tools' entry points against it (``--root``) rather than nested nox, and
asserts on the files git sees changed and on the problems the checks name:

1. an optional envelope field and a RunStatus value, then ``bump minor``: every consumer
   moves, every check passes, and ``git status`` lists exactly the expected files;
2. the same change without the bump: lockstep_check and wire_sync name every stale file;
3. a union member dropped by hand in one TypeScript consumer: wire_sync names it;
4. one floor lowered by hand: lockstep_check names its file and line;
5. the README's workflow for the case of issue 20 (``note: str = ""`` added to
   ``Message``): lockstep_check names the places, the bump writes them, a second bump
   (a rerun after a failure) bumps nothing twice, and the contract's own tests pass in
   the copy without an edit, with ids naming the new field.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1]
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import lockstep  # noqa: E402
import wire_sync  # noqa: E402
from _testing import changed_files, clone, copy_repository  # noqa: E402
from _workspace import (  # noqa: E402
    SCHEMA_DIR,
    SHARED_PYPROJECT,
    WIRE_MODULE,
    shared_version,
    shown,
)

REPO = TOOLS.parent
pytestmark = pytest.mark.timeout(600)

SHARED_SRC = "packages/purelms-shared/src/purelms_shared"
EDITED = {f"{SHARED_SRC}/_envelopes.py", f"{SHARED_SRC}/_constants.py"}


def _posix(path: Path) -> str:
    return path.as_posix()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_repository(REPO, tmp_path_factory.mktemp("pristine"), lockstep._uv())
    problems = lockstep.check(root) + wire_sync.check_all(wire_sync.State(root))
    assert not problems, "the repository itself fails the checks:\n" + "\n".join(
        p.render(root) for p in problems
    )
    return root


@pytest.fixture
def repo(pristine: Path, tmp_path: Path) -> Path:
    return clone(pristine, tmp_path / "repo")


def change_contract(root: Path) -> None:
    """An additive change: an optional output-envelope field and a new RunStatus value."""
    envelopes = root / SHARED_SRC / "_envelopes.py"
    text = envelopes.read_text()
    anchor = "    runtime_seconds: NonNegativeFloat = 0.0\n"
    assert text.count(anchor) == 1
    envelopes.write_text(
        text.replace(anchor, anchor + "    queue_seconds: NonNegativeFloat | None = None\n")
    )
    constants = root / SHARED_SRC / "_constants.py"
    text = constants.read_text()
    anchor = '    PENDING = "pending"\n'
    assert text.count(anchor) == 1
    constants.write_text(text.replace(anchor, anchor + '    QUEUED = "queued"\n'))


def run_tool(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOLS / args[0]), "--root", str(root), *args[1:]],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def consumer_pyprojects(root: Path) -> set[str]:
    """Every pyproject that must carry a floor, found by glob (not by the tool under test)."""
    paths = [*root.glob("backends/*/backend/pyproject.toml")]
    paths += [
        path
        for path in root.glob("packages/*/pyproject.toml")
        if path.parent.name != "purelms-shared" and "purelms-shared>=" in path.read_text()
    ]
    paths += [
        path
        for pattern in ("pyproject.toml", "pyproject.toml.jinja")
        for path in root.glob(f"templates/**/{pattern}")
        if "purelms-shared" in path.read_text()
    ]
    return {_posix(p.relative_to(root)) for p in paths}


def typescript_consumers(root: Path) -> set[str]:
    paths = [*root.glob("backends/*/frontend/src/types.ts")]
    paths += root.glob("templates/**/frontend/src/types.ts.jinja")
    return {_posix(p.relative_to(root)) for p in paths}


def test_bump_minor_moves_every_consumer(repo: Path) -> None:
    old = shared_version(repo)
    new = lockstep.next_version(old, "minor")
    change_contract(repo)
    result = run_tool(repo, "lockstep.py", "bump", "minor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"purelms-shared {old} -> {new}" in result.stdout

    expected = (
        EDITED
        | consumer_pyprojects(repo)
        | typescript_consumers(repo)
        | {
            _posix(SHARED_PYPROJECT),
            _posix(SCHEMA_DIR / "SimulationOutputEnvelope.json"),
            _posix(WIRE_MODULE),
            "uv.lock",
        }
    )
    assert changed_files(repo) == expected
    printed = set(re.findall(r"^  (\S+)$", result.stdout, re.MULTILINE))
    assert printed == expected - EDITED, result.stdout

    assert f'version = "{new}"' in (repo / SHARED_PYPROJECT).read_text()
    for name in consumer_pyprojects(repo):
        text = (repo / name).read_text()
        assert f'"purelms-shared>={new}"' in text, name
        assert f">={old}" not in text, name
        # tomlkit edits the one string: comments and layout survive.
        numstat = subprocess.run(
            ["git", "diff", "--numstat", "--", name], cwd=repo, capture_output=True, text=True
        ).stdout.split()
        assert numstat[:2] == ["1", "1"], (name, numstat)
    for name in [*typescript_consumers(repo), _posix(WIRE_MODULE)]:
        text = (repo / name).read_text()
        assert text.startswith(f"// purelms-shared contract: {new} sha256:"), name
        assert '  | "queued"\n' in text, name
        assert "  queue_seconds?: number | null;\n" in text, name
    assert f'name = "purelms-shared"\nversion = "{new}"' in (repo / "uv.lock").read_text()

    problems = lockstep.check(repo) + wire_sync.check_all(wire_sync.State(repo))
    assert not problems, "\n".join(p.render(repo) for p in problems)

    # The contract package's own schema-drift test agrees, run against the copy's source.
    drift = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "packages/purelms-shared/tests/test_shared_schema_drift.py",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo / "packages/purelms-shared/src")},
        check=False,
        timeout=300,
    )
    assert drift.returncode == 0, drift.stdout + drift.stderr


def test_change_without_bump_names_every_stale_file(repo: Path) -> None:
    change_contract(repo)
    stale = {
        _posix(SCHEMA_DIR / "SimulationOutputEnvelope.json"),
        _posix(WIRE_MODULE),
        *typescript_consumers(repo),
    }

    check = run_tool(repo, "lockstep.py", "check")
    assert check.returncode == 1
    for name in stale:
        assert re.search(rf"^{re.escape(name)}(:\d+)?: ", check.stderr, re.MULTILINE), (
            name,
            check.stderr,
        )
    assert "needs a new version" in check.stderr
    assert "fix: `nox -s lockstep_bump -- minor`" in check.stderr

    sync = run_tool(repo, "wire_sync.py", "check")
    assert sync.returncode == 1
    for name in stale:
        assert re.search(rf"^{re.escape(name)}(:\d+)?: ", sync.stderr, re.MULTILINE), name
    for name in [*typescript_consumers(repo), _posix(WIRE_MODULE)]:
        assert f"{name}:" in sync.stderr
        assert "RunStatus lacks 'queued'" in sync.stderr
    # Every problem line carries its fix.
    problems = [line for line in sync.stderr.splitlines() if re.match(r"^\S+: ", line)]
    fixes = [line for line in sync.stderr.splitlines() if line.startswith("    fix: `")]
    assert len(problems) == len(fixes) > 0

    # Regenerating without the bump is refused: the change needs a new version.
    refused = run_tool(repo, "wire_sync.py", "write")
    assert refused.returncode == 1
    assert "needs a new version" in refused.stderr
    assert changed_files(repo) == EDITED


def test_dropped_union_member_fails_wire_sync(repo: Path) -> None:
    consumer = repo / "backends/echo/frontend/src/types.ts"
    text = consumer.read_text()
    assert text.count('  | "timed_out";\n') == 1
    consumer.write_text(text.replace('  | "cancelled"\n  | "timed_out";\n', '  | "cancelled";\n'))

    problems = wire_sync.check_all(wire_sync.State(repo))
    name = shown(consumer, repo)
    rendered = [p.render(repo) for p in problems]
    assert problems, "a dropped union member must fail"
    assert {shown(p.path, repo) for p in problems} == {name}, rendered
    assert any(p.check == "enums" and "RunStatus lacks 'timed_out'" in p.message for p in problems)
    assert any(p.check == "types" and '"timed_out"' in p.message for p in problems), rendered
    assert all(p.fix for p in problems)
    # lockstep_check is about versions: the marker still says the right one.
    assert lockstep.check(repo) == []

    result = run_tool(repo, "wire_sync.py", "check")
    assert result.returncode == 1
    assert f"{name}:" in result.stderr
    assert "timed_out" in result.stderr


def test_lowered_floor_fails_lockstep_check(repo: Path) -> None:
    version = shared_version(repo)
    pyproject = repo / "backends/echo/backend/pyproject.toml"
    text = pyproject.read_text()
    floor = f'"purelms-shared>={version}"'
    assert text.count(floor) == 1
    pyproject.write_text(text.replace(floor, '"purelms-shared>=0.5.0"'))
    line = 1 + text[: text.index(floor)].count("\n")

    result = run_tool(repo, "lockstep.py", "check")
    assert result.returncode == 1
    assert (
        f"backends/echo/backend/pyproject.toml:{line}: [project.dependencies] floor "
        f"'purelms-shared>=0.5.0' differs from purelms-shared {version}" in result.stderr
    ), result.stderr
    assert "fix: `nox -s lockstep_check -- --fix`" in result.stderr
    assert result.stderr.count("    fix: ") == 1, result.stderr

    fixed = run_tool(repo, "lockstep.py", "check", "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert changed_files(repo) == set()


def add_message_note(root: Path) -> None:
    """The additive field of issue 20: ``Message.note``, optional, default ``""``."""
    envelopes = root / SHARED_SRC / "_envelopes.py"
    text = envelopes.read_text()
    anchor = '    code: StrictText = ""\n'
    assert text.count(anchor) == 1
    envelopes.write_text(text.replace(anchor, anchor + '    note: str = ""\n'))


CONTRACT_TESTS = [
    f"packages/purelms-shared/tests/{name}"
    for name in (
        "test_shared_models.py",
        "test_shared_schema_drift.py",
        "test_shared_fixture_corpus.py",
    )
]


def test_an_additive_field_ships_with_one_bump_and_no_test_edit(repo: Path) -> None:
    old = shared_version(repo)
    new = lockstep.next_version(old, "minor")
    add_message_note(repo)

    check = run_tool(repo, "lockstep.py", "check")
    assert check.returncode == 1
    assert "needs a new version" in check.stderr
    assert f"{_posix(WIRE_MODULE)}:" in check.stderr

    first = run_tool(repo, "lockstep.py", "bump", "minor")
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"purelms-shared {old} -> {new}" in first.stdout
    assert "next, the tests: `uv run --locked nox -s tests`" in first.stdout
    written = changed_files(repo)
    assert _posix(SHARED_PYPROJECT) in written
    assert _posix(SCHEMA_DIR / "SimulationOutputEnvelope.json") in written

    # Its tests failed, say, and the maintainer runs the same command again: same version.
    again = run_tool(repo, "lockstep.py", "bump", "minor")
    assert again.returncode == 0, again.stdout + again.stderr
    assert (
        f"purelms-shared {new} is already written here but not committed (the bump from "
        f"{old}); nothing is bumped twice" in again.stdout
    )
    assert "lockstep: 0 file(s) changed:" in again.stdout
    assert shared_version(repo) == new
    assert changed_files(repo) == written

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", *CONTRACT_TESTS],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(repo / "packages/purelms-shared/src")},
        check=False,
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr
    for test_id in (
        "test_default_is_the_designs[Message.note]",
        "test_omitted_field_takes_its_default[Message.note]",
    ):
        assert re.search(rf"::{re.escape(test_id)} PASSED", tests.stdout), test_id

"""Unit tests of tools/lockstep.py and tools/_workspace.py, and the parts of a bump the
scenarios do not reach: the copier template, external checkouts (``--also`` and
``lockstep.toml``), refusals that must write nothing, a stale uv.lock, and minimums."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1]
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import lockstep  # noqa: E402
import wire_sync  # noqa: E402
from _testing import changed_files, clone, copy_repository, git  # noqa: E402
from _workspace import (  # noqa: E402
    LockstepError,
    discover,
    marker_line,
    scan_pyproject,
    shared_version,
    with_floor,
)

REPO = TOOLS.parent
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_repository(REPO, tmp_path_factory.mktemp("pristine"), lockstep._uv())


@pytest.fixture
def repo(pristine: Path, tmp_path: Path) -> Path:
    return clone(pristine, tmp_path / "repo")


def _snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- versions


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("major", "1.0.0"),
        ("minor", "0.7.0"),
        ("patch", "0.6.1"),
        ("0.6.1", "0.6.1"),
        ("2.0.0", "2.0.0"),
    ],
)
def test_next_version(target: str, expected: str) -> None:
    assert lockstep.next_version("0.6.0", target) == expected


@pytest.mark.parametrize("target", ["0.6.0", "0.5.9", "0.1.0"])
def test_not_higher_is_refused(target: str) -> None:
    with pytest.raises(LockstepError, match=r"refusing .*already 0\.6\.0.*nothing was written"):
        lockstep.next_version("0.6.0", target)


@pytest.mark.parametrize("target", ["0.7", "v0.7.0", "0.7.0rc1", "minor2", ""])
def test_not_a_version_is_refused(target: str) -> None:
    with pytest.raises(LockstepError, match=r"neither X\.Y\.Z nor"):
        lockstep.next_version("0.6.0", target)


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        ("purelms-shared>=0.6.0", "purelms-shared>=0.7.0"),
        ("purelms-shared >= 0.6.0, <1", "purelms-shared >=0.7.0, <1"),
        ("purelms_shared[x]>=0.6.0; os_name == 'nt'", "purelms_shared[x]>=0.7.0; os_name == 'nt'"),
        ("purelms-shared", "purelms-shared>=0.7.0"),
        ("purelms-shared<1", "purelms-shared>=0.7.0,<1"),
        ("purelms-shared; os_name == 'nt'", "purelms-shared>=0.7.0; os_name == 'nt'"),
    ],
)  # fmt: skip
def test_with_floor(requirement: str, expected: str) -> None:
    assert with_floor(requirement, "0.7.0") == expected


# --------------------------------------------------------------------------- reruns


def _shared_only(root: Path, version: str, *, commit: bool) -> Path:
    """A checkout holding only purelms-shared's pyproject at ``version`` (committed or not)."""
    path = root / "packages/purelms-shared/pyproject.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[project]\nname = "purelms-shared"\nversion = "{version}"\n')
    if commit:
        git(root, "init", "--quiet")
        git(root, "add", "--all")
        git(root, "commit", "--quiet", "--message", "shared")
    return path


def _set_version(path: Path, version: str) -> None:
    path.write_text(path.read_text().replace('version = "0.8.0"', f'version = "{version}"'))


def test_a_clean_checkout_bumps_from_its_version(tmp_path: Path) -> None:
    _shared_only(tmp_path, "0.8.0", commit=True)
    plan = lockstep.plan_bump(tmp_path, "minor")
    assert (plan.current, plan.base, plan.version) == ("0.8.0", "0.8.0", "0.9.0")
    assert not plan.already_written
    assert plan.describe() == "purelms-shared 0.8.0 -> 0.9.0"


@pytest.mark.parametrize("target", ["minor", "0.9.0"])
def test_a_rerun_before_the_commit_bumps_nothing_twice(tmp_path: Path, target: str) -> None:
    path = _shared_only(tmp_path, "0.8.0", commit=True)
    _set_version(path, "0.9.0")  # the first run wrote 0.9.0; its tests failed; no commit
    plan = lockstep.plan_bump(tmp_path, target)
    assert plan.version == "0.9.0"
    assert plan.already_written
    assert "0.9.0 is already written here but not committed (the bump from 0.8.0)" in (
        plan.describe()
    )


def test_another_version_replaces_an_uncommitted_bump(tmp_path: Path) -> None:
    path = _shared_only(tmp_path, "0.8.0", commit=True)
    _set_version(path, "0.9.0")
    plan = lockstep.plan_bump(tmp_path, "1.0.0")
    assert plan.version == "1.0.0"
    assert not plan.already_written
    assert plan.describe() == (
        "purelms-shared 0.8.0 -> 1.0.0 (replacing the uncommitted 0.9.0 in the working tree)"
    )
    with pytest.raises(LockstepError, match=r"refusing 0\.8\.0: purelms-shared is already 0\.8\.0"):
        lockstep.plan_bump(tmp_path, "0.8.0")


def test_without_git_the_working_tree_counts(tmp_path: Path) -> None:
    _shared_only(tmp_path, "0.8.0", commit=False)
    assert lockstep.committed_version(tmp_path) is None
    assert lockstep.plan_bump(tmp_path, "patch").version == "0.8.1"


# --------------------------------------------------------------------------- pyproject

PYPROJECT = """\
[project]
name = "demo"
dependencies = [
    "pydantic>=2",
    "purelms-shared>=0.5.0",  # the wire contract
    # "purelms-shared>=0.1.0",  (commented out: not a requirement)
]

[project.optional-dependencies]
extra = ['purelms_shared[x] >= 0.6.0 ; python_version >= "3.11"']

[dependency-groups]
dev = [
    "pytest",
    "purelms-shared",
    { include-group = "other" },
]
other = ["purelms-shared>=0.6.0,<0.7"]

[tool.uv]
dev-dependencies = ["Purelms.Shared>=0.6.0"]
"""


def test_scan_finds_every_requirement_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    consumer = scan_pyproject(path, "member")
    assert consumer is not None
    found = [(f.line, f.where, f.floor) for f in consumer.floors]
    assert found == [
        (5, "project.dependencies", "0.5.0"),
        (10, "project.optional-dependencies.extra", "0.6.0"),
        (15, "dependency-groups.dev", None),
        (18, "dependency-groups.other", "0.6.0"),
        (21, "tool.uv.dev-dependencies", "0.6.0"),
    ]


def test_floor_problems_name_file_line_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    consumer = scan_pyproject(path, "member")
    assert consumer is not None
    problems = lockstep._floor_problems(tmp_path, [consumer], "0.6.0")
    assert [(p.line, p.fix) for p in problems] == [
        (5, lockstep.FIX_SYNC),
        (15, lockstep.FIX_SYNC),
    ]
    assert "floor 'purelms-shared>=0.5.0' differs from purelms-shared 0.6.0" in problems[0].message
    assert "has no floor" in problems[1].message


def test_floors_text_keeps_comments_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    consumer = scan_pyproject(path, "member")
    assert consumer is not None
    expected = (
        PYPROJECT.replace('"purelms-shared>=0.5.0"', '"purelms-shared>=0.6.1"')
        .replace(
            "'purelms_shared[x] >= 0.6.0 ; python_version >= \"3.11\"'",
            "'purelms_shared[x] >=0.6.1 ; python_version >= \"3.11\"'",
        )
        .replace('    "purelms-shared",\n', '    "purelms-shared>=0.6.1",\n')
        .replace('"purelms-shared>=0.6.0,<0.7"', '"purelms-shared>=0.6.1,<0.7"')
        .replace('"Purelms.Shared>=0.6.0"', '"Purelms.Shared>=0.6.1"')
    )
    assert lockstep.floors_text(consumer, "0.6.1") == expected
    ceiling = next(f for f in consumer.floors if f.where == "dependency-groups.other")
    assert ceiling.allows("0.6.1")
    assert not ceiling.allows("0.7.0")


def test_a_pyproject_without_the_contract_is_not_a_consumer(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\ndependencies = ["purelms-sharedx>=1"]\n')
    assert scan_pyproject(path, "member") is None


# --------------------------------------------------------------------------- refusals


def test_refused_bump_writes_nothing(repo: Path) -> None:
    before = _snapshot(repo)
    current = shared_version(repo)
    for target in (current, "0.0.1", "nonsense"):
        result = subprocess.run(
            [sys.executable, str(TOOLS / "lockstep.py"), "--root", str(repo), "bump", target],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 1
        assert result.stderr.startswith("lockstep: "), result.stderr
    assert "nothing was written" in result.stderr or "neither X.Y.Z" in result.stderr
    assert _snapshot(repo) == before


def test_bump_refuses_a_missing_external_or_an_excluding_ceiling(repo: Path) -> None:
    before = _snapshot(repo)
    with pytest.raises(LockstepError, match=r"not found: .*nothing was written"):
        lockstep.bump(repo, "patch", (repo.parent / "no-such-checkout",))
    echo = repo / "backends/echo/backend/pyproject.toml"
    version = shared_version(repo)
    text = echo.read_text().replace(
        f'"purelms-shared>={version}"', f'"purelms-shared>={version},<{version}.post1"'
    )
    echo.write_text(text)
    git(repo, "commit", "--quiet", "--all", "--message", "ceiling")
    before = _snapshot(repo)
    with pytest.raises(LockstepError, match=r"would exclude .*nothing was written"):
        lockstep.bump(repo, "minor")
    assert _snapshot(repo) == before


# --------------------------------------------------------------------------- template, externals

TEMPLATE_PYPROJECT = """\
[project]
name = "purelms-{{ slug }}"
version = "0.1.0"
dependencies = [
    "purelms-shared>={version}",  # floor moved by nox -s lockstep_bump
    "purelms-runtime",
{% if engine %}    "{{ engine }}",
{% endif %}]
"""

TEMPLATE_TYPES = """\
{marker}
// Types for the {{ slug }} frontend bundle.

export interface {{ class_name }}Parameters {}

// BEGIN purelms-wire: OutputStatus
// END purelms-wire
"""


def test_bump_moves_template_and_external_checkouts(repo: Path, tmp_path: Path) -> None:
    version = shared_version(repo)
    fingerprint = wire_sync.State(repo).contract.fingerprint
    marker = marker_line(version, fingerprint)
    template = repo / "templates/_template/backends/{{ slug }}"
    (template / "backend").mkdir(parents=True)
    (template / "backend/pyproject.toml.jinja").write_text(
        TEMPLATE_PYPROJECT.replace("{version}", version)
    )
    (template / "frontend/src").mkdir(parents=True)
    types = template / "frontend/src/types.ts.jinja"
    types.write_text(TEMPLATE_TYPES.replace("{marker}", marker))
    assert wire_sync.write(repo) == [types]  # the block is filled in

    platform = tmp_path / "platform"  # listed in lockstep.toml
    (platform / "web/src").mkdir(parents=True)
    (platform / "pyproject.toml").write_text(
        f'[project]\nname = "platform"\ndependencies = ["purelms-shared>={version}"]\n'
    )
    platform_ts = platform / "web/src/wire.ts"
    platform_ts.write_text(f"{marker}\n// BEGIN purelms-wire: RunStatus\n// END purelms-wire\n")
    (platform / "web/src/other.ts").write_text("export const unrelated = 1;\n")
    (repo / "lockstep.toml").write_text(f'also = ["{platform.as_posix()}"]\n')
    other = tmp_path / "other"  # named with --also
    other.mkdir()
    (other / "pyproject.toml").write_text(
        f'[dependency-groups]\ntest = ["purelms-shared>={version}"]\n'
    )
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "template and externals")
    assert wire_sync.write(repo) == [platform_ts]

    found = discover(repo, (other,))
    assert {c.path.name for c in found.python} >= {"pyproject.toml.jinja", "pyproject.toml"}
    assert {c.kind for c in found.python} == {"member", "template", "external"}
    assert platform_ts.resolve() in {c.path for c in found.typescript}
    assert (platform / "web/src/other.ts").resolve() not in {c.path for c in found.typescript}
    assert lockstep.check(repo, (other,)) == []

    new, changed = lockstep.bump(repo, "patch", (other,))
    jinja = (template / "backend/pyproject.toml.jinja").read_text()
    assert jinja == TEMPLATE_PYPROJECT.replace("{version}", new)
    assert types.read_text().startswith(marker_line(new, fingerprint))
    assert f'"purelms-shared>={new}"' in (platform / "pyproject.toml").read_text()
    assert f'"purelms-shared>={new}"' in (other / "pyproject.toml").read_text()
    assert platform_ts.read_text().startswith(marker_line(new, fingerprint))
    assert {
        platform / "pyproject.toml",
        platform_ts,
        other / "pyproject.toml",
        template / "backend/pyproject.toml.jinja",
        types,
    } <= set(changed)
    assert lockstep.check(repo, (other,)) == []
    assert wire_sync.check_all(wire_sync.State(repo, (other,))) == []

    # A hand-lowered floor in the template and a stale external marker are named.
    (template / "backend/pyproject.toml.jinja").write_text(
        TEMPLATE_PYPROJECT.replace("{version}", version)
    )
    platform_ts.write_text(platform_ts.read_text().replace(new, version, 1))
    problems = {(p.path.name, p.line) for p in lockstep.check(repo, (other,))}
    assert problems == {("pyproject.toml.jinja", 5), ("wire.ts", 1)}


# --------------------------------------------------------------------------- lock, markers


def test_stale_lock_and_foreign_marker_are_named(repo: Path) -> None:
    echo = repo / "backends/echo/backend/pyproject.toml"
    before = echo.read_text()
    echo.write_text(before.replace("dependencies = [\n", 'dependencies = [\n    "rich>=13",\n', 1))
    assert echo.read_text() != before
    consumer = repo / "backends/echo/frontend/src/types.ts"
    text = consumer.read_text()
    consumer.write_text(text.replace(f"contract: {shared_version(repo)} ", "contract: 0.5.0 ", 1))
    problems = lockstep.check(repo)
    rendered = "\n".join(p.render(repo) for p in problems)
    assert [(p.path.name, p.line) for p in problems] == [("uv.lock", 0), ("types.ts", 1)], rendered
    assert "uv.lock: is stale" in rendered
    assert f"synced to contract 0.5.0, purelms-shared is {shared_version(repo)}" in rendered

    changed = lockstep.sync(repo)
    assert {p.name for p in changed} == {"uv.lock", "types.ts"}
    assert lockstep.check(repo) == []
    assert changed_files(repo) == {"backends/echo/backend/pyproject.toml", "uv.lock"}


# --------------------------------------------------------------------------- minimums


def test_minimums_run_a_consumer_at_its_floor(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lockstep.minimums(repo, ["purelms-echo"]) == 0
    out = capsys.readouterr().out
    assert f"purelms-echo against purelms-shared=={shared_version(repo)}: passed" in out


def test_minimums_fail_for_a_floor_that_is_not_the_source(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    echo = repo / "backends/echo/backend/pyproject.toml"
    echo.write_text(echo.read_text().replace(f">={shared_version(repo)}", ">=0.5.0"))
    assert lockstep.minimums(repo, ["purelms-echo"]) == 1
    err = capsys.readouterr().err
    assert "purelms-shared==0.5.0 cannot be installed" in err
    assert lockstep.FIX_SYNC in err

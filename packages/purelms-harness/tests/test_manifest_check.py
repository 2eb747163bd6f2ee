"""``purelms manifest check``: every installer rule of platform.md §1, one line per problem.

``tests/manifests/valid/<slug>/`` are manifests written in the platform's own style (an
open-schema echo, number and enum parameters, outcomes that use every transform, the
platform's minimal form with every optional key left out); each must be accepted.
``tests/manifests/invalid/<slug>/`` breaks one rule each (its ``# rule:`` line says
which); its ``# expect:`` lines are exactly the problems the check must print. Nothing
lists the folders: a new fixture is a new test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from purelms_harness import check_manifest, find_repo_root, render_template_manifest
from purelms_shared import OutcomeTransform, parse_task_manifest

HERE = Path(__file__).parent / "manifests"
VALID = sorted((HERE / "valid").iterdir())
INVALID = sorted((HERE / "invalid").iterdir())
REPO = find_repo_root(Path(__file__))


def purelms(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "purelms_harness.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def _expected(folder: Path) -> list[str]:
    lines = (folder / "interactive_task.yaml").read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


@pytest.mark.parametrize("folder", VALID, ids=lambda p: p.name)
def test_platform_style_manifests_are_installable(folder: Path) -> None:
    check = check_manifest(folder)
    assert check.problems == []
    assert check.slug == folder.name


def test_the_valid_fixtures_use_every_transform_and_an_open_schema() -> None:
    import yaml

    manifests = [
        parse_task_manifest(yaml.safe_load((f / "interactive_task.yaml").read_text()))
        for f in VALID
    ]
    used = {rule.transform for m in manifests for rule in m.lms_outcomes.rules().values()}
    assert used == set(OutcomeTransform)
    assert any(m.open_schema for m in manifests)
    kinds = {p.type.value for m in manifests for p in m.parameters}
    assert kinds == {"number", "string", "boolean", "enum"}


@pytest.mark.parametrize("folder", INVALID, ids=lambda p: p.name)
def test_each_broken_rule_is_named_by_its_path(folder: Path) -> None:
    expected = _expected(folder)
    assert expected, f"{folder.name}: an invalid fixture lists its expected problems"
    check = check_manifest(folder / "interactive_task.yaml")
    assert check.problems == expected
    assert check.slug is None


def test_the_command_prints_one_line_per_problem_and_exits_1() -> None:
    files = [str(folder) for folder in INVALID]
    proc = purelms("manifest", "check", *files)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    summary = lines.pop()
    assert summary == f"manifest check: {len(INVALID)} of {len(INVALID)} manifest(s) refused"
    expected = [
        f"{(folder / 'interactive_task.yaml').relative_to(REPO)}: {line}"
        for folder in INVALID
        for line in _expected(folder)
    ]
    assert lines == expected
    assert "Traceback" not in proc.stderr


def test_the_command_accepts_the_valid_fixtures() -> None:
    proc = purelms("manifest", "check", *(str(folder) for folder in VALID))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("installable") == len(VALID)


def test_without_files_every_backend_and_the_template_are_checked() -> None:
    proc = purelms("manifest", "check")
    assert proc.returncode == 0, proc.stderr
    backends = sorted(p.parent.name for p in REPO.glob("backends/*/interactive_task.yaml"))
    for slug in backends:
        assert f"installable (slug {slug})" in proc.stdout
    assert "templates (rendered for new_task): installable (slug new_task)" in proc.stdout


def test_the_template_renders_an_installable_manifest(tmp_path: Path) -> None:
    rendered = render_template_manifest(REPO, tmp_path)
    assert rendered == tmp_path / "new_task" / "interactive_task.yaml"
    check = check_manifest(rendered)
    assert check.problems == []
    assert 'name: "New task"' in rendered.read_text()


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    proc = purelms("manifest", "check", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"purelms: error: manifest check: no such file or folder: {tmp_path / 'nope.yaml'}"
    )

"""The copier template (``templates/_template``, ``copier.yml``) and ``tools/new_backend.py``.

* slug rules, and copier's own validator (for ``copier copy`` used directly) agreeing with
  them message for message;
* a refused slug, an uncommitted template or a stale template floor writes nothing;
* echo has the template's shape: the template rendered with echo's recorded answers has
  exactly echo's files, the boilerplate ones byte for byte;
* the generated Python passes ruff and ``mypy --strict`` whatever the slug sorts like;
* template evolution: scaffold, edit the backend, change the template, update: the edit
  and the template change are both there; a clash is named and left as conflict markers.

The end-to-end scenario (tests, ``purelms run``, lockstep, wire sync, bump) is
``test_template_scenario.py``; the image build is ``test_template_images.py``.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from jinja2.sandbox import SandboxedEnvironment

TOOLS = Path(__file__).resolve().parents[1]
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import _template  # noqa: E402
import new_backend  # noqa: E402
from _template_testing import REPO, copy_env, run_in, scaffolded_copy, uv, uv_run  # noqa: E402
from _template_testing import new_backend as run_new_backend  # noqa: E402
from _testing import changed_files, clone, copy_repository, git  # noqa: E402
from _workspace import shared_version  # noqa: E402

from purelms_harness import check_manifest  # noqa: E402

pytestmark = pytest.mark.timeout(600)

ECHO = REPO / "backends" / "echo"
#: Echo's files that are the template's output byte for byte (slug substituted by copier).
BOILERPLATE = {
    "Containerfile",
    "backend/src/purelms_echo/__main__.py",
    "backend/src/purelms_echo/py.typed",
    "frontend/build.mjs",
    "frontend/package-lock.json",
    "frontend/package.json",
    "frontend/tsconfig.json",
}
#: Echo's own science and its presentation: same path as the template's, own content.
OWN = {
    "backend/README.md",
    "backend/src/purelms_echo/__init__.py",
    "backend/src/purelms_echo/_echo.py",
    "backend/tests/test_echo_backend.py",
    "frontend/src/index.ts",
    "frontend/src/types.ts",
    "frontend/test/echo.test.ts",
}
#: Compared field by field below: the manifest header and the pyproject but its description.
STRUCTURED = {"backend/pyproject.toml", "interactive_task.yaml", ".copier-answers.yml"}


# --------------------------------------------------------------------------- slug rules


@pytest.mark.parametrize("slug", ["ab", "echo", "demo_backend", "co2_model", "x3d", "a" * 40])
def test_good_slugs(slug: str) -> None:
    assert _template.slug_problem(slug) is None


@pytest.mark.parametrize(
    ("slug", "says"),
    [
        ("a", "must be 2 to 40 characters long"),
        ("a" * 41, "must be 2 to 40 characters long"),
        ("9lives", "must start with a lowercase letter"),
        ("_private", "must start with a lowercase letter"),
        ("Demo", "must start with a lowercase letter"),
        ("demo-backend", "only lowercase letters, digits and single underscores"),
        ("demo__backend", "only lowercase letters, digits and single underscores"),
        ("demo_", "only lowercase letters, digits and single underscores"),
        ("démo", "only lowercase letters, digits and single underscores"),
        ("shared", "is reserved"),
        ("runtime", "is reserved"),
        ("template", "is reserved"),
        ("test", "is reserved"),
        ("class", "is reserved"),
        ("match", "is reserved"),
    ],
)
def test_bad_slugs_are_named_in_one_line(slug: str, says: str) -> None:
    problem = _template.slug_problem(slug)
    assert problem is not None
    assert says in problem
    assert f'"{slug}"' in problem
    assert "\n" not in problem


def _copier_validator() -> tuple[SandboxedEnvironment, str]:
    config = yaml.safe_load((REPO / "copier.yml").read_text(encoding="utf-8"))
    env = SandboxedEnvironment(
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        undefined=jinja2.StrictUndefined,
        **config.get("_envops", {}),
    )
    return env, str(config["slug"]["validator"])


@pytest.mark.parametrize(
    "slug",
    sorted(
        _template.RESERVED
        | {"a", "a" * 41, "9lives", "Demo", "demo-backend", "demo__backend", "demo_", "x.y"}
        | {"ab", "echo", "demo_backend", "co2_model", "a" * 40}
    ),
)
def test_copier_validator_says_what_the_tool_says(slug: str) -> None:
    """copier.yml's slug validator (interactive `copier copy`) agrees with slug_problem."""
    env, validator = _copier_validator()
    said = " ".join(env.from_string(validator).render(slug=slug, _folder_name=slug).split())
    assert said == (_template.slug_problem(slug) or "")
    mismatch = env.from_string(validator).render(slug="demo", _folder_name="other").strip()
    assert "must equal the destination folder's name" in mismatch


def test_copier_itself_refuses_a_reserved_slug(tmp_path: Path) -> None:
    destination = tmp_path / "backends" / "shared"
    with pytest.raises(_template.TemplateError, match="is reserved"):
        _template.render(REPO, destination, {"slug": "shared"}, "HEAD")
    assert not destination.exists()


def test_names_derive_from_the_slug() -> None:
    names = _template.Names("demo_backend")
    assert names.package == "purelms-demo-backend"
    assert names.module == "purelms_demo_backend"
    assert names.class_prefix == "DemoBackend"
    assert names.image == "purelms-itask-demo-backend"
    assert names.bundle == "dist/demo_backend.js"


@pytest.mark.parametrize("slug", ["demo_task", "zz_" + "y" * 37])
def test_the_rendered_manifest_is_installable_at_once(slug: str, tmp_path: Path) -> None:
    """copier's output is a purelms.interactive_task.v1 manifest `manifest check` accepts."""
    destination = tmp_path / "backends" / slug
    _template.render(REPO, destination, {"slug": slug}, "HEAD")
    manifest = destination / "interactive_task.yaml"
    assert check_manifest(manifest).problems == []
    result = run_in(
        REPO, sys.executable, "-m", "purelms_harness.cli", "manifest", "check", str(manifest)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = yaml.safe_load(manifest.read_text())
    assert data["backend"]["image"] == f"{_template.Names(slug).image}:0.1.0"
    assert data["frontend"]["bundle"] == f"{slug}.js"


def test_the_template_floor_is_the_current_shared_version() -> None:
    assert _template.template_floor_problem(REPO) is None


# --------------------------------------------------------------------------- refusals


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_repository(REPO, tmp_path_factory.mktemp("pristine"), uv())


@pytest.fixture
def repo(pristine: Path, tmp_path: Path) -> Path:
    return clone(pristine, tmp_path / "repo")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["Demo"], 'slug "Demo" must start with a lowercase letter'),
        (["demo-backend"], "may hold only lowercase letters"),
        (["shared"], 'slug "shared" is reserved'),
        (["echo"], "backends/echo already exists; choose another slug"),
        (["demo", "--version", "1.0"], 'version "1.0" must be X.Y.Z'),
        (["demo", "--name", "two\nlines"], "the display name must be one line"),
        (["demo", "--timeout", "0"], "the timeout must be between 1 and 86400 seconds"),
    ],
)
def test_a_refused_backend_writes_nothing(
    repo: Path, args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert new_backend.main([*args, "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert says in err, err
    assert err.count("\n") == 1, err
    assert err.startswith("new_backend: ")
    assert changed_files(repo) == set()


def test_an_uncommitted_template_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edited = repo / "templates/_template/backend/README.md.jinja"
    edited.write_text(edited.read_text() + "\nmore\n")
    assert new_backend.main(["demo", "--root", str(repo)]) == 1
    assert "the template has uncommitted changes" in capsys.readouterr().err
    assert changed_files(repo) == {"templates/_template/backend/README.md.jinja"}


def test_a_stale_template_floor_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = repo / "templates/_template/backend/pyproject.toml.jinja"
    version = shared_version(repo)
    path.write_text(path.read_text().replace(f"purelms-shared>={version}", "purelms-shared>=0.0.1"))
    git(repo, "commit", "--quiet", "--all", "--message", "stale floor")
    assert new_backend.main(["demo", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "pyproject.toml.jinja:" in err
    assert "nox -s lockstep_check -- --fix" in err
    assert changed_files(repo) == set()


# --------------------------------------------------------------------------- echo's shape


def _files(directory: Path) -> set[str]:
    listed = git(directory, "ls-files", "--cached", "--others", "--exclude-standard", ".")
    return set(listed.splitlines())


def _rendered_files(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()}


def _answers(directory: Path) -> dict[str, Any]:
    data = yaml.safe_load((directory / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_echo_has_the_template_shape(tmp_path: Path) -> None:
    answers = {k: v for k, v in _answers(ECHO).items() if not k.startswith("_")}
    rendered = tmp_path / "backends" / "echo"
    # HEAD includes uncommitted template changes here: the test sees the template on disk.
    _template.render(REPO, rendered, answers, "HEAD")

    theirs, ours = _rendered_files(rendered), _files(ECHO)
    assert ours == theirs, (
        f"echo lacks {sorted(theirs - ours)}, the template lacks {sorted(ours - theirs)}"
    )
    assert ours == BOILERPLATE | OWN | STRUCTURED, "classify every file of echo above"
    for name in sorted(BOILERPLATE):
        assert (ECHO / name).read_bytes() == (rendered / name).read_bytes(), (
            f"backends/echo/{name} differs from the template's: make the same change in "
            f"templates/_template (or move {name} to OWN with a reason)"
        )

    pyprojects = [
        tomllib.loads((where / "backend/pyproject.toml").read_text()) for where in (ECHO, rendered)
    ]
    # The version answer is the *first* version: a backend moves its own version on (echo
    # became an open-schema fixture in 1.0.0), and copier update leaves that line alone.
    for data in pyprojects:
        data["project"].pop("description")
        data["project"].pop("version")
    assert pyprojects[0] == pyprojects[1], "echo's pyproject differs beyond its description"

    manifests = [
        yaml.safe_load((where / "interactive_task.yaml").read_text()) for where in (ECHO, rendered)
    ]
    for data in manifests:
        data.pop("parameters")
        data.pop("outputs")
        data.pop("version")
        data["backend"].pop("image")  # purelms-itask-echo:<version>
    assert manifests[0] == manifests[1], "echo's manifest header differs from the template's"

    ours_answers, theirs_answers = _answers(ECHO), _answers(rendered)
    assert ours_answers["_src_path"] == _template.SRC_FROM_BACKEND
    for data in (ours_answers, theirs_answers):
        data.pop("_src_path")
        data.pop("_commit")
    assert ours_answers == theirs_answers


def test_echo_records_a_template_commit_of_this_repository() -> None:
    """`nox -s update_backend -- echo` renders the template at echo's recorded commit."""
    shallow = git(REPO, "rev-parse", "--is-shallow-repository").strip() == "true"
    assert not shallow, "needs the full history (`git fetch --unshallow`): echo records a commit"
    commit = str(_answers(ECHO)["_commit"])
    listed = git(REPO, "ls-tree", "-r", "--name-only", f"{commit}^{{commit}}", "--", "copier.yml")
    assert listed.strip() == "copier.yml"


# --------------------------------------------------------------------------- generated code


def test_the_generated_python_passes_ruff_and_mypy_strict(tmp_path: Path) -> None:
    """Two slugs that sort before and after ``purelms_runtime``, the longest one allowed."""
    (tmp_path / "pyproject.toml").write_bytes((REPO / "pyproject.toml").read_bytes())
    slugs = ["ab", "zz_" + "y" * 37]
    for slug in slugs:
        _template.render(REPO, tmp_path / "backends" / slug, {"slug": slug}, "HEAD")
        text = _template.registration_text(tmp_path, _template.Names(slug))
        (tmp_path / "pyproject.toml").write_text(text)
    ruff = [sys.executable, "-m", "ruff"]
    for command in ([*ruff, "check", "backends"], [*ruff, "format", "--check", "backends"]):
        result = run_in(tmp_path, *command)
        assert result.returncode == 0, result.stdout + result.stderr

    sources = [str(tmp_path / "backends" / slug / "backend" / "src") for slug in slugs]
    packages = [f"{source}/purelms_{slug}" for source, slug in zip(sources, slugs, strict=True)]
    tests = [str(p) for p in sorted(tmp_path.glob("backends/*/backend/tests/*.py"))]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(tmp_path / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            *packages,
            *tests,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**copy_env(), "MYPYPATH": ":".join(sources)},
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------- evolution


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root, _ = scaffolded_copy(tmp_path_factory.mktemp("evolution"), "decay")
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_update_keeps_the_backend_edits_and_takes_the_template_change(
    scaffolded: Path, tmp_path: Path
) -> None:
    root = clone(scaffolded, tmp_path / "repo")
    backend = root / "backends/decay"
    science = backend / "backend/src/purelms_decay/_decay.py"
    # The author's edits: their own science, a README line.
    _edit(science, "    steps = 10\n", "    steps = 20  # finer progress\n")
    _edit(backend / "backend/README.md", "Scaffolded from", "Our decay model.\n\nScaffolded from")
    git(root, "commit", "--quiet", "--all", "--message", "decay: own edits")
    # A later template change: a new file, a changed line in the file the author edited too
    # (another hunk), a changed image budget.
    template = root / "templates/_template"
    (template / "backend/CHANGELOG.md.jinja").write_text("# {{ package }} changelog\n")
    _edit(
        template / "backend/src/{{module}}/_{{slug}}.py.jinja",
        "the output envelope's ``outputs``, shown by the frontend.",
        "the output envelope's ``outputs``, shown by the frontend bundle.",
    )
    _edit(template / "Containerfile.jinja", "max-size-mb=160", "max-size-mb=170")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", "template v2")
    commit = git(root, "rev-parse", "--short", "HEAD").strip()

    result = run_new_backend(root, "decay", "--update")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "update_backend: 4 file(s) changed" in result.stdout, result.stdout

    text = science.read_text()
    assert "    steps = 20  # finer progress\n" in text  # the edit
    assert "shown by the frontend bundle." in text  # the template change
    assert "Our decay model." in (backend / "backend/README.md").read_text()
    assert (backend / "backend/CHANGELOG.md").read_text() == "# purelms-decay changelog\n"
    assert "max-size-mb=170" in (backend / "Containerfile").read_text()
    assert _answers(backend)["_commit"] == commit
    assert changed_files(root) == {
        "backends/decay/.copier-answers.yml",
        "backends/decay/Containerfile",
        "backends/decay/backend/CHANGELOG.md",
        "backends/decay/backend/src/purelms_decay/_decay.py",
    }
    # Nothing new since: a second update changes nothing.
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", "update_backend decay")
    again = run_new_backend(root, "decay", "--update")
    assert again.returncode == 0, again.stderr
    assert "already has the template's latest changes" in again.stdout
    assert changed_files(root) == set()


def test_update_names_a_clash_and_leaves_conflict_markers(scaffolded: Path, tmp_path: Path) -> None:
    root = clone(scaffolded, tmp_path / "repo")
    line = '    ctx.metric("half_lives", half_lives)\n'
    _edit(
        root / "backends/decay/backend/src/purelms_decay/_decay.py",
        line,
        '    ctx.metric("half_lives_elapsed", half_lives)\n',
    )
    git(root, "commit", "--quiet", "--all", "--message", "decay: rename the metric")
    _edit(
        root / "templates/_template/backend/src/{{module}}/_{{slug}}.py.jinja",
        line,
        '    ctx.metric("half_lives_done", half_lives)\n',
    )
    git(root, "commit", "--quiet", "--all", "--message", "template: rename the metric")

    result = run_new_backend(root, "decay", "--update")
    assert result.returncode == 1
    assert "clashes with the backend's own edits" in result.stderr
    assert "backends/decay/backend/src/purelms_decay/_decay.py" in result.stderr
    text = (root / "backends/decay/backend/src/purelms_decay/_decay.py").read_text()
    assert "<<<<<<< before updating" in text
    assert "half_lives_elapsed" in text
    assert "half_lives_done" in text


def test_update_refuses_an_uncommitted_backend(scaffolded: Path, tmp_path: Path) -> None:
    root = clone(scaffolded, tmp_path / "repo")
    (root / "backends/decay/backend/README.md").write_text("changed\n")
    result = run_new_backend(root, "decay", "--update")
    assert result.returncode == 1
    assert "backends/decay has uncommitted changes" in result.stderr
    assert changed_files(root) == {"backends/decay/backend/README.md"}


def test_update_after_a_lockstep_bump_is_clean(scaffolded: Path, tmp_path: Path) -> None:
    """lockstep_bump moves the backend and the template alike: nothing is left to merge."""
    root = clone(scaffolded, tmp_path / "repo")
    # In the copy's own environment: the wire-sync check after the bump reads the backends'
    # output models, so the scaffolded backend must be installed where it runs.
    result = uv_run(root, "python", "tools/lockstep.py", "bump", "patch", timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "templates/_template/backend/pyproject.toml.jinja" in changed_files(root)
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", "lockstep_bump patch")

    update = run_new_backend(root, "decay", "--update")
    assert update.returncode == 0, update.stdout + update.stderr
    assert "already has the template's latest changes" in update.stdout, update.stdout
    assert changed_files(root) == set()

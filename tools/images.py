"""Build, export and smoke-run the backends' container images (``nox -s images [-- slug ...]``).

Every ``backends/<slug>/`` with both an ``interactive_task.yaml`` and a
``Containerfile`` has an image; nothing registers it. For each one:

1. **Context.** ``build/images/<slug>/wheels/`` receives the workspace
   packages the backend needs (from ``uv export``), built with ``uv build
   --wheel``; the third-party wheels at the versions and hashes of ``uv.lock``
   (``pip download`` on this host, for CPython 3.11 on manylinux x86_64, kept
   in ``build/images/wheelhouse/``); pip itself; and ``requirements.txt``
   pinning every wheel by sha256. The build installs from it offline. A
   Containerfile that needs Debian packages declares them
   (``# purelms-image: debs=libx11-6``): their dependency closure is fetched on
   this host with ``apt-get download`` into ``build/images/<slug>/debs/`` (cached
   in ``build/images/debcache/``), and the build installs, with ``dpkg``, those
   the base lacks. The build itself never needs the network.
2. **Base.** ``python:3.11-slim`` when it is present or can be pulled, else a
   local Debian 12 + python3 base built once with debootstrap (``_image_base``).
3. **Build** with docker when its daemon answers, else podman (buildah under the
   hood), tagged with the manifest's ``backend.image``, which is the name the
   platform derives (``purelms-itask-<slug with ->:<version>``, platform.md §5),
   with build args from the manifest and the backend's ``[tool.purelms]`` (module,
   slug, version) and the platform's labels: ``org.opencontainers.image.version``,
   ``.revision``, ``.source``, ``io.purelms.interactive-task.slug`` and
   ``.version``; beside them ``org.opencontainers.image.title`` and ``.licenses``
   and ``io.purelms.contract.version`` (the purelms-shared version) describe the
   image and change nothing. The image runs as uid 1000.
4. **Export** a docker-archive tarball to ``dist/images/<slug>-<version>.tar``
   and print the image's uncompressed size, checked against the budget the
   Containerfile declares (``# purelms-image: max-size-mb=N``).
5. **Smoke run** exactly as the harness starts a container (``purelms_harness``):
   ``--network=none``, read-only root, the default input envelope (default
   parameters, callbacks ``file:///dev/null``) mounted read-only; the output
   envelope must validate and say ``success``.

A JSON report of every image (ref, image ID, size, timings) is written to
``dist/images/report.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _image_base import ensure_local_base
from pydantic import ValidationError

from purelms_harness import (
    BackendManifest,
    ContainerEngine,
    ContainerError,
    container_run_args,
    detect_engine,
    discover,
    open_output_dir,
)
from purelms_runtime.protocol import NO_CALLBACKS_URL
from purelms_shared import (
    INPUT_SCHEMA_V1,
    ExecutionContext,
    OutputStatus,
    SimulationInputEnvelope,
    derived_image,
    error_lines,
    parse_output_envelope,
)

ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = ROOT / "build" / "images"
DIST_DIR = ROOT / "dist" / "images"
CONTAINERFILE = "Containerfile"
DEFAULT_BASE = "python:3.11-slim"
BASE_ENV = "PURELMS_BASE_IMAGE"
SOURCE_ENV = "PURELMS_IMAGE_SOURCE"
CONTRACT_PACKAGE = "purelms-shared"
#: pip runs only inside the builder stage, from its wheel; it is not in the final image.
PIP_VERSION = "25.3"
#: The image's CPython and platform: wheels for any glibc up to Debian 12's (2.36).
PYTHON_VERSION = "3.11"
_GLIBC_MAX_MINOR = 36
_BUDGET = re.compile(r"^#\s*purelms-image:\s*max-size-mb\s*=\s*(\d+(?:\.\d+)?)\s*$", re.M)
_DEBS = re.compile(r"^#\s*purelms-image:\s*debs\s*=\s*([a-z0-9.+\- ]+?)\s*$", re.M)
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")

LABEL_TITLE = "org.opencontainers.image.title"
LABEL_VERSION = "org.opencontainers.image.version"
LABEL_SOURCE = "org.opencontainers.image.source"
LABEL_REVISION = "org.opencontainers.image.revision"
LABEL_LICENSES = "org.opencontainers.image.licenses"
LABEL_TASK_SLUG = "io.purelms.interactive-task.slug"
LABEL_TASK_VERSION = "io.purelms.interactive-task.version"
LABEL_CONTRACT = "io.purelms.contract.version"


class ImageError(Exception):
    """An image could not be prepared, built, exported or smoke-run."""


@dataclass(frozen=True)
class ImageSpec:
    """One backend image, everything read from the backend's manifest and Containerfile."""

    manifest: BackendManifest
    package: str
    ref: str
    containerfile: Path
    max_size_mb: float | None
    debs: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return self.manifest.slug

    @property
    def version(self) -> str:
        return self.manifest.version


@dataclass
class ImageResult:
    slug: str
    ref: str
    image_id: str = ""
    base: str = ""
    size_bytes: int = 0
    max_size_mb: float | None = None
    build_seconds: float = 0.0
    tarball: str = ""
    smoke_seconds: float | None = None
    smoke_status: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1e6


def _log(text: str) -> None:
    print(f"images: {text}", flush=True)


def _run(command: Sequence[str], *, cwd: Path = ROOT, what: str) -> str:
    proc = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
        raise ImageError(f"{what} failed ({proc.returncode}): {' '.join(command)}\n{tail}")
    return proc.stdout


def _project_name(project_dir: Path) -> str:
    data = tomllib.loads((project_dir / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["name"])


def image_specs(root: Path, slugs: Sequence[str] = ()) -> list[ImageSpec]:
    """Every backend with a manifest and a Containerfile, or the named ones (must have both)."""
    manifests = discover(root)
    unknown = [slug for slug in slugs if slug not in manifests]
    if unknown:
        raise ImageError(f"unknown backend(s) {', '.join(unknown)}; known: {', '.join(manifests)}")
    specs = []
    for slug, manifest in manifests.items():
        if slugs and slug not in slugs:
            continue
        containerfile = manifest.directory / CONTAINERFILE
        if not containerfile.is_file():
            if slugs:
                raise ImageError(f"backend {slug!r} has no {containerfile.relative_to(root)}")
            continue
        package = manifest.package or _project_name(manifest.directory / "backend")
        ref = manifest.task.image_ref()
        derived = derived_image(slug, manifest.version)
        if ref != derived:
            raise ImageError(
                f"{slug}: backend.image is {ref!r}; the images of this repository are named "
                f"as the platform derives them ({derived!r}): run `uv run purelms manifest "
                f"{slug} --write`"
            )
        text = containerfile.read_text(encoding="utf-8")
        budget = _BUDGET.search(text)
        debs = _DEBS.search(text)
        specs.append(
            ImageSpec(
                manifest=manifest,
                package=package,
                ref=ref,
                containerfile=containerfile,
                max_size_mb=float(budget.group(1)) if budget else None,
                debs=tuple(debs.group(1).split()) if debs else (),
            )
        )
    return specs


# --------------------------------------------------------------------------- build context


def _platform_args() -> list[str]:
    tags = [f"manylinux_2_{minor}_x86_64" for minor in range(_GLIBC_MAX_MINOR, 4, -1)]
    tags += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
    args = [arg for tag in tags for arg in ("--platform", tag)]
    return [*args, "--python-version", PYTHON_VERSION, "--implementation", "cp"]


def _pip_download(requirements: list[str], dest: Path) -> None:
    pip = (
        [sys.executable, "-m", "pip"]
        if _has_pip()
        else ["uvx", "--from", f"pip=={PIP_VERSION}", "pip"]
    )
    command = [
        *pip,
        "download",
        "--disable-pip-version-check",
        "--no-deps",
        "--only-binary=:all:",
        *_platform_args(),
        "--dest",
        str(dest),
        *requirements,
    ]
    _run(command, what="pip download")


def _has_pip() -> bool:
    return importlib.util.find_spec("pip") is not None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _wheel_version(wheel: Path) -> str:
    return wheel.name.split("-")[1]


def prepare_context(spec: ImageSpec) -> tuple[Path, dict[str, str]]:
    """Fill ``build/images/<slug>/wheels``; return the context and the workspace wheel versions."""
    context = BUILD_DIR / spec.slug
    wheels = context / "wheels"
    if wheels.exists():
        shutil.rmtree(wheels)
    wheels.mkdir(parents=True)
    export = [
        "uv",
        "export",
        "--locked",
        "--package",
        spec.package,
        "--no-dev",
        "--format",
        "requirements-txt",
        "--no-header",
        "--no-annotate",
    ]
    members = [
        line.removeprefix("-e ").strip()
        for line in _run(export, what="uv export").splitlines()
        if line.startswith("-e ")
    ]
    locked = _run([*export, "--no-emit-workspace"], what="uv export")
    # Workspace packages: built as wheels from this checkout.
    workspace: dict[str, str] = {}
    requirement_lines = []
    for member in members:
        before = set(wheels.glob("*.whl"))
        _run(["uv", "build", "--wheel", "--quiet", "-o", str(wheels), member], what="uv build")
        (wheel,) = set(wheels.glob("*.whl")) - before
        workspace[_project_name(ROOT / member)] = _wheel_version(wheel)
        requirement_lines.append(f"/wheels/{wheel.name} --hash=sha256:{_sha256(wheel)}")
    # Third-party wheels: downloaded once into the wheelhouse, copied when the lock names them.
    pins = locked_hashes(locked)
    house = BUILD_DIR / "wheelhouse"
    house.mkdir(parents=True, exist_ok=True)
    by_hash = {_sha256(path): path for path in house.glob("*.whl")}
    pip_wheel = next(house.glob(f"pip-{PIP_VERSION}-*.whl"), None)
    if any(not hashes & by_hash.keys() for hashes in pins.values()):
        lock_file = context / "locked.txt"
        lock_file.write_text(locked)
        _pip_download(["-r", str(lock_file)], house)
        by_hash = {_sha256(path): path for path in house.glob("*.whl")}
    if pip_wheel is None:
        _pip_download([f"pip=={PIP_VERSION}"], house)
        pip_wheel = next(house.glob(f"pip-{PIP_VERSION}-*.whl"))
    for pin, hashes in pins.items():
        found = sorted(by_hash[digest] for digest in hashes & by_hash.keys())
        if not found:
            raise ImageError(f"no wheel of {pin} with a hash from uv.lock was downloaded")
        shutil.copy2(found[0], wheels / found[0].name)
    shutil.copy2(pip_wheel, wheels / pip_wheel.name)
    requirements = [locked.strip(), *requirement_lines]
    (wheels / "requirements.txt").write_text("\n".join(requirements) + "\n")
    prepare_debs(spec.debs, context / "debs")
    return context, workspace


def deb_closure(packages: Sequence[str]) -> list[str]:
    """``packages`` and everything they depend on (no recommends), as apt on this host sees it."""
    command = ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests"]
    command += ["--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *packages]
    output = _run(command, what="apt-cache depends")
    names = {line.strip() for line in output.splitlines() if line and not line[0].isspace()}
    return sorted(name for name in names if not name.startswith("<"))


def _download_debs(packages: Sequence[str], cache: Path) -> list[str]:
    """Download the closure of ``packages`` into ``cache`` (what is not there yet); return it."""
    closure = deb_closure(packages)
    missing = [name for name in closure if not any(cache.glob(f"{name}_*.deb"))]
    if missing:
        _log(f"downloading Debian packages {' '.join(missing)}")
        _run(["apt-get", "download", *missing], cwd=cache, what="apt-get download")
    return closure


def prepare_debs(packages: Sequence[str], target: Path) -> None:
    """Fill ``target`` with the .deb files of ``packages`` and their dependencies.

    The host is Debian 12 like the image's base, so its apt sees the same
    versions. The Containerfile installs only those the base does not have yet.
    """
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    if not packages:
        return
    if shutil.which("apt-get") is None:
        raise ImageError(f"needs apt-get on this host to fetch {' '.join(packages)} for the image")
    cache = BUILD_DIR / "debcache"
    cache.mkdir(parents=True, exist_ok=True)
    try:
        closure = _download_debs(packages, cache)
    except ImageError:  # stale or empty package lists (a fresh machine): refresh once
        _run(["apt-get", "update", "-qq"], what="apt-get update")
        closure = _download_debs(packages, cache)
    for name in closure:
        for deb in cache.glob(f"{name}_*.deb"):
            shutil.copy2(deb, target / deb.name)


def locked_hashes(requirements: str) -> dict[str, set[str]]:
    """``name==version`` -> its sha256 hashes, from ``uv export`` requirements text."""
    pins: dict[str, set[str]] = {}
    current = ""
    for line in requirements.splitlines():
        if line and not line[0].isspace() and "==" in line:
            current = line.split(";")[0].rstrip(" \\")
            pins[current] = set()
        elif current:
            pins[current].update(_HASH.findall(line))
    return pins


# --------------------------------------------------------------------------- git facts


def _git(*args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def source_url() -> str:
    """``$PURELMS_IMAGE_SOURCE``, else the ``origin`` remote as an https URL, else ``local``."""
    explicit = os.environ.get(SOURCE_ENV)
    if explicit:
        return explicit
    remote = _git("remote", "get-url", "origin")
    match = re.fullmatch(r"git@([^:]+):(.+?)(?:\.git)?", remote)
    if match:
        return f"https://{match.group(1)}/{match.group(2)}"
    return remote.removesuffix(".git") or "local"


def revision(paths: Sequence[Path]) -> str:
    """The commit, with ``-dirty`` when anything the image is built from differs from it."""
    commit = _git("rev-parse", "HEAD") or "unknown"
    relative = [str(p.relative_to(ROOT)) for p in paths]
    dirty = _git("status", "--porcelain", "--untracked-files=all", "--", *relative)
    return f"{commit}-dirty" if dirty else commit


# --------------------------------------------------------------------------- base, build, export


def resolve_base(engine: ContainerEngine, requested: str | None) -> str:
    """The base image: the one asked for, else python:3.11-slim if it can be had, else local."""
    if requested:
        if not engine.image_exists(requested):
            engine.run("pull", requested, timeout=900)
        return requested
    default = f"docker.io/library/{DEFAULT_BASE}" if engine.is_podman else DEFAULT_BASE
    if engine.image_exists(default):
        return default
    pulled = engine.run("pull", default, check=False, timeout=900)
    if pulled.returncode == 0:
        return default
    reason = (pulled.stderr.strip().splitlines() or ["no output"])[-1]
    _log(f"cannot pull {default} ({reason[:160]}); using the local Debian 12 base")
    try:
        return ensure_local_base(engine)
    except RuntimeError as exc:
        raise ImageError(str(exc)) from exc


def build_image(
    engine: ContainerEngine, spec: ImageSpec, base: str, context: Path, workspace: dict[str, str]
) -> dict[str, str]:
    """Build ``spec.ref``; return the build args used."""
    wheel_version = workspace.get(spec.package)
    if wheel_version != spec.version:
        raise ImageError(
            f"{spec.slug}: manifest version {spec.version} differs from the {spec.package} "
            f"wheel ({wheel_version}); run `uv run purelms manifest {spec.slug} --write`"
        )
    if CONTRACT_PACKAGE not in workspace:
        raise ImageError(f"{spec.slug}: {spec.package} does not depend on {CONTRACT_PACKAGE}")
    members = [ROOT / "uv.lock", spec.containerfile, *_member_dirs(spec)]
    build_args = {
        "BASE_IMAGE": base,
        "BACKEND_MODULE": spec.manifest.module,
        "PROGRESS_REPORTING": spec.manifest.progress_reporting,
        "IMAGE_NAME": spec.ref.rsplit(":", 1)[0],
        "BACKEND_SLUG": spec.slug,
        "BACKEND_VERSION": spec.version,
        "CONTRACT_VERSION": workspace[CONTRACT_PACKAGE],
        "SOURCE_URL": source_url(),
        "REVISION": revision(members),
    }
    # No network for RUN steps: everything the build installs is in the context.
    command = [engine.executable, "build", "--network=none", "-f", str(spec.containerfile)]
    command += ["-t", spec.ref]
    if engine.is_podman:
        command += ["--layers", "--pull=missing", *engine.ulimit_args()]
    for key, value in build_args.items():
        command += ["--build-arg", f"{key}={value}"]
    # The Containerfile's LABEL says the same; passing the labels to the build tool too keeps
    # them right when a builder reuses a cached LABEL step despite new build-arg values
    # (buildah 1.28 does).
    for key, value in image_labels(build_args).items():
        command += ["--label", f"{key}={value}"]
    command.append(str(context))
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    log = context / "build.log"
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise ImageError(f"{spec.slug}: image build failed (full log: {log}):\n{tail}")
    return build_args


def image_labels(build_args: dict[str, str]) -> dict[str, str]:
    """The labels an image built with ``build_args`` must carry (as its Containerfile says)."""
    return {
        LABEL_TITLE: build_args["IMAGE_NAME"],
        LABEL_VERSION: build_args["BACKEND_VERSION"],
        LABEL_SOURCE: build_args["SOURCE_URL"],
        LABEL_REVISION: build_args["REVISION"],
        LABEL_LICENSES: "MIT",
        LABEL_TASK_SLUG: build_args["BACKEND_SLUG"],
        LABEL_TASK_VERSION: build_args["BACKEND_VERSION"],
        LABEL_CONTRACT: build_args["CONTRACT_VERSION"],
    }


def _member_dirs(spec: ImageSpec) -> list[Path]:
    """Folders of the workspace packages the image installs (for the dirty check)."""
    backend_dir = spec.manifest.directory / "backend"
    return [backend_dir, *sorted((ROOT / "packages").glob("*/"))]


def export_image(engine: ContainerEngine, spec: ImageSpec) -> Path:
    DIST_DIR.mkdir(parents=True, exist_ok=True)
    tarball = DIST_DIR / f"{spec.slug}-{spec.version}.tar"
    tarball.unlink(missing_ok=True)
    fmt = ["--format", "docker-archive"] if engine.is_podman else []
    engine.run("save", *fmt, "-o", str(tarball), spec.ref, timeout=1800)
    return tarball


# --------------------------------------------------------------------------- smoke run


def default_parameters(manifest: BackendManifest) -> dict[str, Any]:
    parameters = {}
    for entry in manifest.parameters:
        if entry.get("required"):
            raise ImageError(
                f"{manifest.slug}: parameter {entry['name']!r} is required; the smoke run "
                "needs a default for every parameter"
            )
        parameters[str(entry["name"])] = entry.get("default")
    return parameters


def write_default_input(manifest: BackendManifest, input_dir: Path) -> SimulationInputEnvelope:
    """The backend's default input: default parameters, no input files, no callbacks."""
    envelope = SimulationInputEnvelope(
        schema_version=INPUT_SCHEMA_V1,
        run_id=uuid.uuid4(),
        backend_slug=manifest.slug,
        backend_version=manifest.version,
        student_id=1,
        course_id=1,
        block_id=1,
        parameters=default_parameters(manifest),
        context=ExecutionContext(
            callback_url_progress=NO_CALLBACKS_URL,
            callback_url_complete=NO_CALLBACKS_URL,
            callback_audience="purelms-image-smoke",
            timeout_seconds=manifest.default_timeout_seconds,
        ),
    )
    input_dir.mkdir(parents=True)
    (input_dir / "input.json").write_text(envelope.model_dump_json(indent=2) + "\n")
    return envelope


def smoke_run(engine: ContainerEngine, spec: ImageSpec) -> tuple[float, str]:
    """Run the image once offline on its default input; return (seconds, status)."""
    run_dir = BUILD_DIR / spec.slug / "smoke"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    envelope = write_default_input(spec.manifest, run_dir / "input")
    output_dir = run_dir / "output"
    output_dir.mkdir()
    open_output_dir(output_dir)
    command = container_run_args(
        engine,
        spec.ref,
        input_dir=run_dir / "input",
        output_dir=output_dir,
        network="none",
    )
    started = time.monotonic()
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=spec.manifest.default_timeout_seconds + 120,
        check=False,
    )
    seconds = time.monotonic() - started
    (run_dir / "container.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ImageError(f"{spec.slug}: smoke run exited with {proc.returncode}: {last}")
    output = output_dir / "output.json"
    if not output.is_file():
        raise ImageError(f"{spec.slug}: smoke run wrote no output.json")
    try:
        result = parse_output_envelope(output.read_bytes())
    except ValidationError as exc:
        problems = "; ".join(error_lines(exc))
        raise ImageError(f"{spec.slug}: invalid output.json: {problems}") from exc
    if result.run_id != envelope.run_id:
        raise ImageError(f"{spec.slug}: output.json carries another run_id")
    if result.status is not OutputStatus.SUCCESS:
        texts = "; ".join(m.text for m in result.messages)
        raise ImageError(f"{spec.slug}: smoke run ended {result.status.value}: {texts}")
    return seconds, result.status.value


# --------------------------------------------------------------------------- main


def build_one(
    engine: ContainerEngine, spec: ImageSpec, base: str, *, export: bool, smoke: bool
) -> ImageResult:
    result = ImageResult(slug=spec.slug, ref=spec.ref, base=base, max_size_mb=spec.max_size_mb)
    started = time.monotonic()
    _log(f"{spec.slug}: preparing wheels")
    context, workspace = prepare_context(spec)
    _log(f"{spec.slug}: building {spec.ref} on {base} with {engine.name}")
    build_image(engine, spec, base, context, workspace)
    result.build_seconds = round(time.monotonic() - started, 2)
    document = engine.inspect_image(spec.ref)
    result.size_bytes = int(str(document.get("Size") or 0))
    result.image_id = engine.image_id(spec.ref)
    result.labels = engine.image_labels(spec.ref)
    _log(
        f"{spec.slug}: built {spec.ref} in {result.build_seconds:.1f} s, "
        f"size {result.size_mb:.1f} MB ({result.size_bytes / 2**20:.1f} MiB), {result.image_id}"
    )
    if spec.max_size_mb is not None and result.size_mb > spec.max_size_mb:
        raise ImageError(
            f"{spec.slug}: image is {result.size_mb:.1f} MB, over its budget of "
            f"{spec.max_size_mb:g} MB (# purelms-image: max-size-mb in {spec.containerfile.name})"
        )
    if export:
        result.tarball = str(export_image(engine, spec).relative_to(ROOT))
        _log(f"{spec.slug}: exported {result.tarball}")
    if smoke:
        seconds, status = smoke_run(engine, spec)
        result.smoke_seconds = round(seconds, 3)
        result.smoke_status = status
        _log(f"{spec.slug}: smoke run (--network=none, read-only) {status} in {seconds:.2f} s")
    return result


def _describe(spec: ImageSpec) -> dict[str, Any]:
    return {
        "slug": spec.slug,
        "version": spec.version,
        "module": spec.manifest.module,
        "package": spec.package,
        "ref": spec.ref,
        "containerfile": str(spec.containerfile.relative_to(ROOT)),
        "max_size_mb": spec.max_size_mb,
    }


def _print_summary(results: list[ImageResult]) -> None:
    print(f"\n{'image':44} {'size MB':>8} {'budget':>7} {'build s':>8} {'smoke s':>8}  tarball")
    for r in results:
        budget = f"{r.max_size_mb:g}" if r.max_size_mb is not None else "-"
        smoke = f"{r.smoke_seconds:.2f}" if r.smoke_seconds is not None else "-"
        print(
            f"{r.ref:44} {r.size_mb:8.1f} {budget:>7} {r.build_seconds:8.1f} {smoke:>8}  "
            f"{r.tarball or '-'}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="images", description=__doc__.split("\n\n")[0])
    parser.add_argument("slugs", nargs="*", help="backends to build (default: every one)")
    parser.add_argument("--engine", choices=["docker", "podman"], help="force an engine")
    parser.add_argument(
        "--base", default=os.environ.get(BASE_ENV), help=f"base image (default: {DEFAULT_BASE})"
    )
    parser.add_argument("--no-export", action="store_true", help="skip the docker-archive")
    parser.add_argument("--no-smoke", action="store_true", help="skip the smoke run")
    parser.add_argument(
        "--list", action="store_true", help="print the images found as JSON and exit"
    )
    parser.add_argument(
        "--report", type=Path, default=DIST_DIR / "report.json", help="JSON report path"
    )
    args = parser.parse_args(argv)
    try:
        specs = image_specs(ROOT, args.slugs)
        if args.list:
            print(json.dumps([_describe(spec) for spec in specs], indent=2))
            return 0
        if not specs:
            raise ImageError("no backend has a Containerfile")
        engine = detect_engine(args.engine)
        base = resolve_base(engine, args.base)
        results = [
            build_one(engine, spec, base, export=not args.no_export, smoke=not args.no_smoke)
            for spec in specs
        ]
    except (ImageError, ContainerError) as exc:
        print(f"images: error: {exc}", file=sys.stderr)
        return 1
    _print_summary(results)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    report = {r.slug: {**asdict(r), "size_mb": round(r.size_mb, 1)} for r in results}
    args.report.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

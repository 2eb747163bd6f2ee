"""``ExecutionEnvironment``: run one ``SimTask`` through the local harness.

A ``SimTask`` maps onto a backend of this repository as follows:

* ``entrypoint`` is ``<module>.backend/<slug>`` (``entrypoint_for``): the
  ``Backend`` object that ``python -m <module>`` runs, and the slug as the
  scenario. Both must name the same manifest.
* ``bundle_ref`` must be the digest of that backend as it is in this checkout
  (``WorkspaceBundles``); a task pinned to other code is refused, not run.
* ``params`` are the input envelope's ``parameters`` as they are.
* ``seed`` is recorded (result row, metadata) but not passed: the runtime
  protocol has no seed, and the backends here are deterministic.
* ``outputs`` is ignored: a backend always produces its whole output model.

``HarnessExecutionEnvironment.run`` calls ``run_local`` exactly as
``purelms run`` does (input envelope, loopback callback server with a fresh
token, ``python -m <module>`` subprocess or, with an image, a container
started by ``_container.ContainerLauncher``, output checks, evidence), in a run
folder of its own under ``run_root``, and returns a ``SimReturn`` whose one
output table (``result``) is described in ``_sweep_table``. It never raises
for a failed run: every outcome, including a harness exception, is a row
with a status and a message, so no task is lost.

``run_task`` is the function Dask workers execute: it keeps one environment
(and so one callback server) per worker process and configuration.

**Runs per task are bounded.** When a worker dies, Dask reschedules the
tasks it was running (up to ``distributed.scheduler.allowed-failures`` times,
a setting of whichever scheduler runs the sweep). So that a task's backend
runs at most ``max_runs`` (= 1 + retries) times whatever that setting is,
each start of a submission claims its run folder by creating it exclusively
under a numbered name, ``<slug>-<param_id>-s<seed>-<submission>-<n>`` with
``n`` in ``1..max_runs`` (``run_root`` is shared by the client and every
worker). A start that finds every number taken does not run the backend
again: it returns an ``error`` row saying so. The folders of interrupted
starts stay, for inspection.
"""

from __future__ import annotations

import atexit
import functools
import os
import secrets
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelops_contracts import SimReturn, SimTask, TableArtifact
from purelms_harness import (
    BackendLauncher,
    BackendManifest,
    CallbackServer,
    LocalRunResult,
    ManifestError,
    RunRequest,
    RunRequestError,
    model_outputs,
    model_parameters,
    run_local,
)
from purelms_shared import MessageLevel, OutputStatus

from ._bundles import BundleNotFound, WorkspaceBundles, entrypoint_for
from ._table import RESULT_TABLE, result_table, table_to_ipc_stream

__all__ = [
    "STATUS_ERROR",
    "STATUS_PROTOCOL_ERROR",
    "EnvironmentConfig",
    "HarnessExecutionEnvironment",
    "failure_return",
    "run_task",
]

STATUS_PROTOCOL_ERROR = "protocol_error"
STATUS_ERROR = "error"


@dataclass(frozen=True, slots=True)
class EnvironmentConfig:
    """Where an environment finds the backends and keeps its run folders (picklable)."""

    repo_root: str
    run_root: str
    timeout_seconds: float | None = None
    #: Run this container image instead of the workspace's Python package.
    image: str | None = None


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _one_line(text: str, limit: int = 500) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _message_of(result: LocalRunResult) -> str:
    if result.problems:
        return _one_line("; ".join(result.problems))
    out = result.envelope_out
    if out is None or out.status is OutputStatus.SUCCESS:
        return ""
    for level in (MessageLevel.ERROR, MessageLevel.WARNING):
        for message in out.messages:
            if message.level is level:
                code = f"{message.code}: " if message.code else ""
                return _one_line(code + message.text)
    return f"run ended with status {out.status.value}"


@functools.cache
def _model_specs(module: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """The backend's parameters and outputs in the harness's terms (``integer``, ``array``).

    A result table types its columns from the backend's *models*, which name every output
    (the manifest declares only those v1 can type: a monthly series is not among them).
    None when the module cannot be imported here; the manifest's lists are used then.
    """
    from importlib import import_module

    try:
        backend = import_module(module).backend
        return model_parameters(backend.parameters_model), model_outputs(backend.outputs_model)
    except (ImportError, AttributeError, ManifestError):
        return None


def _table_specs(
    manifest: BackendManifest | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if manifest is None:
        return [], []
    return _model_specs(manifest.module) or (manifest.parameters, manifest.outputs)


def _build_return(
    task: SimTask,
    *,
    manifest: BackendManifest | None,
    status: str,
    message: str,
    outputs: dict[str, Any] | None = None,
    runtime_seconds: float | None = None,
    run_dir: str = "",
    started: float | None = None,
    worker: str | None = None,
) -> SimReturn:
    parameter_specs, output_specs = _table_specs(manifest)
    table = result_table(
        param_id=task.param_id,
        seed=task.seed,
        task_id=task.task_id,
        status=status,
        message=message,
        parameters=task.params.to_dict(),
        parameter_specs=parameter_specs,
        outputs=outputs,
        output_specs=output_specs,
        runtime_seconds=runtime_seconds,
        backend_version=manifest.version if manifest else "",
        run_dir=run_dir,
        worker=worker if worker is not None else _worker_name(),
    )
    metadata: dict[str, Any] = {
        "status": status,
        "message": message,
        "entrypoint": task.entrypoint,
        "bundle_ref": task.bundle_ref,
        "seed": task.seed,
        "run_dir": run_dir,
        "worker": worker if worker is not None else _worker_name(),
    }
    if started is not None:
        metadata["wall_seconds"] = round(time.monotonic() - started, 6)
    artifact = TableArtifact.from_bytes(table_to_ipc_stream(table))
    return SimReturn.from_task(task, {RESULT_TABLE: artifact}, metadata)


def failure_return(
    task: SimTask,
    message: str,
    *,
    manifest: BackendManifest | None = None,
    status: str = STATUS_ERROR,
    worker: str = "",
) -> SimReturn:
    """A ``SimReturn`` for a task that produced no result (its row says why)."""
    return _build_return(
        task, manifest=manifest, status=status, message=_one_line(message), worker=worker
    )


class HarnessExecutionEnvironment:
    """``modelops_contracts.ExecutionEnvironment`` running backends as harness subprocesses."""

    def __init__(self, config: EnvironmentConfig) -> None:
        self.config = config
        self.bundles = WorkspaceBundles(config.repo_root)
        self._server: CallbackServer | None = None
        self._engine: Any = None  # _container.ContainerEngine, detected on first image run
        self._lock = threading.Lock()
        self._closed = False

    def _callback_server(self) -> CallbackServer:
        with self._lock:
            if self._closed:
                raise RuntimeError("the execution environment was shut down")
            if self._server is None:
                self._server = CallbackServer(token=secrets.token_urlsafe(24)).start()
            return self._server

    def resolve(self, task: SimTask) -> tuple[BackendManifest, BackendLauncher | None]:
        """The manifest ``task`` names and, for an image, its launcher.

        Raises ``ManifestError``/``BundleNotFound`` (or ``ContainerError``).
        """
        manifest = self.bundles.manifest(task.scenario)
        if entrypoint_for(manifest) != task.entrypoint:
            raise ManifestError(
                f"entrypoint {task.entrypoint!r} does not name backend {manifest.slug!r} "
                f"(expected {entrypoint_for(manifest)!r})"
            )
        if self.config.image:
            launcher = self._launcher(self.config.image)
            if launcher.image_digest != task.bundle_ref:
                raise BundleNotFound(
                    f"image {self.config.image} is {launcher.image_digest}; the task pins "
                    f"{task.bundle_ref}"
                )
            return manifest, launcher
        slug = self.bundles.slug_for(task.bundle_ref)
        if slug != manifest.slug:
            raise BundleNotFound(
                f"bundle {task.bundle_ref} is backend {slug!r}, not {manifest.slug!r}"
            )
        return manifest, None

    def _launcher(self, image: str) -> BackendLauncher:
        """A fresh launcher per run: each names its own container."""
        from purelms_harness import ContainerLauncher, detect_engine

        with self._lock:
            if self._engine is None:
                self._engine = detect_engine()
            engine = self._engine
        return ContainerLauncher(image, engine=engine)

    def _claim_folder(
        self, manifest: BackendManifest, task: SimTask, submission: str | None, max_runs: int
    ) -> Path | None:
        """A fresh run folder; for a submission, the next of its ``max_runs`` (None: spent)."""
        stem = f"{manifest.slug}-{task.param_id[:12]}-s{task.seed}"
        root = Path(self.config.run_root)
        if submission is None:
            return root / f"{stem}-{secrets.token_hex(3)}"
        root.mkdir(parents=True, exist_ok=True)
        for number in range(1, max_runs + 1):
            folder = root / f"{stem}-{submission[-12:]}-{number}"
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            return folder
        return None

    def run(self, task: SimTask, submission: str | None = None, max_runs: int = 1) -> SimReturn:
        """Run ``task`` to completion; every outcome is a ``SimReturn`` (never raises for it).

        With ``submission`` (a unique key of this submission of the task), the
        backend runs at most ``max_runs`` times for it, however often it is
        started (see the module docstring).
        """
        started = time.monotonic()
        manifest: BackendManifest | None = None
        run_dir = ""
        try:
            manifest, launcher = self.resolve(task)
            folder = self._claim_folder(manifest, task, submission, max_runs)
            if folder is None:
                return _build_return(
                    task,
                    manifest=manifest,
                    status=STATUS_ERROR,
                    message=f"not run again: the task was started {max_runs} times "
                    "(1 + retries) and each time its worker was lost before it finished",
                    started=started,
                )
            run_dir = str(folder)
            request = RunRequest(
                parameters=task.params.to_dict(), timeout_seconds=self.config.timeout_seconds
            )
            result = run_local(
                manifest,
                request,
                server=self._callback_server(),
                run_dir=folder,
                launcher=launcher,
            )
        except (ManifestError, BundleNotFound, RunRequestError, OSError, RuntimeError) as exc:
            return _build_return(
                task,
                manifest=manifest,
                status=STATUS_ERROR,
                message=_one_line(f"{type(exc).__name__}: {exc}"),
                run_dir=run_dir,
                started=started,
            )
        except Exception as exc:  # a harness bug must still come back as a row
            frames = traceback.extract_tb(exc.__traceback__)
            where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
            return _build_return(
                task,
                manifest=manifest,
                status=STATUS_ERROR,
                message=_one_line(f"{type(exc).__name__}: {exc}{where}"),
                run_dir=run_dir,
                started=started,
            )
        out = result.envelope_out
        if result.problems:
            status = STATUS_PROTOCOL_ERROR
        else:
            status = out.status.value if out is not None else STATUS_PROTOCOL_ERROR
        return _build_return(
            task,
            manifest=manifest,
            status=status,
            message=_message_of(result),
            outputs=dict(out.outputs) if out is not None and status == "success" else None,
            runtime_seconds=out.runtime_seconds if out is not None else None,
            run_dir=run_dir,
            started=started,
        )

    def manifest_for(self, task: SimTask) -> BackendManifest | None:
        """The manifest of ``task``'s backend when it is known here (types its rows)."""
        try:
            return self.bundles.manifest(task.scenario)
        except ManifestError:
            return None

    def health_check(self) -> bool:
        """True when the backends are discoverable and ``run_root`` is writable."""
        if self._closed:
            return False
        try:
            self.bundles.manifests  # noqa: B018 - discovery is the check
            root = Path(self.config.run_root)
            root.mkdir(parents=True, exist_ok=True)
            return os.access(root, os.W_OK)
        except (ManifestError, OSError):
            return False

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            server, self._server = self._server, None
        if server is not None:
            server.stop()


_ENVIRONMENTS: dict[EnvironmentConfig, HarnessExecutionEnvironment] = {}
_ENVIRONMENTS_LOCK = threading.Lock()


def _environment(config: EnvironmentConfig) -> HarnessExecutionEnvironment:
    with _ENVIRONMENTS_LOCK:
        env = _ENVIRONMENTS.get(config)
        if env is None:
            env = _ENVIRONMENTS[config] = HarnessExecutionEnvironment(config)
        return env


@atexit.register
def _shutdown_environments() -> None:
    with _ENVIRONMENTS_LOCK:
        environments = list(_ENVIRONMENTS.values())
        _ENVIRONMENTS.clear()
    for env in environments:
        env.shutdown()


def run_task(
    config: EnvironmentConfig,
    task: SimTask,
    submission: str | None = None,
    max_runs: int = 1,
) -> SimReturn:
    """Run ``task`` in this process's environment for ``config`` (what Dask workers call).

    With ``submission`` (the Dask key), the backend runs at most ``max_runs``
    times for that submission, however often the task is rescheduled.
    """
    return _environment(config).run(task, submission, max_runs)

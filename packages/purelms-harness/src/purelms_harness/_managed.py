"""Run a backend as the platform's managed path does (``purelms run <slug> --managed``).

The backend (a process, or its image with ``--image``) gets exactly what a Cloud Run
Job gets (platform.md §4): no folders, only the managed environment — the input
envelope's ``gs://`` identity, sha256, size and generation, and signed URLs to fetch it,
to PUT ``output.json`` create-only and to read it back. They point at the harness's
loopback object store (``_object_store``); input files are uploaded there too and named
in the envelope by signed GET URLs. Callbacks carry Google OIDC ID tokens minted by
google-auth in the backend from the loopback metadata server (``_identity``), which the
callback server verifies (``--static-token`` uses a per-run bearer instead).

With ``service=True`` (``--service``) the backend is started in service mode
(``PURELMS_RUNTIME_MODE=service`` on a free loopback port) and driven the way a Cloud
Run service is: one ``purelms.service_execution.v1`` request with the same environment,
then the same request again (``redeliveries``), which must answer 200 without running
the backend again; then SIGTERM.

Objects live under ``gs://purelms-runs/runs/<run_id>/``: ``input/input.json``,
``input/<file>`` and ``output/output.json``. The run folder mirrors them at the same
relative paths (``input/``, ``output/``), so ``evidence.json`` can name each object by
its ``gs://`` URI and generation and ``purelms evidence verify`` can still check every
reference against the folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from purelms_runtime.protocol import (
    CALLBACK_BACKOFF_ENV,
    CALLBACK_TOKEN_ENV,
    INPUT_DIR_ENV,
    INPUT_ENVELOPE_NAME,
    INPUT_FETCH_URL_ENV,
    INPUT_GENERATION_ENV,
    INPUT_SHA256_ENV,
    INPUT_SIZE_BYTES_ENV,
    INPUT_URI_ENV,
    OUTPUT_DIR_ENV,
    OUTPUT_ENVELOPE_NAME,
    OUTPUT_UPLOAD_URL_ENV,
    OUTPUT_URI_ENV,
    OUTPUT_VERIFY_URL_ENV,
    PARENT_PID_ENV,
    PORT_ENV,
    PROGRESS_REPORTING_ENV,
    RUN_ID_ENV,
    RUNTIME_MODE_ENV,
    SERVICE_HOST_ENV,
)
from purelms_shared import (
    EVIDENCE_SCHEMA_V1,
    INPUT_SCHEMA_V1,
    SERVICE_EXECUTION_SCHEMA_V1,
    BackendCallbackEvent,
    CompleteCallback,
    EvidenceManifest,
    EvidenceReference,
    ExecutionContext,
    InputFile,
    ServiceEnvironment,
    ServiceExecutionRequest,
    SimulationInputEnvelope,
    error_lines,
)

from ._callback_server import CallbackServer, ReceivedCallback
from ._errors import RunCancelled, RunRequestError, describe_os_error
from ._evidence import EVIDENCE_NAME, READABLE_FILE_MODE, write_evidence
from ._identity import LoopbackIdentity
from ._local_run import (
    _STDERR_LOG,
    BackendLauncher,
    LocalRunResult,
    RunRequest,
    _check,
    _check_progress_interval,
    _input_sources,
    _OutputTail,
    _RunFolder,
    _stop,
    _wait,
    timeout_seconds_of,
)
from ._manifest import BackendManifest
from ._object_store import ObjectStore

__all__ = ["BUCKET", "ManagedLayout", "ManagedRunResult", "ManagedServiceLauncher", "run_managed"]

BUCKET = "purelms-runs"
_SERVING = re.compile(r"serving on (?P<host>[0-9.]+):(?P<port>\d+)")
_SERVICE_START_SECONDS = 60.0
#: How much later than the envelope's timeout the service request's deadline is.
_DEADLINE_GRACE_SECONDS = 10.0


class ManagedServiceLauncher(BackendLauncher, Protocol):
    """A launcher that can also start the backend without folders (``ContainerLauncher``)."""

    def managed_command(self, manifest: BackendManifest, env: Mapping[str, str]) -> list[str]: ...


@dataclass(frozen=True)
class ManagedLayout:
    """Where a managed run's objects are; handed to ``prepare`` before the backend starts.

    ``environment`` is the managed environment the backend will get: ``prepare`` (tests)
    may change it, e.g. after replacing the stored input envelope.
    """

    store: ObjectStore
    envelope: SimulationInputEnvelope
    input_uri: str
    output_uri: str
    environment: dict[str, str]


@dataclass
class ManagedRunResult(LocalRunResult):
    input_uri: str = ""
    output_uri: str = ""
    #: The stored output.json's generation (None: nothing stored).
    output_generation: int | None = None
    #: Service mode: the status of each answer, the first request then each redelivery.
    service_answers: list[int] = field(default_factory=list)


def _object_uri(run_id: uuid.UUID, relative: str) -> str:
    return f"gs://{BUCKET}/runs/{run_id}/{relative}"


def _upload(folder: _RunFolder, store: ObjectStore, run_id: uuid.UUID, relative: str) -> int:
    data = (folder.path / relative).read_bytes()
    return store.put(_object_uri(run_id, relative), data)


def run_managed(
    manifest: BackendManifest,
    request: RunRequest,
    *,
    server: CallbackServer,
    store: ObjectStore,
    run_dir: Path,
    identity: LoopbackIdentity | None = None,
    on_callback: Callable[[ReceivedCallback], None] | None = None,
    python: str = sys.executable,
    launcher: ManagedServiceLauncher | None = None,
    cancel: threading.Event | None = None,
    service: bool = False,
    redeliveries: int = 1,
    service_deadline_seconds: float | None = None,
    prepare: Callable[[ManagedLayout], None] | None = None,
) -> ManagedRunResult:
    """Run ``manifest``'s backend once on the managed path; never raises for its failures.

    ``identity`` given: callbacks carry OIDC ID tokens (verified); None: a per-run bearer.
    Raises ``RunRequestError`` and ``RunCancelled`` like ``run_local``.
    """
    timeout = timeout_seconds_of(request, manifest)
    interval = _check_progress_interval(request.progress_min_interval_seconds)
    sources = _input_sources(request)
    run_id = uuid.uuid4()
    folder = _RunFolder(run_dir)
    folder.create()
    try:
        generations: dict[str, int] = {}
        input_files = []
        for source in sources:
            relative = f"input/{source.entry.filename}"
            folder.stage([source], _placeholder_envelope(manifest, run_id, server))
            generations[relative] = _upload(folder, store, run_id, relative)
            signed = store.signed_url(_object_uri(run_id, relative), "GET")
            input_files.append(source.entry.model_copy(update={"uri": signed}))
        audience = server.base_url
        envelope = _envelope(manifest, request, run_id, server, input_files, timeout, interval)
        folder.stage([], envelope)
        generations["input/input.json"] = _upload(folder, store, run_id, "input/input.json")
        if cancel is not None and cancel.is_set():
            raise RunCancelled("cancelled before the backend started; nothing was run")
    except OSError as exc:
        folder.remove()
        raise RunRequestError(f"cannot stage the run: {describe_os_error(exc)}") from exc
    except BaseException:
        folder.remove()
        raise
    input_uri = _object_uri(run_id, "input/input.json")
    output_uri = _object_uri(run_id, "output/output.json")
    raw_input = (folder.input_dir / INPUT_ENVELOPE_NAME).read_bytes()
    managed_env = {
        INPUT_URI_ENV: input_uri,
        OUTPUT_URI_ENV: output_uri,
        INPUT_FETCH_URL_ENV: store.signed_url(input_uri, "GET"),
        OUTPUT_UPLOAD_URL_ENV: store.signed_url(output_uri, "PUT"),
        OUTPUT_VERIFY_URL_ENV: store.signed_url(output_uri, "GET"),
        RUN_ID_ENV: str(run_id),
        INPUT_SHA256_ENV: hashlib.sha256(raw_input).hexdigest(),
        INPUT_SIZE_BYTES_ENV: str(len(raw_input)),
        INPUT_GENERATION_ENV: str(generations["input/input.json"]),
    }
    token = server.register(
        str(run_id), on_callback, oidc_audience=audience if identity is not None else None
    )
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {INPUT_DIR_ENV, OUTPUT_DIR_ENV, CALLBACK_TOKEN_ENV}
    }
    base.update(
        {
            CALLBACK_BACKOFF_ENV: os.environ.get(CALLBACK_BACKOFF_ENV, "0.5"),
            PROGRESS_REPORTING_ENV: manifest.progress_reporting,
        }
    )
    if identity is not None:
        base.update(identity.environment())
    else:
        base[CALLBACK_TOKEN_ENV] = request.backend_token or token
    # The request's own environment (tests: mismatched identities) wins over everything.
    managed_env.update({k: v for k, v in request.env.items() if k in managed_env})
    extra = {k: v for k, v in request.env.items() if k not in managed_env}
    if prepare is not None:
        prepare(ManagedLayout(store, envelope, input_uri, output_uri, managed_env))
    dispatched_at = datetime.now(UTC)
    result = ManagedRunResult(
        run_dir=run_dir,
        envelope_in=envelope,
        exit_code=0,
        stderr="",
        callbacks=[],
        input_uri=input_uri,
        output_uri=output_uri,
    )
    try:
        if service:
            _drive_service(
                result,
                manifest,
                {**base, **extra},
                managed_env,
                launcher=launcher,
                python=python,
                run_dir=run_dir,
                deadline_seconds=(
                    service_deadline_seconds
                    if service_deadline_seconds is not None
                    else timeout + _DEADLINE_GRACE_SECONDS
                ),
                redeliveries=redeliveries,
                cancel=cancel,
            )
        else:
            env = {**base, **managed_env, PARENT_PID_ENV: str(os.getpid()), **extra}
            command = (
                launcher.managed_command(manifest, env)
                if launcher
                else [python, "-m", manifest.module]
            )
            _run_job(result, command, env, timeout, cancel, launcher, run_dir)
    except RunRequestError:
        # The backend could not be started (or never served): the run never started, so
        # nothing of it is kept and the same --out works on retry.
        server.forget(str(run_id))
        folder.remove()
        raise
    finally:
        completed_at = datetime.now(UTC)
        # A complete callback is POSTed before the process exits; give the server a moment.
        server.wait_for_complete(str(run_id), timeout=1.0 if result.exit_code == 0 else 0.1)
        result.callbacks = server.received(str(run_id))
        server.forget(str(run_id))
    stored = store.get(output_uri)
    if stored is not None:
        result.output_generation = stored.generation
        path = folder.output_dir / OUTPUT_ENVELOPE_NAME
        path.write_bytes(stored.data)
        path.chmod(READABLE_FILE_MODE)
    _check(result, folder.output_dir, None)
    _check_managed(result)
    if result.envelope_out is not None and stored is not None:
        references = [
            _reference(folder, store, run_id, "input_envelope", "input/input.json"),
            *(
                _reference(folder, store, run_id, f"input_file:{entry.role.value}", f"input/{n}")
                for entry in input_files
                for n in [entry.filename]
            ),
            _reference(folder, store, run_id, "output_envelope", "output/output.json"),
        ]
        evidence = EvidenceManifest(
            schema_version=EVIDENCE_SCHEMA_V1,
            run_id=run_id,
            student_id=envelope.student_id,
            course_id=envelope.course_id,
            block_id=envelope.block_id,
            backend_slug=envelope.backend_slug,
            backend_version=envelope.backend_version,
            backend_image_digest=launcher.image_digest if launcher else "",
            status=result.envelope_out.status,
            dispatched_at=dispatched_at,
            completed_at=completed_at,
            runtime_seconds=result.envelope_out.runtime_seconds,
            references=references,
        )
        path = run_dir / EVIDENCE_NAME
        try:
            result.evidence_sha256 = write_evidence(path, evidence)
            result.evidence_path = path
        except OSError as exc:
            result.problems.append(f"cannot write {path}: {describe_os_error(exc)}")
    return result


def _placeholder_envelope(
    manifest: BackendManifest, run_id: uuid.UUID, server: CallbackServer
) -> SimulationInputEnvelope:
    """``_RunFolder.stage`` writes an envelope too; the real one overwrites it afterwards."""
    return _envelope(manifest, RunRequest(), run_id, server, [], 1, 0.0)


def _envelope(
    manifest: BackendManifest,
    request: RunRequest,
    run_id: uuid.UUID,
    server: CallbackServer,
    input_files: list[InputFile],
    timeout: float,
    interval: float,
) -> SimulationInputEnvelope:
    try:
        return SimulationInputEnvelope(
            schema_version=INPUT_SCHEMA_V1,
            run_id=run_id,
            backend_slug=manifest.slug,
            backend_version=manifest.version,
            student_id=request.student_id,
            course_id=request.course_id,
            block_id=request.block_id,
            parameters=dict(request.parameters),
            input_files=input_files,
            context=ExecutionContext(
                callback_url_progress=server.url_for(str(run_id), BackendCallbackEvent.PROGRESS),
                callback_url_complete=server.url_for(str(run_id), BackendCallbackEvent.COMPLETE),
                callback_audience=server.base_url,
                timeout_seconds=timeout,
                progress_min_interval_seconds=interval,
            ),
        )
    except ValidationError as exc:
        raise RunRequestError("input envelope: " + "; ".join(error_lines(exc))) from exc


def _reference(
    folder: _RunFolder, store: ObjectStore, run_id: uuid.UUID, kind: str, relative: str
) -> EvidenceReference:
    data = (folder.path / relative).read_bytes()
    stored = store.get(_object_uri(run_id, relative))
    return EvidenceReference(
        kind=kind,
        uri=_object_uri(run_id, relative),
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        generation=stored.generation if stored else None,
    )


def _start(
    command: list[str], env: Mapping[str, str], run_dir: Path
) -> tuple[subprocess.Popen[bytes], _OutputTail]:
    try:
        process = subprocess.Popen(
            command,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        raise RunRequestError(f"cannot start {command[0]}: {describe_os_error(exc)}") from exc
    assert process.stdout is not None
    return process, _OutputTail(process.stdout, run_dir / _STDERR_LOG)


def _run_job(
    result: ManagedRunResult,
    command: list[str],
    env: Mapping[str, str],
    timeout: float,
    cancel: threading.Event | None,
    launcher: BackendLauncher | None,
    run_dir: Path,
) -> None:
    process, tail = _start(command, env, run_dir)
    try:
        result.exit_code, result.cancelled = _wait(process, timeout, cancel, launcher)
    except BaseException:
        _stop(process, launcher)
        process.wait()
        raise
    result.stderr = tail.join(timeout=5.0)


def service_request(
    run_id: str, environment: Mapping[str, str], deadline_seconds: float
) -> ServiceExecutionRequest:
    """The ``purelms.service_execution.v1`` body the platform would POST for this run."""
    timeout_at = datetime.now(UTC) + timedelta(seconds=deadline_seconds)
    return ServiceExecutionRequest(
        schema_version=SERVICE_EXECUTION_SCHEMA_V1,
        run_id=uuid.UUID(run_id),
        timeout_at=timeout_at,
        environment=ServiceEnvironment.model_validate(dict(environment)),
    )


def post_service_request(url: str, body: bytes, timeout: float) -> tuple[int, str]:
    """POST ``body`` to a service; (status, first line of the answer)."""
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace").strip()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace").strip()


def wait_for_service(
    process: subprocess.Popen[bytes], tail: _OutputTail, seconds: float = _SERVICE_START_SECONDS
) -> str:
    """The service's base URL, read from its ``serving on HOST:PORT`` line."""
    deadline = time.monotonic() + seconds
    seen = 0
    while True:
        for line in tail.lines():
            match = _SERVING.search(line)
            if match:
                return f"http://{match['host']}:{match['port']}"
        remaining = deadline - time.monotonic()
        if process.poll() is not None or remaining <= 0:
            break
        # Woken by the next line (or the output's end): no polling interval to wait out.
        seen = tail.wait_for_more(seen, min(remaining, 0.5))
    last = (tail.lines() or ["no output"])[-1].strip()
    raise RunRequestError(f"the backend did not start serving: {last}")


def _exit_code_within(process: subprocess.Popen[bytes], seconds: float) -> int | None:
    """The exit code once ``process`` exits within ``seconds``, seen at once (a thread
    blocks in wait(); Popen.wait with a timeout polls with sleeps up to 50 ms); else None."""
    exited = threading.Event()

    def wait() -> None:
        process.wait()
        exited.set()

    threading.Thread(target=wait, name="service-exit", daemon=True).start()
    return process.returncode if exited.wait(seconds) else None


def _drive_service(
    result: ManagedRunResult,
    manifest: BackendManifest,
    base: dict[str, str],
    managed_env: dict[str, str],
    *,
    launcher: ManagedServiceLauncher | None,
    python: str,
    run_dir: Path,
    deadline_seconds: float,
    redeliveries: int,
    cancel: threading.Event | None,
) -> None:
    env = {**base, RUNTIME_MODE_ENV: "service", PORT_ENV: "0", SERVICE_HOST_ENV: "127.0.0.1"}
    command = (
        launcher.managed_command(manifest, env) if launcher else [python, "-m", manifest.module]
    )
    process, tail = _start(command, env, run_dir)
    try:
        url = wait_for_service(process, tail)
        body = (
            service_request(managed_env[RUN_ID_ENV], managed_env, deadline_seconds)
            .model_dump_json()
            .encode()
        )
        for _ in range(1 + max(0, redeliveries)):
            if cancel is not None and cancel.is_set():
                result.cancelled = True
                break
            status, text = post_service_request(url + "/", body, deadline_seconds + 30)
            result.service_answers.append(status)
            if status != 200:
                result.problems.append(f"service answered HTTP {status}: {text[:200]}")
                break
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        code = _exit_code_within(process, 15.0)
        if code is None:
            _stop(process, launcher)
            code = process.wait()
        result.exit_code = code
        result.stderr = tail.join(timeout=5.0)


def _check_managed(result: ManagedRunResult) -> None:
    """What the platform checks on the managed path beyond ``_check``."""
    own = [
        c
        for c in result.callbacks
        if c.authenticated and c.accepted and isinstance(c.body, CompleteCallback)
    ]
    for callback in own:
        body = callback.body
        assert isinstance(body, CompleteCallback)
        if body.output_envelope_uri != result.output_uri:
            result.problems.append(
                f"complete callback names {body.output_envelope_uri}, not {result.output_uri}"
            )
        if body.output_generation != result.output_generation:
            result.problems.append(
                f"complete callback says generation {body.output_generation}, the store holds "
                f"{result.output_generation}"
            )

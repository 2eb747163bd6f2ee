"""Run a backend locally exactly as the platform would.

The harness builds a valid input envelope, stages the input directory,
serves the callback endpoints on loopback with a fresh bearer token, starts
the backend's entrypoint (``python -m <module>``) as a subprocess with the
runtime protocol's environment, and afterwards checks everything the
platform checks: the exit code, the output envelope against the schema, the
complete callback (exactly one, matching ``output.json``'s sha256 and size).
Then it writes ``evidence.json``. Nothing here is specific to one backend.
"""

from __future__ import annotations

import mimetypes
import os
import secrets
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from pydantic import JsonValue, ValidationError

from purelms_runtime.protocol import (
    CALLBACK_BACKOFF_ENV,
    CALLBACK_TOKEN_ENV,
    INPUT_DIR_ENV,
    OUTPUT_DIR_ENV,
)
from purelms_shared import (
    INPUT_SCHEMA_V1,
    BackendCallbackEvent,
    CompleteCallback,
    ExecutionContext,
    InputFile,
    InputFileRole,
    OutputStatus,
    SimulationInputEnvelope,
    SimulationOutputEnvelope,
    error_lines,
    parse_output_envelope,
)

from ._callback_server import CallbackServer, ReceivedCallback
from ._evidence import EVIDENCE_NAME, build_evidence, file_digest
from ._manifest import BackendManifest

__all__ = ["BackendLauncher", "LocalRunResult", "RunRequest", "default_run_dir", "run_local"]

_WATCHDOG_GRACE_SECONDS = 30.0


class BackendLauncher(Protocol):
    """Starts the backend some other way than ``python -m <module>`` (``_container``)."""

    #: Recorded as the evidence manifest's ``backend_image_digest``.
    image_digest: str

    def command(self, manifest: BackendManifest, env: Mapping[str, str]) -> list[str]: ...

    def stop(self) -> None: ...


@dataclass
class RunRequest:
    parameters: Mapping[str, JsonValue] = field(default_factory=dict)
    input_files: Sequence[tuple[InputFileRole, Path]] = ()
    out_dir: Path | None = None
    timeout_seconds: float | None = None
    progress_min_interval_seconds: float = 0.5
    student_id: int = 1
    course_id: int = 1
    block_id: int = 1
    #: Token handed to the backend; None means "the server's token" (tests pass a wrong one).
    backend_token: str | None = None
    #: Extra environment for the backend process.
    env: Mapping[str, str] = field(default_factory=dict)
    #: Override sha256 of input files in the envelope (tests: a file that does not match).
    input_sha256_overrides: Mapping[str, str] = field(default_factory=dict)


@dataclass
class LocalRunResult:
    run_dir: Path
    envelope_in: SimulationInputEnvelope
    exit_code: int
    stderr: str
    callbacks: list[ReceivedCallback]
    envelope_out: SimulationOutputEnvelope | None = None
    problems: list[str] = field(default_factory=list)
    evidence_path: Path | None = None

    @property
    def status(self) -> OutputStatus | None:
        return self.envelope_out.status if self.envelope_out else None

    @property
    def ok(self) -> bool:
        return not self.problems and self.status is OutputStatus.SUCCESS


def default_run_dir(root: Path, slug: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return root / "runs" / f"{slug}-{stamp}-{secrets.token_hex(3)}"


def _stage_input_files(request: RunRequest, input_dir: Path) -> list[InputFile]:
    staged = []
    for role, source in request.input_files:
        if not source.is_file():
            raise FileNotFoundError(f"--input-file {role.value}={source}: no such file")
        target = input_dir / source.name
        if target.name == "input.json" or target.exists():
            raise FileExistsError(
                f"--input-file {role.value}={source}: name clashes in {input_dir}"
            )
        shutil.copyfile(source, target)
        sha256, size = file_digest(target)
        staged.append(
            InputFile(
                role=role,
                mime_type=mimetypes.guess_type(target.name)[0] or "application/octet-stream",
                filename=target.name,
                uri=target.resolve().as_uri(),
                sha256=request.input_sha256_overrides.get(target.name, sha256),
                size_bytes=size,
            )
        )
    return staged


def run_local(
    manifest: BackendManifest,
    request: RunRequest,
    *,
    server: CallbackServer,
    run_dir: Path,
    on_callback: Callable[[ReceivedCallback], None] | None = None,
    python: str = sys.executable,
    launcher: BackendLauncher | None = None,
) -> LocalRunResult:
    """Run ``manifest``'s backend once against ``server``; never raises for backend failures."""
    input_dir = run_dir / "input"
    output_dir = run_dir / "output"
    if run_dir.exists() and any(run_dir.iterdir()):
        raise FileExistsError(f"run directory {run_dir} is not empty")
    input_dir.mkdir(parents=True)
    output_dir.mkdir()
    run_id = uuid.uuid4()
    timeout = request.timeout_seconds or manifest.default_timeout_seconds
    envelope = SimulationInputEnvelope(
        schema_version=INPUT_SCHEMA_V1,
        run_id=run_id,
        backend_slug=manifest.slug,
        backend_version=manifest.version,
        student_id=request.student_id,
        course_id=request.course_id,
        block_id=request.block_id,
        parameters=dict(request.parameters),
        input_files=_stage_input_files(request, input_dir),
        context=ExecutionContext(
            callback_url_progress=server.url_for(str(run_id), BackendCallbackEvent.PROGRESS),
            callback_url_complete=server.url_for(str(run_id), BackendCallbackEvent.COMPLETE),
            callback_audience="purelms-local-harness",
            timeout_seconds=float(timeout),
            progress_min_interval_seconds=request.progress_min_interval_seconds,
        ),
    )
    (input_dir / "input.json").write_text(envelope.model_dump_json(indent=2) + "\n")
    if on_callback is not None:
        server.listen(str(run_id), on_callback)
    env = {
        **os.environ,
        INPUT_DIR_ENV: str(input_dir),
        OUTPUT_DIR_ENV: str(output_dir),
        CALLBACK_TOKEN_ENV: request.backend_token
        if request.backend_token is not None
        else server.token,
        CALLBACK_BACKOFF_ENV: os.environ.get(CALLBACK_BACKOFF_ENV, "0.5"),
        **request.env,
    }
    dispatched_at = datetime.now(UTC)
    stderr_path = run_dir / "backend.stderr.log"
    with stderr_path.open("wb") as stderr_file:
        command = launcher.command(manifest, env) if launcher else [python, "-m", manifest.module]
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stderr_file,
            stderr=stderr_file,
        )
        try:
            exit_code = process.wait(timeout=timeout + _WATCHDOG_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            exit_code = process.wait()
            if launcher is not None:
                launcher.stop()
    completed_at = datetime.now(UTC)
    stderr = stderr_path.read_text(errors="replace")
    # A complete callback is POSTed before the process exits; give the server thread a moment.
    server.wait_for_complete(str(run_id), timeout=1.0 if exit_code == 0 else 0.1)
    result = LocalRunResult(
        run_dir=run_dir,
        envelope_in=envelope,
        exit_code=exit_code,
        stderr=stderr,
        callbacks=server.received(str(run_id)),
    )
    _check(result, output_dir)
    if result.envelope_out is not None:
        evidence = build_evidence(
            run_dir,
            envelope,
            result.envelope_out,
            input_dir=input_dir,
            output_dir=output_dir,
            dispatched_at=dispatched_at,
            completed_at=completed_at,
            image_digest=launcher.image_digest if launcher else "",
        )
        result.evidence_path = run_dir / EVIDENCE_NAME
        result.evidence_path.write_text(evidence.model_dump_json(indent=2) + "\n")
    return result


def _check(result: LocalRunResult, output_dir: Path) -> None:
    """Everything the platform would check after the container exits."""
    problems = result.problems
    if result.exit_code != 0:
        last = next(
            (line for line in reversed(result.stderr.splitlines()) if line.strip()), "no stderr"
        )
        problems.append(f"backend exited with code {result.exit_code}: {last}")
    for callback in result.callbacks:
        if not callback.accepted:
            problems.append(
                f"{callback.event.value} callback rejected with HTTP {callback.status_code}: "
                f"{callback.problem}"
            )
    output_path = output_dir / "output.json"
    if not output_path.exists():
        problems.append("no output.json was written")
        return
    raw = output_path.read_bytes()
    try:
        result.envelope_out = parse_output_envelope(raw)
    except ValidationError as exc:
        problems.append("output.json is invalid: " + "; ".join(error_lines(exc)))
        return
    if result.envelope_out.run_id != result.envelope_in.run_id:
        problems.append("output.json carries another run_id than the input envelope")
    completes = [
        c for c in result.callbacks if c.event is BackendCallbackEvent.COMPLETE and c.accepted
    ]
    if len(completes) != 1:
        problems.append(f"expected exactly one accepted complete callback, got {len(completes)}")
    else:
        body = completes[0].body
        assert isinstance(body, CompleteCallback)
        sha256, size = file_digest(output_path)
        if (body.output_sha256, body.output_size_bytes) != (sha256, size):
            problems.append("complete callback's sha256/size do not match output.json")

"""The runtime protocol, executed once per container start.

1. Read ``$PURELMS_INPUT_DIR/input.json`` and validate it against the wire
   contract. An unreadable or invalid envelope is a contract violation: one
   line on stderr, non-zero exit, no ``output.json``.
2. Validate parameters against the backend's model and verify every input
   file against its sha256 and size. Failures here are domain outcomes
   (``failed_runtime``) reported in a valid output envelope; the backend's
   function is never called.
3. Run the function in a forked child that starts its own session, so that
   a timeout (or SIGTERM, meaning cancel) kills it with every process it
   started. The child reports progress, messages, metrics and artifacts as
   events on a pipe; this process throttles progress callbacks.
4. Hash the artifacts, write ``output.json`` exclusively and atomically,
   then POST the complete callback with retries. Exit 0 for every domain
   outcome; non-zero only when the contract itself could not be honoured.

Artifact URIs in the output envelope are relative references (the artifact's
file name) resolved against the output envelope's own URI, so the platform
can move the output directory without rewriting the envelope.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from pydantic import BaseModel, ValidationError

from purelms_shared import (
    OUTPUT_SCHEMA_V1,
    CompleteCallback,
    InputFile,
    Message,
    MessageLevel,
    OutputArtifact,
    OutputStatus,
    ProgressCallback,
    ResourceFile,
    SimulationInputEnvelope,
    SimulationOutputEnvelope,
    error_lines,
    format_validation_error,
    parse_input_envelope,
)

from ._context import RunContext, StagedFile
from ._errors import ContractViolation, InputRejected, SimulationFailed
from ._files import UnsafePath, file_digest, safe_child, write_exclusive
from ._http import CallbackError, CallbackPoster
from ._process import kill_tree
from .protocol import (
    DEFAULT_INPUT_DIR,
    DEFAULT_OUTPUT_DIR,
    EXIT_CALLBACK_UNDELIVERED,
    EXIT_OK,
    EXIT_OUTPUT_EXISTS,
    INPUT_DIR_ENV,
    INPUT_ENVELOPE_NAME,
    KEEP_WORK_DIR_ENV,
    OUTPUT_DIR_ENV,
    OUTPUT_ENVELOPE_NAME,
    OUTPUT_URI_ENV,
    WORK_DIR_ENV,
)

__all__ = ["RunnableBackend", "run_backend"]

_POLL_SECONDS = 0.2


class RunnableBackend(Protocol):
    """What the supervisor needs of a backend (``purelms_runtime.Backend`` is one).

    A protocol rather than the class, so that the supervisor does not import the
    authoring API that imports it in turn to run itself.
    """

    slug: str

    @property
    def function(self) -> Callable[[Any, RunContext], BaseModel]: ...

    def validate_parameters(self, raw: Mapping[str, Any]) -> BaseModel: ...

    def dump_outputs(self, result: BaseModel) -> dict[str, Any]: ...


@dataclass
class _Outcome:
    status: OutputStatus = OutputStatus.FAILED_RUNTIME
    outputs: dict[str, Any] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    artifacts: list[tuple[str, str, str]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    def fail(self, status: OutputStatus, code: str, text: str) -> _Outcome:
        self.status = status
        self.messages.append(Message(level=MessageLevel.ERROR, code=code, text=text))
        return self


class _ProgressThrottle:
    """At most one progress callback per interval; the latest value is never lost."""

    def __init__(self, poster: CallbackPoster, url: str, interval: float, started: float):
        self._poster = poster
        self._url = url
        self._interval = interval
        self._started = started
        self._last_sent = -float("inf")
        self._pending: tuple[int, str] | None = None

    def offer(self, pct: int, step: str) -> None:
        self._pending = (pct, step)
        self.flush_if_due()

    def seconds_until_due(self) -> float:
        if self._pending is None:
            return float("inf")
        return max(0.0, self._last_sent + self._interval - time.monotonic())

    def flush_if_due(self) -> None:
        if self._pending is None or self.seconds_until_due() > 0:
            return
        pct, step = self._pending
        self._pending = None
        self._last_sent = time.monotonic()
        body = ProgressCallback(
            progress_pct=pct, step=step, elapsed_seconds=round(time.monotonic() - self._started, 3)
        )
        warning = self._poster.post_progress(self._url, body)
        if warning:
            print(f"purelms-runtime: warning: {warning}", file=sys.stderr)


def _read_envelope(input_dir: Path) -> SimulationInputEnvelope:
    path = input_dir / INPUT_ENVELOPE_NAME
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContractViolation(f"cannot read input envelope {path}: {exc.strerror}") from exc
    try:
        return parse_input_envelope(raw)
    except ValidationError as exc:
        problems = "; ".join(error_lines(exc))
        raise ContractViolation(f"invalid input envelope {path}: {problems}") from exc


def _stage_inputs(envelope: SimulationInputEnvelope, input_dir: Path) -> list[StagedFile]:
    """Find every input and resource file and check it against the envelope.

    Raises ``_StagingError`` (a domain failure) naming the file and the rule.
    """
    staged = []
    entries: list[InputFile | ResourceFile] = [*envelope.input_files, *envelope.resource_files]
    for entry in entries:
        what = f"input file {entry.filename!r}"
        try:
            path = safe_child(input_dir, entry.filename, what=what)
        except UnsafePath as exc:
            raise _StagingError("INPUT_FILE.UNSAFE_NAME", str(exc)) from exc
        if not path.is_file():
            parsed = urlparse(entry.uri)
            if parsed.scheme == "file" and Path(unquote(parsed.path)).is_file():
                path = Path(unquote(parsed.path))
            else:
                raise _StagingError(
                    "INPUT_FILE.MISSING", f"{what}: not found in {input_dir} nor at {entry.uri}"
                )
        sha256, size = file_digest(path)
        if size != entry.size_bytes:
            raise _StagingError(
                "INPUT_FILE.SIZE_MISMATCH",
                f"{what}: size is {size} bytes, the envelope says {entry.size_bytes}",
            )
        if sha256 != entry.sha256:
            raise _StagingError(
                "INPUT_FILE.SHA256_MISMATCH",
                f"{what}: sha256 is {sha256}, the envelope says {entry.sha256}",
            )
        staged.append(
            StagedFile(
                role=entry.role,
                filename=entry.filename,
                path=path,
                sha256=sha256,
                size_bytes=size,
                mime_type=entry.mime_type,
            )
        )
    return staged


class _StagingError(Exception):
    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def _worker(
    backend: RunnableBackend, params: BaseModel, context: RunContext, events: Connection
) -> None:
    """Body of the forked child: run the author's function, report one final event."""
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    final: tuple[Any, ...]
    try:
        result = backend.function(params, context)
        final = ("result", backend.dump_outputs(result))
    except SimulationFailed as exc:
        final = ("failed", OutputStatus.FAILED_SIMULATION, exc.code, exc.text, exc.messages)
    except InputRejected as exc:
        final = ("failed", OutputStatus.FAILED_RUNTIME, exc.code, exc.text, ())
    except BaseException as exc:  # everything else is a backend bug: failed_runtime
        traceback.print_exc(file=sys.stderr)
        text = f"{type(exc).__name__}: {exc}"
        final = ("failed", OutputStatus.FAILED_RUNTIME, "RUNTIME.EXCEPTION", text, ())
    events.send(final)
    events.close()


class _Supervisor:
    def __init__(self, backend: RunnableBackend) -> None:
        self.backend = backend
        self.input_dir = Path(os.environ.get(INPUT_DIR_ENV, DEFAULT_INPUT_DIR))
        self.output_dir = Path(os.environ.get(OUTPUT_DIR_ENV, DEFAULT_OUTPUT_DIR))
        self.poster = CallbackPoster.from_environment()
        self.started = time.monotonic()
        self.cancelled = False

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self.cancelled = True

    def run(self) -> int:
        envelope = _read_envelope(self.input_dir)
        if envelope.backend_slug != self.backend.slug:
            raise ContractViolation(
                f"input envelope is for backend {envelope.backend_slug!r}, "
                f"this entrypoint runs {self.backend.slug!r}"
            )
        output_path = self.output_dir / OUTPUT_ENVELOPE_NAME
        if not self.output_dir.is_dir():
            raise ContractViolation(f"output directory {self.output_dir} does not exist")
        if output_path.exists():
            raise ContractViolation(
                f"{output_path} already exists; an output envelope is never overwritten",
                exit_code=EXIT_OUTPUT_EXISTS,
            )
        ctx = envelope.context
        needs_token = not (
            self.poster.is_disabled(ctx.callback_url_progress)
            and self.poster.is_disabled(ctx.callback_url_complete)
        )
        if needs_token and not self.poster.token:
            raise ContractViolation(
                "PURELMS_CALLBACK_TOKEN is not set but the envelope asks for callbacks to "
                f"{ctx.callback_url_complete}"
            )
        signal.signal(signal.SIGTERM, self._on_sigterm)
        throttle = _ProgressThrottle(
            self.poster, ctx.callback_url_progress, ctx.progress_min_interval_seconds, self.started
        )
        throttle.offer(0, "started")
        outcome = self._execute(envelope, throttle)
        out = self._output_envelope(envelope, outcome)
        data = out.model_dump_json(indent=2).encode() + b"\n"
        try:
            write_exclusive(output_path, data)
        except FileExistsError as exc:
            raise ContractViolation(
                f"{output_path} appeared while the backend ran; not overwritten",
                exit_code=EXIT_OUTPUT_EXISTS,
            ) from exc
        return self._complete(output_path, data, ctx.callback_url_complete)

    def _complete(self, output_path: Path, data: bytes, url: str) -> int:
        base = os.environ.get(OUTPUT_URI_ENV)
        uri = (base.rstrip("/") + "/" + OUTPUT_ENVELOPE_NAME) if base else output_path.as_uri()
        body = CompleteCallback(
            output_envelope_uri=uri,
            exit_code=EXIT_OK,
            output_sha256=hashlib.sha256(data).hexdigest(),
            output_size_bytes=len(data),
            output_generation=None,
        )
        try:
            self.poster.post_complete(url, body)
        except CallbackError as exc:
            raise ContractViolation(
                f"{exc} ({output_path} is kept)", exit_code=EXIT_CALLBACK_UNDELIVERED
            ) from exc
        return EXIT_OK

    def _execute(self, envelope: SimulationInputEnvelope, throttle: _ProgressThrottle) -> _Outcome:
        outcome = _Outcome()
        try:
            params = self.backend.validate_parameters(envelope.parameters)
        except ValidationError as exc:
            outcome.status = OutputStatus.FAILED_RUNTIME
            for line in error_lines(exc):
                outcome.messages.append(
                    Message(
                        level=MessageLevel.ERROR, code="PARAMS.INVALID", text=f"parameters.{line}"
                    )
                )
            return outcome
        try:
            staged = _stage_inputs(envelope, self.input_dir)
        except _StagingError as exc:
            return outcome.fail(OutputStatus.FAILED_RUNTIME, exc.code, exc.text)
        if self.cancelled:
            return outcome.fail(
                OutputStatus.CANCELLED, "RUNTIME.CANCELLED", "cancelled before start"
            )
        work_parent = os.environ.get(WORK_DIR_ENV) or None
        work_dir = Path(tempfile.mkdtemp(prefix=f"purelms-{self.backend.slug}-", dir=work_parent))
        try:
            return self._run_worker(envelope, params, staged, work_dir, throttle, outcome)
        finally:
            if not os.environ.get(KEEP_WORK_DIR_ENV):
                shutil.rmtree(work_dir, ignore_errors=True)

    def _run_worker(
        self,
        envelope: SimulationInputEnvelope,
        params: BaseModel,
        staged: list[StagedFile],
        work_dir: Path,
        throttle: _ProgressThrottle,
        outcome: _Outcome,
    ) -> _Outcome:
        deadline = self.started + envelope.context.timeout_seconds
        receiver, sender = multiprocessing.Pipe(duplex=False)
        context = RunContext(
            run_id=envelope.run_id,
            input_dir=self.input_dir,
            output_dir=self.output_dir,
            work_dir=work_dir,
            input_files=staged,
            events=sender,
            started_at=self.started,
        )
        fork = multiprocessing.get_context("fork")
        process = fork.Process(
            target=_worker, args=(self.backend, params, context, sender), daemon=False
        )
        process.start()
        sender.close()
        final: tuple[Any, ...] | None = None
        try:
            while final is None:
                now = time.monotonic()
                if self.cancelled:
                    kill_tree(process.pid or 0)
                    return outcome.fail(
                        OutputStatus.CANCELLED, "RUNTIME.CANCELLED", "run cancelled (SIGTERM)"
                    )
                if now >= deadline:
                    kill_tree(process.pid or 0)
                    limit = envelope.context.timeout_seconds
                    return outcome.fail(
                        OutputStatus.TIMED_OUT,
                        "RUNTIME.TIMEOUT",
                        f"run exceeded timeout_seconds={limit:g}; the backend and every "
                        "process it started were killed",
                    )
                wait = min(_POLL_SECONDS, deadline - now, throttle.seconds_until_due())
                if receiver.poll(max(0.0, wait)):
                    try:
                        event = receiver.recv()
                    except EOFError:
                        break
                    final = self._handle_event(event, throttle, outcome)
                throttle.flush_if_due()
        finally:
            process.join(timeout=5)
            if process.pid is not None:
                kill_tree(process.pid)
            process.join()
            receiver.close()
        if final is None:
            code = process.exitcode
            how = f"was killed by signal {-code}" if code and code < 0 else f"exited with {code}"
            return outcome.fail(
                OutputStatus.FAILED_RUNTIME,
                "RUNTIME.CRASHED",
                f"the backend process {how} before reporting a result",
            )
        if final[0] == "result":
            outcome.status = OutputStatus.SUCCESS
            outcome.outputs = final[1]
            return outcome
        _, status, code, text, extra_messages = final
        outcome.messages.extend(extra_messages)
        return outcome.fail(status, code, text)

    def _handle_event(
        self, event: tuple[Any, ...], throttle: _ProgressThrottle, outcome: _Outcome
    ) -> tuple[Any, ...] | None:
        kind = event[0]
        if kind == "progress":
            throttle.offer(event[1], event[2])
        elif kind == "message":
            outcome.messages.append(event[1])
        elif kind == "metric":
            outcome.metrics[event[1]] = event[2]
        elif kind == "artifact":
            outcome.artifacts.append((event[1], event[2], event[3]))
        elif kind in ("result", "failed"):
            return event
        return None

    def _output_envelope(
        self, envelope: SimulationInputEnvelope, outcome: _Outcome
    ) -> SimulationOutputEnvelope:
        artifacts = []
        seen: set[str] = set()
        for name, label, mime_type in outcome.artifacts:
            if name in seen:
                continue
            seen.add(name)
            try:
                path = safe_child(self.output_dir, name, what=f"artifact {name!r}")
                sha256, size = file_digest(path)
            except (UnsafePath, OSError) as exc:
                outcome.fail(OutputStatus.FAILED_RUNTIME, "ARTIFACT.INVALID", str(exc))
                continue
            artifacts.append(
                OutputArtifact(
                    filename=name,
                    mime_type=mime_type,
                    uri=name,
                    sha256=sha256,
                    size_bytes=size,
                    label=label,
                )
            )
        try:
            return SimulationOutputEnvelope(
                schema_version=OUTPUT_SCHEMA_V1,
                run_id=envelope.run_id,
                status=outcome.status,
                outputs=outcome.outputs,
                artifacts=artifacts,
                messages=outcome.messages,
                metrics=outcome.metrics or None,
                runtime_seconds=round(time.monotonic() - self.started, 6),
            )
        except ValidationError as exc:
            # The backend produced outputs the wire contract cannot carry (e.g. NaN).
            return SimulationOutputEnvelope(
                schema_version=OUTPUT_SCHEMA_V1,
                run_id=envelope.run_id,
                status=OutputStatus.FAILED_RUNTIME,
                messages=[
                    *outcome.messages,
                    Message(
                        level=MessageLevel.ERROR,
                        code="OUTPUTS.INVALID",
                        text="outputs rejected by the wire contract: "
                        + format_validation_error(exc),
                    ),
                ],
                metrics=None,
                runtime_seconds=round(time.monotonic() - self.started, 6),
            )


def run_backend(backend: RunnableBackend) -> int:
    """Run ``backend`` once under the runtime protocol; return the process exit code."""
    try:
        return _Supervisor(backend).run()
    except ContractViolation as exc:
        print(f"purelms-runtime: {exc.text}", file=sys.stderr)
        return exc.exit_code

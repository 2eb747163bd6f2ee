"""The runtime protocol, executed once per container start.

1. Read ``$PURELMS_INPUT_DIR/input.json`` and validate it against the wire
   contract, and check that the output folder can be written (a small file
   is written and removed: read-only, forbidden and full folders fail here,
   before anything runs, exit 5 naming the errno). Each is a contract
   violation: one line on stderr, non-zero exit, no ``output.json``.
2. Validate parameters against the backend's model and verify every input
   file against its sha256 and size, reading input files from the input
   folder only. Failures here are domain outcomes (``failed_runtime``)
   reported in a valid output envelope; the backend's function is never called.
3. Run the function in a forked worker that starts its own session, so that
   a timeout or a cancel (SIGTERM or SIGINT) kills it with every process it
   started; the worker also dies with this process, taking its group and the
   work folder with it (``_process``). The worker reports progress, messages,
   metrics and artifacts as events on a pipe. Progress callbacks go out from
   a background sender (throttled, latest value kept, final value flushed
   within 0.5 s), so the deadline is enforced whatever the endpoint does.
4. Hash the artifacts (made mode 0644), write ``output.json`` (0644)
   exclusively and atomically, then POST the complete callback with retries
   within a total budget. Exit 0 for every domain outcome; non-zero only when
   the contract itself could not be honoured.

Artifact URIs in the output envelope are relative references (the artifact's
file name) resolved against the output envelope's own URI, so the platform
can move the output directory without rewriting the envelope.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import multiprocessing
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

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
from ._files import (
    READABLE_FILE_MODE,
    UnsafePath,
    describe_os_error,
    file_digest,
    safe_child,
    write_exclusive,
)
from ._http import CallbackError, CallbackPoster
from ._process import die_with_parent, kill_tree, start_reaper
from .protocol import (
    DEFAULT_INPUT_DIR,
    DEFAULT_OUTPUT_DIR,
    EXIT_CALLBACK_UNDELIVERED,
    EXIT_OK,
    EXIT_OUTPUT_EXISTS,
    EXIT_OUTPUT_UNWRITABLE,
    INPUT_DIR_ENV,
    INPUT_ENVELOPE_NAME,
    KEEP_WORK_DIR_ENV,
    OUTPUT_DIR_ENV,
    OUTPUT_ENVELOPE_NAME,
    OUTPUT_URI_ENV,
    PARENT_PID_ENV,
    WORK_DIR_ENV,
)

__all__ = ["RunnableBackend", "run_backend"]

_POLL_SECONDS = 0.2
#: How long the final progress callback may hold up output.json and complete.
_FINAL_PROGRESS_BUDGET_SECONDS = 0.5
#: Bytes written by the output folder's write check (a full disk fails it).
_WRITE_CHECK_BYTES = 4096


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


class _ProgressSender:
    """Posts progress callbacks from a background thread, never from the run's own loop.

    At most one callback per ``interval`` while the run goes on; the latest
    value offered is never lost (it replaces an unsent one). ``close`` sends
    the latest unsent value at once (the final state is never throttled) and
    waits for it at most ``budget`` seconds, so a hanging progress endpoint
    costs the run at most that much, never its deadline.
    """

    def __init__(self, poster: CallbackPoster, url: str, interval: float, started: float):
        self._poster = poster
        self._url = url
        self._interval = interval
        self._started = started
        self._cond = threading.Condition()
        self._pending: ProgressCallback | None = None
        self._last_sent = -math.inf
        self._closing = False
        self._thread: threading.Thread | None = None
        self._disabled = poster.is_disabled(url)

    def offer(self, pct: int, step: str) -> None:
        if self._disabled:
            return
        body = ProgressCallback(
            progress_pct=pct, step=step, elapsed_seconds=round(time.monotonic() - self._started, 3)
        )
        with self._cond:
            self._pending = body
            self._cond.notify()

    def start(self) -> None:
        if self._disabled or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._send_loop, name="progress", daemon=True)
        self._thread.start()

    def _next(self) -> ProgressCallback | None:
        with self._cond:
            while True:
                if self._pending is not None:
                    due = self._last_sent + self._interval
                    wait = 0.0 if self._closing else due - time.monotonic()
                    if wait <= 0:
                        body, self._pending = self._pending, None
                        self._last_sent = time.monotonic()
                        return body
                    self._cond.wait(wait)
                elif self._closing:
                    return None
                else:
                    self._cond.wait()

    def _send_loop(self) -> None:
        while (body := self._next()) is not None:
            warning = self._poster.post_progress(self._url, body)
            if warning:
                print(f"purelms-runtime: warning: {warning}", file=sys.stderr)

    def close(self, budget: float) -> None:
        if self._disabled:
            return
        self.start()
        with self._cond:
            self._closing = True
            self._cond.notify()
        assert self._thread is not None
        self._thread.join(budget)
        if self._thread.is_alive():
            print(
                f"purelms-runtime: warning: progress endpoint busy for more than {budget:g} s; "
                "the last progress callback may not be delivered",
                file=sys.stderr,
            )


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
        try:
            # Only the input folder: a file:// uri is where the launcher staged the file
            # from, never a place this process reads.
            if not path.is_file():
                raise _StagingError(
                    "INPUT_FILE.MISSING",
                    f"{what}: not found in the input folder {input_dir} (input files are "
                    "read from there only)",
                )
            sha256, size = file_digest(path)
        except OSError as exc:
            raise _StagingError(
                "INPUT_FILE.UNREADABLE", f"{what}: cannot read: {describe_os_error(exc)}"
            ) from exc
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
    backend: RunnableBackend,
    params: BaseModel,
    context: RunContext,
    events: Connection,
    supervisor: int,
    lifeline: int,
    lifeline_write_end: int,
    keep_work_dir: bool,
) -> None:
    """Body of the forked child: tie its life to the supervisor's, run the function once.

    It leads a session of its own (so a kill of its group reaches every process
    the function starts), dies with the supervisor (parent-death SIGKILL) and
    leaves a reaper that kills its group and removes the work folder when the
    supervisor is gone (``_process``). Then it creates the work folder, runs the
    author's function and reports one final event.
    """
    os.close(lifeline_write_end)  # only the supervisor holds it: EOF means it is gone
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    with contextlib.suppress(OSError):  # without prctl, the reaper still cleans up
        die_with_parent(signal.SIGKILL)
    if os.getppid() != supervisor:  # it died before the kernel was asked
        os._exit(1)
    try:
        start_reaper(lifeline, os.getpid(), context.work_dir, keep_work_dir=keep_work_dir)
    except OSError as exc:  # e.g. a process limit: the run goes on, less protected
        print(
            f"purelms-runtime: warning: no reaper for this run ({describe_os_error(exc)}); "
            "if the supervisor is killed, processes the backend started may outlive it",
            file=sys.stderr,
        )
    os.close(lifeline)
    final: tuple[Any, ...]
    try:
        context.work_dir.mkdir(mode=0o700)
    except OSError as exc:
        text = f"cannot create the work folder {context.work_dir}: {describe_os_error(exc)}"
        events.send(("failed", OutputStatus.FAILED_RUNTIME, "RUNTIME.WORK_DIR", text, ()))
        events.close()
        return
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


def _check_writable(output_dir: Path) -> None:
    """Write (and remove) a small file in ``output_dir``; ContractViolation naming the errno.

    Run before anything else, so a read-only, forbidden or full output folder is
    found before the simulation spends its time, not when output.json is due.
    """
    try:
        fd, name = tempfile.mkstemp(prefix=".purelms-write-check-", dir=output_dir)
        try:
            os.write(fd, bytes(_WRITE_CHECK_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        raise ContractViolation(
            f"output directory {output_dir} is not writable: {describe_os_error(exc)}; "
            "nothing was run",
            exit_code=EXIT_OUTPUT_UNWRITABLE,
        ) from exc


class _Supervisor:
    def __init__(self, backend: RunnableBackend) -> None:
        self.backend = backend
        self.input_dir = Path(os.environ.get(INPUT_DIR_ENV, DEFAULT_INPUT_DIR))
        self.output_dir = Path(os.environ.get(OUTPUT_DIR_ENV, DEFAULT_OUTPUT_DIR))
        self.started = time.monotonic()
        #: Name of the signal that cancelled the run (SIGTERM, SIGINT), if any.
        self.cancelled_by: str | None = None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.cancelled_by is None:
            self.cancelled_by = signal.Signals(signum).name

    def _die_with_launcher(self) -> None:
        """SIGTERM (cancel) when the launcher named by ``PURELMS_PARENT_PID`` dies."""
        raw = os.environ.get(PARENT_PID_ENV)
        if not raw:
            return
        try:
            parent = int(raw)
        except ValueError:
            raise ContractViolation(f"{PARENT_PID_ENV}={raw!r}: must be a process id") from None
        if parent != os.getppid():
            return  # started through something else (a container engine): nothing to tie
        die_with_parent(signal.SIGTERM)
        if os.getppid() != parent:  # the launcher died before the kernel was asked
            self._on_signal(signal.SIGTERM, None)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self._die_with_launcher()
        poster = CallbackPoster.from_environment()
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
        _check_writable(self.output_dir)
        ctx = envelope.context
        needs_token = not (
            poster.is_disabled(ctx.callback_url_progress)
            and poster.is_disabled(ctx.callback_url_complete)
        )
        if needs_token and not poster.token:
            raise ContractViolation(
                "PURELMS_CALLBACK_TOKEN is not set but the envelope asks for callbacks to "
                f"{ctx.callback_url_complete}"
            )
        progress = _ProgressSender(
            poster, ctx.callback_url_progress, ctx.progress_min_interval_seconds, self.started
        )
        progress.offer(0, "started")
        try:
            outcome = self._execute(envelope, progress)
        finally:
            progress.close(_FINAL_PROGRESS_BUDGET_SECONDS)
        out = self._output_envelope(envelope, outcome)
        data = out.model_dump_json(indent=2).encode() + b"\n"
        try:
            write_exclusive(output_path, data)
        except FileExistsError as exc:
            raise ContractViolation(
                f"{output_path} appeared while the backend ran; not overwritten",
                exit_code=EXIT_OUTPUT_EXISTS,
            ) from exc
        except OSError as exc:
            raise ContractViolation(
                f"cannot write {output_path}: {describe_os_error(exc)}",
                exit_code=EXIT_OUTPUT_UNWRITABLE,
            ) from exc
        return self._complete(poster, output_path, data, ctx.callback_url_complete)

    def _complete(self, poster: CallbackPoster, output_path: Path, data: bytes, url: str) -> int:
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
            poster.post_complete(url, body)
        except CallbackError as exc:
            raise ContractViolation(
                f"{exc} ({output_path} is kept)", exit_code=EXIT_CALLBACK_UNDELIVERED
            ) from exc
        return EXIT_OK

    def _cancelled(self, outcome: _Outcome, when: str = "") -> _Outcome:
        text = f"run cancelled ({self.cancelled_by}){when}"
        return outcome.fail(OutputStatus.CANCELLED, "RUNTIME.CANCELLED", text)

    def _execute(self, envelope: SimulationInputEnvelope, progress: _ProgressSender) -> _Outcome:
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
        if self.cancelled_by:
            return self._cancelled(outcome, " before start")
        return self._run_worker(envelope, params, staged, progress, outcome)

    def _work_dir(self) -> Path:
        """A fresh scratch folder's path; the worker creates it, the reaper can remove it."""
        parent = os.environ.get(WORK_DIR_ENV) or tempfile.gettempdir()
        return Path(parent) / f"purelms-{self.backend.slug}-{secrets.token_hex(8)}"

    def _run_worker(
        self,
        envelope: SimulationInputEnvelope,
        params: BaseModel,
        staged: list[StagedFile],
        progress: _ProgressSender,
        outcome: _Outcome,
    ) -> _Outcome:
        deadline = self.started + envelope.context.timeout_seconds
        work_dir = self._work_dir()
        keep_work_dir = bool(os.environ.get(KEEP_WORK_DIR_ENV))
        receiver, sender = multiprocessing.Pipe(duplex=False)
        lifeline, lifeline_write_end = os.pipe()
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
            target=_worker,
            args=(
                self.backend,
                params,
                context,
                sender,
                os.getpid(),
                lifeline,
                lifeline_write_end,
                keep_work_dir,
            ),
            daemon=False,
        )
        try:
            process.start()
        finally:
            sender.close()
            os.close(lifeline)
        progress.start()  # after the fork: the worker never inherits a sending thread
        final: tuple[Any, ...] | None = None
        try:
            while final is None:
                now = time.monotonic()
                if self.cancelled_by:
                    kill_tree(process.pid or 0)
                    return self._cancelled(outcome)
                if now >= deadline:
                    kill_tree(process.pid or 0)
                    limit = envelope.context.timeout_seconds
                    return outcome.fail(
                        OutputStatus.TIMED_OUT,
                        "RUNTIME.TIMEOUT",
                        f"run exceeded timeout_seconds={limit:g}; the backend and every "
                        "process it started were killed",
                    )
                if receiver.poll(max(0.0, min(_POLL_SECONDS, deadline - now))):
                    try:
                        event = receiver.recv()
                    except EOFError:
                        break
                    final = self._handle_event(event, progress, outcome)
        finally:
            process.join(timeout=5)
            if process.pid is not None:
                kill_tree(process.pid)
            process.join()
            receiver.close()
            os.close(lifeline_write_end)
            if not keep_work_dir:
                shutil.rmtree(work_dir, ignore_errors=True)
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
        self, event: tuple[Any, ...], progress: _ProgressSender, outcome: _Outcome
    ) -> tuple[Any, ...] | None:
        kind = event[0]
        if kind == "progress":
            progress.offer(event[1], event[2])
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
                os.chmod(path, READABLE_FILE_MODE)  # the platform reads it, maybe as another user
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

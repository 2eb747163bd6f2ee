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
import gc
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
    Message,
    MessageLevel,
    OutputArtifact,
    OutputStatus,
    ProgressCallback,
    SimulationInputEnvelope,
    SimulationOutputEnvelope,
    error_lines,
    format_validation_error,
)

from ._auth import TokenError, token_provider
from ._config import RuntimeConfig, runtime_config
from ._context import RunContext, StagedFile
from ._errors import ContractViolation, InputRejected, SimulationFailed
from ._files import READABLE_FILE_MODE, UnsafePath, describe_os_error, file_digest, safe_child
from ._http import CallbackError, CallbackPoster
from ._io import RunIO, StagingError, StoredOutput, run_io
from ._process import die_with_parent, kill_tree, start_reaper
from .protocol import EXIT_CALLBACK_UNDELIVERED, EXIT_OK, PROGRESS_MILESTONES

__all__ = ["RunnableBackend", "run_backend"]

_POLL_SECONDS = 0.2
#: How long the final progress callback may hold up output.json and complete.
_FINAL_PROGRESS_BUDGET_SECONDS = 0.5


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
    """Posts progress milestones from a background thread, never from the run's own loop.

    With ``progress_reporting: percentage`` a reported percentage is rounded down to a
    milestone (0, 25, 50, 75, 100) and only a milestone above the last one offered goes
    out, so each is sent at most once and never goes back. At most one callback per
    ``interval`` while the run goes on; a milestone waiting for its turn is replaced by a
    higher one (the latest is never lost). 100 is never delayed: it goes out at once, as
    does whatever is pending when ``close`` is called, which waits for it at most
    ``budget`` seconds, so a hanging progress endpoint costs the run at most that much,
    never its deadline. With ``none`` (or no progress URL) nothing is sent at all.
    """

    def __init__(
        self, poster: CallbackPoster, url: str, interval: float, started: float, *, enabled: bool
    ):
        self._poster = poster
        self._url = url
        self._interval = interval
        self._started = started
        self._cond = threading.Condition()
        self._pending: ProgressCallback | None = None
        self._highest = -1
        self._last_sent = -math.inf
        self._closing = False
        self._thread: threading.Thread | None = None
        self._disabled = not enabled or poster.is_disabled(url)

    def offer(self, pct: int, step: str) -> None:
        if self._disabled:
            return
        milestone = max(m for m in PROGRESS_MILESTONES if m <= max(0, min(100, pct)))
        with self._cond:
            if milestone <= self._highest:
                return
            self._highest = milestone
            self._pending = ProgressCallback(
                progress_pct=milestone,
                step=step,
                elapsed_seconds=round(time.monotonic() - self._started, 3),
            )
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
                    final = self._closing or self._pending.progress_pct == 100
                    wait = 0.0 if final else due - time.monotonic()
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


class _Supervisor:
    def __init__(self, backend: RunnableBackend, config: RuntimeConfig) -> None:
        self.backend = backend
        self.config = config
        self.io: RunIO | None = None
        #: Who posts the callbacks, when the envelope asks for any.
        self._poster: CallbackPoster | None = None
        self.started = time.monotonic()
        #: Name of the signal that cancelled the run (SIGTERM, SIGINT), if any.
        self.cancelled_by: str | None = None

    @property
    def input_dir(self) -> Path:
        assert self.io is not None
        return self.io.input_dir

    @property
    def output_dir(self) -> Path:
        assert self.io is not None
        return self.io.output_dir

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.cancelled_by is None:
            self.cancelled_by = signal.Signals(signum).name

    def _die_with_launcher(self) -> None:
        """SIGTERM (cancel) when the launcher named by ``PURELMS_PARENT_PID`` dies."""
        parent = self.config.parent_pid
        if parent is None or parent != os.getppid():
            return  # not set, or started through something else (a container engine)
        die_with_parent(signal.SIGTERM)
        if os.getppid() != parent:  # the launcher died before the kernel was asked
            self._on_signal(signal.SIGTERM, None)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self._die_with_launcher()
        self.io = run_io(self.config)
        try:
            return self._run(self.io)
        finally:
            self.io.close()

    def _run(self, io: RunIO) -> int:
        envelope = io.read_envelope()
        if envelope.backend_slug != self.backend.slug:
            raise ContractViolation(
                f"input envelope is for backend {envelope.backend_slug!r}, "
                f"this entrypoint runs {self.backend.slug!r}"
            )
        ctx = envelope.context
        tokens = token_provider(self.config.callback_token)
        poster = CallbackPoster.from_config(self.config, tokens, ctx.callback_audience)
        wants_callbacks = not (
            poster.is_disabled(ctx.callback_url_progress)
            and poster.is_disabled(ctx.callback_url_complete)
        )
        self._poster = poster if wants_callbacks else None
        if wants_callbacks:
            try:
                tokens.check(ctx.callback_audience)
            except TokenError as exc:
                raise ContractViolation(
                    f"callbacks to {ctx.callback_url_complete} cannot be authenticated "
                    f"(PURELMS_CALLBACK_TOKEN is not set, so a {tokens.kind} is needed): {exc}; "
                    "nothing was run"
                ) from exc
        stored = io.stored_output(envelope)
        if stored is not None:  # a redelivery: the completion again, nothing recomputed
            print(
                f"purelms-runtime: {stored.uri} is already stored for run {envelope.run_id} "
                f"(generation {stored.generation}); sending its completion, computing nothing",
                file=sys.stderr,
            )
            return self._complete(poster, stored, ctx.callback_url_complete)
        io.prepare_output()
        progress = _ProgressSender(
            poster,
            ctx.callback_url_progress,
            ctx.progress_min_interval_seconds,
            self.started,
            enabled=self.config.progress_reporting == "percentage",
        )
        progress.offer(0, "started")
        try:
            outcome = self._execute(envelope, progress)
            if outcome.status is OutputStatus.SUCCESS:
                progress.offer(100, "complete")
        finally:
            progress.close(_FINAL_PROGRESS_BUDGET_SECONDS)
        out = self._output_envelope(envelope, outcome)
        data = out.model_dump_json(indent=2).encode() + b"\n"
        stored = io.store(data, envelope)
        if stored.preexisting:
            print(
                f"purelms-runtime: {stored.uri} was stored for this run while it computed; "
                "that output stands (nothing overwritten) and its completion is sent",
                file=sys.stderr,
            )
        return self._complete(poster, stored, ctx.callback_url_complete)

    def _complete(self, poster: CallbackPoster, stored: StoredOutput, url: str) -> int:
        body = CompleteCallback(
            output_envelope_uri=stored.uri,
            exit_code=EXIT_OK,
            output_sha256=stored.sha256,
            output_size_bytes=stored.size_bytes,
            output_generation=stored.generation,
        )
        try:
            poster.post_complete(url, body)
        except CallbackError as exc:
            raise ContractViolation(
                f"{exc} ({stored.uri} is kept)", exit_code=EXIT_CALLBACK_UNDELIVERED
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
        assert self.io is not None
        try:
            staged = self.io.stage_inputs(envelope)
        except StagingError as exc:
            return outcome.fail(OutputStatus.FAILED_RUNTIME, exc.code, exc.text)
        if self.cancelled_by:
            return self._cancelled(outcome, " before start")
        return self._run_worker(envelope, params, staged, progress, outcome)

    def _work_dir(self) -> Path:
        """A fresh scratch folder's path; the worker creates it, the reaper can remove it."""
        parent = self.config.work_dir_parent or Path(tempfile.gettempdir())
        return parent / f"purelms-{self.backend.slug}-{secrets.token_hex(8)}"

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
        keep_work_dir = self.config.keep_work_dir
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
        if self._poster is not None:
            self._poster.warm_up()  # imported while the worker computes, not after it
        # The contract's models build on first use (``defer_build``): the output envelope
        # and the completion (5-10 ms) are built now, while the worker computes, instead
        # of after it. Nothing to do where they are built already (a forked zygote).
        SimulationOutputEnvelope.model_rebuild()
        CompleteCallback.model_rebuild()
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
        assert self.io is not None
        if artifacts and not self.io.stores_artifacts:
            names = ", ".join(a.filename for a in artifacts)
            outcome.messages.append(
                Message(
                    level=MessageLevel.DEBUG,
                    code="RUNTIME.ARTIFACTS_NOT_STORED",
                    text=f"{len(artifacts)} artifact(s) not stored on the managed path (no "
                    f"upload URL is given for them): {names}",
                )
            )
            artifacts = []
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
    """Run ``backend`` under the runtime protocol; return the process exit code.

    Once (a job: local or managed, by the environment's shape), or, with
    ``PURELMS_RUNTIME_MODE=service``, as an HTTP service running each request's job in a
    child process (``_service``).
    """
    # What the process imported is its life-long state: frozen out of the collector's
    # sight (gc.freeze), so neither the run's collections nor the interpreter's final one
    # walk it, and the forked worker shares those pages instead of copying them as the
    # collector touches them (the use Python's documentation gives for gc.freeze).
    gc.freeze()
    try:
        config = runtime_config()
        if config.service:
            from ._service import serve

            return serve(backend.slug, config)
        return _Supervisor(backend, config).run()
    except ContractViolation as exc:
        print(f"purelms-runtime: {exc.text}", file=sys.stderr)
        return exc.exit_code

"""Run a backend locally exactly as the platform would.

The harness builds a valid input envelope, stages the input directory,
registers the run with the loopback callback server (which gives the run a
bearer token of its own), starts the backend's entrypoint (``python -m
<module>``, or the caller's zygote of it, see ``_zygote``) as a process of its own
with the runtime protocol's environment, and
afterwards checks everything the platform checks: the exit code, the output
envelope against the schema, the complete callback (exactly one, matching
``output.json``'s sha256 and size). Then it writes ``evidence.json``. Nothing
here is specific to one backend.

How it fails (each rule has a test in ``test_harness_faults``):

* **Refused before anything exists.** The timeout, the progress interval, the
  input files (read and hashed where they are) and the envelope itself are
  checked before the run folder is created. A refusal is a
  ``RunRequestError``: one line naming the field and the rule.
* **Nothing left that blocks a retry.** If the run folder cannot be staged
  (a full disk, a read-only folder), what was created is removed again, so a
  retry with the same folder works. A run folder whose backend *ran* is kept:
  it is that run's record, and a run is never overwritten.
* **The backend's last words survive a full disk.** Its output goes through a
  pipe; the last lines are kept in memory and copied to ``backend.stderr.log``,
  so a log that cannot be written (on the same full disk) still leaves the
  line that says what went wrong.
* **Cancel.** Setting ``cancel`` forwards SIGTERM to the backend once (the
  runtime then ends the run as ``cancelled``, with output and evidence as
  usual) and SIGKILLs it after 10 s more. The backend runs in its own session,
  so a terminal's Ctrl-C reaches only the harness, which forwards it. The
  backend is told the harness's pid (``PURELMS_PARENT_PID``) and cancels
  itself if the harness dies.
* **Only the run's own callbacks count.** The verdict reads authenticated
  callbacks only (those carrying the run's token): requests from anyone else
  are recorded but never change it.
* ``evidence.json`` is written atomically, mode 0644; its sha256 is returned
  (``evidence_sha256``) for the caller to print and the platform to record.
"""

from __future__ import annotations

import contextlib
import math
import mimetypes
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from pydantic import JsonValue, ValidationError

from purelms_runtime.protocol import (
    CALLBACK_BACKOFF_ENV,
    CALLBACK_TOKEN_ENV,
    INPUT_DIR_ENV,
    INPUT_ENVELOPE_NAME,
    OUTPUT_DIR_ENV,
    OUTPUT_ENVELOPE_NAME,
    PARENT_PID_ENV,
    PROGRESS_REPORTING_ENV,
)
from purelms_shared import (
    INPUT_SCHEMA_V1,
    BackendCallbackEvent,
    CompleteCallback,
    EvidenceManifest,
    ExecutionContext,
    InputFile,
    InputFileRole,
    Message,
    OutputStatus,
    ProgressCallback,
    SimulationInputEnvelope,
    SimulationOutputEnvelope,
    error_lines,
    parse_output_envelope,
)

from ._errors import RunCancelled, RunRequestError, describe_os_error
from ._evidence import (
    EVIDENCE_NAME,
    READABLE_FILE_MODE,
    build_evidence,
    file_digest,
    write_evidence,
)
from ._manifest import BackendManifest
from ._zygote import Zygote

if TYPE_CHECKING:  # imported by the caller, after the backend's fork (see cli.cmd_run)
    from purelms_runtime import Backend

    from ._callback_server import CallbackServer, ReceivedCallback

__all__ = [
    "BackendLauncher",
    "LocalRunResult",
    "RunRequest",
    "build_contract_validators",
    "default_run_dir",
    "prepare_backend_process",
    "run_local",
    "timeout_seconds_of",
]

_WATCHDOG_GRACE_SECONDS = 30.0
_CANCEL_GRACE_SECONDS = 10.0
_WAIT_STEP_SECONDS = 0.1
_STDERR_LOG = "backend.stderr.log"
_STDERR_TAIL_LINES = 400
_STDERR_LINE_LIMIT = 1 << 16
_READABLE_DIR_MODE = 0o755


class _Process(Protocol):
    """What a run needs of the backend's process: ``subprocess.Popen`` or a forked zygote."""

    pid: int

    def wait(self) -> int: ...

    def send_signal(self, signum: int) -> None: ...


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
    #: Seconds > 0 (the CLI takes whole seconds); None: the manifest's default.
    timeout_seconds: float | None = None
    progress_min_interval_seconds: float = 0.5
    student_id: int = 1
    course_id: int = 1
    block_id: int = 1
    #: Token handed to the backend; None means "the run's token" (tests pass a wrong one).
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
    #: The last lines of the backend's stdout and stderr (kept in memory).
    stderr: str
    callbacks: list[ReceivedCallback]
    envelope_out: SimulationOutputEnvelope | None = None
    problems: list[str] = field(default_factory=list)
    evidence_path: Path | None = None
    #: sha256 of evidence.json as written (for the platform to record).
    evidence_sha256: str | None = None
    #: True when a cancel was forwarded to the backend.
    cancelled: bool = False

    @property
    def status(self) -> OutputStatus | None:
        return self.envelope_out.status if self.envelope_out else None

    @property
    def ok(self) -> bool:
        return not self.problems and self.status is OutputStatus.SUCCESS


def default_run_dir(root: Path, slug: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return root / "runs" / f"{slug}-{stamp}-{secrets.token_hex(3)}"


def timeout_seconds_of(request: RunRequest, manifest: BackendManifest) -> float:
    """The run's ``timeout_seconds`` (> 0, finite), else ``RunRequestError``.

    None means the manifest's default; 0 is refused, never read as "the default".
    Whole seconds come back as an ``int`` (the CLI accepts nothing else); a
    fraction is passed on as the wire contract allows it.
    """
    value: object = request.timeout_seconds
    if value is None:
        value = manifest.default_timeout_seconds
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise RunRequestError(f"timeout_seconds {value!r}: must be a number of seconds > 0")
    return int(value) if value == int(value) else float(value)


def _check_progress_interval(value: float) -> float:
    if isinstance(value, bool) or not (math.isfinite(value) and value >= 0):
        raise RunRequestError(
            f"progress_min_interval_seconds {value!r}: must be a number of seconds >= 0"
        )
    return float(value)


@dataclass(frozen=True)
class _Source:
    entry: InputFile
    path: Path
    sha256: str


def _input_sources(request: RunRequest) -> list[_Source]:
    """Every input file read and hashed where it is, before the run folder exists."""
    sources: list[_Source] = []
    names: set[str] = {INPUT_ENVELOPE_NAME}
    for role, source in request.input_files:
        what = f"--input-file {role.value}={source}"
        try:
            if not source.is_file():
                raise RunRequestError(f"{what}: no such file")
            sha256, size = file_digest(source)
            uri = source.resolve().as_uri()
        except OSError as exc:
            raise RunRequestError(f"{what}: cannot read: {describe_os_error(exc)}") from exc
        if source.name in names:
            raise RunRequestError(f"{what}: the name {source.name!r} is taken in the input folder")
        names.add(source.name)
        entry = InputFile(
            role=role,
            mime_type=mimetypes.guess_type(source.name)[0] or "application/octet-stream",
            filename=source.name,
            uri=uri,  # where it was staged from; the backend reads only its copy in input/
            sha256=request.input_sha256_overrides.get(source.name, sha256),
            size_bytes=size,
        )
        sources.append(_Source(entry, source, sha256))
    return sources


class _RunFolder:
    """The run folder: created fresh, removed again if the run never started."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir
        self.input_dir = run_dir / "input"
        self.output_dir = run_dir / "output"
        self._made_root = False

    def create(self) -> None:
        what = f"run folder {self.path}"
        try:
            if self.path.exists() and not self.path.is_dir():
                raise FileExistsError(
                    f"run directory {self.path} is a file (give a new or empty folder)"
                )
            if self.path.exists() and any(self.path.iterdir()):
                raise FileExistsError(
                    f"run directory {self.path} is not empty (give a new or empty folder)"
                )
            if not self.path.exists():
                self.path.mkdir(parents=True)
                self._made_root = True
            for folder in (self.input_dir, self.output_dir):
                folder.mkdir()
                folder.chmod(_READABLE_DIR_MODE)
        except OSError as exc:
            if isinstance(exc, FileExistsError) and not exc.errno:
                raise
            self.remove()
            raise RunRequestError(f"{what}: cannot create: {describe_os_error(exc)}") from exc

    def stage(self, sources: Sequence[_Source], envelope: SimulationInputEnvelope) -> None:
        for source in sources:
            target = self.input_dir / source.entry.filename
            what = f"--input-file {source.entry.role.value}={source.path}"
            try:
                shutil.copyfile(source.path, target)
                target.chmod(READABLE_FILE_MODE)
                copied, _ = file_digest(target)
            except OSError as exc:
                raise RunRequestError(
                    f"{what}: cannot copy into {self.input_dir}: {describe_os_error(exc)}"
                ) from exc
            if copied != source.sha256:
                raise RunRequestError(f"{what}: the file changed while it was copied")
        path = self.input_dir / INPUT_ENVELOPE_NAME
        try:
            path.write_text(envelope.model_dump_json(indent=2) + "\n")
            path.chmod(READABLE_FILE_MODE)
        except OSError as exc:
            raise RunRequestError(f"cannot write {path}: {describe_os_error(exc)}") from exc

    def remove(self) -> None:
        """Remove what ``create`` made (the folder itself only when it made it)."""
        if self._made_root:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        for folder in (self.input_dir, self.output_dir):
            shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            (self.path / _STDERR_LOG).unlink(missing_ok=True)


class _OutputTail:
    """Reads the backend's output pipe: the last lines in memory, every line to a log file.

    The log is a convenience; the tail is what the verdict quotes, so a log file
    that cannot be written (a full disk) loses nothing the harness reports.
    """

    def __init__(self, pipe: IO[bytes], log_path: Path) -> None:
        self._pipe = pipe
        self._log_path = log_path
        self._lines: deque[bytes] = deque(maxlen=_STDERR_TAIL_LINES)
        self._read = 0  # lines read so far, for wait_for_more
        self._ended = False
        self._changed = threading.Condition()
        self.log_error: str | None = None
        self._thread = threading.Thread(target=self._pump, name="backend-output", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        log: IO[bytes] | None = None
        try:
            log = self._log_path.open("wb")
        except OSError as exc:
            self.log_error = describe_os_error(exc)
        with self._pipe:
            while line := self._pipe.readline(_STDERR_LINE_LIMIT):
                self._lines.append(line)
                with self._changed:
                    self._read += 1
                    self._changed.notify_all()
                if log is None:
                    continue
                try:
                    log.write(line)
                    log.flush()
                except OSError as exc:
                    self.log_error = describe_os_error(exc)
                    with contextlib.suppress(OSError):
                        log.close()
                    log = None
        if log is not None:
            try:
                log.close()
            except OSError as exc:
                self.log_error = describe_os_error(exc)
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def lines(self) -> list[str]:
        """The last lines read so far (the backend may still be writing)."""
        return [line.decode("utf-8", "replace") for line in list(self._lines)]

    def wait_for_more(self, seen: int, timeout: float) -> int:
        """Block until more than ``seen`` lines were read, the output ended or ``timeout``
        passed; the number of lines read so far."""
        with self._changed:
            self._changed.wait_for(lambda: self._read > seen or self._ended, timeout)
            return self._read

    def join(self, timeout: float) -> str:
        self._thread.join(timeout)
        return b"".join(list(self._lines)).decode("utf-8", "replace")


def _stop(process: _Process, launcher: BackendLauncher | None) -> None:
    """SIGKILL the backend's session leader (its worker dies with it) and the container."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if launcher is not None:
        launcher.stop()


def _wait(
    process: _Process,
    timeout: float,
    cancel: threading.Event | None,
    launcher: BackendLauncher | None,
) -> tuple[int, bool]:
    """The backend's exit code, and whether a cancel was forwarded to it.

    A thread blocks in ``waitpid`` and sets an event the moment the backend exits: the
    run's end is seen at once. (``Popen.wait(timeout=...)`` polls with sleeps of up to
    50 ms, which every run paid once at its end.) The loop wakes every step for the
    cancel and the watchdog.
    """
    watchdog = time.monotonic() + timeout + _WATCHDOG_GRACE_SECONDS
    forwarded_at: float | None = None
    exited = threading.Event()

    def _waitpid() -> None:
        process.wait()
        exited.set()

    threading.Thread(target=_waitpid, name="purelms-waitpid", daemon=True).start()
    while True:
        if exited.wait(_WAIT_STEP_SECONDS):
            return process.wait(), forwarded_at is not None
        now = time.monotonic()
        if cancel is not None and cancel.is_set() and forwarded_at is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            forwarded_at = now
        late = forwarded_at is not None and now > forwarded_at + _CANCEL_GRACE_SECONDS
        if now > watchdog or late:
            _stop(process, launcher)
            return process.wait(), forwarded_at is not None


def build_contract_validators() -> None:
    """Build the validators of every contract model a run touches, once per process.

    The contract's models build their validators on first use (``defer_build``, so that
    a process pays only for the models it touches). A run uses these six: the input
    envelope, the callbacks, the output envelope and the messages the worker sends in the
    backend, all of them and the evidence manifest in the harness. ``purelms run`` builds
    them before it forks a zygote, which inherits them; without one, ``run_local`` calls
    this once the backend is started, so the verdict's first use after the backend's exit
    (tens of milliseconds for the output envelope) overlaps the run instead of following
    it, and ``prepare_backend_process`` in a zygote forked by another caller.
    """
    for model in (
        SimulationInputEnvelope,
        SimulationOutputEnvelope,
        ProgressCallback,
        CompleteCallback,
        EvidenceManifest,
        Message,  # what the worker's ctx.info() and friends send, before the engine starts
    ):
        model.model_rebuild()


def prepare_backend_process(
    backend: Backend[Any, Any], checks: Callable[[], object] | None = None
) -> list[int]:
    """In a zygote (``_zygote``), while the harness still checks the run: what the
    backend needs first, so that none of it follows the start.

    First the backend's engine, when it has a ``prestart`` (see ``purelms_runtime.Backend``;
    ``python -m`` starts it in ``__main__``, before its imports; ``purelms run`` may have
    started it already, see ``_prestart_hints``): it initialises while the harness checks
    and stages the run. The descriptors it names (``descriptors()``) are returned, for the
    zygote to keep. Then ``checks`` (the harness waits for their verdict), then the
    contract's validators, and what the
    runtime posts callbacks with (urllib.request and the idna codec that ``getaddrinfo``
    encodes a host name with, 10-15 ms; see
    ``purelms_runtime._http``), imported here in the zygote's one thread instead of the
    runtime's background thread, since the zygote forks a worker later.
    """
    engine = backend.prestart() if backend.prestart is not None else None
    if checks is not None:
        checks()
    build_contract_validators()
    import encodings.idna  # noqa: F401
    import urllib.request  # noqa: F401

    return list(engine.descriptors()) if hasattr(engine, "descriptors") else []


def run_local(
    manifest: BackendManifest,
    request: RunRequest,
    *,
    server: CallbackServer,
    run_dir: Path,
    on_callback: Callable[[ReceivedCallback], None] | None = None,
    python: str = sys.executable,
    launcher: BackendLauncher | None = None,
    cancel: threading.Event | None = None,
    zygote: Zygote | None = None,
    while_running: Callable[[], None] | None = None,
) -> LocalRunResult:
    """Run ``manifest``'s backend once against ``server``.

    With a ``zygote`` (forked by the caller for ``manifest.module``, see ``_zygote``)
    and no ``launcher``, the backend is that zygote instead of a new ``python -m``.
    ``while_running`` is called once the backend has started: the caller's own
    preparation (imports for its report) overlaps the run instead of preceding it.

    Never raises for backend failures. Raises ``RunRequestError`` (a request or
    run folder refused, nothing left behind), ``FileExistsError`` (``run_dir``
    is not empty) or ``RunCancelled`` (``cancel`` was set before the backend
    started).
    """
    timeout = timeout_seconds_of(request, manifest)
    interval = _check_progress_interval(request.progress_min_interval_seconds)
    sources = _input_sources(request)
    run_id = uuid.uuid4()
    try:
        envelope = SimulationInputEnvelope(
            schema_version=INPUT_SCHEMA_V1,
            run_id=run_id,
            backend_slug=manifest.slug,
            backend_version=manifest.version,
            student_id=request.student_id,
            course_id=request.course_id,
            block_id=request.block_id,
            parameters=dict(request.parameters),
            input_files=[source.entry for source in sources],
            context=ExecutionContext(
                callback_url_progress=server.url_for(str(run_id), BackendCallbackEvent.PROGRESS),
                callback_url_complete=server.url_for(str(run_id), BackendCallbackEvent.COMPLETE),
                callback_audience="purelms-local-harness",
                timeout_seconds=timeout,
                progress_min_interval_seconds=interval,
            ),
        )
    except ValidationError as exc:
        raise RunRequestError("input envelope: " + "; ".join(error_lines(exc))) from exc
    folder = _RunFolder(run_dir)
    folder.create()
    try:
        folder.stage(sources, envelope)
        if cancel is not None and cancel.is_set():
            raise RunCancelled("cancelled before the backend started; nothing was run")
    except BaseException:
        folder.remove()
        raise
    token = server.register(str(run_id), on_callback)
    env = {
        **os.environ,
        INPUT_DIR_ENV: str(folder.input_dir),
        OUTPUT_DIR_ENV: str(folder.output_dir),
        CALLBACK_TOKEN_ENV: request.backend_token if request.backend_token is not None else token,
        CALLBACK_BACKOFF_ENV: os.environ.get(CALLBACK_BACKOFF_ENV, "0.5"),
        PARENT_PID_ENV: str(os.getpid()),
        PROGRESS_REPORTING_ENV: manifest.progress_reporting,
        **request.env,
    }
    dispatched_at = datetime.now(UTC)
    command = launcher.command(manifest, env) if launcher else [python, "-m", manifest.module]
    process: _Process
    try:
        if zygote is not None and launcher is None:
            forked = zygote.start(env)
            process, stdout = forked, forked.stdout
        else:
            popen = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the harness only; it forwards SIGTERM
            )
            process, stdout = popen, popen.stdout
    except OSError as exc:
        server.forget(str(run_id))
        folder.remove()
        raise RunRequestError(f"cannot start {command[0]}: {describe_os_error(exc)}") from exc
    assert stdout is not None
    tail = _OutputTail(stdout, run_dir / _STDERR_LOG)
    try:  # whatever fails from here on, the backend is stopped, never left running
        build_contract_validators()  # no-op when the caller built them before a fork
        if while_running is not None:
            while_running()
        exit_code, cancelled = _wait(process, timeout, cancel, launcher)
    except BaseException:
        _stop(process, launcher)
        process.wait()
        server.forget(str(run_id))
        raise
    completed_at = datetime.now(UTC)
    stderr = tail.join(timeout=5.0)
    # A complete callback is POSTed before the process exits; give the server thread a moment.
    server.wait_for_complete(str(run_id), timeout=1.0 if exit_code == 0 else 0.1)
    callbacks = server.received(str(run_id))
    server.forget(str(run_id))
    result = LocalRunResult(
        run_dir=run_dir,
        envelope_in=envelope,
        exit_code=exit_code,
        stderr=stderr,
        callbacks=callbacks,
        cancelled=cancelled,
    )
    _check(result, folder.output_dir, tail.log_error)
    if result.envelope_out is not None:
        evidence = build_evidence(
            run_dir,
            envelope,
            result.envelope_out,
            input_dir=folder.input_dir,
            output_dir=folder.output_dir,
            dispatched_at=dispatched_at,
            completed_at=completed_at,
            image_digest=launcher.image_digest if launcher else "",
        )
        path = run_dir / EVIDENCE_NAME
        try:
            result.evidence_sha256 = write_evidence(path, evidence)
            result.evidence_path = path
        except OSError as exc:
            result.problems.append(f"cannot write {path}: {describe_os_error(exc)}")
    return result


def _check(result: LocalRunResult, output_dir: Path, log_error: str | None) -> None:
    """Everything the platform would check after the container exits."""
    problems = result.problems
    if result.exit_code != 0:
        last = next(
            (line for line in reversed(result.stderr.splitlines()) if line.strip()), "no output"
        )
        problems.append(f"backend exited with code {result.exit_code}: {last.strip()}")
    if log_error is not None:
        problems.append(f"cannot write {result.run_dir / _STDERR_LOG}: {log_error}")
    own = [c for c in result.callbacks if c.authenticated]  # nobody else speaks for this run
    accepted = [c for c in own if c.event is BackendCallbackEvent.COMPLETE and c.accepted]
    for callback in own:
        if callback.accepted:
            continue
        if callback.status_code == 409 and accepted and callback.body == accepted[0].body:
            continue  # a retried complete whose first answer was lost: already delivered
        problems.append(
            f"{callback.event.value} callback rejected with HTTP {callback.status_code}: "
            f"{callback.problem}"
        )
    output_path = output_dir / OUTPUT_ENVELOPE_NAME
    if not output_path.exists():
        problems.append("no output.json was written")
        return
    try:
        raw = output_path.read_bytes()
    except OSError as exc:
        problems.append(f"cannot read {output_path}: {describe_os_error(exc)}")
        return
    try:
        result.envelope_out = parse_output_envelope(raw)
    except ValidationError as exc:
        problems.append("output.json is invalid: " + "; ".join(error_lines(exc)))
        return
    if result.envelope_out.run_id != result.envelope_in.run_id:
        problems.append("output.json carries another run_id than the input envelope")
    if len(accepted) != 1:
        problems.append(f"expected exactly one accepted complete callback, got {len(accepted)}")
    else:
        body = accepted[0].body
        assert isinstance(body, CompleteCallback)
        sha256, size = file_digest(output_path)
        if (body.output_sha256, body.output_size_bytes) != (sha256, size):
            problems.append("complete callback's sha256/size do not match output.json")

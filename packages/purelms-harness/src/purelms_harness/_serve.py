"""``purelms serve <slug>``: the platform's dispatcher for one task, on loopback.

A learner's page on the platform mounts the task's bundle under the frontend mount
contract ``purelms.interactive_mount.v1`` (``platform.md`` §3) and talks to the platform's
run API through ``helpers.api``. This server is a stand-in for exactly that, so that what
works here works there:

* the bundle is served where the platform serves it,
  ``/static/backends/<slug>/<version>/<frontend.bundle>``;
* the host page (``/``, ``_serve_static/host.html`` and ``host.js``) mounts it with only
  the §3 contract: ``mount(element, config, helpers)`` with the block's Layer 2 config plus
  ``last_run``, ``helpers.api.submit`` / ``pollStatus`` over the HTTP API below,
  ``helpers.escape``, ``helpers.ui`` (a progress bar bound to ``progress_reporting`` and a
  submission error view) and ``helpers.meta``;
* runs go through the real harness (:func:`run_local`, one loopback
  :class:`CallbackServer` with per-run tokens), and the status snapshots carry the real
  progress callbacks.

HTTP API (JSON; every error is ``{"status", "code", "detail"}`` with that HTTP status):

``GET /api/mount``
    ``{bundle_url, config, meta, task, submit_url}``: what the host page mounts with.
    ``config`` is the block config (``--block-config``, Layer 2; ``{}`` without one) plus
    ``last_run`` once a run was submitted, so a reload restores a finished run or resumes
    one in flight.
``POST /api/blocks/<unit_block_id>/submissions`` with ``{"parameters": {...}}``
    Layer 3 is checked against Layer 1 ∩ Layer 2 (:func:`submission_problems`) before
    anything runs; a refusal is ``400 {"status": 400, "code": "invalid_parameters",
    "detail": "<one line per problem>"}`` and starts nothing. Accepted: ``201
    {attempt, run, is_complete: false}``, ``run`` a RunReference ``{id, status, status_url,
    poll_interval_seconds, websocket_url: null, deadline_at}``.
``GET /api/runs/<id>``
    A RunStatusResponse ``{id, status, progress_pct, progress_step, is_terminal,
    completed_at, runtime_seconds, outputs, messages}``: ``pending`` when accepted,
    ``dispatched`` when the harness starts the backend, ``running`` from its first progress
    callback (``progress_pct`` / ``progress_step`` are the latest callback's), then the
    output envelope's status with its messages (and the harness's, if the protocol broke);
    ``outputs`` on a success.

**The outcome.** §3 has no place for it in a snapshot. This server evaluates the manifest's
``lms_outcomes`` (with the block's overrides) as ``purelms run`` does, writes
``outcome.json`` into the run folder, and, on a success, adds it to the terminal
snapshot's ``outputs`` (and ``last_run.outputs``) under the key ``_lms_outcome``
(``{passed, score, completion}``): no declared output can have that name (output names
start with a letter), a bundle that does not know the key ignores it, and on the platform,
which does not send it, a bundle simply shows no outcome. The host page also shows it, as
the platform records it on the attempt.
"""

from __future__ import annotations

import errno
import json
import math
import secrets
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, Self

from purelms_shared import ProgressCallback

from ._callback_server import MAX_BODY_BYTES, CallbackServer, ReceivedCallback
from ._layers import BlockConfig, effective_outcomes, submission_problems
from ._local_run import RunRequest, default_run_dir, run_local
from ._loopback import LoopbackServer, ServerThread
from ._manifest import BackendManifest
from ._outcomes import evaluate_outcome, write_outcome

__all__ = [
    "OUTCOME_KEY",
    "BundleError",
    "PlatformServer",
    "PortInUse",
    "bundle_path",
    "ensure_bundle",
]

OUTCOME_KEY = "_lms_outcome"
"""Where a terminal success snapshot carries the outcome (see the module docstring)."""
UNIT_BLOCK_ID = 1
"""The one course block this server stands for."""
DEFAULT_POLL_INTERVAL_SECONDS = 0.5
_TERMINAL = {"success", "failed_simulation", "failed_runtime", "cancelled", "timed_out"}
_STATIC = "_serve_static"


class BundleError(Exception):
    """The frontend bundle is missing and could not be built."""


class PortInUse(Exception):
    """The port is taken by another process."""

    def __init__(self, port: int) -> None:
        super().__init__(f"port {port} is in use; use --port")
        self.port = port


def frontend_dir(manifest: BackendManifest) -> Path:
    return manifest.directory / "frontend"


def bundle_path(manifest: BackendManifest) -> Path:
    """``backends/<slug>/frontend/dist/<frontend.bundle>``: where the build writes it."""
    return frontend_dir(manifest) / "dist" / manifest.task.frontend.bundle


def _sources(manifest: BackendManifest, shared: Path) -> list[Path]:
    folder = frontend_dir(manifest)
    return [
        *(folder / "src").rglob("*.ts"),
        *shared.glob("*.ts"),
        folder / "build.mjs",
        manifest.path,  # compiled into the bundle
    ]


def ensure_bundle(manifest: BackendManifest, root: Path, *, log: Any = print) -> Path:
    """The built bundle, built first (``npm ci``, ``npm run build``) when missing or stale."""
    folder = frontend_dir(manifest)
    bundle = bundle_path(manifest)
    command = f"cd {folder} && npm ci && npm run build"
    if not (folder / "package.json").is_file():
        raise BundleError(f"{manifest.slug} has no frontend bundle project ({folder}/package.json)")
    sources = [p for p in _sources(manifest, root / "frontend" / "shared") if p.is_file()]
    newest = max((p.stat().st_mtime for p in sources), default=0.0)
    if bundle.is_file() and bundle.stat().st_mtime >= newest:
        return bundle
    npm = shutil.which("npm")
    if npm is None:
        raise BundleError(
            f"{bundle} is missing or stale and npm is not installed; build it with: {command}"
        )
    steps = [[npm, "run", "build"]]
    if not (folder / "node_modules").is_dir():
        steps.insert(0, [npm, "ci", "--no-audit", "--no-fund"])
    for step in steps:
        log(f"building the bundle: {' '.join(step[1:])} (in {folder})")
        done = subprocess.run(step, cwd=folder, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise BundleError(
                f"`npm {' '.join(step[1:])}` failed in {folder}: {' | '.join(tail)}; "
                f"build it with: {command}"
            )
    if not bundle.is_file():
        raise BundleError(f"the build did not produce {bundle}; build it with: {command}")
    return bundle


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Run:
    """One run as the dispatcher knows it."""

    id: str
    attempt: int
    parameters: dict[str, Any]
    """As the learner submitted them (restored into the form on reload)."""
    resolved: dict[str, Any]
    """As they run: the submission plus the block's defaults."""
    created_at: datetime
    deadline_at: datetime
    status: str = "pending"
    progress_pct: int | None = None
    progress_step: str = ""
    completed_at: datetime | None = None
    runtime_seconds: float | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, str]] = field(default_factory=list)
    run_dir: Path | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in _TERMINAL

    def reference(self, poll_interval_seconds: float) -> dict[str, Any]:
        """The RunReference of §3."""
        return {
            "id": self.id,
            "status": self.status,
            "status_url": f"/api/runs/{self.id}",
            "poll_interval_seconds": poll_interval_seconds,
            "websocket_url": None,
            "deadline_at": _iso(self.deadline_at),
        }

    def snapshot(self) -> dict[str, Any]:
        """The RunStatusResponse of §3."""
        return {
            "id": self.id,
            "status": self.status,
            "progress_pct": self.progress_pct,
            "progress_step": self.progress_step,
            "is_terminal": self.is_terminal,
            "completed_at": _iso(self.completed_at),
            "runtime_seconds": self.runtime_seconds,
            "outputs": dict(self.outputs),
            "messages": [dict(m) for m in self.messages],
        }


class RequestRefused(Exception):
    """An API request answered with the error shape ``{status, code, detail}``."""

    def __init__(self, status: HTTPStatus, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"status": int(self.status), "code": self.code, "detail": self.detail}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class PlatformServer(LoopbackServer):
    """``with PlatformServer(manifest, root, bundle=...) as srv: srv.url``: page, API, real runs."""

    def __init__(
        self,
        manifest: BackendManifest,
        root: Path,
        *,
        bundle: Path | None,
        block_config: BlockConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        poll_interval_seconds: float = DEFAULT_POLL_INTERVAL_SECONDS,
        timeout_seconds: float | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.manifest = manifest
        self.root = root
        self.bundle = bundle
        self.block_config = block_config
        self.poll_interval_seconds = poll_interval_seconds
        self.timeout_seconds = timeout_seconds
        self.env = dict(env or {})
        self._lock = threading.Lock()
        self._runs: dict[str, _Run] = {}
        self._last: str | None = None
        self._threads: list[threading.Thread] = []
        self._callbacks = CallbackServer(token=secrets.token_urlsafe(24))
        try:
            self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(port) from exc
            raise
        self._httpd.daemon_threads = True
        self._thread = ServerThread(self._httpd, "purelms-serve")

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    @property
    def bundle_url(self) -> str:
        task = self.manifest.task
        return f"/static/backends/{task.slug}/{task.version}/{task.frontend.bundle}"

    def close(self) -> None:
        """Release the port of a server that was never started."""
        self._httpd.server_close()

    def start(self) -> Self:
        self._callbacks.start()
        return super().start()

    def stop(self) -> None:
        super().stop()
        for thread in list(self._threads):
            thread.join(timeout=self.manifest.default_timeout_seconds + 60)
        self._callbacks.stop()

    def serve_forever(self) -> None:
        self._thread.join()

    # -- the API -------------------------------------------------------------------------

    def block_settings(self) -> dict[str, Any]:
        """Layer 2 as the bundle gets it (``{}`` without a block config)."""
        if self.block_config is None:
            return {}
        data = self.block_config.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        return {key: value for key, value in data.items() if key in ("parameters", "outputs")}

    def last_run(self) -> dict[str, Any] | None:
        with self._lock:
            run = self._runs.get(self._last) if self._last else None
            if run is None:
                return None
            last: dict[str, Any] = {
                "parameters": dict(run.parameters),
                "run": run.reference(self.poll_interval_seconds),
            }
            if run.is_terminal:
                last["outputs"] = dict(run.outputs)
                last["messages"] = [dict(m) for m in run.messages]
            return last

    def mount_info(self) -> dict[str, Any]:
        """What the host page mounts with: bundle URL, config, meta, the task's texts."""
        task = self.manifest.task
        config = self.block_settings()
        last = self.last_run()
        if last is not None:
            config["last_run"] = last
        return {
            "bundle_url": self.bundle_url,
            "submit_url": f"/api/blocks/{UNIT_BLOCK_ID}/submissions",
            "config": config,
            "meta": {
                "bundle": task.frontend.bundle,
                "unitBlockId": UNIT_BLOCK_ID,
                "creditCost": task.backend.credit_cost,
                "backendAvailable": True,
                "progressReporting": self.manifest.progress_reporting,
            },
            "task": {
                "slug": task.slug,
                "version": task.version,
                "name": task.name,
                "description": task.description,
            },
        }

    def submit(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """Check Layer 3 and start a run: the SubmissionOutcomeResponse, or RequestRefused."""
        resolved, problems = submission_problems(self.manifest.task, self.block_config, parameters)
        if problems:
            raise RequestRefused(HTTPStatus.BAD_REQUEST, "invalid_parameters", "\n".join(problems))
        now = _now()
        timeout = self.timeout_seconds or self.manifest.default_timeout_seconds
        with self._lock:
            run = _Run(
                id=secrets.token_hex(8),
                attempt=len(self._runs) + 1,
                parameters=dict(parameters),
                resolved=resolved,
                created_at=now,
                deadline_at=now + timedelta(seconds=timeout + 30),
            )
            self._runs[run.id] = run
            self._last = run.id
            reference = run.reference(self.poll_interval_seconds)
        thread = threading.Thread(target=self._execute, args=(run,), daemon=True)
        self._threads.append(thread)
        thread.start()
        return {
            "attempt": {"id": run.attempt, "submitted_at": _iso(now)},
            "run": reference,
            "is_complete": False,
        }

    def status(self, run_id: str) -> dict[str, Any]:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                raise RequestRefused(HTTPStatus.NOT_FOUND, "not_found", f"no run {run_id}")
            return run.snapshot()

    def _execute(self, run: _Run) -> None:
        def on_callback(callback: ReceivedCallback) -> None:
            if isinstance(callback.body, ProgressCallback):
                with self._lock:
                    if not run.is_terminal:
                        run.status = "running"
                        run.progress_pct = callback.body.progress_pct
                        run.progress_step = callback.body.step

        run_dir = default_run_dir(self.root, self.manifest.slug)
        with self._lock:
            run.status = "dispatched"
            run.run_dir = run_dir
        request = RunRequest(
            parameters=run.resolved, timeout_seconds=self.timeout_seconds, env=self.env
        )
        try:
            result = run_local(
                self.manifest,
                request,
                server=self._callbacks,
                run_dir=run_dir,
                on_callback=on_callback,
            )
        except Exception as exc:  # the harness itself broke: say so in the run's messages
            with self._lock:
                run.status = "failed_runtime"
                run.completed_at = _now()
                run.messages.append(_error("HARNESS.ERROR", f"{type(exc).__name__}: {exc}"))
            return
        out = result.envelope_out
        outcome = None
        if out is not None:
            rules = effective_outcomes(self.manifest.task, self.block_config)
            outcome = evaluate_outcome(rules, out.status, out.outputs)
            write_outcome(run_dir, outcome)
        with self._lock:
            run.completed_at = _now()
            if out is not None:
                run.messages.extend(
                    {"level": m.level.value, "code": m.code, "text": m.text} for m in out.messages
                )
                run.runtime_seconds = out.runtime_seconds
            run.messages.extend(_error("HARNESS.PROTOCOL", p) for p in result.problems)
            if out is not None and out.status.value == "success" and not result.problems:
                run.outputs = dict(out.outputs)
                if outcome is not None:
                    run.outputs[OUTCOME_KEY] = outcome.as_json()
                run.status = "success"
            elif out is not None and out.status.value != "success":
                run.status = out.status.value
            else:
                run.status = "failed_runtime"

    # -- HTTP ----------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        app = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("X-Content-Type-Options", "nosniff")
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: HTTPStatus, data: Any) -> None:
                self._send(status, json.dumps(data).encode(), "application/json")

            def _refused(self, refusal: RequestRefused) -> None:
                self._json(refusal.status, refusal.body())

            def _static(self, name: str, content_type: str) -> None:
                page = resources.files(__package__).joinpath(f"{_STATIC}/{name}")
                self._send(HTTPStatus.OK, page.read_bytes(), content_type)

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                parts = [p for p in path.split("/") if p]
                try:
                    if path == "/":
                        self._static("host.html", "text/html; charset=utf-8")
                    elif path == "/_host/host.js":
                        self._static("host.js", "text/javascript; charset=utf-8")
                    elif path == "/api/mount":
                        self._json(HTTPStatus.OK, app.mount_info())
                    elif parts[:2] == ["api", "runs"] and len(parts) == 3:
                        self._json(HTTPStatus.OK, app.status(parts[2]))
                    elif parts[:2] == ["static", "backends"]:
                        self._bundle(path)
                    else:
                        raise RequestRefused(HTTPStatus.NOT_FOUND, "not_found", f"no page {path}")
                except RequestRefused as refusal:
                    self._refused(refusal)

            def _bundle(self, path: str) -> None:
                expected = app.bundle_url
                if app.bundle is None or path not in (expected, expected + ".map"):
                    raise RequestRefused(HTTPStatus.NOT_FOUND, "not_found", f"no bundle at {path}")
                target = (
                    app.bundle
                    if path == expected
                    else app.bundle.with_name(app.bundle.name + ".map")
                )
                if not target.is_file():
                    raise RequestRefused(
                        HTTPStatus.NOT_FOUND, "not_found", f"{target} is not built"
                    )
                kind = "text/javascript" if path == expected else "application/json"
                self._send(HTTPStatus.OK, target.read_bytes(), f"{kind}; charset=utf-8")

            def do_POST(self) -> None:
                try:
                    expected = f"/api/blocks/{UNIT_BLOCK_ID}/submissions"
                    if self.path != expected:
                        raise RequestRefused(
                            HTTPStatus.NOT_FOUND, "not_found", f"no endpoint {self.path}"
                        )
                    self._json(HTTPStatus.CREATED, app.submit(self._parameters()))
                except RequestRefused as refusal:
                    self._refused(refusal)

            def _parameters(self) -> dict[str, Any]:
                raw_length = (self.headers.get("Content-Length") or "0").strip()
                if not (raw_length.isascii() and raw_length.isdigit()):
                    raise RequestRefused(
                        HTTPStatus.BAD_REQUEST, "invalid_request", "Content-Length is not a count"
                    )
                length = int(raw_length)
                if length > MAX_BODY_BYTES:
                    self.close_connection = True
                    raise RequestRefused(
                        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        "payload_too_large",
                        f"the body is larger than {MAX_BODY_BYTES} bytes",
                    )
                try:
                    body = json.loads(
                        self.rfile.read(length) or b"{}", parse_constant=_refuse_constant
                    )
                except ValueError as exc:
                    raise RequestRefused(
                        HTTPStatus.BAD_REQUEST, "invalid_request", f"the body is not JSON: {exc}"
                    ) from exc
                if not isinstance(body, dict) or not isinstance(body.get("parameters", {}), dict):
                    raise RequestRefused(
                        HTTPStatus.BAD_REQUEST,
                        "invalid_request",
                        'the body must be {"parameters": {NAME: VALUE, ...}}',
                    )
                if not _finite(body):
                    raise RequestRefused(
                        HTTPStatus.BAD_REQUEST,
                        "invalid_request",
                        "a number in the body is too large (JSON numbers are finite)",
                    )
                extra = sorted(set(body) - {"parameters"})
                if extra:
                    raise RequestRefused(
                        HTTPStatus.BAD_REQUEST,
                        "invalid_request",
                        f"unknown keys {extra}: the body holds only parameters",
                    )
                parameters: dict[str, Any] = body.get("parameters", {})
                return parameters

        return Handler


def _error(code: str, text: str) -> dict[str, str]:
    return {"level": "error", "code": code, "text": text}


def _finite(value: Any) -> bool:
    """True when ``value`` holds no infinity (``1e999`` parses as one; JSON has none)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True

"""``purelms serve <slug>``: preview a task's frontend bundle as a learner will see it.

A loopback web page mounts the built bundle (``backends/<slug>/frontend/dist/<slug>.js``)
and backs its helpers with the real harness: ``POST /api/runs`` starts :func:`run_local`
in a background thread against one shared :class:`CallbackServer`, progress comes from the
backend's real progress callbacks, and the result is the real ``output.json``.

API (JSON): ``GET /api/config`` (the manifest's parameters and outputs, the last run),
``POST /api/runs`` (``{"parameters": {...}}`` -> ``{"run_id": ...}``), ``GET /api/runs/<id>``
(a RunSnapshot: status, latest progress, messages), ``GET /api/runs/<id>/output`` (the
output envelope, once the run is terminal).
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from purelms_shared import ProgressCallback

from ._callback_server import MAX_BODY_BYTES, CallbackServer, ReceivedCallback
from ._local_run import RunRequest, default_run_dir, run_local
from ._loopback import ServerThread
from ._manifest import BackendManifest

__all__ = ["BundleError", "PreviewServer", "bundle_path", "ensure_bundle"]

_TERMINAL = {"success", "failed_simulation", "failed_runtime", "cancelled", "timed_out"}


class BundleError(Exception):
    """The frontend bundle is missing and could not be built."""


def frontend_dir(manifest: BackendManifest) -> Path:
    return manifest.path.parent / "frontend"


def bundle_path(manifest: BackendManifest) -> Path:
    return frontend_dir(manifest) / "dist" / f"{manifest.slug}.js"


def _sources(folder: Path, shared: Path) -> list[Path]:
    return [*(folder / "src").rglob("*.ts"), *shared.glob("*.ts")]


def ensure_bundle(manifest: BackendManifest, root: Path, *, log: Any = print) -> Path:
    """The built bundle, built first (``npm ci``, ``npm run build``) when missing or stale."""
    folder = frontend_dir(manifest)
    bundle = bundle_path(manifest)
    command = f"cd {folder} && npm ci && npm run build"
    if not (folder / "package.json").is_file():
        raise BundleError(f"{manifest.slug} has no frontend bundle project ({folder}/package.json)")
    sources = _sources(folder, root / "frontend" / "shared")
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


@dataclass
class _Run:
    run_id: str
    parameters: dict[str, Any]
    status: str = "pending"
    progress: dict[str, Any] | None = None
    messages: list[dict[str, str]] = field(default_factory=list)
    output: bytes | None = None
    run_dir: Path | None = None

    def snapshot(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "progress": self.progress,
            "messages": list(self.messages),
        }


class PreviewServer:
    """``with PreviewServer(manifest, root) as srv: srv.url``; one page, one API, real runs."""

    def __init__(
        self,
        manifest: BackendManifest,
        root: Path,
        *,
        bundle: Path | None,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout_seconds: float | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.manifest = manifest
        self.root = root
        self.bundle = bundle
        self.timeout_seconds = timeout_seconds
        self.env = dict(env or {})
        self._lock = threading.Lock()
        self._runs: dict[str, _Run] = {}
        self._last: str | None = None
        self._threads: list[threading.Thread] = []
        self._callbacks = CallbackServer(token=secrets.token_urlsafe(24))
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = ServerThread(self._httpd, "purelms-serve")

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> PreviewServer:
        self._callbacks.start()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._thread.stop()
        for thread in list(self._threads):
            thread.join(timeout=self.manifest.default_timeout_seconds + 60)
        self._callbacks.stop()

    def __enter__(self) -> PreviewServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._thread.join()

    # -- the API -------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        with self._lock:
            last = self._runs.get(self._last) if self._last else None
            last_run = None
            if last is not None:
                output = json.loads(last.output) if last.output else None
                last_run = {
                    "parameters": last.parameters,
                    "snapshot": last.snapshot(),
                    "output": output,
                }
        return {
            "slug": self.manifest.slug,
            "name": self.manifest.name,
            "version": self.manifest.version,
            "parameters": self.manifest.parameters,
            "outputs": self.manifest.outputs,
            "lastRun": last_run,
            "bundle_url": f"/bundle/{self.manifest.slug}.js",
        }

    def submit(self, parameters: dict[str, Any]) -> str:
        run = _Run(run_id=secrets.token_hex(8), parameters=parameters)
        with self._lock:
            self._runs[run.run_id] = run
            self._last = run.run_id
        thread = threading.Thread(target=self._execute, args=(run,), daemon=True)
        self._threads.append(thread)
        thread.start()
        return run.run_id

    def run(self, run_id: str) -> _Run | None:
        with self._lock:
            return self._runs.get(run_id)

    def _execute(self, run: _Run) -> None:
        def on_callback(callback: ReceivedCallback) -> None:
            if isinstance(callback.body, ProgressCallback):
                with self._lock:
                    if run.status not in _TERMINAL:
                        run.status = "running"
                        run.progress = callback.body.model_dump(mode="json")

        run_dir = default_run_dir(self.root, self.manifest.slug)
        with self._lock:
            run.status = "dispatched"
            run.run_dir = run_dir
        request = RunRequest(
            parameters=run.parameters, timeout_seconds=self.timeout_seconds, env=self.env
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
                run.messages.append(_error("HARNESS.ERROR", f"{type(exc).__name__}: {exc}"))
            return
        output_path = run_dir / "output" / "output.json"
        with self._lock:
            for problem in result.problems:
                run.messages.append(_error("HARNESS.PROTOCOL", problem))
            if result.envelope_out is not None:
                run.output = output_path.read_bytes()
                run.status = result.envelope_out.status.value
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
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: HTTPStatus, data: Any) -> None:
                self._send(status, json.dumps(data).encode(), "application/json")

            def _problem(self, status: HTTPStatus, text: str) -> None:
                self._send(status, text.encode(), "text/plain; charset=utf-8")

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                parts = [p for p in path.split("/") if p]
                if path == "/":
                    page = resources.files(__package__).joinpath("_serve_static/index.html")
                    self._send(HTTPStatus.OK, page.read_bytes(), "text/html; charset=utf-8")
                elif path == "/api/config":
                    self._json(HTTPStatus.OK, app.config())
                elif parts[:1] == ["bundle"] and len(parts) == 2:
                    self._bundle(parts[1])
                elif parts[:2] == ["api", "runs"] and len(parts) in (3, 4):
                    self._run(parts[2], parts[3] if len(parts) == 4 else None)
                else:
                    self._problem(HTTPStatus.NOT_FOUND, f"no such page: {path}")

            def _bundle(self, name: str) -> None:
                if app.bundle is None:
                    self._problem(HTTPStatus.NOT_FOUND, "no bundle was built for this preview")
                    return
                target = app.bundle.parent / name
                if name not in (app.bundle.name, app.bundle.name + ".map") or not target.is_file():
                    self._problem(HTTPStatus.NOT_FOUND, f"no such bundle file: {name}")
                    return
                self._send(HTTPStatus.OK, target.read_bytes(), "text/javascript; charset=utf-8")

            def _run(self, run_id: str, what: str | None) -> None:
                with app._lock:
                    run = app._runs.get(run_id)
                    snapshot = run.snapshot() if run else None
                    output = run.output if run else None
                if run is None or snapshot is None:
                    self._problem(HTTPStatus.NOT_FOUND, f"no run {run_id}")
                elif what is None:
                    self._json(HTTPStatus.OK, snapshot)
                elif what != "output":
                    self._problem(HTTPStatus.NOT_FOUND, f"no such page: {self.path}")
                elif output is None:
                    state = snapshot["status"]
                    text = f"run {run_id} has no output envelope ({state})"
                    self._problem(HTTPStatus.CONFLICT, text)
                else:
                    self._send(HTTPStatus.OK, output, "application/json")

            def do_POST(self) -> None:
                if self.path != "/api/runs":
                    self._problem(HTTPStatus.NOT_FOUND, f"no such endpoint: {self.path}")
                    return
                raw_length = (self.headers.get("Content-Length") or "0").strip()
                if not (raw_length.isascii() and raw_length.isdigit()):
                    self._problem(HTTPStatus.BAD_REQUEST, "Content-Length is not a byte count")
                    return
                length = int(raw_length)
                if length > MAX_BODY_BYTES:
                    self.close_connection = True
                    self._problem(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body too large")
                    return
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError as exc:
                    self._problem(HTTPStatus.BAD_REQUEST, f"body is not JSON: {exc}")
                    return
                parameters = body.get("parameters", {}) if isinstance(body, dict) else None
                if not isinstance(parameters, dict):
                    self._problem(HTTPStatus.BAD_REQUEST, 'expected {"parameters": {...}}')
                    return
                self._json(HTTPStatus.ACCEPTED, {"run_id": app.submit(parameters)})

        return Handler


def _error(code: str, text: str) -> dict[str, str]:
    return {"level": "error", "code": code, "text": text}

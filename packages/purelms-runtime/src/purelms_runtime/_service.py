"""Service mode (``PURELMS_RUNTIME_MODE=service``): the same backend behind HTTP on ``$PORT``.

The platform may deploy a task as a Cloud Run *service* rather than a job; it then POSTs
one ``purelms.service_execution.v1`` request per run (platform.md §4). This module
answers exactly as that page says, with the standard library's ``http.server`` only:

=====================  ===============================================================
``GET /healthz``       200
``POST /``             the body: a JSON object of at most 32 KiB, exactly
                       ``ServiceExecutionRequest`` (four keys; ``environment`` exactly the
                       nine keys, optionally ``PURELMS_MAX_ENVELOPE_BYTES``;
                       ``PURELMS_RUN_ID`` equal to ``run_id``), and an environment the
                       runtime accepts as a managed configuration; anything else → 400
other paths            404 (405 for another method on ``/`` or ``/healthz``)
=====================  ===============================================================

A valid request at or after ``timeout_at`` → 204, nothing started. Otherwise the run is
the job the same environment would start: this module re-executes the process's own
command line (``python -m <backend module>``, or the image's entrypoint) as a child in a
session of its own, with the request's environment over the service's, as a job. That
child first looks for an output already stored for the run: a redelivery sends the
completion again and exits 0 without the backend's function ever being called (so
redelivery is cheap and never recomputes). Its exit code decides the answer:

* 0 → 200 (the output is stored and its completion delivered);
* the deadline passes first → every process of the child's tree is killed, 204;
* anything else → 500 with the child's last line (no output stored, or stored but its
  completion or verification failed: a redelivery then finishes it without recomputing).

One request at a time: while a run is in progress, another valid ``POST /`` gets
**429** with ``Retry-After`` (a well-behaved platform sends one request per instance;
429 tells anything else to come back later rather than queueing behind a long run).
Malformed requests are answered 400 even while busy. SIGTERM (Cloud Run scaling in)
kills a running child's tree and stops the server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

from pydantic import ValidationError

from purelms_shared import ServiceExecutionRequest, error_lines

from ._config import MANAGED_ENV_KEYS, RuntimeConfig, runtime_config
from ._errors import ContractViolation
from ._process import descendants, group_members, kill_tree
from .protocol import (
    MAX_ENVELOPE_BYTES_ENV,
    PARENT_PID_ENV,
    RUN_ID_ENV,
    RUNTIME_MODE_ENV,
)

__all__ = ["MAX_REQUEST_BYTES", "serve"]

#: Largest request body accepted (platform.md §4).
MAX_REQUEST_BYTES = 32 * 1024
_RETRY_AFTER_SECONDS = 5
_SOCKET_TIMEOUT_SECONDS = 10.0
_POLL_SECONDS = 0.05
_TAIL_LINES = 20


class _Busy(Exception):
    pass


class _Runner:
    """Runs one request's job at a time in a child process; kills its tree on demand."""

    def __init__(self, slug: str, base_env: dict[str, str]) -> None:
        self.slug = slug
        self._base_env = base_env
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._stopping = False

    def command(self) -> list[str]:
        # The process's own command line: `python -m <module>`, or the image's entrypoint.
        return [sys.executable, *sys.orig_argv[1:]]

    def run(self, request: ServiceExecutionRequest) -> tuple[HTTPStatus, str]:
        if not self._lock.acquire(blocking=False):
            raise _Busy
        try:
            return self._run(request)
        finally:
            self._child = None
            self._lock.release()

    def _run(self, request: ServiceExecutionRequest) -> tuple[HTTPStatus, str]:
        remaining = (request.timeout_at - datetime.now(UTC)).total_seconds()
        if remaining <= 0 or self._stopping:
            return HTTPStatus.NO_CONTENT, ""
        deadline = time.monotonic() + remaining
        env = {
            **self._base_env,
            **request.environment.as_environ(),
            RUNTIME_MODE_ENV: "job",
            PARENT_PID_ENV: str(os.getpid()),
        }
        try:
            child = subprocess.Popen(
                self.command(),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return HTTPStatus.INTERNAL_SERVER_ERROR, f"cannot start the backend: {exc}"
        self._child = child
        assert child.stdout is not None
        tail: deque[str] = deque(maxlen=_TAIL_LINES)
        pump = threading.Thread(target=_pump, args=(child.stdout, tail), daemon=True)
        pump.start()
        # The child's end is seen at once: a thread blocks in wait() (Popen.wait with a
        # timeout polls, with sleeps growing to 50 ms, so a finished run answered late).
        exited = threading.Event()
        threading.Thread(target=_set_when_exited, args=(child, exited), daemon=True).start()
        while not exited.wait(min(_POLL_SECONDS, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline or self._stopping:
                _kill_everything(child.pid)
                child.wait()
                pump.join(1.0)
                print(
                    f"purelms-runtime: run {request.run_id}: deadline {request.timeout_at} "
                    "passed; the backend and every process it started were killed",
                    file=sys.stderr,
                )
                return HTTPStatus.NO_CONTENT, ""
        code = child.wait()
        pump.join(2.0)
        _kill_everything(child.pid)  # nothing of a finished run may linger
        if code == 0:
            return HTTPStatus.OK, f"run {request.run_id}: output stored, completion delivered"
        last = next((line for line in reversed(tail) if line.strip()), "no output")
        return HTTPStatus.INTERNAL_SERVER_ERROR, f"run {request.run_id}: exit {code}: {last}"

    def stop(self) -> None:
        self._stopping = True
        child = self._child
        if child is not None:
            _kill_everything(child.pid)


def _set_when_exited(child: subprocess.Popen[bytes], exited: threading.Event) -> None:
    child.wait()
    exited.set()


def _pump(stream: IO[bytes], tail: deque[str]) -> None:
    """Copy the child's output to ours (the service's log) and keep its last lines."""
    with stream:
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            tail.append(line)
            print(line, file=sys.stderr, flush=True)


def _kill_everything(pid: int) -> None:
    """SIGKILL ``pid``'s tree and group until nothing of it is left (bounded)."""
    deadline = time.monotonic() + 5.0
    while True:
        kill_tree(pid)
        left = (descendants(pid) | group_members(pid)) - {pid}
        if not left or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def _request_problem(body: bytes, base_env: dict[str, str]) -> ServiceExecutionRequest | str:
    """The request, or one line saying why it is refused."""
    try:
        request = ServiceExecutionRequest.model_validate_json(body)
    except ValidationError as exc:
        return "invalid request: " + "; ".join(error_lines(exc))
    try:  # the environment must be a managed configuration the runtime accepts
        config = runtime_config(
            {**base_env, **request.environment.as_environ(), RUNTIME_MODE_ENV: "job"}
        )
    except ContractViolation as exc:
        return f"invalid environment: {exc.text}"
    if not config.managed:  # pragma: no cover - the nine keys make it managed
        return "invalid environment: not a managed configuration"
    return request


def _handler(runner: _Runner, base_env: dict[str, str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = _SOCKET_TIMEOUT_SECONDS
        server_version = "purelms-runtime"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            print(f"purelms-runtime: {self.command} {self.path} {args[1:2]}", file=sys.stderr)

        def _reply(
            self, status: HTTPStatus, text: str = "", *, headers: dict[str, str] | None = None
        ) -> None:
            data = (text + "\n").encode() if text else b""
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if status != HTTPStatus.NO_CONTENT:
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if status != HTTPStatus.NO_CONTENT:
                self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._reply(HTTPStatus.OK, "ok")
            elif self.path == "/":
                self._reply(HTTPStatus.METHOD_NOT_ALLOWED, "POST a service execution request")
            else:
                self._reply(HTTPStatus.NOT_FOUND, "not found")

        def do_POST(self) -> None:
            if self.path == "/healthz":
                self._reply(HTTPStatus.METHOD_NOT_ALLOWED, "GET /healthz")
                return
            if self.path != "/":
                self._reply(HTTPStatus.NOT_FOUND, "not found")
                return
            raw = self.headers.get("Content-Length")
            if self.headers.get("Transfer-Encoding") or raw is None:
                self.close_connection = True
                self._reply(HTTPStatus.BAD_REQUEST, "send the body with a Content-Length")
                return
            if not raw.strip().isdigit():
                self.close_connection = True
                self._reply(HTTPStatus.BAD_REQUEST, f"Content-Length {raw!r} is not a byte count")
                return
            length = int(raw.strip())
            if length > MAX_REQUEST_BYTES:
                self.close_connection = True  # nothing of it is read
                self._reply(
                    HTTPStatus.BAD_REQUEST,
                    f"body of {length} bytes is over the {MAX_REQUEST_BYTES}-byte limit",
                )
                return
            body = self.rfile.read(length)
            if len(body) != length:
                self.close_connection = True
                self._reply(HTTPStatus.BAD_REQUEST, "body shorter than its Content-Length")
                return
            request = _request_problem(body, base_env)
            if isinstance(request, str):
                self._reply(HTTPStatus.BAD_REQUEST, request)
                return
            try:
                status, text = runner.run(request)
            except _Busy:
                self._reply(
                    HTTPStatus.TOO_MANY_REQUESTS,
                    "busy with another run; one request at a time",
                    headers={"Retry-After": str(_RETRY_AFTER_SECONDS)},
                )
                return
            self._reply(status, text)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        print(
            f"purelms-runtime: request from {client_address[0]} failed: "
            f"{type(exc).__name__}: {exc}",
            file=sys.stderr,
        )


def serve(slug: str, config: RuntimeConfig) -> int:
    """Serve ``slug``'s runs on ``config.port`` until SIGTERM or SIGINT; returns 0."""
    # The service's own environment, without anything a request brings or that names a run.
    base_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {*MANAGED_ENV_KEYS, RUN_ID_ENV, MAX_ENVELOPE_BYTES_ENV, PARENT_PID_ENV}
    }
    runner = _Runner(slug, base_env)
    try:
        server = _Server((config.service_host, config.port), _handler(runner, base_env))
    except OSError as exc:
        raise ContractViolation(
            f"cannot listen on {config.service_host}:{config.port}: {exc.strerror}"
        ) from exc

    def stop(signum: int, frame: object) -> None:
        runner.stop()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    print(f"purelms-runtime: {slug} serving on {host!s}:{port}", file=sys.stderr, flush=True)
    with server:
        server.serve_forever(poll_interval=0.2)
    return 0

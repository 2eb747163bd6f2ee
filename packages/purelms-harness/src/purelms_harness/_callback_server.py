"""A loopback stand-in for the platform's callback endpoints.

It is strict the way the platform is: a wrong bearer token gets 401, an
unknown path 404, a body that fails the wire schema 422 (with the
one-line-per-problem errors as the response text). Every request, accepted
or not, is recorded so the harness and the tests can report exactly what
happened. One server serves any number of concurrent runs, keyed by run_id.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ValidationError

from purelms_shared import (
    BackendCallbackEvent,
    CompleteCallback,
    ProgressCallback,
    format_validation_error,
)

__all__ = ["CallbackServer", "ReceivedCallback"]

_PATH = re.compile(r"^/api/v1/sims/internal/runs/(?P<run_id>[0-9a-fA-F-]{36})/(?P<event>\w+)$")
_BODIES: dict[BackendCallbackEvent, type[BaseModel]] = {
    BackendCallbackEvent.PROGRESS: ProgressCallback,
    BackendCallbackEvent.COMPLETE: CompleteCallback,
}


@dataclass(frozen=True)
class ReceivedCallback:
    run_id: str
    event: BackendCallbackEvent
    accepted: bool
    status_code: int
    problem: str
    body: BaseModel | None
    received_at: float


Listener = Callable[[ReceivedCallback], None]


class CallbackServer:
    """``with CallbackServer(token) as server: server.url_for(run_id, "progress")``."""

    def __init__(self, token: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.token = token
        self._lock = threading.Condition()
        self._received: list[ReceivedCallback] = []
        self._listeners: dict[str, Listener] = {}
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = self._httpd.server_address[0]
        return f"http://{host!s}:{self.port}"

    def url_for(self, run_id: str, event: BackendCallbackEvent | str) -> str:
        kind = BackendCallbackEvent(event).value
        return f"{self.base_url}/api/v1/sims/internal/runs/{run_id}/{kind}"

    def start(self) -> CallbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> CallbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def listen(self, run_id: str, listener: Listener) -> None:
        """Call ``listener`` (from the server thread) for every callback of ``run_id``."""
        with self._lock:
            self._listeners[run_id] = listener

    def received(self, run_id: str | None = None) -> list[ReceivedCallback]:
        with self._lock:
            return [r for r in self._received if run_id is None or r.run_id == run_id]

    def wait_for_complete(self, run_id: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                if any(
                    r.run_id == run_id and r.event is BackendCallbackEvent.COMPLETE
                    for r in self._received
                ):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)

    def _record(self, record: ReceivedCallback) -> None:
        with self._lock:
            self._received.append(record)
            listener = self._listeners.get(record.run_id)
            self._lock.notify_all()
        if listener is not None:
            listener(record)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _reply(self, status: HTTPStatus, text: str = "") -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                match = _PATH.match(self.path)
                event = None
                if match:
                    try:
                        event = BackendCallbackEvent(match["event"])
                    except ValueError:
                        event = None
                if match is None or event is None:
                    self._reply(HTTPStatus.NOT_FOUND, f"unknown callback path {self.path}")
                    return
                run_id = match["run_id"].lower()

                def record(status: HTTPStatus, problem: str, body: BaseModel | None) -> None:
                    server._record(
                        ReceivedCallback(
                            run_id=run_id,
                            event=event,
                            accepted=status < 300,
                            status_code=int(status),
                            problem=problem,
                            body=body,
                            received_at=time.monotonic(),
                        )
                    )
                    self._reply(status, problem)

                if self.headers.get("Authorization") != f"Bearer {server.token}":
                    record(HTTPStatus.UNAUTHORIZED, "wrong or missing bearer token", None)
                    return
                try:
                    body = _BODIES[event].model_validate_json(raw)
                except ValidationError as exc:
                    problem = format_validation_error(exc).replace("\n", "; ")
                    record(
                        HTTPStatus.UNPROCESSABLE_ENTITY,
                        f"invalid {event.value} body: {problem}",
                        None,
                    )
                    return
                record(HTTPStatus.OK, "", body)

        return Handler

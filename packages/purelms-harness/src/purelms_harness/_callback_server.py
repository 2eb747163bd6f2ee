"""A loopback stand-in for the platform's callback endpoints.

One server serves any number of concurrent runs, keyed by run_id. Each run is
**registered** first and gets a bearer token of its own (an HMAC of the run id
under the server's secret), so a backend can only ever speak for its own run.
A run registered with an ``oidc_audience`` (the managed path) takes no static token:
its callbacks must carry a Google OIDC ID token for that audience, which the server
verifies against the loopback issuer's key (``_identity``: signature, audience,
expiry, issuer), the way the platform verifies Google's.

It is strict the way the platform is, and it decides as much as it can before
reading a body, so that nobody on loopback can spend its memory or a run's
verdict:

=====  ==========================================================================
404    an unknown path, event or run (never registered, or already forgotten)
400    a malformed ``Content-Length`` (``abc``, negative); 411 when it is missing
401    a missing or wrong bearer token (checked before the body is read)
413    a body over ``MAX_BODY_BYTES`` (1 MiB; nothing of it is read)
422    a body that fails the wire schema (one line per problem as the text)
409    a second complete callback for a run that already has one
200    accepted
=====  ==========================================================================

Every request that names a registered run is recorded (``received``), with
``authenticated`` telling whether it carried that run's token. Only
authenticated records can speak about a run: the harness's verdict ignores
the rest, so unauthenticated or malformed requests never change it. Nothing a
client sends makes this server print a traceback: connection errors are
silent, anything else is one line on stderr.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from pydantic import BaseModel, ValidationError

from purelms_shared import (
    BackendCallbackEvent,
    CompleteCallback,
    ProgressCallback,
    format_validation_error,
)

from ._identity import IdentityError, LoopbackIdentity
from ._loopback import LoopbackServer, QuietHTTPServer, ServerThread

__all__ = ["MAX_BODY_BYTES", "CallbackServer", "ReceivedCallback"]

#: Largest callback body accepted; real ones are a few hundred bytes.
MAX_BODY_BYTES = 1 << 20
#: Seconds a client may take to send its request (a stalled sender frees its thread).
_SOCKET_TIMEOUT_SECONDS = 10.0

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
    #: True when the request carried the run's own bearer token.
    authenticated: bool = True


Listener = Callable[[ReceivedCallback], None]


@dataclass
class _Run:
    token: str
    listener: Listener | None
    #: Set for runs whose callbacks carry OIDC ID tokens for this audience.
    oidc_audience: str | None = None
    complete: CompleteCallback | None = None
    complete_claimed: bool = False
    received: list[ReceivedCallback] = field(default_factory=list)


class CallbackServer(LoopbackServer):
    """``with CallbackServer() as server: token = server.register(run_id)``.

    ``token`` is the server's secret from which every run's token is derived
    (random when omitted); it is never a run's token itself.
    """

    def __init__(
        self,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        identity: LoopbackIdentity | None = None,
    ) -> None:
        self._identity = identity
        self._secret = (token or secrets.token_urlsafe(32)).encode()
        self._lock = threading.Condition()
        self._runs: dict[str, _Run] = {}
        self._httpd = QuietHTTPServer((host, port), self._handler_class(), "callback server")
        self._thread = ServerThread(self._httpd, "purelms-callbacks")

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

    def token_for(self, run_id: str) -> str:
        """The bearer token of ``run_id`` (the same for the server's lifetime)."""
        key = run_id.lower().encode()
        return hmac.new(self._secret, key, hashlib.sha256).hexdigest()

    def register(
        self, run_id: str, listener: Listener | None = None, *, oidc_audience: str | None = None
    ) -> str:
        """Accept callbacks for ``run_id``; returns its token. ``listener`` sees each record.

        With ``oidc_audience`` the run's callbacks must instead carry an ID token for that
        audience from the server's ``identity`` (the returned token is then never accepted).
        """
        if oidc_audience is not None and self._identity is None:
            raise ValueError("an OIDC run needs a CallbackServer made with an identity")
        token = self.token_for(run_id)
        with self._lock:
            self._runs[run_id.lower()] = _Run(
                token=token, listener=listener, oidc_audience=oidc_audience
            )
        return token

    def _authorized(self, run: _Run, supplied: str) -> tuple[bool, str]:
        if run.oidc_audience is None:
            ok = hmac.compare_digest(supplied.encode(), f"Bearer {run.token}".encode())
            return ok, "" if ok else "wrong or missing bearer token"
        scheme, _, token = supplied.partition(" ")
        if scheme != "Bearer" or not token:
            return False, "missing bearer ID token"
        assert self._identity is not None
        try:
            self._identity.verify(token, run.oidc_audience)
        except IdentityError as exc:
            return False, str(exc)
        return True, ""

    def forget(self, run_id: str) -> None:
        """Stop accepting callbacks for ``run_id`` (later ones get 404) and drop its records."""
        with self._lock:
            self._runs.pop(run_id.lower(), None)

    def received(self, run_id: str) -> list[ReceivedCallback]:
        with self._lock:
            run = self._runs.get(run_id.lower())
            return list(run.received) if run else []

    def wait_for_complete(self, run_id: str, timeout: float) -> bool:
        """True once ``run_id`` has an accepted complete callback (waits up to ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                run = self._runs.get(run_id.lower())
                if run is not None and run.complete is not None:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(remaining)

    def _record(self, run_id: str, record: ReceivedCallback) -> None:
        with self._lock:
            run = self._runs.get(run_id)
            if run is None:
                return
            run.received.append(record)
            if record.accepted and isinstance(record.body, CompleteCallback):
                run.complete = record.body
            listener = run.listener
            self._lock.notify_all()
        if listener is not None:
            listener(record)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = _SOCKET_TIMEOUT_SECONDS

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _reply(self, status: HTTPStatus, text: str = "", *, close: bool = False) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                if close:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(data)

            def _content_length(self) -> int | tuple[HTTPStatus, str]:
                if self.headers.get("Transfer-Encoding"):
                    return HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length"
                raw = self.headers.get("Content-Length")
                if raw is None:
                    return HTTPStatus.LENGTH_REQUIRED, "Content-Length is required"
                text = raw.strip()
                if not text.isascii() or not text.isdigit():
                    return HTTPStatus.BAD_REQUEST, f"Content-Length {raw!r} is not a byte count"
                return int(text)

            def do_POST(self) -> None:
                match = _PATH.match(self.path)
                event = None
                if match:
                    try:
                        event = BackendCallbackEvent(match["event"])
                    except ValueError:
                        event = None
                if match is None or event is None:
                    self._reply(HTTPStatus.NOT_FOUND, "unknown callback path", close=True)
                    return
                run_id = match["run_id"].lower()
                with server._lock:
                    run = server._runs.get(run_id)
                if run is None:
                    self._reply(HTTPStatus.NOT_FOUND, f"unknown run {run_id}", close=True)
                    return

                def record(
                    status: HTTPStatus,
                    problem: str,
                    body: BaseModel | None = None,
                    *,
                    authenticated: bool = True,
                    close: bool = False,
                ) -> None:
                    server._record(
                        run_id,
                        ReceivedCallback(
                            run_id=run_id,
                            event=event,
                            accepted=status < 300,
                            status_code=int(status),
                            problem=problem,
                            body=body,
                            received_at=time.monotonic(),
                            authenticated=authenticated,
                        ),
                    )
                    self._reply(status, problem, close=close)

                length = self._content_length()
                if isinstance(length, tuple):
                    record(*length, authenticated=False, close=True)
                    return
                supplied = self.headers.get("Authorization", "")
                authorized, why = server._authorized(run, supplied)
                if not authorized:
                    record(
                        HTTPStatus.UNAUTHORIZED,
                        why,
                        authenticated=False,
                        close=True,
                    )
                    return
                if length > MAX_BODY_BYTES:
                    record(
                        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        f"body of {length} bytes is over the {MAX_BODY_BYTES}-byte limit",
                        close=True,
                    )
                    return
                raw = self.rfile.read(length)
                if len(raw) != length:
                    record(
                        HTTPStatus.BAD_REQUEST, "body shorter than its Content-Length", close=True
                    )
                    return
                try:
                    body = _BODIES[event].model_validate_json(raw)
                except ValidationError as exc:
                    problem = format_validation_error(exc).replace("\n", "; ")
                    record(
                        HTTPStatus.UNPROCESSABLE_ENTITY, f"invalid {event.value} body: {problem}"
                    )
                    return
                if event is BackendCallbackEvent.COMPLETE:
                    with server._lock:  # check and claim at once: two racing posts, one wins
                        duplicate, run.complete_claimed = run.complete_claimed, True
                    if duplicate:
                        record(
                            HTTPStatus.CONFLICT, "this run already has a complete callback", body
                        )
                        return
                record(HTTPStatus.OK, "", body)

        return Handler

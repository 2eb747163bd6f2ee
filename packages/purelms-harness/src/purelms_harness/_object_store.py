"""A loopback stand-in for Cloud Storage behind signed URLs (``purelms run --managed``).

A real bucket cannot be reached from here, so the harness serves the few things the
managed path needs from one, over plain HTTP on 127.0.0.1 (the runtime accepts
``http://`` for loopback hosts only):

* objects named by ``gs://bucket/name``, each stored version with a **generation**
  (a number that grows with every write, as in Cloud Storage), reported in
  ``x-goog-generation`` on every GET and PUT answer;
* **signed URLs**: ``http://127.0.0.1:PORT/<bucket>/<name>?X-Purelms-Method=GET&
  X-Purelms-Expires=<unix seconds>&X-Purelms-Signature=<hex>``, the signature an
  HMAC-SHA256 under the store's secret of method, object and expiry. A request whose
  method, object, expiry or signature does not match, or that comes after the expiry,
  is refused with 403 before anything is read: a URL signed for GET cannot PUT;
* the **create-only precondition**: ``x-goog-if-generation-match: 0`` makes a PUT fail
  with 412 when the object exists (any other number must equal the live generation).

What it is not: not an implementation of the Cloud Storage API (no listing, no
resumable uploads, no metadata), and its signatures are not Google's V4 signatures. It
records every request (``requests``) so tests can say what a backend did, and has
hooks to misbehave on purpose (``serve_instead``: answer GETs of an object with other
bytes, as a store that lost a write would).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from ._loopback import LoopbackServer, QuietHTTPServer, ServerThread

__all__ = ["ObjectStore", "StoreRequest", "StoredObject"]

_GS = re.compile(r"^gs://(?P<bucket>[a-z0-9][a-z0-9._-]+)/(?P<name>.+)$")
#: Largest object a PUT may bring.
MAX_OBJECT_BYTES = 64 * 1024 * 1024
_SOCKET_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    generation: int
    content_type: str


@dataclass(frozen=True)
class StoreRequest:
    method: str
    uri: str
    status: int


def _split(uri: str) -> tuple[str, str]:
    match = _GS.match(uri)
    if match is None:
        raise ValueError(f"not a gs://bucket/object URI: {uri!r}")
    return match["bucket"], match["name"]


class ObjectStore(LoopbackServer):
    """``with ObjectStore() as store: url = store.signed_url(uri, "GET")``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._secret = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._objects: dict[str, StoredObject] = {}
        self._instead: dict[str, bytes] = {}
        self._generation = time.time_ns() // 1000
        self.requests: list[StoreRequest] = []
        self._httpd = QuietHTTPServer((host, 0), self._handler_class(), "object store")
        self._thread = ServerThread(self._httpd, "purelms-object-store")

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    # ------------------------------------------------------------------ direct access

    def put(self, uri: str, data: bytes, content_type: str = "application/json") -> int:
        """Store ``data`` at ``uri`` (overwriting); returns the new generation."""
        _split(uri)
        with self._lock:
            self._generation += 1
            self._objects[uri] = StoredObject(data, self._generation, content_type)
            return self._generation

    def get(self, uri: str) -> StoredObject | None:
        with self._lock:
            return self._objects.get(uri)

    def serve_instead(self, uri: str, data: bytes) -> None:
        """From now on answer GETs of ``uri`` with ``data`` (a store that lost a write)."""
        with self._lock:
            self._instead[uri] = data

    def requests_for(self, uri: str, method: str | None = None) -> list[StoreRequest]:
        with self._lock:
            return [r for r in self.requests if r.uri == uri and method in (None, r.method)]

    # ------------------------------------------------------------------ signing

    def _signature(self, method: str, uri: str, expires: int) -> str:
        message = f"{method}\n{uri}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def signed_url(self, uri: str, method: str, *, expires_in: float = 3600.0) -> str:
        """A URL that lets its holder ``method`` (GET or PUT) ``uri`` until it expires."""
        bucket, name = _split(uri)
        expires = int(time.time() + expires_in)
        signature = self._signature(method, uri, expires)
        return (
            f"{self.base_url}/{bucket}/{quote(name)}?X-Purelms-Method={method}"
            f"&X-Purelms-Expires={expires}&X-Purelms-Signature={signature}"
        )

    def _authorize(self, method: str, path: str) -> tuple[str, str | None]:
        """(the object's URI, None) when the URL's signature allows ``method``; else why not."""
        parts = urlsplit(path)
        bucket, _, name = unquote(parts.path).lstrip("/").partition("/")
        uri = f"gs://{bucket}/{name}"
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        try:
            expires = int(query.get("X-Purelms-Expires", ""))
        except ValueError:
            return uri, "unsigned URL"
        if query.get("X-Purelms-Method") != method:
            return uri, f"the URL is not signed for {method}"
        expected = self._signature(method, uri, expires)
        if not hmac.compare_digest(expected, query.get("X-Purelms-Signature", "")):
            return uri, "signature does not match"
        if time.time() > expires:
            return uri, "the signed URL has expired"
        return uri, None

    # ------------------------------------------------------------------ HTTP

    def _record(self, method: str, uri: str, status: int) -> None:
        with self._lock:
            self.requests.append(StoreRequest(method, uri, status))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        store = self

        class Handler(BaseHTTPRequestHandler):
            timeout = _SOCKET_TIMEOUT_SECONDS

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _reply(
                self,
                status: HTTPStatus,
                body: bytes = b"",
                *,
                generation: int | None = None,
                content_type: str = "text/plain; charset=utf-8",
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if generation is not None:
                    self.send_header("x-goog-generation", str(generation))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                uri, refused = store._authorize("GET", self.path)
                if refused:
                    store._record("GET", uri, 403)
                    self._reply(HTTPStatus.FORBIDDEN, refused.encode())
                    return
                with store._lock:
                    found = store._objects.get(uri)
                    instead = store._instead.get(uri)
                if found is None:
                    store._record("GET", uri, 404)
                    self._reply(HTTPStatus.NOT_FOUND, b"no such object")
                    return
                store._record("GET", uri, 200)
                self._reply(
                    HTTPStatus.OK,
                    found.data if instead is None else instead,
                    generation=found.generation,
                    content_type=found.content_type,
                )

            def do_PUT(self) -> None:
                uri, refused = store._authorize("PUT", self.path)
                if refused:
                    store._record("PUT", uri, 403)
                    self.close_connection = True
                    self._reply(HTTPStatus.FORBIDDEN, refused.encode())
                    return
                raw = self.headers.get("Content-Length", "")
                if not raw.isdigit() or int(raw) > MAX_OBJECT_BYTES:
                    store._record("PUT", uri, 400)
                    self.close_connection = True
                    self._reply(HTTPStatus.BAD_REQUEST, b"Content-Length missing or too large")
                    return
                data = self.rfile.read(int(raw))
                precondition = self.headers.get("x-goog-if-generation-match")
                content_type = self.headers.get("Content-Type", "application/octet-stream")
                with store._lock:
                    live = store._objects.get(uri)
                    live_generation = live.generation if live else 0
                    if precondition is not None and precondition.strip() != str(live_generation):
                        status = HTTPStatus.PRECONDITION_FAILED
                    else:
                        status = HTTPStatus.OK
                        store._generation += 1
                        store._objects[uri] = StoredObject(data, store._generation, content_type)
                        live_generation = store._generation
                store._record("PUT", uri, int(status))
                if status is HTTPStatus.OK:
                    self._reply(status, b"", generation=live_generation)
                else:
                    self._reply(status, b"precondition failed: the object exists")

        return Handler

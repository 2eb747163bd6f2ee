"""A loopback HTTP server serving from a background thread, and stopped at once.

Every stand-in for the platform's side (the callback server, the object store, the
identity provider, the preview page) is one of these. ``serve_forever`` sleeps in
``select`` and looks for a shutdown request only when it wakes (once per
``poll_interval``, 0.5 s by default), so ``shutdown()`` alone waited up to half a
second at the end of every run, and a short interval still cost each run half an
interval on average. ``stop()`` instead wakes the loop with a connection of its own
(repeated until the loop has seen the request, in case the first one came before
it), so stopping takes as long as one accept: no interval on the critical path.

``LoopbackServer`` is what those stand-ins share around their thread: ``start``/``stop``
and a ``with`` block that does both; ``QuietHTTPServer`` their HTTP server, whose failed
requests are one line each rather than socketserver's traceback.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any, Self

__all__ = ["POLL_SECONDS", "LoopbackServer", "QuietHTTPServer", "ServerThread"]

#: How often an idle server wakes by itself (``stop()`` does not wait for it).
POLL_SECONDS = 0.5
_WAKE_EVERY_SECONDS = 0.005


class ServerThread:
    """``serve_forever`` of ``server`` in a daemon thread; ``stop()`` returns within a poll."""

    def __init__(self, server: TCPServer, name: str) -> None:
        self.server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name=name,
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        """Wait until the server stops (e.g. ``stop()`` from a signal handler's thread)."""
        self._thread.join()

    def stop(self) -> None:
        """Stop serving and close the listening socket (idempotent)."""
        if self._thread.is_alive():
            stopper = threading.Thread(target=self.server.shutdown, name="server-stop", daemon=True)
            stopper.start()
            while stopper.is_alive():
                self._wake()
                stopper.join(_WAKE_EVERY_SECONDS)
            self._thread.join()
        self.server.server_close()

    def _wake(self) -> None:
        """Make the serving loop's ``select`` return now (it then sees the shutdown)."""
        host, port = self.server.socket.getsockname()[:2]
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            pass


class LoopbackServer:
    """Serves from its ``ServerThread`` (``_thread``, set by the subclass) between ``start()``
    and ``stop()``, or for the length of a ``with`` block."""

    _thread: ServerThread

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._thread.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class QuietHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server (daemon threads) for a stand-in named ``label``.

    A client that goes away or stalls is nothing to report; any other failure of a
    request is one line on stderr.
    """

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], label: str
    ) -> None:
        self.label = label
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # http.server's own server_bind asks the resolver for the loopback address's
        # fully qualified name (socket.getfqdn), only to fill in ``server_name``, which
        # nothing here reads: a reverse lookup on every start (the resolver's files read,
        # a DNS query where /etc/hosts has no answer). The address is its own name.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        print(
            f"purelms: {self.label}: request from {client_address[0]} failed: "
            f"{type(exc).__name__}: {exc}",
            file=sys.stderr,
        )

"""A loopback HTTP server serving from a background thread, and stopped at once.

Every stand-in for the platform's side (the callback server, the object store, the
identity provider, the preview page) is one of these. ``serve_forever`` looks for a
shutdown request once per ``poll_interval``, 0.5 s by default, so ``shutdown()``
used to wait up to half a second at the end of every run: a quarter of
``purelms run echo``'s wall time. A short interval costs an idle thread a few
wake-ups per second and makes stopping immediate.
"""

from __future__ import annotations

import threading
from socketserver import BaseServer

__all__ = ["POLL_SECONDS", "ServerThread"]

#: How often an idle server checks whether it was asked to stop.
POLL_SECONDS = 0.02


class ServerThread:
    """``serve_forever`` of ``server`` in a daemon thread; ``stop()`` returns within a poll."""

    def __init__(self, server: BaseServer, name: str) -> None:
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
            self.server.shutdown()
            self._thread.join()
        self.server.server_close()

"""Posting callbacks to the platform over real HTTP (stdlib ``urllib``).

Rules from the runtime protocol, kept here and nowhere else:

* Every callback carries ``Authorization: Bearer <token>``, minted per delivery by
  the token provider the environment chose (``_auth``: the static
  ``PURELMS_CALLBACK_TOKEN``, else a Google OIDC ID token for the envelope's
  ``callback_audience``), never taken from the envelope, so an envelope stored as
  evidence holds no secret. No callback ever goes out without one.
* The URL ``file:///dev/null`` means "no callbacks" (local, offline runs).
* Progress is best effort: one try with a short timeout (2 s), a failure is a
  warning on stderr. It is posted from a background sender (``_supervisor``),
  so a slow or hanging progress endpoint never delays the run or its deadline.
* ``complete`` is retried with exponential backoff (5 tries, first delay
  ``PURELMS_CALLBACK_BACKOFF_SECONDS``, default 0.5 s) within a **total budget**
  (``PURELMS_CALLBACK_BUDGET_SECONDS``, default 15 s): each try's timeout is
  at most 5 s and never beyond the budget, so a platform that accepts the
  connection and never answers costs at most the budget, not five full
  timeouts plus the backoff. Client errors other than 408/429 are not retried
  (a wrong token will not become right); 409 means the platform already holds
  this run's completion (an earlier try was delivered but its answer lost), so
  it counts as delivered. Failing to deliver is loud: the caller exits
  non-zero.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

from pydantic import BaseModel

from ._auth import TokenError, TokenProvider
from ._config import RuntimeConfig
from .protocol import (
    DEFAULT_CALLBACK_BACKOFF_SECONDS,
    DEFAULT_CALLBACK_BUDGET_SECONDS,
    NO_CALLBACKS_URL,
)

if TYPE_CHECKING:
    from urllib.request import OpenerDirector

__all__ = ["CallbackError", "CallbackPoster"]

_RETRYABLE_CLIENT_ERRORS = {408, 429}


class CallbackError(Exception):
    """A callback could not be delivered."""


@dataclass
class CallbackPoster:
    tokens: TokenProvider
    #: The envelope's ``callback_audience``: what an OIDC ID token is minted for.
    audience: str
    progress_timeout_seconds: float = 2.0
    complete_timeout_seconds: float = 5.0
    complete_attempts: int = 5
    backoff_seconds: float = DEFAULT_CALLBACK_BACKOFF_SECONDS
    complete_budget_seconds: float = DEFAULT_CALLBACK_BUDGET_SECONDS

    @classmethod
    def from_config(
        cls, config: RuntimeConfig, tokens: TokenProvider, audience: str
    ) -> CallbackPoster:
        return cls(
            tokens=tokens,
            audience=audience,
            backoff_seconds=config.callback_backoff_seconds,
            complete_budget_seconds=config.callback_budget_seconds,
        )

    @staticmethod
    def is_disabled(url: str) -> bool:
        return url == NO_CALLBACKS_URL

    @staticmethod
    def warm_up() -> threading.Thread:
        """Import what posting needs in a background thread; the thread, started.

        urllib.request (with http.client, ssl and the idna codec that ``getaddrinfo``
        encodes a host name with) takes 10-15 ms to import. Not with the runtime's own
        import, so that a run whose callbacks are off (``NO_CALLBACKS_URL``) never loads
        it; not on the first callback either, where it lengthened every run by that
        much: the supervisor starts this once the worker is forked (it never forks
        again after that, so no fork copies a half-done import), and the first post
        waits for it through the import system's own module locks. It builds the
        opener too (``_opener``: about 0.7 ms of the first post).
        """

        def load() -> None:
            import encodings.idna  # noqa: F401
            import urllib.error  # noqa: F401

            _opener()

        thread = threading.Thread(target=load, name="callback-imports", daemon=True)
        thread.start()
        return thread

    def _post_once(self, url: str, body: bytes, timeout: float) -> None:
        import urllib.error
        import urllib.request

        try:
            token = self.tokens.token(self.audience)
        except TokenError as exc:
            raise CallbackError(f"no token for {url}: {exc}") from exc
        request = urllib.request.Request(url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("Authorization", f"Bearer {token}")
        try:
            with _opener().open(request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip().splitlines()
            first = detail[0] if detail else exc.reason
            raise CallbackError(f"HTTP {exc.code} from {url}: {first}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason: object = getattr(exc, "reason", None) or exc
            raise CallbackError(f"cannot reach {url}: {reason}") from exc

    def post_progress(self, url: str, body: BaseModel) -> str | None:
        """Post once; returns a warning text on failure instead of raising."""
        if self.is_disabled(url):
            return None
        try:
            self._post_once(url, body.model_dump_json().encode(), self.progress_timeout_seconds)
        except CallbackError as exc:
            return f"progress callback not delivered: {exc}"
        return None

    def post_complete(self, url: str, body: BaseModel) -> int:
        """Post with retries within the budget; returns the attempts made; raises CallbackError."""
        if self.is_disabled(url):
            return 0
        data = body.model_dump_json().encode()
        started = time.monotonic()
        deadline = started + self.complete_budget_seconds
        delay = self.backoff_seconds
        attempt = 0
        while True:
            attempt += 1
            timeout = min(self.complete_timeout_seconds, deadline - time.monotonic())
            try:
                self._post_once(url, data, max(timeout, 0.05))
                return attempt
            except CallbackError as exc:
                import urllib.error

                cause = exc.__cause__
                if isinstance(cause, urllib.error.HTTPError):
                    if cause.code == HTTPStatus.CONFLICT:
                        return attempt  # the platform already has this run's completion
                    if 400 <= cause.code < 500 and cause.code not in _RETRYABLE_CLIENT_ERRORS:
                        raise CallbackError(f"complete callback rejected: {exc}") from exc
                remaining = deadline - time.monotonic()
                if attempt >= self.complete_attempts or remaining <= delay:
                    spent = time.monotonic() - started
                    raise CallbackError(
                        f"complete callback not delivered after {attempt} attempts in "
                        f"{spent:.1f} s (budget {self.complete_budget_seconds:g} s): {exc}"
                    ) from exc
            time.sleep(delay)
            delay *= 2


@functools.cache
def _opener() -> OpenerDirector:
    """The runtime's own opener: ``urlopen``'s default handlers (the environment's
    proxies included), built once per process, and never one that the backend's code
    installed with ``urllib.request.install_opener`` (callbacks are the runtime's)."""
    import urllib.request

    return urllib.request.build_opener()

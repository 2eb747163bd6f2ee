"""Posting callbacks to the platform over real HTTP (stdlib ``urllib``).

Rules from the runtime protocol, kept here and nowhere else:

* Every callback carries ``Authorization: Bearer <token>``; the token comes
  from the environment (``PURELMS_CALLBACK_TOKEN``), never from the envelope,
  so an envelope stored as evidence holds no secret.
* The URL ``file:///dev/null`` means "no callbacks" (local, offline runs).
* Progress is best effort: one try, a failure is a warning on stderr.
* ``complete`` is retried with exponential backoff (5 tries by default);
  client errors other than 408/429 are not retried (a wrong token will not
  become right). Failing to deliver it is loud: the caller exits non-zero.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from pydantic import BaseModel

from .protocol import CALLBACK_BACKOFF_ENV, CALLBACK_TOKEN_ENV, NO_CALLBACKS_URL

__all__ = ["CallbackError", "CallbackPoster"]

_RETRYABLE_CLIENT_ERRORS = {408, 429}


class CallbackError(Exception):
    """A callback could not be delivered."""


@dataclass
class CallbackPoster:
    token: str | None
    timeout_seconds: float = 10.0
    complete_attempts: int = 5
    backoff_seconds: float = 0.5

    @classmethod
    def from_environment(cls) -> CallbackPoster:
        backoff = float(os.environ.get(CALLBACK_BACKOFF_ENV, "0.5"))
        return cls(token=os.environ.get(CALLBACK_TOKEN_ENV) or None, backoff_seconds=backoff)

    @staticmethod
    def is_disabled(url: str) -> bool:
        return url == NO_CALLBACKS_URL

    def _post_once(self, url: str, body: bytes) -> None:
        request = urllib.request.Request(url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
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
            self._post_once(url, body.model_dump_json().encode())
        except CallbackError as exc:
            return f"progress callback not delivered: {exc}"
        return None

    def post_complete(self, url: str, body: BaseModel) -> int:
        """Post with retries; returns the number of attempts; raises CallbackError."""
        if self.is_disabled(url):
            return 0
        data = body.model_dump_json().encode()
        delay = self.backoff_seconds
        for attempt in range(1, self.complete_attempts + 1):
            try:
                self._post_once(url, data)
                return attempt
            except CallbackError as exc:
                cause = exc.__cause__
                final = attempt == self.complete_attempts
                if isinstance(cause, urllib.error.HTTPError) and (
                    400 <= cause.code < 500 and cause.code not in _RETRYABLE_CLIENT_ERRORS
                ):
                    raise CallbackError(f"complete callback rejected: {exc}") from exc
                if final:
                    raise CallbackError(
                        f"complete callback not delivered after {attempt} attempts: {exc}"
                    ) from exc
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

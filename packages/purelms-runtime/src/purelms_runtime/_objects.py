"""Objects behind signed URLs (the managed path), over stdlib ``urllib``.

Rules kept here and nowhere else:

* **Bounded reads.** Every GET names the most bytes it accepts: a ``Content-Length``
  above it is refused before the body is read, and at most one byte more than the
  limit is ever read, so an answer cannot spend the container's memory.
* **Generations.** Cloud Storage names each stored version of an object by a
  generation (``x-goog-generation``); a GET reports the generation it read, a PUT the
  one it created.
* **Create only.** ``output.json`` is PUT once with ``x-goog-if-generation-match: 0``:
  the store refuses with 412 when the object exists, so nothing stored is overwritten.
* **Transient failures are retried** (a connection error, 408, 429, 5xx; three tries,
  0.2 s then 0.4 s apart); any other answer is final. A PUT retried after a lost answer
  may meet 412 for its own first try: the caller reads the object back and compares.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, NoReturn, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import urllib.error
    from http.client import HTTPResponse

# urllib.request (with http.client, email and ssl) is imported where a request is made:
# only the managed path talks to an object store, and a local run should not pay for it.

__all__ = [
    "GENERATION_HEADER",
    "IF_GENERATION_MATCH_HEADER",
    "AlreadyStored",
    "FetchedObject",
    "ObjectError",
    "ObjectTooLarge",
    "get_object",
    "put_create_only",
    "redact",
]

GENERATION_HEADER = "x-goog-generation"
IF_GENERATION_MATCH_HEADER = "x-goog-if-generation-match"
_TRIES = 3
_FIRST_DELAY_SECONDS = 0.2
_TIMEOUT_SECONDS = 30.0
_TRANSIENT = {408, 429, 500, 502, 503, 504}

_T = TypeVar("_T")


class ObjectError(Exception):
    """The object could not be read or written (one line, the URL's signature left out)."""


class ObjectTooLarge(ObjectError):
    """The object is larger than the caller accepts."""


class AlreadyStored(ObjectError):
    """A create-only PUT found the object there already (HTTP 412)."""


@dataclass(frozen=True)
class FetchedObject:
    data: bytes
    #: ``x-goog-generation`` of the answer; None when the store sent none.
    generation: int | None


def redact(url: str) -> str:
    """``url`` without its query (a signature is a credential: never in a log line)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _generation(response: HTTPResponse | urllib.error.HTTPError) -> int | None:
    raw = response.headers.get(GENERATION_HEADER)
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(512).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    first = text.splitlines()[0] if text else str(exc.reason)
    return f"HTTP {exc.code}: {first[:200]}"


def get_object(url: str, *, limit: int, what: str) -> FetchedObject | None:
    """GET ``url``: its bytes and generation; None on 404.

    Raises ObjectTooLarge past ``limit`` bytes, ObjectError otherwise.
    """
    import urllib.request

    def send() -> FetchedObject | None:
        request = urllib.request.Request(url, method="GET")
        with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.strip().isdigit() and int(declared) > limit:
                raise ObjectTooLarge(
                    f"{what} is {int(declared)} bytes, over the limit of {limit} bytes"
                )
            data = response.read(limit + 1)
            if len(data) > limit:
                raise ObjectTooLarge(f"{what} is over the limit of {limit} bytes")
            return FetchedObject(data=data, generation=_generation(response))

    return _with_retries(
        send,
        final={HTTPStatus.NOT_FOUND: lambda exc: None},
        failed=f"cannot read {what} from {redact(url)}",
        unreachable=f"cannot reach {redact(url)} for {what}",
    )


def put_create_only(url: str, data: bytes, *, content_type: str, what: str) -> int | None:
    """PUT ``data`` to ``url`` only if no object is there; returns the new generation.

    Raises AlreadyStored on 412 and ObjectError otherwise.
    """
    import urllib.request

    def send() -> int | None:
        request = urllib.request.Request(url, data=data, method="PUT")
        request.add_header("Content-Type", content_type)
        request.add_header(IF_GENERATION_MATCH_HEADER, "0")
        with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
            response.read(4096)
            return _generation(response)

    def already_stored(exc: urllib.error.HTTPError) -> NoReturn:
        raise AlreadyStored(f"{what} already exists at {redact(url)}") from exc

    return _with_retries(
        send,
        final={HTTPStatus.PRECONDITION_FAILED: already_stored},
        failed=f"cannot store {what} at {redact(url)}",
        unreachable=f"cannot reach {redact(url)} to store {what}",
    )


def _with_retries(
    send: Callable[[], _T],
    *,
    final: Mapping[int, Callable[[urllib.error.HTTPError], _T]],
    failed: str,
    unreachable: str,
) -> _T:
    """``send()``, tried again after a transient failure (this module's rule); ``final``
    says what the statuses it names mean. Any other failure raises ObjectError, its text
    ``failed`` (an HTTP answer) or ``unreachable`` (no answer) and the detail."""
    import urllib.error

    delay = _FIRST_DELAY_SECONDS
    for attempt in range(1, _TRIES + 1):
        try:
            return send()
        except urllib.error.HTTPError as exc:
            if exc.code in final:
                return final[exc.code](exc)
            if exc.code not in _TRANSIENT or attempt == _TRIES:
                raise ObjectError(f"{failed}: {_detail(exc)}") from exc
        except (urllib.error.URLError, OSError) as exc:
            if attempt == _TRIES:
                reason = getattr(exc, "reason", None) or exc
                raise ObjectError(f"{unreachable}: {reason}") from exc
        time.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover

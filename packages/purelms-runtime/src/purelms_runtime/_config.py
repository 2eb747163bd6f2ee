"""The runtime's environment, parsed once into a typed, frozen configuration.

Everything the runtime reads from its environment is read here and nowhere else, so a
rule about a variable lives in one place and every mistake is found before anything
runs: a malformed or half configuration is a :class:`ContractViolation` (one line naming
the variable and the rule, non-zero exit, nothing computed).

The mode comes from the environment's *shape* (platform.md §4), never from a flag the
backend could get wrong:

* **local**: none of the managed variables is set. The input envelope and the input
  files are read from ``PURELMS_INPUT_DIR``, ``output.json`` and the artifacts go to
  ``PURELMS_OUTPUT_DIR``.
* **managed**: ``PURELMS_INPUT_URI`` and ``PURELMS_OUTPUT_URI`` (canonical ``gs://``
  identities) with the three signed URLs (``PURELMS_INPUT_FETCH_URL``,
  ``PURELMS_OUTPUT_UPLOAD_URL``, ``PURELMS_OUTPUT_VERIFY_URL``) and
  ``PURELMS_INPUT_GENERATION``; ``PURELMS_INPUT_SHA256`` and ``PURELMS_INPUT_SIZE_BYTES``
  together or not at all. Any one of these without the others is a half configuration and
  refused. The local folders the image's ``ENV`` names are then not used.

Rules of the values: URIs are ``gs://bucket/object``; a signed URL is ``https://``, or
``http://`` to a loopback host only (the harness's stand-in object store: nothing
leaves the machine unencrypted); a sha256 is 64 lowercase hex digits; sizes are whole
numbers >= 0, generations and byte limits whole numbers >= 1 (digits only: no sign, no
exponent, no spaces). An empty value counts as unset.

``PURELMS_RUNTIME_MODE=service`` serves requests instead of running once; each request
brings its own managed environment, parsed by :func:`managed_io` exactly like a job's.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from uuid import UUID

from ._errors import ContractViolation
from .protocol import (
    CALLBACK_BACKOFF_ENV,
    CALLBACK_BUDGET_ENV,
    CALLBACK_TOKEN_ENV,
    DEFAULT_CALLBACK_BACKOFF_SECONDS,
    DEFAULT_CALLBACK_BUDGET_SECONDS,
    DEFAULT_INPUT_DIR,
    DEFAULT_MAX_ENVELOPE_BYTES,
    DEFAULT_OUTPUT_DIR,
    DEFAULT_PORT,
    DEFAULT_SERVICE_HOST,
    INPUT_DIR_ENV,
    INPUT_FETCH_URL_ENV,
    INPUT_GENERATION_ENV,
    INPUT_SHA256_ENV,
    INPUT_SIZE_BYTES_ENV,
    INPUT_URI_ENV,
    KEEP_WORK_DIR_ENV,
    MAX_ENVELOPE_BYTES_ENV,
    OUTPUT_DIR_ENV,
    OUTPUT_DIR_URI_ENV,
    OUTPUT_UPLOAD_URL_ENV,
    OUTPUT_URI_ENV,
    OUTPUT_VERIFY_URL_ENV,
    PARENT_PID_ENV,
    PORT_ENV,
    PROGRESS_NONE,
    PROGRESS_PERCENTAGE,
    PROGRESS_REPORTING_ENV,
    RUN_ID_ENV,
    RUNTIME_MODE_ENV,
    SERVICE_HOST_ENV,
    WORK_DIR_ENV,
)

__all__ = [
    "MANAGED_ENV_KEYS",
    "InputIdentity",
    "LocalIO",
    "ManagedIO",
    "ProgressReporting",
    "RuntimeConfig",
    "is_loopback_http",
    "managed_io",
    "runtime_config",
]

ProgressReporting = Literal["percentage", "none"]

#: The variables whose presence makes a run managed (all but the optional pair required).
MANAGED_ENV_KEYS = (
    INPUT_URI_ENV,
    OUTPUT_URI_ENV,
    INPUT_FETCH_URL_ENV,
    OUTPUT_UPLOAD_URL_ENV,
    OUTPUT_VERIFY_URL_ENV,
    INPUT_SHA256_ENV,
    INPUT_SIZE_BYTES_ENV,
    INPUT_GENERATION_ENV,
)
_REQUIRED_MANAGED = (
    INPUT_URI_ENV,
    OUTPUT_URI_ENV,
    INPUT_FETCH_URL_ENV,
    OUTPUT_UPLOAD_URL_ENV,
    OUTPUT_VERIFY_URL_ENV,
    INPUT_GENERATION_ENV,
)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DIGITS = re.compile(r"[0-9]+")
_GS_URI = re.compile(r"gs://[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]/\S+")


@dataclass(frozen=True)
class InputIdentity:
    """What the fetched input envelope must be: checked before it is parsed."""

    generation: int
    sha256: str | None = None
    size_bytes: int | None = None


@dataclass(frozen=True)
class LocalIO:
    input_dir: Path
    output_dir: Path
    #: Canonical URI of the output folder for the complete callback (None: a file:// URI).
    output_dir_uri: str | None = None


@dataclass(frozen=True)
class ManagedIO:
    input_uri: str
    output_uri: str
    input_fetch_url: str
    output_upload_url: str
    output_verify_url: str
    input: InputIdentity
    run_id: UUID | None = None


@dataclass(frozen=True)
class RuntimeConfig:
    """Everything the runtime takes from its environment, validated."""

    io: LocalIO | ManagedIO | None
    service: bool = False
    port: int = DEFAULT_PORT
    service_host: str = DEFAULT_SERVICE_HOST
    max_envelope_bytes: int = DEFAULT_MAX_ENVELOPE_BYTES
    progress_reporting: ProgressReporting = PROGRESS_NONE
    #: A static bearer for callbacks; None means a Google OIDC ID token per delivery.
    callback_token: str | None = None
    callback_backoff_seconds: float = DEFAULT_CALLBACK_BACKOFF_SECONDS
    callback_budget_seconds: float = DEFAULT_CALLBACK_BUDGET_SECONDS
    parent_pid: int | None = None
    work_dir_parent: Path | None = None
    keep_work_dir: bool = False

    @property
    def managed(self) -> bool:
        return isinstance(self.io, ManagedIO)


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value if value else None


def _whole(environ: Mapping[str, str], name: str, *, minimum: int, what: str) -> int | None:
    raw = _get(environ, name)
    if raw is None:
        return None
    if raw.startswith("-") and _DIGITS.fullmatch(raw[1:]):
        raise ContractViolation(f"{name}={raw!r}: must be {what} >= {minimum}, not negative")
    if not _DIGITS.fullmatch(raw):
        raise ContractViolation(f"{name}={raw!r}: not a whole number (digits only), {what}")
    value = int(raw)
    if value < minimum:
        raise ContractViolation(f"{name}={raw!r}: must be {what} >= {minimum}")
    return value


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = _get(environ, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ContractViolation(f"{name}={raw!r}: must be a number of seconds greater than 0")
    return value


def is_loopback_http(url: str) -> bool:
    """True for an ``http://`` URL whose host is a loopback address or ``localhost``."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        import ipaddress  # here, not at start: only an http:// callback URL is checked

        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _signed_url(environ: Mapping[str, str], name: str) -> str:
    url = environ[name]
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if is_loopback_http(url):
        return url
    raise ContractViolation(
        f"{name}={url[:80]!r}: must be an https:// signed URL (http:// only to a loopback host)"
    )


def _gs_uri(environ: Mapping[str, str], name: str) -> str:
    uri = environ[name]
    if not _GS_URI.fullmatch(uri):
        raise ContractViolation(f"{name}={uri[:80]!r}: must be a gs://bucket/object URI")
    return uri


def managed_io(environ: Mapping[str, str]) -> ManagedIO | None:
    """The managed path's configuration, None when no managed variable is set."""
    present = [name for name in MANAGED_ENV_KEYS if _get(environ, name) is not None]
    if not present:
        return None
    missing = [name for name in _REQUIRED_MANAGED if _get(environ, name) is None]
    if missing:
        raise ContractViolation(
            f"half a managed configuration: {', '.join(present)} set but {', '.join(missing)} "
            f"not (the managed path needs {', '.join(_REQUIRED_MANAGED)}); nothing was run"
        )
    sha256 = _get(environ, INPUT_SHA256_ENV)
    size = _whole(environ, INPUT_SIZE_BYTES_ENV, minimum=0, what="a size in bytes")
    if (sha256 is None) != (size is None):
        given, absent = (
            (INPUT_SHA256_ENV, INPUT_SIZE_BYTES_ENV)
            if sha256
            else (INPUT_SIZE_BYTES_ENV, INPUT_SHA256_ENV)
        )
        raise ContractViolation(f"{given} is set without {absent}: they are set together")
    if sha256 is not None and not _SHA256.fullmatch(sha256):
        raise ContractViolation(
            f"{INPUT_SHA256_ENV}={sha256[:80]!r}: must be 64 lowercase hexadecimal digits"
        )
    generation = _whole(environ, INPUT_GENERATION_ENV, minimum=1, what="a generation")
    assert generation is not None  # required above
    raw_run_id = _get(environ, RUN_ID_ENV)
    run_id = None
    if raw_run_id is not None:
        try:
            run_id = UUID(raw_run_id)
        except ValueError:
            raise ContractViolation(f"{RUN_ID_ENV}={raw_run_id[:80]!r}: not a UUID") from None
    return ManagedIO(
        input_uri=_gs_uri(environ, INPUT_URI_ENV),
        output_uri=_gs_uri(environ, OUTPUT_URI_ENV),
        input_fetch_url=_signed_url(environ, INPUT_FETCH_URL_ENV),
        output_upload_url=_signed_url(environ, OUTPUT_UPLOAD_URL_ENV),
        output_verify_url=_signed_url(environ, OUTPUT_VERIFY_URL_ENV),
        input=InputIdentity(generation=generation, sha256=sha256, size_bytes=size),
        run_id=run_id,
    )


def _progress_reporting(environ: Mapping[str, str]) -> ProgressReporting:
    raw = _get(environ, PROGRESS_REPORTING_ENV)
    if raw is None or raw == PROGRESS_NONE:
        return "none"
    if raw == PROGRESS_PERCENTAGE:
        return "percentage"
    raise ContractViolation(
        f"{PROGRESS_REPORTING_ENV}={raw!r}: must be {PROGRESS_PERCENTAGE} or {PROGRESS_NONE}"
    )


def runtime_config(environ: Mapping[str, str] | None = None) -> RuntimeConfig:
    """Parse ``environ`` (default: this process's environment); ContractViolation on a mistake."""
    env = os.environ if environ is None else environ
    mode = _get(env, RUNTIME_MODE_ENV) or "job"
    if mode not in ("job", "service"):
        raise ContractViolation(f"{RUNTIME_MODE_ENV}={mode!r}: must be job or service")
    service = mode == "service"
    managed = managed_io(env)
    io: LocalIO | ManagedIO | None
    if service:
        if managed is not None:
            raise ContractViolation(
                f"{RUNTIME_MODE_ENV}=service takes each run's environment from its request; "
                f"{INPUT_URI_ENV} and the other managed variables must not be set"
            )
        io = None
    elif managed is not None:
        io = managed
    else:
        io = LocalIO(
            input_dir=Path(_get(env, INPUT_DIR_ENV) or DEFAULT_INPUT_DIR),
            output_dir=Path(_get(env, OUTPUT_DIR_ENV) or DEFAULT_OUTPUT_DIR),
            output_dir_uri=_get(env, OUTPUT_DIR_URI_ENV),
        )
    port = _whole(env, PORT_ENV, minimum=0, what="a TCP port")
    port = DEFAULT_PORT if port is None else port
    if port > 65535:
        raise ContractViolation(f"{PORT_ENV}={port}: must be a TCP port <= 65535")
    max_bytes = _whole(env, MAX_ENVELOPE_BYTES_ENV, minimum=1, what="a number of bytes")
    parent = _get(env, PARENT_PID_ENV)
    if parent is not None and not _DIGITS.fullmatch(parent):
        raise ContractViolation(f"{PARENT_PID_ENV}={parent!r}: must be a process id")
    work_dir = _get(env, WORK_DIR_ENV)
    return RuntimeConfig(
        io=io,
        service=service,
        port=port,
        service_host=_get(env, SERVICE_HOST_ENV) or DEFAULT_SERVICE_HOST,
        max_envelope_bytes=max_bytes or DEFAULT_MAX_ENVELOPE_BYTES,
        progress_reporting=_progress_reporting(env),
        callback_token=_get(env, CALLBACK_TOKEN_ENV),
        callback_backoff_seconds=_seconds(
            env, CALLBACK_BACKOFF_ENV, DEFAULT_CALLBACK_BACKOFF_SECONDS
        ),
        callback_budget_seconds=_seconds(env, CALLBACK_BUDGET_ENV, DEFAULT_CALLBACK_BUDGET_SECONDS),
        parent_pid=int(parent) if parent is not None else None,
        work_dir_parent=Path(work_dir) if work_dir else None,
        keep_work_dir=bool(_get(env, KEEP_WORK_DIR_ENV)),
    )

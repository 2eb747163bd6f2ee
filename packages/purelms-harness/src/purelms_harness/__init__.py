"""purelms-harness: a developer's machine behaving as the purelms platform.

It starts a backend exactly as the platform would (an input envelope, a
loopback callback server, a backend process or container, the output
envelope checked, an evidence manifest written) and carries the ``purelms``
command (run, list, serve, evidence, validate, manifest). Backend test suites
use the same machinery through the names below.

Why a package of its own: none of this runs inside a backend image. The image
holds purelms-runtime alone; this package adds what only a developer needs
(rich, pyyaml, the container launcher, the preview server). Commands from other
installed packages (``purelms sweep`` from purelms-sweep) are registered through
the ``purelms.cli`` entry-point group, so this package never imports them.
"""

from importlib.metadata import version as _version

from ._args import OneLineParser, non_negative_seconds, whole_seconds
from ._callback_server import MAX_BODY_BYTES, CallbackServer, ReceivedCallback
from ._container import (
    ContainerEngine,
    ContainerError,
    ContainerLauncher,
    container_run_args,
    detect_engine,
    open_output_dir,
)
from ._errors import RunCancelled, RunRequestError, describe_os_error
from ._evidence import EVIDENCE_NAME, build_evidence, file_digest, verify_evidence, write_evidence
from ._identity import IdentityError, LoopbackIdentity
from ._local_run import (
    BackendLauncher,
    LocalRunResult,
    RunRequest,
    default_run_dir,
    run_local,
    timeout_seconds_of,
)
from ._managed import (
    BUCKET,
    ManagedLayout,
    ManagedRunResult,
    post_service_request,
    run_managed,
    service_request,
    wait_for_service,
)
from ._manifest import (
    MANIFEST_NAME,
    BackendManifest,
    ManifestError,
    discover,
    find_repo_root,
    manifest_drift,
    model_outputs,
    model_parameters,
    write_manifest_lists,
)

__version__ = _version("purelms-harness")

from ._object_store import ObjectStore, StoredObject, StoreRequest

__all__ = [
    "BUCKET",
    "EVIDENCE_NAME",
    "MANIFEST_NAME",
    "MAX_BODY_BYTES",
    "BackendLauncher",
    "BackendManifest",
    "CallbackServer",
    "ContainerEngine",
    "ContainerError",
    "ContainerLauncher",
    "IdentityError",
    "LocalRunResult",
    "LoopbackIdentity",
    "ManagedLayout",
    "ManagedRunResult",
    "ManifestError",
    "ObjectStore",
    "OneLineParser",
    "ReceivedCallback",
    "RunCancelled",
    "RunRequest",
    "RunRequestError",
    "StoreRequest",
    "StoredObject",
    "__version__",
    "build_evidence",
    "container_run_args",
    "default_run_dir",
    "describe_os_error",
    "detect_engine",
    "discover",
    "file_digest",
    "find_repo_root",
    "manifest_drift",
    "model_outputs",
    "model_parameters",
    "non_negative_seconds",
    "open_output_dir",
    "post_service_request",
    "run_local",
    "run_managed",
    "service_request",
    "timeout_seconds_of",
    "verify_evidence",
    "wait_for_service",
    "whole_seconds",
    "write_evidence",
    "write_manifest_lists",
]

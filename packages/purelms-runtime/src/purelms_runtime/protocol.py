"""The runtime protocol's names and numbers, shared by both sides of the container wall.

The runtime reads these inside an image; whatever starts a backend (the
``purelms`` harness on a developer's machine, the platform in production) sets
them from outside. They are public so that a launcher never imports the
runtime's private modules to learn them, and they live in one place so that the
two sides cannot drift.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CALLBACK_BACKOFF_ENV",
    "CALLBACK_BUDGET_ENV",
    "CALLBACK_TOKEN_ENV",
    "DEFAULT_CALLBACK_BACKOFF_SECONDS",
    "DEFAULT_CALLBACK_BUDGET_SECONDS",
    "DEFAULT_INPUT_DIR",
    "DEFAULT_MAX_ENVELOPE_BYTES",
    "DEFAULT_OUTPUT_DIR",
    "DEFAULT_PORT",
    "DEFAULT_SERVICE_HOST",
    "EXIT_CALLBACK_UNDELIVERED",
    "EXIT_INVALID_INPUT",
    "EXIT_OK",
    "EXIT_OUTPUT_EXISTS",
    "EXIT_OUTPUT_UNWRITABLE",
    "EXIT_OUTPUT_VERIFY_FAILED",
    "INPUT_DIR_ENV",
    "INPUT_ENVELOPE_NAME",
    "INPUT_FETCH_URL_ENV",
    "INPUT_GENERATION_ENV",
    "INPUT_SIZE_BYTES_ENV",
    "INPUT_URI_ENV",
    "KEEP_WORK_DIR_ENV",
    "MAX_ENVELOPE_BYTES_ENV",
    "NO_CALLBACKS_URL",
    "OUTPUT_DIR_ENV",
    "OUTPUT_DIR_URI_ENV",
    "OUTPUT_ENVELOPE_NAME",
    "OUTPUT_UPLOAD_URL_ENV",
    "OUTPUT_URI_ENV",
    "OUTPUT_VERIFY_URL_ENV",
    "PARENT_PID_ENV",
    "PORT_ENV",
    "PROGRESS_MILESTONES",
    "PROGRESS_NONE",
    "PROGRESS_PERCENTAGE",
    "PROGRESS_REPORTING_ENV",
    "RUNTIME_MODE_ENV",
    "RUN_ID_ENV",
    "SERVICE_HOST_ENV",
    "WORK_DIR_ENV",
]

#: Folder holding ``input.json`` and the staged input files.
INPUT_DIR_ENV: Final = "PURELMS_INPUT_DIR"
#: Folder that receives ``output.json`` and the artifacts.
OUTPUT_DIR_ENV: Final = "PURELMS_OUTPUT_DIR"
#: Parent of the per-run scratch folder (default: the system's temporary folder).
WORK_DIR_ENV: Final = "PURELMS_WORK_DIR"
#: Local mode: canonical URI of the output folder (e.g. the host's ``file://`` folder of a
#: container run), used for ``output_envelope_uri`` in the complete callback when set.
OUTPUT_DIR_URI_ENV: Final = "PURELMS_OUTPUT_DIR_URI"
#: Keep the scratch folder after the run (debugging only).
KEEP_WORK_DIR_ENV: Final = "PURELMS_KEEP_WORK_DIR"
#: Bearer token for callbacks; never carried in the envelope.
CALLBACK_TOKEN_ENV: Final = "PURELMS_CALLBACK_TOKEN"
#: First retry delay of the complete callback, in seconds (doubles per try).
CALLBACK_BACKOFF_ENV: Final = "PURELMS_CALLBACK_BACKOFF_SECONDS"
DEFAULT_CALLBACK_BACKOFF_SECONDS: Final = 0.5
#: Total time the complete callback may take, every try and backoff included, in seconds.
CALLBACK_BUDGET_ENV: Final = "PURELMS_CALLBACK_BUDGET_SECONDS"
DEFAULT_CALLBACK_BUDGET_SECONDS: Final = 15.0
#: Pid of the process that started the backend and wants it cancelled (SIGTERM) when it
#: dies; honoured only while that process is still the backend's parent (local harness).
PARENT_PID_ENV: Final = "PURELMS_PARENT_PID"

# The managed path (platform.md §4): set together or not at all. Their presence is what
# makes a run managed; see ``purelms_runtime._config`` for every rule.
#: Canonical ``gs://`` URI of the input envelope object (callbacks, evidence).
INPUT_URI_ENV: Final = "PURELMS_INPUT_URI"
#: Canonical ``gs://`` URI of the output envelope object (the complete callback names it).
OUTPUT_URI_ENV: Final = "PURELMS_OUTPUT_URI"
#: Signed URL to GET the input envelope's bytes.
INPUT_FETCH_URL_ENV: Final = "PURELMS_INPUT_FETCH_URL"
#: Signed URL to PUT output.json, create-only (``x-goog-if-generation-match: 0``).
OUTPUT_UPLOAD_URL_ENV: Final = "PURELMS_OUTPUT_UPLOAD_URL"
#: Signed URL to GET the stored output.json back (verification, redelivery).
OUTPUT_VERIFY_URL_ENV: Final = "PURELMS_OUTPUT_VERIFY_URL"
#: The run's id; when set it must equal the input envelope's ``run_id``.
RUN_ID_ENV: Final = "PURELMS_RUN_ID"
#: Identity of the input envelope object: sha256 and size together, generation required.
INPUT_SHA256_ENV: Final = "PURELMS_INPUT_SHA256"
INPUT_SIZE_BYTES_ENV: Final = "PURELMS_INPUT_SIZE_BYTES"
INPUT_GENERATION_ENV: Final = "PURELMS_INPUT_GENERATION"
#: Largest input envelope read, in bytes (both modes).
MAX_ENVELOPE_BYTES_ENV: Final = "PURELMS_MAX_ENVELOPE_BYTES"
DEFAULT_MAX_ENVELOPE_BYTES: Final = 5 * 1024 * 1024
#: ``service`` serves the service-execution requests over HTTP on ``$PORT``; unset or
#: ``job`` runs once.
RUNTIME_MODE_ENV: Final = "PURELMS_RUNTIME_MODE"
#: Service mode's port (Cloud Run sets it); 0 means any free port (the log line names it).
PORT_ENV: Final = "PORT"
DEFAULT_PORT: Final = 8080
#: Service mode's listening address (Cloud Run needs every interface; the harness 127.0.0.1).
SERVICE_HOST_ENV: Final = "PURELMS_SERVICE_HOST"
DEFAULT_SERVICE_HOST: Final = "0.0.0.0"
#: The manifest's ``backend.progress_reporting``: ``percentage`` or ``none`` (the default).
#: Set by whatever starts the backend from its manifest: the harness, and each image's
#: ``ENV`` (the platform's own environment does not carry it).
PROGRESS_REPORTING_ENV: Final = "PURELMS_PROGRESS_REPORTING"
PROGRESS_PERCENTAGE: Final = "percentage"
PROGRESS_NONE: Final = "none"
#: The progress milestones sent for ``percentage``, each at most once.
PROGRESS_MILESTONES: Final = (0, 25, 50, 75, 100)

DEFAULT_INPUT_DIR: Final = "/purelms/input"
DEFAULT_OUTPUT_DIR: Final = "/purelms/output"
INPUT_ENVELOPE_NAME: Final = "input.json"
OUTPUT_ENVELOPE_NAME: Final = "output.json"

#: A callback URL that means "no callbacks" (local, offline runs).
NO_CALLBACKS_URL: Final = "file:///dev/null"

#: Every domain outcome (success and each failure status) exits 0.
EXIT_OK: Final = 0
#: The input envelope is unreadable or invalid (a contract violation).
EXIT_INVALID_INPUT: Final = 2
#: The complete callback could not be delivered; output.json is kept.
EXIT_CALLBACK_UNDELIVERED: Final = 3
#: output.json already exists; it is never overwritten.
EXIT_OUTPUT_EXISTS: Final = 4
#: The output folder cannot be written (read-only, permission denied, full: the line names
#: the errno, e.g. EROFS, EACCES, ENOSPC). Checked before the backend's function starts;
#: also when output.json itself cannot be written at the end.
EXIT_OUTPUT_UNWRITABLE: Final = 5
#: Managed path: the output object read back through the verify URL is not the bytes that
#: were uploaded (or cannot be read back); no complete callback is sent.
EXIT_OUTPUT_VERIFY_FAILED: Final = 6

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
    "DEFAULT_OUTPUT_DIR",
    "EXIT_CALLBACK_UNDELIVERED",
    "EXIT_INVALID_INPUT",
    "EXIT_OK",
    "EXIT_OUTPUT_EXISTS",
    "EXIT_OUTPUT_UNWRITABLE",
    "INPUT_DIR_ENV",
    "INPUT_ENVELOPE_NAME",
    "KEEP_WORK_DIR_ENV",
    "NO_CALLBACKS_URL",
    "OUTPUT_DIR_ENV",
    "OUTPUT_ENVELOPE_NAME",
    "OUTPUT_URI_ENV",
    "PARENT_PID_ENV",
    "WORK_DIR_ENV",
]

#: Folder holding ``input.json`` and the staged input files.
INPUT_DIR_ENV: Final = "PURELMS_INPUT_DIR"
#: Folder that receives ``output.json`` and the artifacts.
OUTPUT_DIR_ENV: Final = "PURELMS_OUTPUT_DIR"
#: Parent of the per-run scratch folder (default: the system's temporary folder).
WORK_DIR_ENV: Final = "PURELMS_WORK_DIR"
#: Canonical URI of the output folder, used in the complete callback when set.
OUTPUT_URI_ENV: Final = "PURELMS_OUTPUT_URI"
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

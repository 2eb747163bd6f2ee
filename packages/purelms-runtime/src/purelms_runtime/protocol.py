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
    "CALLBACK_TOKEN_ENV",
    "DEFAULT_INPUT_DIR",
    "DEFAULT_OUTPUT_DIR",
    "EXIT_CALLBACK_UNDELIVERED",
    "EXIT_INVALID_INPUT",
    "EXIT_OK",
    "EXIT_OUTPUT_EXISTS",
    "INPUT_DIR_ENV",
    "INPUT_ENVELOPE_NAME",
    "KEEP_WORK_DIR_ENV",
    "NO_CALLBACKS_URL",
    "OUTPUT_DIR_ENV",
    "OUTPUT_ENVELOPE_NAME",
    "OUTPUT_URI_ENV",
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

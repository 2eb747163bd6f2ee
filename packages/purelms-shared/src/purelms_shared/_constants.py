"""Enumerations and schema-version literals of the purelms wire contract.

Versioning rule for enums: adding a value is an *additive* change. It stays in
v1, but it still needs the lockstep floor bump (``nox -s lockstep_bump``),
because a strict consumer pinned to the older contract rejects a value it does
not know. Renaming or removing a value is incompatible and needs a new
``...V2`` document beside v1.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal

__all__ = [
    "EVIDENCE_SCHEMA_V1",
    "INPUT_SCHEMA_V1",
    "OUTPUT_SCHEMA_V1",
    "TERMINAL_RUN_STATUSES",
    "BackendCallbackEvent",
    "EvidenceSchemaV1",
    "InputFileRole",
    "InputSchemaV1",
    "MessageLevel",
    "OutputSchemaV1",
    "OutputStatus",
    "RunStatus",
]


class RunStatus(StrEnum):
    """Lifecycle of a run as the platform tracks it; the last five are terminal."""

    PENDING = "pending"
    DISPATCHED = "dispatched"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED_SIMULATION = "failed_simulation"
    FAILED_RUNTIME = "failed_runtime"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


class OutputStatus(StrEnum):
    """The terminal values of :class:`RunStatus`: what an output envelope can report."""

    SUCCESS = "success"
    FAILED_SIMULATION = "failed_simulation"
    FAILED_RUNTIME = "failed_runtime"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


TERMINAL_RUN_STATUSES: Final = frozenset(RunStatus(status.value) for status in OutputStatus)


class MessageLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class BackendCallbackEvent(StrEnum):
    """Which callback a backend is making. The URL says it; bodies carry no flag."""

    PROGRESS = "progress"
    COMPLETE = "complete"


class InputFileRole(StrEnum):
    TEMPLATE = "template"
    WEATHER = "weather"
    RESOURCE = "resource"
    EVIDENCE_REFERENCE = "evidence_reference"


InputSchemaV1 = Literal["purelms.input.v1"]
OutputSchemaV1 = Literal["purelms.output.v1"]
EvidenceSchemaV1 = Literal["purelms.evidence.v1"]

INPUT_SCHEMA_V1: Final[InputSchemaV1] = "purelms.input.v1"
OUTPUT_SCHEMA_V1: Final[OutputSchemaV1] = "purelms.output.v1"
EVIDENCE_SCHEMA_V1: Final[EvidenceSchemaV1] = "purelms.evidence.v1"

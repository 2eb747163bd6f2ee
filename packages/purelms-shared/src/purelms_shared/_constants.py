"""Enumerations and schema-version literals of the purelms wire contract.

Versioning rule for enums: adding a value is an *additive* change. It stays in
v1, but it still needs the lockstep floor bump (``nox -s lockstep_bump``),
because a strict consumer pinned to the older contract rejects a value it does
not know. Renaming or removing a value is incompatible and needs a new
``...V2`` document beside v1.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, Literal, cast

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
    """The roles the platform and the runtime know for input and resource files.

    On the wire a role is any string (0.5.1 takes any string there too): a backend may
    name its own roles. :meth:`of` turns a wire string into a role: one of the members
    below for a known value, otherwise an *unregistered* role, an ``InputFileRole``
    instance that is not a member (``list(InputFileRole)`` and ``InputFileRole(text)``
    still know only the members) and compares equal to its string like every member.
    """

    TEMPLATE = "template"
    WEATHER = "weather"
    RESOURCE = "resource"
    EVIDENCE_REFERENCE = "evidence_reference"

    @classmethod
    def of(cls, text: str) -> InputFileRole:
        """The member whose value is ``text``, else an unregistered role carrying ``text``."""
        member = cls._value2member_map_.get(text)
        if member is not None:
            return cast(InputFileRole, member)
        role = str.__new__(cls, text)
        role._name_ = text
        role._value_ = text
        return role

    def __reduce_ex__(self, protocol: object) -> tuple[Any, ...]:
        # Unpickle through ``of`` (not ``InputFileRole(value)``), so unregistered roles
        # survive a trip through pickle (dask ships envelopes between processes).
        return (InputFileRole.of, (self._value_,))


InputSchemaV1 = Literal["purelms.input.v1"]
OutputSchemaV1 = Literal["purelms.output.v1"]
EvidenceSchemaV1 = Literal["purelms.evidence.v1"]

INPUT_SCHEMA_V1: Final[InputSchemaV1] = "purelms.input.v1"
OUTPUT_SCHEMA_V1: Final[OutputSchemaV1] = "purelms.output.v1"
EVIDENCE_SCHEMA_V1: Final[EvidenceSchemaV1] = "purelms.evidence.v1"

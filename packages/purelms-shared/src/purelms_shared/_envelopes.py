"""Input and output envelopes (``purelms.input.v1`` / ``purelms.output.v1``).

Versioning rules, recorded here because this is where they bite:

* **Incompatible change** (removing or renaming a field, tightening a rule,
  changing a type): write a new ``SimulationInputEnvelopeV2`` class beside the
  v1 class, with its own schema-version literal, and register it in
  ``_parsing``. Never edit a released v1 model incompatibly: envelopes already
  stored as evidence must parse forever (the fixture corpus proves it).
* **Additive change** (a new optional field with a default, a new enum value):
  it stays in v1, but every consumer must take the lockstep floor bump in the
  same change. Models are strict, so a consumer one version behind rejects the
  new field as unknown rather than silently dropping it.

Defaults are exactly the published 0.5.1's (``schema_version`` defaults to its
literal, so a document without one is a v1 document): a field 0.5.1 lets a sender
omit may be omitted here too.

URIs are plain strings on purpose: ``gs://``, ``file://`` and ``https://``
must all pass, and relative references are used for artifacts next to their
envelope.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from ._base import (
    FileRole,
    FiniteFloat,
    Identifier,
    JsonObject,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveInt,
    Sha256,
    StrictText,
    WholeSeconds,
    WireModel,
    empty_list,
)
from ._constants import (
    INPUT_SCHEMA_V1,
    OUTPUT_SCHEMA_V1,
    InputSchemaV1,
    MessageLevel,
    OutputSchemaV1,
    OutputStatus,
)

__all__ = [
    "ExecutionContext",
    "InputFile",
    "Message",
    "OutputArtifact",
    "ResourceFile",
    "SimulationInputEnvelope",
    "SimulationOutputEnvelope",
]


class InputFile(WireModel):
    """A file the learner or the platform supplies to this run (e.g. a custom EPW)."""

    role: FileRole
    mime_type: StrictText
    filename: StrictText
    uri: StrictText
    sha256: Sha256
    size_bytes: NonNegativeInt


class ResourceFile(WireModel):
    """A file owned by the task (not the learner), such as a template or a library."""

    role: FileRole
    mime_type: StrictText
    filename: StrictText
    uri: StrictText
    sha256: Sha256
    size_bytes: NonNegativeInt


class ExecutionContext(WireModel):
    """Where to report, and how long the run may take."""

    callback_url_progress: StrictText
    callback_url_complete: StrictText
    callback_audience: StrictText
    timeout_seconds: WholeSeconds
    progress_min_interval_seconds: NonNegativeFloat = 2.0


class OutputArtifact(WireModel):
    filename: StrictText
    mime_type: StrictText
    uri: StrictText
    sha256: Sha256
    size_bytes: NonNegativeInt
    label: StrictText = ""


class Message(WireModel):
    level: MessageLevel
    code: StrictText = ""
    text: StrictText


class SimulationInputEnvelope(WireModel):
    """What the platform hands a backend: who, what, with which parameters and files."""

    schema_version: InputSchemaV1 = INPUT_SCHEMA_V1
    run_id: UUID
    backend_slug: Identifier
    backend_version: Identifier
    student_id: PositiveInt
    course_id: PositiveInt
    block_id: PositiveInt
    unit_block_id: PositiveInt | None = None
    parameters: JsonObject = Field(default_factory=dict)
    input_files: list[InputFile] = Field(default_factory=empty_list)
    resource_files: list[ResourceFile] = Field(default_factory=empty_list)
    context: ExecutionContext


class SimulationOutputEnvelope(WireModel):
    """What a backend hands back. Every domain outcome, failures included, is one of these."""

    schema_version: OutputSchemaV1 = OUTPUT_SCHEMA_V1
    run_id: UUID
    status: OutputStatus
    outputs: JsonObject = Field(default_factory=dict)
    artifacts: list[OutputArtifact] = Field(default_factory=empty_list)
    messages: list[Message] = Field(default_factory=empty_list)
    metrics: dict[str, FiniteFloat] | None = None
    runtime_seconds: NonNegativeFloat = 0.0

"""Evidence manifest (``purelms.evidence.v1``): what a run consumed and produced.

Each reference pins one file by sha256 and size, so a credential issued from
a run can be re-verified later from the files alone. The manifest follows the
same versioning rules as the envelopes (see ``_envelopes``).
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from ._base import (
    Identifier,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveInt,
    Sha256,
    StrictText,
    WireDatetime,
    WireModel,
    empty_list,
)
from ._constants import EVIDENCE_SCHEMA_V1, EvidenceSchemaV1, OutputStatus

__all__ = ["EvidenceManifest", "EvidenceReference"]


class EvidenceReference(WireModel):
    """One file of a run, e.g. kind ``input_envelope`` or ``artifact:eplusout.sql``."""

    kind: StrictText
    uri: StrictText
    sha256: Sha256
    size_bytes: NonNegativeInt
    generation: PositiveInt | None = None


class EvidenceManifest(WireModel):
    schema_version: EvidenceSchemaV1 = EVIDENCE_SCHEMA_V1
    run_id: UUID
    student_id: PositiveInt
    course_id: PositiveInt
    block_id: PositiveInt
    backend_slug: Identifier
    backend_version: Identifier
    backend_image_digest: StrictText = ""
    status: OutputStatus
    dispatched_at: WireDatetime
    completed_at: WireDatetime
    runtime_seconds: NonNegativeFloat = 0.0
    references: list[EvidenceReference] = Field(default_factory=empty_list)

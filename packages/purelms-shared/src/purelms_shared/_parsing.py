"""Versioned parsing: one entry point per document kind.

Each function takes bytes, str or an already-decoded mapping, reads
``schema_version`` and validates with the model registered for it. A new
incompatible version is added by registering its ``...V2`` model in the table
below; the v1 entry stays forever so stored evidence keeps parsing.

Every failure, including malformed JSON and an unknown ``schema_version``, is
raised as :class:`pydantic.ValidationError`, so callers handle one exception
type and can render it with :func:`format_validation_error`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from ._constants import EVIDENCE_SCHEMA_V1, INPUT_SCHEMA_V1, OUTPUT_SCHEMA_V1
from ._envelopes import SimulationInputEnvelope, SimulationOutputEnvelope
from ._evidence import EvidenceManifest

__all__ = [
    "SUPPORTED_EVIDENCE_VERSIONS",
    "SUPPORTED_INPUT_VERSIONS",
    "SUPPORTED_OUTPUT_VERSIONS",
    "WireDocument",
    "parse_evidence_manifest",
    "parse_input_envelope",
    "parse_output_envelope",
]

WireDocument = bytes | str | Mapping[str, Any]
_M = TypeVar("_M", bound=BaseModel)

SUPPORTED_INPUT_VERSIONS: Final[Mapping[str, type[SimulationInputEnvelope]]] = {
    INPUT_SCHEMA_V1: SimulationInputEnvelope,
}
SUPPORTED_OUTPUT_VERSIONS: Final[Mapping[str, type[SimulationOutputEnvelope]]] = {
    OUTPUT_SCHEMA_V1: SimulationOutputEnvelope,
}
SUPPORTED_EVIDENCE_VERSIONS: Final[Mapping[str, type[EvidenceManifest]]] = {
    EVIDENCE_SCHEMA_V1: EvidenceManifest,
}

_JSON_OBJECT: Final = TypeAdapter(dict[str, Any])


def _parse(data: WireDocument, versions: Mapping[str, type[_M]], title: str) -> _M:
    if isinstance(data, bytes | str):
        document = _JSON_OBJECT.validate_json(data)
    elif isinstance(data, Mapping):
        document = dict(data)
    else:
        document = _JSON_OBJECT.validate_python(data)
    version = document.get("schema_version")
    model = versions.get(version) if isinstance(version, str) else None
    if model is None:
        supported = ", ".join(sorted(versions))
        problem = "missing" if "schema_version" not in document else "unsupported"
        raise ValidationError.from_exception_data(
            title,
            [
                InitErrorDetails(
                    type=PydanticCustomError(
                        "unsupported_schema_version",
                        "{problem} schema_version; supported: {supported}",
                        {"problem": problem, "supported": supported},
                    ),
                    loc=("schema_version",),
                    input=version,
                )
            ],
        )
    return model.model_validate(document)


def parse_input_envelope(data: WireDocument) -> SimulationInputEnvelope:
    """Parse an input envelope of any supported version."""
    return _parse(data, SUPPORTED_INPUT_VERSIONS, "SimulationInputEnvelope")


def parse_output_envelope(data: WireDocument) -> SimulationOutputEnvelope:
    """Parse an output envelope of any supported version."""
    return _parse(data, SUPPORTED_OUTPUT_VERSIONS, "SimulationOutputEnvelope")


def parse_evidence_manifest(data: WireDocument) -> EvidenceManifest:
    """Parse an evidence manifest of any supported version."""
    return _parse(data, SUPPORTED_EVIDENCE_VERSIONS, "EvidenceManifest")

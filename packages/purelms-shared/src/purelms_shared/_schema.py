"""JSON Schema documents of the wire models, generated from the pydantic models.

Why the schemas are committed (in ``purelms_shared/schemas/``) rather than
generated on demand: the TypeScript mirror of the contract is generated from
those committed files, so they are the hand-off point across the licence
boundary. A reviewer sees every contract change as a diff of these files, and
a model edited without regenerating them is drift between the Python and the
TypeScript halves. A test compares the committed files with
:func:`json_schemas` and fails on any difference; ``nox -s schemas`` (which
runs ``tools/generate_schemas.py``) rewrites them.

The schemas are the *validation* schemas: what a consumer accepts. Fields
with a default are therefore optional in them. Some rules are stricter in
Python than any JSON Schema can say (finite numbers, no Unix timestamps for
datetimes); the Python models are the authority.
"""

from __future__ import annotations

import json
from typing import Any, Final

from ._base import WireModel
from ._callbacks import CompleteCallback, ProgressCallback
from ._envelopes import SimulationInputEnvelope, SimulationOutputEnvelope
from ._evidence import EvidenceManifest
from ._service import ServiceExecutionRequest
from ._task_manifest import InteractiveTaskManifest

__all__ = [
    "JSON_SCHEMA_DIALECT",
    "SCHEMA_MODELS",
    "json_schemas",
    "render_json_schema",
    "schema_documents",
    "schema_id",
]

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

SCHEMA_MODELS: Final[tuple[type[WireModel], ...]] = (
    SimulationInputEnvelope,
    SimulationOutputEnvelope,
    EvidenceManifest,
    ProgressCallback,
    CompleteCallback,
    ServiceExecutionRequest,
    InteractiveTaskManifest,
)
"""Every top-level wire document; nested models end up in each schema's ``$defs``."""


def schema_id(model: type[WireModel]) -> str:
    """The stable ``$id`` of ``model``'s schema: one URN per model class.

    An incompatible change is a new ``...V2`` class, hence a new ``$id``; the
    v1 identifier never changes meaning.
    """
    return f"urn:purelms:wire:{model.__name__}"


def _schema(model: type[WireModel]) -> dict[str, Any]:
    generated = model.model_json_schema(mode="validation")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id(model),
        **generated,
        "title": model.__name__,
    }


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schema of every wire document, keyed by model name, in a fixed order."""
    return {model.__name__: _schema(model) for model in SCHEMA_MODELS}


def render_json_schema(schema: dict[str, Any]) -> str:
    """Deterministic text of ``schema``: pydantic's key order, 2-space indent, final newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def schema_documents() -> dict[str, str]:
    """File name (``SimulationInputEnvelope.json``) to file text, for every wire document."""
    return {f"{name}.json": render_json_schema(schema) for name, schema in json_schemas().items()}

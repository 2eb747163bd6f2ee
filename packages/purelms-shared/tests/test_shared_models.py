"""Field-by-field contract tests of the purelms.*.v1 wire models.

Each rule of the design's "Wire contract" section appears here once as an
accepted value and once as a rejected one, through both validation modes
(Python objects and JSON text), and every default is checked to behave as one.
Which fields have defaults is read from the models here, and each default is checked
against the design's rules (``design_default``), never against a hand-kept copy of the
field list: an additive field that follows the rules needs no edit of these tests. That
the defaults are exactly the published 0.5.1's (as the design demands) is proven against
the real 0.5.1 by the differential test (``compat/``, ``nox -s compat``).
"""

from __future__ import annotations

import copy
import json
import pickle
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin
from uuid import UUID

import pytest
from pydantic import BaseModel, Field, PydanticUserError, TypeAdapter, ValidationError

from purelms_shared import (
    EVIDENCE_SCHEMA_V1,
    INPUT_SCHEMA_V1,
    OUTPUT_SCHEMA_V1,
    TERMINAL_RUN_STATUSES,
    BackendCallbackEvent,
    CompleteCallback,
    EvidenceManifest,
    EvidenceReference,
    ExecutionContext,
    InputFile,
    InputFileRole,
    Message,
    MessageLevel,
    OutputArtifact,
    OutputStatus,
    ProgressCallback,
    ResourceFile,
    RunStatus,
    SimulationInputEnvelope,
    SimulationOutputEnvelope,
    error_lines,
    error_path,
    format_validation_error,
    parse_evidence_manifest,
    parse_input_envelope,
    parse_output_envelope,
)
from purelms_shared._base import WireModel

SHA = "0123456789abcdef" * 4
RUN_ID = "3f2c8a1e-5b7d-4c9e-8a6f-1d2e3c4b5a69"


def _file(role: str = "weather") -> dict[str, Any]:
    return {
        "role": role,
        "mime_type": "application/octet-stream",
        "filename": "chicago.epw",
        "uri": "gs://bucket/runs/chicago.epw",
        "sha256": SHA,
        "size_bytes": 1645012,
    }


def _context() -> dict[str, Any]:
    return {
        "callback_url_progress": "https://lms.example/api/v1/sims/internal/runs/1/progress",
        "callback_url_complete": "https://lms.example/api/v1/sims/internal/runs/1/complete",
        "callback_audience": "https://lms.example",
        "timeout_seconds": 600,
        "progress_min_interval_seconds": 5.0,
    }


def _artifact() -> dict[str, Any]:
    return {
        "filename": "eplusout.sql",
        "mime_type": "application/vnd.sqlite3",
        "uri": "eplusout.sql",
        "sha256": SHA,
        "size_bytes": 0,
        "label": "SQL output",
    }


def _message() -> dict[str, Any]:
    return {"level": "warning", "code": "EPLUS_WARNING", "text": "small surface"}


def _reference() -> dict[str, Any]:
    return {
        "kind": "artifact:eplusout.sql",
        "uri": "gs://bucket/runs/eplusout.sql",
        "sha256": SHA,
        "size_bytes": 2416640,
        "generation": 1763816646250113,
    }


def _input() -> dict[str, Any]:
    return {
        "schema_version": INPUT_SCHEMA_V1,
        "run_id": RUN_ID,
        "backend_slug": "energyplus_single_zone",
        "backend_version": "1.4.2",
        "student_id": 48213,
        "course_id": 17,
        "block_id": 902,
        "unit_block_id": 88,
        "parameters": {"wall_u": 0.35, "shading": {"fins": False}, "tags": ["a", 1, None]},
        "input_files": [_file()],
        "resource_files": [_file("template")],
        "context": _context(),
    }


def _output() -> dict[str, Any]:
    return {
        "schema_version": OUTPUT_SCHEMA_V1,
        "run_id": RUN_ID,
        "status": "success",
        "outputs": {"annual": {"heating_kwh": 4821.7}, "monthly": [1.0, 2.0]},
        "artifacts": [_artifact()],
        "messages": [_message()],
        "metrics": {"heating_kwh": 4821.7, "unmet_hours": 12},
        "runtime_seconds": 1.873,
    }


def _evidence() -> dict[str, Any]:
    return {
        "schema_version": EVIDENCE_SCHEMA_V1,
        "run_id": RUN_ID,
        "student_id": 48213,
        "course_id": 17,
        "block_id": 902,
        "backend_slug": "energyplus_single_zone",
        "backend_version": "1.4.2",
        "backend_image_digest": "sha256:" + SHA,
        "status": "failed_simulation",
        "dispatched_at": "2026-11-22T13:04:06Z",
        "completed_at": "2026-11-22T14:04:09.125+01:00",
        "runtime_seconds": 3.1,
        "references": [_reference()],
    }


def _progress() -> dict[str, Any]:
    return {"progress_pct": 42, "step": "Continuing Simulation at 06/02", "elapsed_seconds": 0.6}


def _complete() -> dict[str, Any]:
    return {
        "output_envelope_uri": "gs://bucket/runs/output.json",
        "exit_code": 0,
        "output_sha256": SHA,
        "output_size_bytes": 2043,
        "output_generation": 1,
    }


VALID: dict[type[BaseModel], Any] = {
    InputFile: _file,
    ResourceFile: lambda: _file("template"),
    ExecutionContext: _context,
    OutputArtifact: _artifact,
    Message: _message,
    EvidenceReference: _reference,
    SimulationInputEnvelope: _input,
    SimulationOutputEnvelope: _output,
    EvidenceManifest: _evidence,
    ProgressCallback: _progress,
    CompleteCallback: _complete,
}
ALL_MODELS = list(VALID)
MODEL_IDS = [model.__name__ for model in ALL_MODELS]


def _set(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    document = copy.deepcopy(document)
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return document


def _delete(document: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return document


def _assert_rejected(model: type[BaseModel], document: dict[str, Any], path: str) -> None:
    """Rejected from Python objects and from JSON text, with an error at ``path``."""
    for mode, validate in (
        ("python", lambda: model.model_validate(document)),
        ("json", lambda: model.model_validate_json(json.dumps(document))),
    ):
        with pytest.raises(ValidationError) as caught:
            validate()
        lines = error_lines(caught.value)
        assert any(line.startswith(f"{path}: ") for line in lines), (mode, lines)


# --------------------------------------------------------------------------- valid data


@pytest.mark.parametrize("model", ALL_MODELS, ids=MODEL_IDS)
def test_valid_document_constructs_in_both_modes(model: type[BaseModel]) -> None:
    document = VALID[model]()
    from_python = model.model_validate(document)
    from_json = model.model_validate_json(json.dumps(document))
    assert from_python == from_json
    assert model.model_validate_json(from_python.model_dump_json()) == from_python


def test_valid_envelopes_through_the_versioned_parsers() -> None:
    for parse, document in (
        (parse_input_envelope, _input()),
        (parse_output_envelope, _output()),
        (parse_evidence_manifest, _evidence()),
    ):
        assert (
            parse(document) == parse(json.dumps(document)) == parse(json.dumps(document).encode())
        )


def test_parsed_values_have_wire_types() -> None:
    envelope = SimulationInputEnvelope.model_validate_json(json.dumps(_input()))
    assert envelope.run_id == UUID(RUN_ID)
    assert envelope.input_files[0].role is InputFileRole.WEATHER
    assert envelope.context.timeout_seconds == 600
    assert type(envelope.context.timeout_seconds) is int
    output = SimulationOutputEnvelope.model_validate_json(json.dumps(_output()))
    assert output.status is OutputStatus.SUCCESS
    assert output.messages[0].level is MessageLevel.WARNING
    assert output.metrics == {"heating_kwh": 4821.7, "unmet_hours": 12.0}
    assert isinstance(output.metrics["unmet_hours"], float)  # a JSON integer is a number
    manifest = EvidenceManifest.model_validate_json(json.dumps(_evidence()))
    assert manifest.dispatched_at == datetime(2026, 11, 22, 13, 4, 6, tzinfo=UTC)
    assert manifest.completed_at.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    "uri",
    ["gs://bucket/a/b.epw", "file:///purelms/input/b.epw", "https://x.example/b?sig=1", "b.epw"],
)
def test_uris_are_plain_strings(uri: str) -> None:
    assert InputFile.model_validate({**_file(), "uri": uri}).uri == uri
    assert OutputArtifact.model_validate({**_artifact(), "uri": uri}).uri == uri
    assert EvidenceReference.model_validate({**_reference(), "uri": uri}).uri == uri
    assert CompleteCallback.model_validate({**_complete(), "output_envelope_uri": uri})


def test_offline_callback_urls_are_accepted() -> None:
    context = {**_context(), "callback_url_progress": "file:///dev/null"}
    context["callback_url_complete"] = "file:///dev/null"
    assert ExecutionContext.model_validate(context).callback_url_complete == "file:///dev/null"


@pytest.mark.parametrize("value", [0, 1, 1645012, 2**53 + 1])
def test_sizes_accept_any_non_negative_integer(value: int) -> None:
    assert InputFile.model_validate({**_file(), "size_bytes": value}).size_bytes == value


@pytest.mark.parametrize("length", [1, 64])
def test_identifiers_accept_1_to_64_characters(length: int) -> None:
    slug = "s" * length
    envelope = SimulationInputEnvelope.model_validate({**_input(), "backend_slug": slug})
    assert envelope.backend_slug == slug
    manifest = EvidenceManifest.model_validate({**_evidence(), "backend_version": slug})
    assert manifest.backend_version == slug


def test_boundaries_that_are_accepted() -> None:
    assert ProgressCallback.model_validate({**_progress(), "progress_pct": 0})
    assert ProgressCallback.model_validate({**_progress(), "progress_pct": 100})
    assert ProgressCallback.model_validate({**_progress(), "elapsed_seconds": 0})
    assert ExecutionContext.model_validate({**_context(), "timeout_seconds": 1})
    assert ExecutionContext.model_validate({**_context(), "progress_min_interval_seconds": 0})
    assert SimulationOutputEnvelope.model_validate({**_output(), "runtime_seconds": 0})
    assert CompleteCallback.model_validate({**_complete(), "exit_code": -9})
    assert SimulationInputEnvelope.model_validate({**_input(), "unit_block_id": 1})


def test_datetimes_accept_aware_values_and_offsets() -> None:
    tz = timezone(timedelta(hours=-5, minutes=-30))
    moment = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=tz)
    manifest = EvidenceManifest.model_validate({**_evidence(), "dispatched_at": moment})
    assert manifest.dispatched_at == moment
    text = json.dumps({**_evidence(), "dispatched_at": "2026-01-02T03:04:05.678-05:30"})
    assert EvidenceManifest.model_validate_json(text).dispatched_at == moment


# --------------------------------------------------------------------------- defaults

DEFAULTS: list[tuple[type[BaseModel], str, Any]] = [
    (model, name, info.get_default(call_default_factory=True))
    for model in ALL_MODELS
    for name, info in model.model_fields.items()
    if not info.is_required()
]
"""Every field with a default, read from the models (``nox -s compat`` proves them 0.5.1's)."""
DEFAULT_IDS = [f"{model.__name__}.{name}" for model, name, _ in DEFAULTS]

NAMED_DEFAULTS: dict[tuple[str, str], Any] = {
    ("ExecutionContext", "progress_min_interval_seconds"): 2.0,
}
"""The one default the design names that its rules below do not give."""


def _admits_none(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, UnionType) and type(None) in get_args(annotation)


def design_default(model: type[BaseModel], name: str) -> Any:
    """The default the design's rules ("Wire contract", ``design.md``) give a field.

    * a document's ``schema_version`` defaults to its literal;
    * an "or null" field defaults to null;
    * a list defaults to ``[]``, an object (``parameters``, ``outputs``) to ``{}``;
    * text defaults to ``""``, a number to ``0``, unless :data:`NAMED_DEFAULTS` names it.

    The rules, not a copy of the field list: an additive field that follows them (an
    optional ``note: str = ""``) needs no edit here.
    """
    annotation = model.model_fields[name].annotation
    if (model.__name__, name) in NAMED_DEFAULTS:
        return NAMED_DEFAULTS[(model.__name__, name)]
    if name == "schema_version" and get_origin(annotation) is Literal:
        (literal,) = get_args(annotation)
        return literal
    if _admits_none(annotation):
        return None
    origin = get_origin(annotation) or annotation
    kinds: dict[Any, Any] = {list: [], dict: {}, str: "", float: 0.0, int: 0}
    if origin in kinds:
        return kinds[origin]
    raise AssertionError(f"{model.__name__}.{name}: the design gives no default for {annotation}")


def test_the_documents_defaults_are_their_literals() -> None:
    """The rules above give the literals the versioned parsers know."""
    assert design_default(SimulationInputEnvelope, "schema_version") == INPUT_SCHEMA_V1
    assert design_default(SimulationOutputEnvelope, "schema_version") == OUTPUT_SCHEMA_V1
    assert design_default(EvidenceManifest, "schema_version") == EVIDENCE_SCHEMA_V1


@pytest.mark.parametrize(("model", "field", "default"), DEFAULTS, ids=DEFAULT_IDS)
def test_default_is_the_designs(model: type[BaseModel], field: str, default: Any) -> None:
    expected = design_default(model, field)
    assert default == expected, f"{model.__name__}.{field} defaults to {default!r}"
    assert type(default) is type(expected), f"{model.__name__}.{field}: {type(default)}"


def test_every_named_default_is_a_field_with_a_default() -> None:
    fields = {(model.__name__, name) for model, name, _ in DEFAULTS}
    assert set(NAMED_DEFAULTS) <= fields


@pytest.mark.parametrize(("model", "field", "default"), DEFAULTS, ids=DEFAULT_IDS)
def test_omitted_field_takes_its_default(model: type[BaseModel], field: str, default: Any) -> None:
    document = VALID[model]()
    document.pop(field, None)  # a valid document need not spell out every optional field
    for instance in (
        model.model_validate(document),
        model.model_validate_json(json.dumps(document)),
    ):
        value = getattr(instance, field)
        assert value == default
        assert type(value) is type(default)
        # the default is written out, so a reader without defaults still sees the value
        assert json.loads(instance.model_dump_json())[field] == default


@pytest.mark.parametrize(
    ("model", "document"),
    [
        (ProgressCallback, {"progress_pct": 0}),
        (CompleteCallback, {"output_envelope_uri": "u", "exit_code": 0}),
        (SimulationOutputEnvelope, {"run_id": RUN_ID, "status": "timed_out"}),
    ],
    ids=["progress", "complete", "output"],
)
def test_the_smallest_documents_0_5_1_accepts_are_accepted(
    model: type[BaseModel], document: dict[str, Any]
) -> None:
    assert model.model_validate_json(json.dumps(document)) == model.model_validate(document)


def test_nullable_fields_take_an_explicit_null() -> None:
    for model, field in [
        (SimulationOutputEnvelope, "metrics"),
        (ProgressCallback, "elapsed_seconds"),
        (CompleteCallback, "output_sha256"),
        (CompleteCallback, "output_size_bytes"),
        (CompleteCallback, "output_generation"),
        (EvidenceReference, "generation"),
        (SimulationInputEnvelope, "unit_block_id"),
    ]:
        document = _set(VALID[model](), (field,), None)
        assert getattr(model.model_validate_json(json.dumps(document)), field) is None


# --------------------------------------------------------------------------- enums and literals


def test_enum_values_match_the_design() -> None:
    assert [s.value for s in RunStatus] == [
        "pending",
        "dispatched",
        "running",
        "success",
        "failed_simulation",
        "failed_runtime",
        "cancelled",
        "timed_out",
    ]
    assert [s.value for s in OutputStatus] == [s.value for s in list(RunStatus)[3:]]
    assert {s.value for s in TERMINAL_RUN_STATUSES} == {s.value for s in OutputStatus}
    assert [m.value for m in MessageLevel] == ["debug", "info", "warning", "error"]
    assert [e.value for e in BackendCallbackEvent] == ["progress", "complete"]
    assert [r.value for r in InputFileRole] == [
        "template",
        "weather",
        "resource",
        "evidence_reference",
    ]


def test_schema_version_literals() -> None:
    assert INPUT_SCHEMA_V1 == "purelms.input.v1"
    assert OUTPUT_SCHEMA_V1 == "purelms.output.v1"
    assert EVIDENCE_SCHEMA_V1 == "purelms.evidence.v1"
    assert "schema_version" not in ProgressCallback.model_fields
    assert "schema_version" not in CompleteCallback.model_fields


# --------------------------------------------------------------------------- rejections


@pytest.mark.parametrize("model", ALL_MODELS, ids=MODEL_IDS)
def test_unknown_field_is_rejected(model: type[BaseModel]) -> None:
    _assert_rejected(model, {**VALID[model](), "surprise": 1}, "surprise")


@pytest.mark.parametrize(
    ("model", "path"),
    [
        (SimulationInputEnvelope, ("context",)),
        (SimulationInputEnvelope, ("input_files", 0)),
        (SimulationInputEnvelope, ("resource_files", 0)),
        (SimulationOutputEnvelope, ("artifacts", 0)),
        (SimulationOutputEnvelope, ("messages", 0)),
        (EvidenceManifest, ("references", 0)),
    ],
    ids=lambda p: p.__name__ if isinstance(p, type) else error_path(p),
)
def test_unknown_field_in_nested_model_is_rejected(
    model: type[BaseModel], path: tuple[str | int, ...]
) -> None:
    document = _set(VALID[model](), (*path, "surprise"), True)
    _assert_rejected(model, document, error_path((*path, "surprise")))


def test_unknown_keys_inside_free_form_objects_are_allowed() -> None:
    """parameters, outputs and metrics are maps: any key is fine there."""
    assert SimulationInputEnvelope.model_validate({**_input(), "parameters": {"surprise": 1}})
    assert SimulationOutputEnvelope.model_validate({**_output(), "outputs": {"surprise": [1]}})
    assert SimulationOutputEnvelope.model_validate({**_output(), "metrics": {"surprise": 1.0}})


@pytest.mark.parametrize("model", ALL_MODELS, ids=MODEL_IDS)
def test_instances_are_frozen(model: type[BaseModel]) -> None:
    instance = model.model_validate(VALID[model]())
    field = next(iter(model.model_fields))
    with pytest.raises(ValidationError, match="frozen"):
        setattr(instance, field, getattr(instance, field))


def test_nested_instances_are_frozen() -> None:
    envelope = SimulationInputEnvelope.model_validate(_input())
    with pytest.raises(ValidationError, match="frozen"):
        envelope.context.timeout_seconds = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        envelope.input_files[0].sha256 = SHA  # type: ignore[misc]


SHA_BAD = [
    pytest.param(SHA.upper(), id="uppercase"),
    pytest.param(SHA[:63], id="short"),
    pytest.param(SHA + "0", id="long"),
    pytest.param("g" + SHA[1:], id="not-hex"),
    pytest.param("sha256:" + SHA, id="prefixed"),
    pytest.param(SHA + "\n", id="trailing-newline"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("value", SHA_BAD)
@pytest.mark.parametrize(
    ("model", "path"),
    [
        (InputFile, ("sha256",)),
        (ResourceFile, ("sha256",)),
        (OutputArtifact, ("sha256",)),
        (EvidenceReference, ("sha256",)),
        (CompleteCallback, ("output_sha256",)),
        (SimulationInputEnvelope, ("input_files", 0, "sha256")),
        (SimulationOutputEnvelope, ("artifacts", 0, "sha256")),
        (EvidenceManifest, ("references", 0, "sha256")),
    ],
    ids=lambda p: p.__name__ if isinstance(p, type) else error_path(p),
)
def test_malformed_sha256_is_rejected(
    model: type[BaseModel], path: tuple[str | int, ...], value: str
) -> None:
    _assert_rejected(model, _set(VALID[model](), path, value), error_path(path))


# (model, path, bad value, why)
REJECTIONS: list[tuple[type[BaseModel], tuple[str | int, ...], Any, str]] = [
    # sizes >= 0
    (InputFile, ("size_bytes",), -1, "negative size"),
    (ResourceFile, ("size_bytes",), -1, "negative size"),
    (OutputArtifact, ("size_bytes",), -1, "negative size"),
    (EvidenceReference, ("size_bytes",), -1, "negative size"),
    (CompleteCallback, ("output_size_bytes",), -1, "negative size"),
    # execution context
    (ExecutionContext, ("timeout_seconds",), 0, "timeout 0"),
    (ExecutionContext, ("timeout_seconds",), -5.0, "timeout negative"),
    (ExecutionContext, ("timeout_seconds",), -5, "timeout negative int"),
    (ExecutionContext, ("timeout_seconds",), 2.5, "timeout fraction"),
    (ExecutionContext, ("timeout_seconds",), 1e-9, "timeout below one second"),
    (ExecutionContext, ("progress_min_interval_seconds",), -0.1, "interval negative"),
    # ids >= 1
    (SimulationInputEnvelope, ("student_id",), 0, "student_id 0"),
    (SimulationInputEnvelope, ("course_id",), 0, "course_id 0"),
    (SimulationInputEnvelope, ("block_id",), 0, "block_id 0"),
    (SimulationInputEnvelope, ("unit_block_id",), 0, "unit_block_id 0"),
    (SimulationInputEnvelope, ("student_id",), -3, "student_id negative"),
    (EvidenceManifest, ("student_id",), 0, "student_id 0"),
    (EvidenceManifest, ("course_id",), 0, "course_id 0"),
    (EvidenceManifest, ("block_id",), 0, "block_id 0"),
    (EvidenceReference, ("generation",), 0, "generation 0"),
    (CompleteCallback, ("output_generation",), 0, "generation 0"),
    # identifiers 1..64
    (SimulationInputEnvelope, ("backend_slug",), "s" * 65, "slug 65 chars"),
    (SimulationInputEnvelope, ("backend_slug",), "", "slug empty"),
    (SimulationInputEnvelope, ("backend_version",), "v" * 65, "version 65 chars"),
    (EvidenceManifest, ("backend_slug",), "s" * 65, "slug 65 chars"),
    (EvidenceManifest, ("backend_version",), "", "version empty"),
    # progress
    (ProgressCallback, ("progress_pct",), 101, "pct 101"),
    (ProgressCallback, ("progress_pct",), -1, "pct -1"),
    (ProgressCallback, ("elapsed_seconds",), -0.5, "elapsed negative"),
    # non-negative durations
    (SimulationOutputEnvelope, ("runtime_seconds",), -0.001, "runtime negative"),
    (EvidenceManifest, ("runtime_seconds",), -1, "runtime negative"),
    # enums and literals
    (SimulationInputEnvelope, ("schema_version",), OUTPUT_SCHEMA_V1, "wrong schema_version"),
    (SimulationInputEnvelope, ("schema_version",), "purelms.input.v2", "future schema_version"),
    (SimulationOutputEnvelope, ("schema_version",), "purelms.output.V1", "schema_version case"),
    (EvidenceManifest, ("schema_version",), INPUT_SCHEMA_V1, "wrong schema_version"),
    (SimulationOutputEnvelope, ("status",), "pending", "status not terminal"),
    (SimulationOutputEnvelope, ("status",), "running", "status not terminal"),
    (EvidenceManifest, ("status",), "dispatched", "status not terminal"),
    (SimulationOutputEnvelope, ("status",), "SUCCESS", "status case"),
    (Message, ("level",), "critical", "unknown level"),
    (InputFile, ("role",), 7, "number for role"),
    (ResourceFile, ("role",), None, "null for role"),
    # UUIDs
    (SimulationInputEnvelope, ("run_id",), "not-a-uuid", "malformed uuid"),
    (SimulationOutputEnvelope, ("run_id",), RUN_ID[:-1], "short uuid"),
    (EvidenceManifest, ("run_id",), RUN_ID + "0", "long uuid"),
    (SimulationInputEnvelope, ("run_id",), 12345, "uuid as number"),
    # datetimes: ISO 8601 strings only
    (EvidenceManifest, ("completed_at",), "yesterday", "not a datetime"),
    (EvidenceManifest, ("completed_at",), "2026-11-31T00:00:00Z", "no such day"),
    (EvidenceManifest, ("dispatched_at",), 1763816646, "unix timestamp"),
    (EvidenceManifest, ("dispatched_at",), 1763816646.5, "unix timestamp float"),
    (EvidenceManifest, ("dispatched_at",), "1763816646", "unix timestamp string"),
    # strict scalars: no coercion
    (SimulationInputEnvelope, ("student_id",), "5", "numeric string for int"),
    (SimulationInputEnvelope, ("unit_block_id",), 5.0, "float for int"),
    (SimulationInputEnvelope, ("block_id",), True, "bool for int"),
    (ProgressCallback, ("progress_pct",), "50", "numeric string for int"),
    (ProgressCallback, ("progress_pct",), 50.5, "fractional float for int"),
    (CompleteCallback, ("exit_code",), "0", "numeric string for int"),
    (CompleteCallback, ("exit_code",), False, "bool for int"),
    (InputFile, ("size_bytes",), "10", "numeric string for int"),
    (ExecutionContext, ("timeout_seconds",), "600", "numeric string for seconds"),
    (ExecutionContext, ("timeout_seconds",), True, "bool for seconds"),
    (ExecutionContext, ("progress_min_interval_seconds",), "2", "numeric string for float"),
    (SimulationOutputEnvelope, ("metrics", "heating_kwh"), "4821.7", "string metric"),
    (SimulationOutputEnvelope, ("metrics", "heating_kwh"), None, "null metric"),
    (SimulationInputEnvelope, ("backend_version",), 1, "int for str"),
    (InputFile, ("filename",), None, "null for str"),
    (Message, ("text",), 404, "int for str"),
    (EvidenceReference, ("kind",), ["artifact"], "list for str"),
    (CompleteCallback, ("output_envelope_uri",), {"uri": "x"}, "object for str"),
    # containers
    (SimulationInputEnvelope, ("parameters",), [1, 2], "list for parameters"),
    (SimulationInputEnvelope, ("parameters",), None, "null for parameters"),
    (SimulationInputEnvelope, ("input_files",), {}, "object for list"),
    (SimulationOutputEnvelope, ("outputs",), "text", "string for outputs"),
    (SimulationOutputEnvelope, ("metrics",), [1.0], "list for metrics"),
    (EvidenceManifest, ("references",), None, "null for references"),
    (SimulationInputEnvelope, ("context",), "file:///dev/null", "string for context"),
    # non-finite numbers: JSON cannot carry them
    (SimulationOutputEnvelope, ("metrics", "heating_kwh"), float("nan"), "NaN metric"),
    (SimulationOutputEnvelope, ("metrics", "heating_kwh"), float("inf"), "infinite metric"),
    (SimulationOutputEnvelope, ("runtime_seconds",), float("inf"), "infinite runtime"),
    (ExecutionContext, ("timeout_seconds",), float("inf"), "infinite timeout"),
    (ProgressCallback, ("elapsed_seconds",), float("nan"), "NaN elapsed"),
    (EvidenceManifest, ("runtime_seconds",), float("nan"), "NaN runtime"),
    (SimulationOutputEnvelope, ("outputs", "annual", "heating_kwh"), float("nan"), "NaN output"),
    (SimulationInputEnvelope, ("parameters", "tags", 1), float("-inf"), "-inf parameter"),
]


def _rejection_id(case: tuple[type[BaseModel], tuple[str | int, ...], Any, str]) -> str:
    model, path, _, why = case
    return f"{model.__name__}.{error_path(path)}-{why.replace(' ', '_')}"


@pytest.mark.parametrize("case", REJECTIONS, ids=[_rejection_id(c) for c in REJECTIONS])
def test_constraint_is_enforced(
    case: tuple[type[BaseModel], tuple[str | int, ...], Any, str],
) -> None:
    model, path, value, _ = case
    expected = error_path(path)
    if model in (SimulationInputEnvelope, SimulationOutputEnvelope) and path[0] in (
        "parameters",
        "outputs",
    ):
        expected = str(path[0])  # a non-finite number deep in a JSON map is reported on the map
    _assert_rejected(model, _set(VALID[model](), path, value), expected)


@pytest.mark.parametrize("model", ALL_MODELS, ids=MODEL_IDS)
def test_every_required_field_is_required(model: type[BaseModel]) -> None:
    for name, info in model.model_fields.items():
        if info.is_required():
            _assert_rejected(model, _delete(VALID[model](), (name,)), name)


@pytest.mark.parametrize("document", [[], "text", 5, None])
@pytest.mark.parametrize("model", ALL_MODELS, ids=MODEL_IDS)
def test_non_object_document_is_rejected(model: type[BaseModel], document: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate_json(json.dumps(document))
    assert error_lines(caught.value)[0].startswith("<document>: ")


def test_a_validators_own_sentence_is_kept_without_pydantics_prefix() -> None:
    """A ``ValueError`` raised by a validator reads as its author wrote it (plain words)."""
    from pydantic import field_validator

    class Box(BaseModel):
        width_m: float

        @field_validator("width_m")
        @classmethod
        def _fits(cls, value: float) -> float:
            raise ValueError(f"EPW-style sentence: {value:g} m does not fit")

    with pytest.raises(ValidationError) as caught:
        Box.model_validate({"width_m": 9})
    assert error_lines(caught.value) == ["width_m: EPW-style sentence: 9 m does not fit (got 9)"]
    with pytest.raises(ValidationError) as caught:
        Box.model_validate({"width_m": "wide"})
    assert error_lines(caught.value)[0].startswith("width_m: input should be a valid number")


# --------------------------------------------------------------------------- versioned parsers

PARSERS = [
    (parse_input_envelope, SimulationInputEnvelope, _input),
    (parse_output_envelope, SimulationOutputEnvelope, _output),
    (parse_evidence_manifest, EvidenceManifest, _evidence),
]
PARSER_IDS = ["input", "output", "evidence"]


def _verdict(validate: Any, data: Any) -> tuple[bool, list[str]]:
    try:
        validate(data)
    except ValidationError as exc:
        return False, error_lines(exc)
    return True, []


@pytest.mark.parametrize(("parse", "model", "valid"), PARSERS, ids=PARSER_IDS)
def test_versioned_parser_errors_are_validation_errors(
    parse: Any, model: type[BaseModel], valid: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        parse({**valid(), "schema_version": "purelms.input.v9"})
    (line,) = error_lines(caught.value)
    assert line.startswith("schema_version: input should be 'purelms.")
    assert line.endswith("(got 'purelms.input.v9')")
    # schema_version defaults to its literal, as in 0.5.1
    assert parse(_delete(valid(), ("schema_version",))) == parse(valid())
    for broken in (b"", b"{", b"[1, 2]", "\u00ff", b"\xff\xfe", json.dumps(valid())[:-1]):
        with pytest.raises(ValidationError) as caught:
            parse(broken)
        assert error_lines(caught.value)[0].startswith("<document>: ")


@pytest.mark.parametrize(("parse", "model", "valid"), PARSERS, ids=PARSER_IDS)
def test_every_problem_is_reported_beside_a_wrong_schema_version(
    parse: Any, model: type[BaseModel], valid: Any
) -> None:
    document = {**valid(), "schema_version": "purelms.other.v7", "run_id": "nope", "extra": 1}
    for data in (document, json.dumps(document), json.dumps(document).encode()):
        with pytest.raises(ValidationError) as caught:
            parse(data)
        paths = [line.split(": ")[0] for line in error_lines(caught.value)]
        assert paths == ["schema_version", "run_id", "extra"]


DUPLICATE_KEYS = [
    (parse_output_envelope, SimulationOutputEnvelope, '"metrics": {"m": "x", "m": 1}', False),
    (parse_output_envelope, SimulationOutputEnvelope, '"metrics": {"m": 1, "m": 2}', True),
    (
        parse_output_envelope,
        SimulationOutputEnvelope,
        '"runtime_seconds": -1, "runtime_seconds": 1',
        True,
    ),
    (
        parse_output_envelope,
        SimulationOutputEnvelope,
        '"runtime_seconds": 1, "runtime_seconds": -1',
        False,
    ),
    (parse_output_envelope, SimulationOutputEnvelope, '"outputs": {"a": NaN, "a": 1}', True),
    (parse_input_envelope, SimulationInputEnvelope, '"parameters": {"k": 1, "k": "x"}', True),
    (parse_evidence_manifest, EvidenceManifest, '"status": "pending", "status": "success"', True),
]


@pytest.mark.parametrize(("parse", "model", "extra", "accepted"), DUPLICATE_KEYS)
def test_duplicate_keys_one_rule_for_every_entry_point(
    parse: Any, model: type[BaseModel], extra: str, accepted: bool
) -> None:
    """The last occurrence wins; inside a typed map every occurrence must be valid.

    A JSON map of arbitrary values (parameters, outputs) keeps only the last value, so a
    NaN overwritten by a later duplicate is gone before the finite-number rule looks.
    """
    valid = {parse_output_envelope: _output, parse_input_envelope: _input}.get(parse, _evidence)
    key = extra.split('"')[1]
    text = json.dumps(_delete(valid(), (key,)))[:-1] + ", " + extra + "}"
    verdicts = {_verdict(parse, text)[0], _verdict(parse, text.encode())[0]}
    verdicts.add(_verdict(model.model_validate_json, text)[0])
    assert verdicts == {accepted}
    if accepted:
        assert parse(text) == model.model_validate_json(text)


def test_parser_and_model_agree_on_the_fixture_edges() -> None:
    """Same verdict and the same lines from parse_* and model_validate_json."""
    texts = [
        b"{}",
        b'{"schema_version": null}',
        b'{"schema_version": "purelms.output.v1", "": 1}',
        json.dumps({**_output(), "metrics": {"": "x"}}).encode(),
        json.dumps(_delete(_output(), ("schema_version",))).encode(),
    ]
    for text in texts:
        assert _verdict(parse_output_envelope, text) == _verdict(
            SimulationOutputEnvelope.model_validate_json, text
        )


# --------------------------------------------------------------------------- wire types


def test_file_roles_are_free_form_text() -> None:
    known = InputFile.model_validate_json(json.dumps(_file("weather")))
    assert known.role is InputFileRole.WEATHER
    custom = InputFile.model_validate_json(json.dumps(_file("idf_macro_library")))
    assert custom.role == "idf_macro_library"
    assert isinstance(custom.role, InputFileRole)
    assert custom.role.value == "idf_macro_library"
    assert custom.role not in list(InputFileRole)
    with pytest.raises(ValueError, match="idf_macro_library"):
        InputFileRole("idf_macro_library")  # the enum itself still names only the known roles
    assert json.loads(custom.model_dump_json())["role"] == "idf_macro_library"
    assert custom.model_dump(mode="json")["role"] == "idf_macro_library"
    assert pickle.loads(pickle.dumps(custom)) == custom
    assert pickle.loads(pickle.dumps(known)).role is InputFileRole.WEATHER
    assert ResourceFile.model_validate({**_file(), "role": ""}).role == ""
    assert InputFileRole.of("template") is InputFileRole.TEMPLATE


@pytest.mark.parametrize(("sent", "read"), [(600, 600), (600.0, 600), (1e2, 100), (1, 1)])
def test_timeout_is_whole_seconds(sent: Any, read: int) -> None:
    for context in (
        ExecutionContext.model_validate({**_context(), "timeout_seconds": sent}),
        ExecutionContext.model_validate_json(json.dumps({**_context(), "timeout_seconds": sent})),
    ):
        assert context.timeout_seconds == read
        assert type(context.timeout_seconds) is int
        assert f'"timeout_seconds":{read},' in context.model_dump_json()


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-22T13:04:06",
        "2026-11-22T13:04:06.5",
        "2026-11-22T13:04:06Z",
        "2026-11-22T08:04:06-05:00",
    ],
)
def test_datetimes_are_written_back_as_they_were_read(text: str) -> None:
    """With or without a UTC offset: 0.5.1 writes both, so both come back unchanged."""
    document = {**_evidence(), "dispatched_at": text}
    manifest = EvidenceManifest.model_validate_json(json.dumps(document))
    again = EvidenceManifest.model_validate_json(manifest.model_dump_json())
    assert again == manifest
    assert (manifest.dispatched_at.tzinfo is None) == (text[-1].isdigit() and "-05" not in text)


# --------------------------------------------------------------------------- error format

LINE = re.compile(
    r'^(<document>|([A-Za-z_]\w*|\["(?:[^"\\]|\\.)*"\])(\[\d+\]|\.\w+|\["(?:[^"\\]|\\.)*"\])*): '
    r"\S.* \((got .+|missing)\)$"
)


def test_error_path_format() -> None:
    assert error_path(("input_files", 0, "sha256")) == "input_files[0].sha256"
    assert error_path(("context", "timeout_seconds")) == "context.timeout_seconds"
    assert error_path(("outputs", "grid", 2, 1)) == "outputs.grid[2][1]"
    assert error_path(()) == "<document>"
    assert error_path(("parameters", "")) == 'parameters[""]'
    assert error_path(("",)) == '[""]'
    assert error_path(("metrics", "a.b")) == 'metrics["a.b"]'
    assert error_path(("context", "", "x")) == 'context[""].x'
    assert error_path(("parameters", 'say "hi"\n')) == 'parameters["say \\"hi\\"\\n"]'
    assert error_path(("metrics", "k\u2028\x85")) == 'metrics["k\\u2028\\x85"]'


def test_format_validation_error_is_one_line_per_problem() -> None:
    document = _input()
    document["student_id"] = "5"
    document["input_files"][0]["sha256"] = SHA.upper()
    document["context"]["timeout_seconds"] = 0
    document["surprise"] = 1
    del document["block_id"]
    with pytest.raises(ValidationError) as caught:
        SimulationInputEnvelope.model_validate_json(json.dumps(document))
    text = format_validation_error(caught.value)
    lines = text.splitlines()
    assert lines == error_lines(caught.value)
    assert len(lines) == caught.value.error_count() == 5
    for line in lines:
        assert LINE.match(line), line
    assert "student_id: input should be a valid integer (got '5')" in lines
    assert "block_id: field required (missing)" in lines
    assert "surprise: extra inputs are not permitted (got 1)" in lines
    starts = [line.split(" (got ")[0] for line in lines]
    assert "input_files[0].sha256: string should match pattern '^[0-9a-f]{64}$'" in starts
    assert (
        "context.timeout_seconds: input should be a whole number of seconds greater than 0"
        in starts
    )
    assert "https://errors.pydantic.dev" not in text
    assert "validation error" not in text


BREAKERS = "\n\r\t\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00\x1b\u202e"


def test_no_value_or_key_can_break_a_line() -> None:
    """Every line-breaking or control character is escaped: in values, keys and rules."""
    document = _output()
    document["run_id"] = f"bad{BREAKERS}id"
    document["metrics"] = {f"k{BREAKERS}": "x", "": None}
    document[f"extra{BREAKERS}"] = f"v{BREAKERS}"
    document["messages"][0]["text"] = 5
    with pytest.raises(ValidationError) as caught:
        SimulationOutputEnvelope.model_validate_json(json.dumps(document))
    lines = error_lines(caught.value)
    assert len(lines) == caught.value.error_count() == 5
    assert format_validation_error(caught.value).splitlines() == lines
    for line in lines:
        assert line.isprintable(), line
        assert LINE.match(line), line
    assert 'metrics[""]: input should be a valid number (got None)' in lines
    assert any(line.startswith('metrics["k\\n\\r\\t') for line in lines), lines


def test_error_lines_truncate_long_inputs() -> None:
    with pytest.raises(ValidationError) as caught:
        SimulationInputEnvelope.model_validate({**_input(), "backend_slug": "s" * 200})
    (line,) = error_lines(caught.value)
    got = line[line.index("(got ") + 5 : -1]
    assert got.endswith("...")
    assert len(got) == 60
    assert LINE.match(line)


def test_error_lines_for_every_rejection_have_the_documented_form() -> None:
    for model, path, value, _ in REJECTIONS:
        with pytest.raises(ValidationError) as caught:
            model.model_validate_json(json.dumps(_set(VALID[model](), path, value)))
        for line in error_lines(caught.value):
            assert "\n" not in line
            assert LINE.match(line), line


def test_non_finite_number_in_json_map_names_where_it_is() -> None:
    document = _set(_output(), ("outputs", "monthly", 1), float("inf"))
    with pytest.raises(ValidationError) as caught:
        SimulationOutputEnvelope.model_validate_json(json.dumps(document))
    (line,) = error_lines(caught.value)
    assert line.startswith(
        "outputs: numbers must be finite (JSON has no NaN or Infinity); monthly[1] is not (got "
    )


@pytest.mark.parametrize(
    "outputs",
    [
        {"a": [1.0, float("nan")]},
        {"a": {"b": [1, "x", {"c": float("-inf")}]}},
        {"": float("inf")},
        {"big": [1e308, 1e308], "bad": [float("nan")]},
        {"mixed": [1, 2**80, float("inf")]},
    ],
)
def test_non_finite_numbers_are_found_anywhere(outputs: dict[str, Any]) -> None:
    _assert_rejected(SimulationOutputEnvelope, {**_output(), "outputs": outputs}, "outputs")


@pytest.mark.parametrize(
    "outputs",
    [{"big": [1e308, 1e308]}, {"huge": [2**80, 10**400]}, {"t": [True, 1.5, None, "s", []]}],
)
def test_finite_numbers_that_overflow_a_sum_are_accepted(outputs: dict[str, Any]) -> None:
    assert SimulationOutputEnvelope.model_validate({**_output(), "outputs": outputs})


def test_every_public_name_resolves_and_the_platform_side_loads_on_first_use() -> None:
    """The public API is ``__all__``; the task manifest, the service request and the JSON
    Schema machinery load on first use (a backend process never pays for them)."""
    code = (
        "import sys, purelms_shared\n"
        "lazy = ('_task_manifest', '_service', '_schema')\n"
        "before = [m for m in lazy if 'purelms_shared.' + m in sys.modules]\n"
        "missing = [n for n in purelms_shared.__all__ if not hasattr(purelms_shared, n)]\n"
        "after = [m for m in lazy if 'purelms_shared.' + m in sys.modules]\n"
        "listed = sorted(dir(purelms_shared)) == sorted(purelms_shared.__all__)\n"
        "print(before, missing, after, listed)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[] [] ['_task_manifest', '_service', '_schema'] True"


@pytest.mark.parametrize("value", [[1, 2], None, "text", 3.5, True])
@pytest.mark.parametrize(
    ("model", "field"),
    [(SimulationInputEnvelope, "parameters"), (SimulationOutputEnvelope, "outputs")],
)
def test_json_map_that_is_not_an_object_gets_pydantics_own_error(
    model: type[BaseModel], field: str, value: Any
) -> None:
    """From JSON text the map is read whole and then checked to be an object: the error
    is the one ``dict[str, Any]`` gives, from JSON text and from Python objects alike."""
    document = {**VALID[model](), field: value}
    reference = TypeAdapter(dict[str, Any])
    with pytest.raises(ValidationError) as expected:
        reference.validate_json(json.dumps(value))
    with pytest.raises(ValidationError) as caught:
        model.model_validate_json(json.dumps(document))
    (error,) = caught.value.errors(include_url=False)
    (want,) = expected.value.errors(include_url=False)
    assert (error["loc"], error["type"], error["msg"]) == ((field,), want["type"], want["msg"])
    assert error["input"] == value
    with pytest.raises(ValidationError) as caught:
        model.model_validate(document)
    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [((field,), "dict_type")]


@pytest.mark.parametrize("model", ALL_MODELS, ids=MODEL_IDS)
def test_model_validate_json_behaves_as_pydantics(model: type[BaseModel]) -> None:
    """The wire models call their validator in one step when no option is given: the
    same instances and the same errors as pydantic's method, with or without options,
    with the document passed by position or as ``json_data``, before and after the
    validator is built."""
    text = json.dumps(VALID[model]())
    pydantic_method = BaseModel.model_validate_json.__func__  # type: ignore[attr-defined]
    for _ in range(2):
        assert model.model_validate_json(text) == pydantic_method(model, text)
        assert model.model_validate_json(json_data=text) == pydantic_method(model, text)
    options: dict[str, Any] = {"strict": False, "context": {"k": 1}, "by_alias": True}
    assert model.model_validate_json(text, **options) == pydantic_method(model, text, **options)
    broken = text[:-1] + ', "surprise": 1}'
    verdicts = []
    for call in (
        lambda: model.model_validate_json(broken),
        lambda: pydantic_method(model, broken),
        lambda: model.model_validate_json(broken, strict=False),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        verdicts.append(caught.value.errors(include_url=False))
    assert verdicts[0] == verdicts[1] == verdicts[2]
    with pytest.raises(PydanticUserError):
        model.model_validate_json(text, by_alias=False, by_name=False)
    with pytest.raises(TypeError):
        model.model_validate_json(text, no_such_option=True)


def test_a_subclass_of_a_wire_model_validates_as_itself() -> None:
    class Reading(WireModel):
        value: float = Field(ge=0)

    assert type(Reading.model_validate_json('{"value": 5}')) is Reading

    class Bounded(Reading):
        value: float = Field(ge=0, le=2)

    for _ in range(2):
        with pytest.raises(ValidationError) as caught:
            Bounded.model_validate_json('{"value": 5}')
        assert [e["loc"] for e in caught.value.errors()] == [("value",)]
        assert type(Bounded.model_validate_json('{"value": 1}')) is Bounded
    assert type(Reading.model_validate_json('{"value": 5}')) is Reading


def test_a_wire_model_with_its_own_model_validate_json_keeps_it() -> None:
    calls: list[str] = []

    class Reading(WireModel):
        value: float

    class Counted(Reading):
        @classmethod
        def model_validate_json(cls, json_data: Any, **options: Any) -> Any:
            calls.append(cls.__name__)
            return super().model_validate_json(json_data, **options)

    class Child(Counted):
        pass

    for model in (Counted, Child, Counted, Child):
        assert type(model.model_validate_json('{"value": 1}')) is model
    assert calls == ["Counted", "Child", "Counted", "Child"]

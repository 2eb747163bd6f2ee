"""Field-by-field contract tests of the purelms.*.v1 wire models.

Each rule of the design's "Wire contract" section appears here once as an
accepted value and once as a rejected one, through both validation modes
(Python objects and JSON text), and every default the design names is checked.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

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
        "timeout_seconds": 600.0,
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
    assert envelope.context.timeout_seconds == 600.0
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
    assert ExecutionContext.model_validate({**_context(), "timeout_seconds": 1e-9})
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
    (ExecutionContext, "progress_min_interval_seconds", 2.0),
    (OutputArtifact, "label", ""),
    (Message, "code", ""),
    (SimulationInputEnvelope, "unit_block_id", None),
    (SimulationInputEnvelope, "parameters", {}),
    (SimulationInputEnvelope, "input_files", []),
    (SimulationInputEnvelope, "resource_files", []),
    (SimulationOutputEnvelope, "outputs", {}),
    (SimulationOutputEnvelope, "artifacts", []),
    (SimulationOutputEnvelope, "messages", []),
    (SimulationOutputEnvelope, "runtime_seconds", 0.0),
    (ProgressCallback, "step", ""),
    (EvidenceManifest, "backend_image_digest", ""),
]


@pytest.mark.parametrize(
    ("model", "field", "default"), DEFAULTS, ids=[f"{m.__name__}.{f}" for m, f, _ in DEFAULTS]
)
def test_design_defaults(model: type[BaseModel], field: str, default: Any) -> None:
    document = _delete(VALID[model](), (field,))
    for instance in (
        model.model_validate(document),
        model.model_validate_json(json.dumps(document)),
    ):
        value = getattr(instance, field)
        assert value == default
        assert type(value) is type(default)
    assert set(model.model_fields) - {f for m, f, _ in DEFAULTS if m is model} == {
        name for name, info in model.model_fields.items() if info.is_required()
    }, "a field has a default the design does not name"


def test_nullable_fields_without_default_are_required() -> None:
    """The design gives these no default: null must be sent explicitly."""
    for model, field in [
        (SimulationOutputEnvelope, "metrics"),
        (ProgressCallback, "elapsed_seconds"),
        (CompleteCallback, "output_sha256"),
        (CompleteCallback, "output_size_bytes"),
        (CompleteCallback, "output_generation"),
        (EvidenceReference, "generation"),
    ]:
        assert model.model_validate(_set(VALID[model](), (field,), None))
        _assert_rejected(model, _delete(VALID[model](), (field,)), field)


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
    (InputFile, ("role",), "climate", "unknown role"),
    # UUIDs
    (SimulationInputEnvelope, ("run_id",), "not-a-uuid", "malformed uuid"),
    (SimulationOutputEnvelope, ("run_id",), RUN_ID[:-1], "short uuid"),
    (EvidenceManifest, ("run_id",), RUN_ID + "0", "long uuid"),
    (SimulationInputEnvelope, ("run_id",), 12345, "uuid as number"),
    # datetimes: aware ISO 8601 strings only
    (EvidenceManifest, ("dispatched_at",), "2026-11-22T13:04:06", "naive datetime"),
    (EvidenceManifest, ("completed_at",), "2026-11-22", "date only"),
    (EvidenceManifest, ("completed_at",), "yesterday", "not a datetime"),
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
    (ExecutionContext, ("timeout_seconds",), "600", "numeric string for float"),
    (ExecutionContext, ("timeout_seconds",), True, "bool for float"),
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


# --------------------------------------------------------------------------- versioned parsers


@pytest.mark.parametrize(
    ("parse", "document"),
    [
        (parse_input_envelope, _input()),
        (parse_output_envelope, _output()),
        (parse_evidence_manifest, _evidence()),
    ],
    ids=["input", "output", "evidence"],
)
def test_versioned_parser_errors_are_validation_errors(
    parse: Any, document: dict[str, Any]
) -> None:
    unsupported = {**document, "schema_version": "purelms.input.v9"}
    with pytest.raises(ValidationError) as caught:
        parse(unsupported)
    (line,) = error_lines(caught.value)
    assert line.startswith("schema_version: unsupported schema_version; supported: purelms.")
    with pytest.raises(ValidationError) as caught:
        parse(_delete(document, ("schema_version",)))
    assert error_lines(caught.value)[0].startswith("schema_version: missing schema_version")
    for broken in (b"", b"{", b"[1, 2]", "\u00ff", b"\xff\xfe", json.dumps(document)[:-1]):
        with pytest.raises(ValidationError) as caught:
            parse(broken)
        assert error_lines(caught.value)[0].startswith("<document>: ")


# --------------------------------------------------------------------------- error format

LINE = re.compile(r"^(<document>|[A-Za-z_][\w]*(\[\d+\]|\.[\w:]+)*): \S.* \((got .+|missing)\)$")


def test_error_path_format() -> None:
    assert error_path(("input_files", 0, "sha256")) == "input_files[0].sha256"
    assert error_path(("context", "timeout_seconds")) == "context.timeout_seconds"
    assert error_path(("outputs", "grid", 2, 1)) == "outputs.grid[2][1]"
    assert error_path(()) == "<document>"


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
    assert "context.timeout_seconds: input should be greater than 0" in starts
    assert "https://errors.pydantic.dev" not in text
    assert "validation error" not in text


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

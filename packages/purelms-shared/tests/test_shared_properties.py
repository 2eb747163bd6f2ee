"""Property tests of the wire models (hypothesis).

* Strategies build arbitrary *valid* instances of every model. Each must
  survive ``model_dump_json()`` -> ``model_validate_json()`` (and the versioned
  parser, where there is one) unchanged.
* Random corruptions of a valid JSON document (unknown field, wrong type, out of
  range, malformed sha256/UUID/datetime, wrong schema_version, missing field,
  non-finite number, truncated or non-object JSON) must raise
  ``pydantic.ValidationError`` and nothing else, naming the corrupted path.

Corruptions are derived from the generated JSON Schema, so a new field or
constraint is corrupted too without touching this file.
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, JsonValue, ValidationError

from purelms_shared import (
    EVIDENCE_SCHEMA_V1,
    INPUT_SCHEMA_V1,
    OUTPUT_SCHEMA_V1,
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
    SimulationInputEnvelope,
    SimulationOutputEnvelope,
    error_lines,
    error_path,
    json_schemas,
    parse_evidence_manifest,
    parse_input_envelope,
    parse_output_envelope,
)

# --------------------------------------------------------------------------- valid strategies

sha256s = st.binary(min_size=32, max_size=32).map(bytes.hex)
texts = st.text(max_size=24)
identifiers = st.text(min_size=1, max_size=64)
uris = st.one_of(
    texts,
    st.builds("gs://{}/{}".format, st.from_regex(r"[a-z0-9-]{3,20}", fullmatch=True), texts),
    st.builds("file:///{}".format, texts),
    st.builds(
        "https://{}/{}".format, st.from_regex(r"[a-z]{1,10}\.example", fullmatch=True), texts
    ),
)
ids = st.integers(min_value=1)  # unbounded: JSON integers have no size limit
sizes = st.integers(min_value=0)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
non_negative_floats = st.floats(min_value=0, allow_nan=False, allow_infinity=False)
json_values: st.SearchStrategy[JsonValue] = st.recursive(
    st.none() | st.booleans() | st.integers() | finite_floats | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)
json_objects = st.dictionaries(texts, json_values, max_size=6)
# Offsets in whole minutes: ISO 8601 / RFC 3339 cannot carry seconds in an offset.
utc_offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware_datetimes = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=utc_offsets
)
# Datetimes without an offset are accepted (0.5.1 writes them) and written back as read.
wire_datetimes = aware_datetimes | st.datetimes(min_value=datetime(1, 1, 2))
roles = st.sampled_from(InputFileRole) | texts


def _model(
    model: type[BaseModel], required: dict[str, Any], optional: dict[str, Any] | None = None
) -> st.SearchStrategy[Any]:
    """Instances of ``model``; optional fields are sometimes left to their default."""
    return st.fixed_dictionaries(required, optional=optional or {}).map(
        lambda fields: model(**fields)
    )


def _file(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    return _model(
        model,
        {
            "role": roles,
            "mime_type": texts,
            "filename": texts,
            "uri": uris,
            "sha256": sha256s,
            "size_bytes": sizes,
        },
    )


input_files = _file(InputFile)
resource_files = _file(ResourceFile)
execution_contexts = _model(
    ExecutionContext,
    {
        "callback_url_progress": uris,
        "callback_url_complete": uris,
        "callback_audience": texts,
        "timeout_seconds": st.integers(min_value=1),
    },
    {"progress_min_interval_seconds": non_negative_floats},
)
output_artifacts = _model(
    OutputArtifact,
    {"filename": texts, "mime_type": texts, "uri": uris, "sha256": sha256s, "size_bytes": sizes},
    {"label": texts},
)
messages = _model(Message, {"level": st.sampled_from(MessageLevel), "text": texts}, {"code": texts})
evidence_references = _model(
    EvidenceReference,
    {
        "kind": st.sampled_from(["input_envelope", "output_envelope", "input_file:weather"])
        | st.builds("artifact:{}".format, texts)
        | texts,
        "uri": uris,
        "sha256": sha256s,
        "size_bytes": sizes,
    },
    {"generation": st.none() | ids},
)
input_envelopes = _model(
    SimulationInputEnvelope,
    {
        "run_id": st.uuids(),
        "backend_slug": identifiers,
        "backend_version": identifiers,
        "student_id": ids,
        "course_id": ids,
        "block_id": ids,
        "context": execution_contexts,
    },
    {
        "schema_version": st.just(INPUT_SCHEMA_V1),
        "unit_block_id": st.none() | ids,
        "parameters": json_objects,
        "input_files": st.lists(input_files, max_size=3),
        "resource_files": st.lists(resource_files, max_size=3),
    },
)
output_envelopes = _model(
    SimulationOutputEnvelope,
    {
        "run_id": st.uuids(),
        "status": st.sampled_from(OutputStatus),
    },
    {
        "schema_version": st.just(OUTPUT_SCHEMA_V1),
        "metrics": st.none() | st.dictionaries(texts, finite_floats, max_size=5),
        "outputs": json_objects,
        "artifacts": st.lists(output_artifacts, max_size=4),
        "messages": st.lists(messages, max_size=4),
        "runtime_seconds": non_negative_floats,
    },
)
evidence_manifests = _model(
    EvidenceManifest,
    {
        "run_id": st.uuids(),
        "student_id": ids,
        "course_id": ids,
        "block_id": ids,
        "backend_slug": identifiers,
        "backend_version": identifiers,
        "status": st.sampled_from(OutputStatus),
        "dispatched_at": wire_datetimes,
        "completed_at": wire_datetimes,
    },
    {
        "schema_version": st.just(EVIDENCE_SCHEMA_V1),
        "runtime_seconds": non_negative_floats,
        "references": st.lists(evidence_references, max_size=4),
        "backend_image_digest": texts | st.builds("sha256:{}".format, sha256s),
    },
)
progress_callbacks = _model(
    ProgressCallback,
    {"progress_pct": st.integers(min_value=0, max_value=100)},
    {"step": texts, "elapsed_seconds": st.none() | non_negative_floats},
)
complete_callbacks = _model(
    CompleteCallback,
    {"output_envelope_uri": uris, "exit_code": st.integers()},
    {
        "output_sha256": st.none() | sha256s,
        "output_size_bytes": st.none() | sizes,
        "output_generation": st.none() | ids,
    },
)

STRATEGIES: dict[type[BaseModel], st.SearchStrategy[Any]] = {
    InputFile: input_files,
    ResourceFile: resource_files,
    ExecutionContext: execution_contexts,
    OutputArtifact: output_artifacts,
    Message: messages,
    EvidenceReference: evidence_references,
    SimulationInputEnvelope: input_envelopes,
    SimulationOutputEnvelope: output_envelopes,
    EvidenceManifest: evidence_manifests,
    ProgressCallback: progress_callbacks,
    CompleteCallback: complete_callbacks,
}
VERSIONED_PARSERS: dict[type[BaseModel], Callable[[Any], BaseModel]] = {
    SimulationInputEnvelope: parse_input_envelope,
    SimulationOutputEnvelope: parse_output_envelope,
    EvidenceManifest: parse_evidence_manifest,
}
DOCUMENTS = [
    SimulationInputEnvelope,
    SimulationOutputEnvelope,
    EvidenceManifest,
    ProgressCallback,
    CompleteCallback,
]


def _name(model: type[BaseModel]) -> str:
    return model.__name__


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("model", list(STRATEGIES), ids=_name)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_through_json(model: type[BaseModel], data: st.DataObject) -> None:
    instance = data.draw(STRATEGIES[model], label="instance")
    text = instance.model_dump_json()
    assert model.model_validate_json(text) == instance
    assert model.model_validate(instance.model_dump()) == instance
    assert model.model_validate(json.loads(text)) == instance
    assert model.model_validate_json(text).model_dump_json() == text
    if model in VERSIONED_PARSERS:
        parse = VERSIONED_PARSERS[model]
        assert parse(text) == instance
        assert parse(text.encode()) == instance
        assert parse(json.loads(text)) == instance


# --------------------------------------------------------------------------- corruption

SCHEMAS = json_schemas()


@dataclass(frozen=True)
class Slot:
    """A field inside a document: where it is and what its schema allows."""

    loc: tuple[str | int, ...]
    schema: dict[str, Any]  # the non-null branch, references resolved
    nullable: bool
    required: bool


@dataclass
class Layout:
    """Every corruptible place of one concrete document."""

    objects: list[tuple[tuple[str | int, ...], frozenset[str]]]  # model objects and their fields
    fields: list[Slot]
    json_maps: list[tuple[str | int, ...]]  # free-form JSON objects (parameters, outputs)


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[1]]
    return node


def _layout(document: dict[str, Any], schema: dict[str, Any]) -> Layout:
    defs = schema.get("$defs", {})
    layout = Layout(objects=[], fields=[], json_maps=[])

    def walk(value: Any, node: dict[str, Any], loc: tuple[str | int, ...]) -> None:
        node = _resolve(node, defs)
        if "properties" in node:
            layout.objects.append((loc, frozenset(node["properties"])))
            for name, prop in node["properties"].items():
                prop = _resolve(prop, defs)
                branches = [_resolve(b, defs) for b in prop.get("anyOf", [prop])]
                (branch,) = [b for b in branches if b.get("type") != "null"]
                nullable, required = len(branches) > 1, name in node["required"]
                slot = Slot((*loc, name), branch, nullable, required)
                layout.fields.append(slot)
                if value.get(name) is not None:
                    walk(value[name], branch, slot.loc)
        elif node.get("type") == "array":
            for index, item in enumerate(value):
                walk(item, node["items"], (*loc, index))
        elif node.get("type") == "object":
            inner = _resolve(node.get("additionalProperties", {}), defs)
            if inner:  # a typed map (metrics): each value is a field
                layout.fields.extend(Slot((*loc, key), inner, False, False) for key in value)
            else:
                layout.json_maps.append(loc)

    walk(document, schema, ())
    return layout


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _accepted_types(slot: Slot) -> set[str]:
    kind = slot.schema.get("type", "string")  # enums and consts are strings
    accepted = {kind, "integer"} if kind == "number" else {kind}
    return accepted | ({"null"} if slot.nullable else set())


any_json = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    finite_floats,
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _whole(slot: Slot, value: Any) -> bool:
    """``600.0`` for timeout_seconds: whole seconds written as a float are accepted there."""
    return slot.loc[-1] == "timeout_seconds" and isinstance(value, float) and value.is_integer()


def _malformed_sha256(current: Any) -> st.SearchStrategy[str]:
    digest = current if isinstance(current, str) and len(current) == 64 else "0" * 64
    upper = digest.upper() if digest.upper() != digest else "A" + digest[1:]
    return st.one_of(
        st.just(upper),
        st.integers(0, 63).map(lambda n: digest[:n]),
        st.text(string.hexdigits.lower(), min_size=1, max_size=8).map(lambda s: digest + s),
        st.tuples(st.integers(0, 63), st.sampled_from("gGxz -_:")).map(
            lambda at: digest[: at[0]] + at[1] + digest[at[0] + 1 :]
        ),
        st.just(digest + "\n"),
        st.just("sha256:" + digest),
    )


def _malformed_uuid(current: Any) -> st.SearchStrategy[str]:
    if not isinstance(current, str) or len(current) != 36:
        current = "3f2c8a1e-5b7d-4c9e-8a6f-1d2e3c4b5a69"
    return st.one_of(
        st.integers(0, 35).map(lambda n: current[:n] + current[n + 1 :]),
        st.sampled_from(string.hexdigits).map(lambda c: current + c),
        st.tuples(st.integers(0, 35), st.sampled_from("gxz_ ")).map(
            lambda at: current[: at[0]] + at[1] + current[at[0] + 1 :]
        ),
        st.sampled_from(["", "not-a-uuid", "00000000-0000-0000-0000", current.replace("-", "_")]),
    )


def _malformed_datetime(current: Any) -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(min_value=0).map(str),  # a Unix timestamp in a string
        st.sampled_from(["", "yesterday", "2026-02-30T00:00:00Z", "2026-11-22T25:00:00Z"]),
    )


def _out_of_range(slot: Slot, current: Any) -> list[st.SearchStrategy[Any]]:
    """Values of the right JSON type that break one of the slot's constraints."""
    schema = slot.schema
    options: list[st.SearchStrategy[Any]] = []
    is_int = schema.get("type") == "integer"
    if "minimum" in schema:
        low = schema["minimum"]
        options.append(
            st.integers(max_value=low - 1)
            if is_int
            else st.floats(max_value=low, exclude_max=True, allow_nan=False, allow_infinity=False)
        )
    if "exclusiveMinimum" in schema:
        options.append(
            st.floats(max_value=schema["exclusiveMinimum"], allow_nan=False, allow_infinity=False)
        )
    if "maximum" in schema:
        options.append(st.integers(min_value=schema["maximum"] + 1))
    if "maxLength" in schema:
        options.append(st.text(min_size=schema["maxLength"] + 1, max_size=schema["maxLength"] + 9))
    if schema.get("minLength", 0) > 0:
        options.append(st.text(max_size=schema["minLength"] - 1))
    if "pattern" in schema:
        options.append(_malformed_sha256(current))
    if schema.get("format") == "uuid":
        options.append(_malformed_uuid(current))
    if schema.get("format") == "date-time":
        options.append(_malformed_datetime(current))
    if "const" in schema:
        options.append(st.text().filter(lambda s: s != schema["const"]))
    if "enum" in schema:
        options.append(st.text().filter(lambda s: s not in schema["enum"]))
    if schema.get("type") in ("number", "integer"):
        options.append(st.sampled_from([math.nan, math.inf, -math.inf]))
    return options


def _get(document: Any, loc: tuple[str | int, ...]) -> Any:
    for part in loc:
        document = document[part]
    return document


def _corrupt(
    data: st.DataObject, document: dict[str, Any], schema: dict[str, Any]
) -> tuple[str, str]:
    """Corrupt ``document`` in one place: (JSON text, path the error must name)."""
    layout = _layout(document, schema)
    constrained = [s for s in layout.fields if _out_of_range(s, _get(document, s.loc))]
    kinds = ["out_of_range", "wrong_type", "extra", "truncate", "not_object"]
    if any(slot.required for slot in layout.fields):
        kinds.append("missing")
    if layout.json_maps:
        kinds.append("non_finite_in_map")
    kind = data.draw(st.sampled_from(kinds), label="corruption")
    event(f"corruption: {kind}")

    if kind == "truncate":
        text = json.dumps(document)
        return text[: data.draw(st.integers(0, len(text) - 1), label="cut")], "<document>"
    if kind == "not_object":
        return json.dumps(data.draw(any_json.filter(lambda v: not isinstance(v, dict)))), (
            "<document>"
        )
    if kind == "extra":
        loc, known = data.draw(st.sampled_from(layout.objects), label="object")
        key = data.draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in known))
        _get(document, loc)[key] = data.draw(any_json, label="value")
        return json.dumps(document), error_path((*loc, key))
    if kind == "missing":
        slot = data.draw(st.sampled_from([s for s in layout.fields if s.required]), label="slot")
        del _get(document, slot.loc[:-1])[slot.loc[-1]]
        return json.dumps(document), error_path(slot.loc)
    if kind == "non_finite_in_map":
        loc = data.draw(st.sampled_from(layout.json_maps), label="map")
        key = data.draw(st.text(max_size=8), label="key")
        _get(document, loc)[key] = data.draw(st.sampled_from([math.nan, math.inf, -math.inf]))
        return json.dumps(document), error_path(loc)

    if kind == "out_of_range":
        slot = data.draw(st.sampled_from(constrained), label="slot")
        value = data.draw(st.one_of(_out_of_range(slot, _get(document, slot.loc))), label="bad")
    else:
        slot = data.draw(st.sampled_from(layout.fields), label="slot")
        accepted = _accepted_types(slot)
        value = data.draw(
            any_json.filter(lambda v: _json_type(v) not in accepted and not _whole(slot, v)),
            label="bad",
        )
    parent, name = _get(document, slot.loc[:-1]), slot.loc[-1]
    parent[name] = value
    return json.dumps(document), error_path(slot.loc)


def _assert_rejected_at(parse: Callable[[str], Any], text: str, path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse(text)
    lines = error_lines(caught.value)
    assert any(line.startswith(f"{path}: ") for line in lines), (path, lines)


@pytest.mark.parametrize("model", DOCUMENTS, ids=_name)
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_corruption_is_always_a_validation_error(
    model: type[BaseModel], data: st.DataObject
) -> None:
    instance = data.draw(STRATEGIES[model], label="instance")
    document = instance.model_dump(mode="json")
    text, path = _corrupt(data, document, SCHEMAS[model.__name__])
    _assert_rejected_at(model.model_validate_json, text, path)
    if model in VERSIONED_PARSERS:
        _assert_rejected_at(VERSIONED_PARSERS[model], text, path)
        _assert_rejected_at(lambda t: VERSIONED_PARSERS[model](t.encode()), text, path)

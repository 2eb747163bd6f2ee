"""The task manifest model (``purelms.interactive_task.v1``): what the installer accepts.

Manifests in the platform's own style are accepted; each installer rule, broken once in
an otherwise valid manifest, is one problem at its own path. The YAML fixtures of
``purelms manifest check`` (purelms-harness) run the same rules through the command.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import ValidationError

from purelms_shared import (
    TASK_MANIFEST_SCHEMA_V1,
    InteractiveTaskManifest,
    OutcomeTransform,
    derived_image,
    error_lines,
    json_schemas,
    parse_task_manifest,
)

OPEN_ECHO: dict[str, Any] = {
    "schema_version": "purelms.interactive_task.v1",
    "slug": "echo",
    "name": "Echo",
    "version": "0.1.0",
    "description": "Echoes whatever it is given.\n",
    "backend": {
        "image": "purelms-itask-echo:dev",
        "credit_cost": 1,
        "trust_tier": "platform",
        "execution_mode": "sync",
        "default_timeout_seconds": 30,
    },
    "deployment": {"portable_contract": "purelms.portable_container.v1"},
    "frontend": {"bundle": "echo.js"},
    "parameters": [],
    "outputs": [],
    "lms_context_used": ["run_id", "backend_slug", "backend_version"],
    "requires_user_context": False,
    "lms_outcomes": {},
}

GRADED: dict[str, Any] = {
    **OPEN_ECHO,
    "slug": "window_study",
    "backend": {
        "credit_cost": 5,
        "trust_tier": "verified",
        "execution_mode": "sync",
        "progress_reporting": "percentage",
        "default_timeout_seconds": 600,
        "max_timeout_seconds": 900,
        "default_memory_limit": "2Gi",
        "default_cpu_limit": "1.0",
    },
    "deployment": {
        "portable_contract": "purelms.portable_container.v1",
        "required_capabilities": ["callbacks", "percentage_progress"],
        "provider_allowlist": ["cloud_run_job"],
    },
    "frontend": {"bundle": "window_study.js", "mount_contract": "purelms.interactive_mount.v1"},
    "parameters": [
        {
            "name": "glazing_u_value",
            "type": "number",
            "label": "Glazing U-value",
            "unit": "W/m²K",
            "min": 0.5,
            "max": 6.0,
            "step": 0.1,
            "default": 2.5,
            "required": True,
        },
        {
            "name": "climate_zone",
            "type": "enum",
            "label": "Climate zone",
            "choices": [{"value": "4A", "label": "Mixed-humid"}, {"value": "5A", "label": "Cool"}],
            "default": "5A",
        },
        {"name": "shading", "type": "boolean", "label": "Shading", "default": False},
        {"name": "notes", "type": "string", "label": "Notes", "default": ""},
    ],
    "outputs": [
        {"name": "heating_kwh", "type": "number", "label": "Heating", "unit": "kWh"},
        {"name": "verdict", "type": "string", "label": "Verdict", "display_hint": "alert"},
        {"name": "ok", "type": "boolean", "label": "OK"},
    ],
    "lms_outcomes": {
        "passed": {"source": "outputs.heating_kwh", "transform": "less_than", "threshold": 1e4},
        "score": {
            "source": "outputs.heating_kwh",
            "transform": "normalize_inverse",
            "bounds": [2000, 10000],
        },
        "completion": {"source": "outputs.ok", "transform": "passthrough"},
    },
}


def _problems(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        parse_task_manifest(document)
    return error_lines(info.value)


@pytest.mark.parametrize("document", [OPEN_ECHO, GRADED], ids=["open_echo", "graded"])
def test_platform_style_manifests_are_accepted(document: dict[str, Any]) -> None:
    manifest = parse_task_manifest(document)
    assert manifest.schema_version == TASK_MANIFEST_SCHEMA_V1
    assert parse_task_manifest(json.dumps(document)) == manifest


def test_every_transform_is_accepted_with_its_arguments() -> None:
    arguments: dict[OutcomeTransform, dict[str, Any]] = {
        OutcomeTransform.PASSTHROUGH: {},
        OutcomeTransform.EQUALS: {"value": "ok"},
        OutcomeTransform.LESS_THAN: {"threshold": 3},
        OutcomeTransform.GREATER_THAN: {"threshold": 3.5},
        OutcomeTransform.IN_RANGE: {"bounds": [1, 1]},
        OutcomeTransform.NORMALIZE: {"bounds": [0, 1]},
        OutcomeTransform.NORMALIZE_INVERSE: {"bounds": [-5, 5.5]},
    }
    for transform, args in arguments.items():
        document = copy.deepcopy(GRADED)
        document["lms_outcomes"] = {
            "score": {"source": "outputs.heating_kwh", "transform": transform.value, **args}
        }
        parse_task_manifest(document)


def test_omitted_optional_keys_take_the_platform_defaults() -> None:
    document = {k: v for k, v in OPEN_ECHO.items() if k not in {"parameters", "outputs"}}
    del document["lms_context_used"], document["requires_user_context"]
    del document["lms_outcomes"]
    manifest = parse_task_manifest(document)
    assert manifest.parameters == []
    assert manifest.outputs == []
    assert manifest.open_schema
    assert manifest.lms_outcomes.rules() == {}
    assert manifest.backend.progress_reporting.value == "none"
    assert manifest.frontend.mount_contract == "purelms.interactive_mount.v1"
    assert manifest.requires_user_context is False


def test_the_image_is_derived_when_absent() -> None:
    manifest = parse_task_manifest(GRADED)
    assert manifest.image_ref() == "purelms-itask-window-study:0.1.0"
    assert manifest.image_ref("europe-docker.pkg.dev/p/r/") == (
        "europe-docker.pkg.dev/p/r/purelms-itask-window-study:0.1.0"
    )
    assert derived_image("energyplus_single_zone", "0.2.0") == (
        "purelms-itask-energyplus-single-zone:0.2.0"
    )
    assert parse_task_manifest(OPEN_ECHO).image_ref("reg") == "purelms-itask-echo:dev"


def _set(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``document`` with the value at a dotted path (``parameters.0.min``) replaced."""
    result = copy.deepcopy(document)
    *parents, last = path.split(".")
    node: Any = result
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is _DELETE:
        del node[int(last) if last.isdigit() else last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return result


class _Deleted:
    """The key is removed rather than set (a stable repr: the value is part of test ids)."""

    def __repr__(self) -> str:
        return "<deleted>"


_DELETE = _Deleted()

RULES = [
    ("schema_version", "purelms.interactive_task.v2", "schema_version: input should be"),
    ("schema_version", _DELETE, "schema_version: field required"),
    ("slug", "_echo", "slug: a slug is 1 to 64 characters"),
    ("slug", "a" * 65, "slug: a slug is 1 to 64"),
    ("slug", "my-task", "slug: a slug is"),
    ("version", "1.0", "version: a version is semantic"),
    ("backend.credit_cost", -1, "backend.credit_cost: input should be greater than or equal"),
    ("backend.credit_cost", 1.5, "backend.credit_cost: input should be a valid integer"),
    ("backend.trust_tier", "gold", "backend.trust_tier: input should be 'platform'"),
    ("backend.execution_mode", "container", "backend.execution_mode: input should be 'sync'"),
    ("backend.progress_reporting", "callbacks", "backend.progress_reporting: input should be"),
    ("backend.default_timeout_seconds", 0, "backend.default_timeout_seconds: input should be"),
    ("backend.max_timeout_seconds", 300, "backend.max_timeout_seconds: max_timeout_seconds 300"),
    ("backend.default_memory_limit", "2GB", "backend.default_memory_limit: a memory limit"),
    ("backend.default_cpu_limit", "0", "backend.default_cpu_limit: a CPU limit"),
    ("backend.module", "x", "backend.module: extra inputs are not permitted"),
    ("deployment.portable_contract", "v2", "deployment.portable_contract: input should be"),
    ("frontend.mount_contract", "v2", "frontend.mount_contract: input should be"),
    ("frontend.bundle", "dist/a.js", "frontend.bundle: the bundle is a file name"),
    ("parameters.0.type", "integer", "parameters[0].type: input should be 'number'"),
    ("parameters.0.min", 7.0, "parameters[0].min: min 7.0 is greater than max 6.0"),
    ("parameters.0.default", 9, "parameters[0].default: the default 9 is above max 6.0"),
    ("parameters.0.default", "2.5", "parameters[0].default: the default of a number"),
    ("parameters.1.choices", [], "parameters[1].choices: an enum parameter needs choices"),
    ("parameters.1.choices.0", {"value": "4A"}, "parameters[1].choices[0].label: field required"),
    ("parameters.1.choices.0", "4A", "parameters[1].choices[0]: input should be"),
    ("parameters.1.default", "7A", "parameters[1].default: the default is not one of"),
    ("parameters.2.unit", "m", "parameters[2].unit: only number parameters take unit"),
    ("parameters.3.choices", [{"value": "a", "label": "A"}], "parameters[3].choices: only enum"),
    ("parameters.3.name", "shading", "parameters[3].name: duplicate parameter name 'shading'"),
    ("parameters.3.label", _DELETE, "parameters[3].label: field required"),
    ("outputs.0.type", "object", "outputs[0].type: input should be 'number'"),
    ("outputs.1.name", "heating_kwh", "outputs[1].name: duplicate output name 'heating_kwh'"),
    ("lms_context_used", ["run_id", "email"], "lms_context_used[1]: input should be 'run_id'"),
    ("requires_user_context", "no", "requires_user_context: input should be a valid boolean"),
    ("lms_outcomes.passed.source", "outputs.cooling", "lms_outcomes.passed.source: outputs."),
    ("lms_outcomes.passed.source", "heating_kwh", "lms_outcomes.passed.source: a source is"),
    ("lms_outcomes.passed.threshold", _DELETE, "lms_outcomes.passed.threshold: less_than needs"),
    ("lms_outcomes.passed.transform", "below", "lms_outcomes.passed.transform: input should be"),
    ("lms_outcomes.score.bounds", [10000, 2000], "lms_outcomes.score.bounds: bounds of norm"),
    ("lms_outcomes.score.bounds", [1, 2, 3], "lms_outcomes.score.bounds: tuple should have"),
    ("lms_outcomes.score.threshold", 3, "lms_outcomes.score.threshold: threshold is not an"),
    ("lms_outcomes.grade", {"source": "outputs.ok", "transform": "passthrough"}, "lms_outcomes"),
]


@pytest.mark.parametrize(("path", "value", "says"), RULES, ids=[f"{p}={v!r}" for p, v, _ in RULES])
def test_each_rule_is_one_problem_at_its_path(path: str, value: Any, says: str) -> None:
    problems = _problems(_set(GRADED, path, value))
    assert len(problems) == 1, problems
    assert problems[0].startswith(says), problems


def test_every_problem_is_reported_at_once() -> None:
    document = _set(GRADED, "backend.execution_mode", "container")
    document = _set(document, "parameters.0.min", 9.0)
    document = _set(document, "lms_outcomes.score.source", "outputs.nothing")
    document = _set(document, "lms_outcomes.passed.source", "outputs.none")
    problems = _problems(document)
    assert [line.split(":")[0] for line in problems] == [
        "backend.execution_mode",
        "parameters[0].min",
        "lms_outcomes.passed.source",
        "lms_outcomes.score.source",
    ]


def test_the_json_schema_states_the_literals_and_patterns() -> None:
    schema = json_schemas()["InteractiveTaskManifest"]
    assert schema["properties"]["schema_version"]["const"] == TASK_MANIFEST_SCHEMA_V1
    assert "schema_version" in schema["required"]
    assert schema["properties"]["slug"]["pattern"].startswith("^[a-z0-9]")
    backend = schema["$defs"]["TaskBackend"]["properties"]
    assert backend["execution_mode"]["const"] == "sync"
    assert InteractiveTaskManifest.model_fields["deployment"].is_required()

"""``purelms.service_execution.v1``: exactly the platform's rules (platform.md §4)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from purelms_shared import (
    SERVICE_ENVIRONMENT_KEYS,
    SERVICE_EXECUTION_SCHEMA_V1,
    SERVICE_OPTIONAL_ENVIRONMENT_KEYS,
    ServiceExecutionRequest,
)


def _body(**changes: Any) -> dict[str, Any]:
    run_id = str(uuid.uuid4())
    environment = {key: f"value-of-{key}" for key in SERVICE_ENVIRONMENT_KEYS}
    environment["PURELMS_RUN_ID"] = run_id
    body: dict[str, Any] = {
        "schema_version": SERVICE_EXECUTION_SCHEMA_V1,
        "run_id": run_id,
        "timeout_at": "2030-01-01T00:00:00+00:00",
        "environment": environment,
    }
    body.update(changes)
    return body


def test_the_nine_keys_and_the_optional_one() -> None:
    assert SERVICE_ENVIRONMENT_KEYS == (
        "PURELMS_INPUT_URI",
        "PURELMS_OUTPUT_URI",
        "PURELMS_INPUT_FETCH_URL",
        "PURELMS_OUTPUT_UPLOAD_URL",
        "PURELMS_OUTPUT_VERIFY_URL",
        "PURELMS_RUN_ID",
        "PURELMS_INPUT_SHA256",
        "PURELMS_INPUT_SIZE_BYTES",
        "PURELMS_INPUT_GENERATION",
    )
    assert SERVICE_OPTIONAL_ENVIRONMENT_KEYS == ("PURELMS_MAX_ENVELOPE_BYTES",)


def test_a_valid_body_round_trips_byte_for_byte() -> None:
    body = _body()
    request = ServiceExecutionRequest.model_validate_json(json.dumps(body))
    again = ServiceExecutionRequest.model_validate_json(request.model_dump_json())
    assert again == request
    assert "PURELMS_MAX_ENVELOPE_BYTES" not in request.environment.as_environ()
    body["environment"]["PURELMS_MAX_ENVELOPE_BYTES"] = "1024"
    request = ServiceExecutionRequest.model_validate(body)
    assert request.environment.as_environ()["PURELMS_MAX_ENVELOPE_BYTES"] == "1024"


def _without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != key}


@pytest.mark.parametrize(
    ("label", "mutate", "where"),
    [
        ("extra top-level key", lambda b: {**b, "priority": "high"}, "priority"),
        ("missing top-level key", lambda b: _without(b, "timeout_at"), "timeout_at"),
        ("wrong schema", lambda b: {**b, "schema_version": "purelms.service_execution.v2"}, ""),
        ("no timezone", lambda b: {**b, "timeout_at": "2030-01-01T00:00:00"}, "timeout_at"),
        ("timestamp", lambda b: {**b, "timeout_at": 1893456000}, "timeout_at"),
        ("run_id not a UUID", lambda b: {**b, "run_id": "run-1"}, "run_id"),
        (
            "key outside the allow-list",
            lambda b: {**b, "environment": {**b["environment"], "PATH": "/bin"}},
            "PATH",
        ),
        (
            "missing environment key",
            lambda b: {**b, "environment": _without(b["environment"], "PURELMS_INPUT_SHA256")},
            "PURELMS_INPUT_SHA256",
        ),
        (
            "non-string value",
            lambda b: {**b, "environment": {**b["environment"], "PURELMS_INPUT_SIZE_BYTES": 12}},
            "PURELMS_INPUT_SIZE_BYTES",
        ),
        (
            "null optional key",
            lambda b: {
                **b,
                "environment": {**b["environment"], "PURELMS_MAX_ENVELOPE_BYTES": None},
            },
            "PURELMS_MAX_ENVELOPE_BYTES",
        ),
        (
            "run_id mismatch",
            lambda b: {
                **b,
                "environment": {**b["environment"], "PURELMS_RUN_ID": str(uuid.uuid4())},
            },
            "PURELMS_RUN_ID",
        ),
    ],
)
def test_anything_else_is_refused(label: str, mutate: Any, where: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ServiceExecutionRequest.model_validate_json(json.dumps(mutate(_body())))
    assert where in str(caught.value), label

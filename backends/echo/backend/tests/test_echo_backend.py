"""The echo backend's own tests: its manifest agrees with its models, and it echoes."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from purelms_echo import EchoParameters, backend, echo
from purelms_harness import check_manifest, manifest_drift, readme_drift
from purelms_runtime import InputRejected, RunContext, SimulationFailed

MANIFEST = Path(__file__).parents[2] / "interactive_task.yaml"


def _context(tmp_path: Path) -> RunContext:
    return RunContext(
        run_id=uuid4(),
        input_dir=tmp_path,
        output_dir=tmp_path,
        work_dir=tmp_path,
        input_files=[],
        events=None,
    )


def test_manifest_agrees_with_the_parameter_and_output_models() -> None:
    assert manifest_drift(MANIFEST, backend) == []


def test_readme_tables_agree_with_the_models() -> None:
    assert readme_drift(MANIFEST.parent, backend) == []


def test_manifest_is_installable_with_an_open_schema() -> None:
    check = check_manifest(MANIFEST)
    assert check.problems == []
    assert check.slug == "echo"


def test_any_parameters_come_back_exactly_as_received(tmp_path: Path) -> None:
    received: dict[str, Any] = {
        "message": "héllo",
        "nested": {"list": [1, 2.5, None, True], "text": ""},
        "count": 3,
        "": "an empty key",
    }
    result = echo(EchoParameters.model_validate(received), _context(tmp_path))
    assert result.echoed_parameters == received
    assert type(result.echoed_parameters["count"]) is int
    assert result.echoed_backend_slug == "echo"
    assert echo(EchoParameters(), _context(tmp_path)).echoed_parameters == {}


def test_forced_simulation_failure_raises_simulation_failed(tmp_path: Path) -> None:
    params = EchoParameters.model_validate({"fail_with": "simulation"})
    with pytest.raises(SimulationFailed, match="fail_with=simulation"):
        echo(params, _context(tmp_path))


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"delay_seconds": -1}, "parameters.delay_seconds: must be a number of seconds from 0"),
        ({"delay_seconds": 601}, "parameters.delay_seconds: must be a number of seconds from 0"),
        ({"delay_seconds": "1"}, "parameters.delay_seconds: must be a number"),
        ({"delay_seconds": True}, "parameters.delay_seconds: must be a number"),
        ({"fail_with": "everything"}, "parameters.fail_with: must be one of nothing, simulation"),
        ({"fail_with": 1}, "parameters.fail_with: must be one of"),
    ],
)
def test_a_bad_reserved_value_is_refused_naming_the_rule(
    raw: dict[str, object], says: str, tmp_path: Path
) -> None:
    with pytest.raises(InputRejected) as info:
        echo(EchoParameters.model_validate(raw), _context(tmp_path))
    assert info.value.code == "ECHO.RESERVED"
    assert info.value.text.startswith(says)

"""The echo backend's own tests: its manifest agrees with its models, and it runs."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest
from pydantic import ValidationError

from purelms_echo import EchoParameters, backend, echo
from purelms_harness import BackendManifest, manifest_drift
from purelms_runtime import RunContext, SimulationFailed

MANIFEST = Path(__file__).parents[2] / "interactive_task.yaml"


def test_manifest_agrees_with_the_parameter_and_output_models() -> None:
    assert manifest_drift(BackendManifest.load(MANIFEST), backend) == []


def test_defaults_echo_the_default_message(tmp_path: Path) -> None:
    ctx = RunContext(
        run_id=uuid4(),
        input_dir=tmp_path,
        output_dir=tmp_path,
        work_dir=tmp_path,
        input_files=[],
        events=None,
    )
    result = echo(EchoParameters(), ctx)
    assert result.echoed == "Hello from purelms"
    assert result.slug == "echo"
    assert result.parameters["repeat"] == 1


def test_forced_simulation_failure_raises_simulation_failed(tmp_path: Path) -> None:
    ctx = RunContext(
        run_id=uuid4(),
        input_dir=tmp_path,
        output_dir=tmp_path,
        work_dir=tmp_path,
        input_files=[],
        events=None,
    )
    with pytest.raises(SimulationFailed, match="fail_with=simulation"):
        echo(EchoParameters(fail_with="simulation"), ctx)


@pytest.mark.parametrize(
    ("raw", "field"),
    [({"repeat": 0}, "repeat"), ({"delay_seconds": -1}, "delay_seconds"), ({"x": 1}, "x")],
)
def test_parameters_reject_out_of_range_and_unknown(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        EchoParameters.model_validate(raw)
    assert info.value.errors()[0]["loc"] == (field,)

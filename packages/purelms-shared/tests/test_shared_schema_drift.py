"""The committed JSON Schema files must equal what the models generate today.

The TypeScript mirror is generated from the committed files, so a model change
without regenerated files is drift between the two halves of the contract.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import pytest

from purelms_shared import (
    SCHEMA_MODELS,
    json_schemas,
    render_json_schema,
    schema_documents,
    schema_id,
)

FIX = "run `nox -s schemas` and commit the result"
SCHEMA_DIR = files("purelms_shared").joinpath("schemas")
EXPECTED_FILES = {
    "SimulationInputEnvelope.json",
    "SimulationOutputEnvelope.json",
    "EvidenceManifest.json",
    "ProgressCallback.json",
    "CompleteCallback.json",
    "ServiceExecutionRequest.json",
    "InteractiveTaskManifest.json",
}


def _committed() -> dict[str, str]:
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in SCHEMA_DIR.iterdir()
        if entry.name.endswith(".json")
    }


def test_one_schema_file_per_wire_document() -> None:
    assert set(schema_documents()) == EXPECTED_FILES
    assert set(_committed()) == EXPECTED_FILES, f"schema files added or missing: {FIX}"


@pytest.mark.parametrize("name", sorted(EXPECTED_FILES))
def test_committed_schema_matches_models(name: str) -> None:
    committed = _committed().get(name)
    assert committed is not None, f"{name} is not committed: {FIX}"
    assert committed == schema_documents()[name], f"{name} is stale (the models changed): {FIX}"


def test_schemas_carry_stable_id_title_and_dialect() -> None:
    schemas = json_schemas()
    assert list(schemas) == [model.__name__ for model in SCHEMA_MODELS]
    for model in SCHEMA_MODELS:
        schema = schemas[model.__name__]
        assert list(schema)[:2] == ["$schema", "$id"]
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == f"urn:purelms:wire:{model.__name__}" == schema_id(model)
        assert schema["title"] == model.__name__
        assert schema["additionalProperties"] is False


def test_nested_models_are_in_defs() -> None:
    schemas = json_schemas()
    assert {"InputFile", "ResourceFile", "ExecutionContext"} <= set(
        schemas["SimulationInputEnvelope"]["$defs"]
    )
    assert {"OutputArtifact", "Message", "MessageLevel", "OutputStatus"} <= set(
        schemas["SimulationOutputEnvelope"]["$defs"]
    )
    assert "EvidenceReference" in schemas["EvidenceManifest"]["$defs"]
    for name in ("InputFile", "ResourceFile", "ExecutionContext"):
        assert schemas["SimulationInputEnvelope"]["$defs"][name]["additionalProperties"] is False


def test_rendering_is_deterministic_text() -> None:
    for name, text in schema_documents().items():
        assert text.endswith("}\n"), name
        assert not text.endswith("\n\n"), name
        assert text == render_json_schema(json.loads(text)), name
        assert "\n  " in text  # 2-space indentation
        assert "\n    " in text
    assert schema_documents() == schema_documents()


def test_schema_constraints_mirror_the_contract() -> None:
    """Spot checks that the generated schema says what the design says."""
    schemas = json_schemas()
    inp = schemas["SimulationInputEnvelope"]
    sha = inp["$defs"]["InputFile"]["properties"]["sha256"]
    assert sha["pattern"] == "^[0-9a-f]{64}$"
    assert inp["properties"]["schema_version"]["const"] == "purelms.input.v1"
    assert inp["properties"]["backend_slug"]["maxLength"] == 64
    assert inp["$defs"]["ExecutionContext"]["properties"]["timeout_seconds"] == {
        "exclusiveMinimum": 0,
        "title": "Timeout Seconds",
        "type": "integer",
    }
    role = inp["$defs"]["InputFile"]["properties"]["role"]
    assert role["type"] == "string"
    assert "enum" not in role  # free-form: InputFileRole names the known values only
    assert inp["properties"]["schema_version"]["default"] == "purelms.input.v1"
    assert "schema_version" not in inp["required"]
    out = schemas["SimulationOutputEnvelope"]
    assert out["$defs"]["OutputStatus"]["enum"] == [
        "success",
        "failed_simulation",
        "failed_runtime",
        "cancelled",
        "timed_out",
    ]
    assert out["required"] == ["run_id", "status"]
    assert out["properties"]["metrics"]["default"] is None
    progress = schemas["ProgressCallback"]["properties"]["progress_pct"]
    assert (progress["minimum"], progress["maximum"]) == (0, 100)
    for name in ("ProgressCallback", "CompleteCallback"):
        assert "schema_version" not in schemas[name]["properties"]
    dispatched = schemas["EvidenceManifest"]["properties"]["dispatched_at"]
    assert dispatched["format"] == "date-time"


GENERATOR = Path(__file__).resolve().parents[3] / "tools" / "generate_schemas.py"


@pytest.fixture
def generate(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """Run ``tools/generate_schemas.py``'s ``main`` in-process: (exit code, stderr)."""
    spec = importlib.util.spec_from_file_location("purelms_tools_generate_schemas", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def run(*args: str | Path) -> tuple[int, str]:
        code = module.main([str(arg) for arg in args])
        return code, capsys.readouterr().err

    return run


def test_generator_check_passes_on_committed_files(
    generate: Callable[..., tuple[int, str]],
) -> None:
    code, err = generate("--check")
    assert code == 0, err


def test_generator_writes_then_check_lists_stale_files(
    tmp_path: Path, generate: Callable[..., tuple[int, str]]
) -> None:
    assert generate("--directory", tmp_path)[0] == 0
    assert {path.name: path.read_text(encoding="utf-8") for path in tmp_path.iterdir()} == (
        schema_documents()
    )
    assert generate("--check", "--directory", tmp_path)[0] == 0

    stale = tmp_path / "ProgressCallback.json"
    stale.write_text(stale.read_text(encoding="utf-8").replace('"maximum": 100', '"maximum": 99'))
    (tmp_path / "Retired.json").write_text("{}\n")
    code, err = generate("--check", "--directory", tmp_path)
    assert code == 1
    assert "ProgressCallback.json" in err
    assert "Retired.json" in err
    assert "SimulationInputEnvelope.json" not in err
    assert "run `nox -s schemas`" in err

    assert generate("--directory", tmp_path)[0] == 0
    assert generate("--check", "--directory", tmp_path)[0] == 0
    assert not (tmp_path / "Retired.json").exists()

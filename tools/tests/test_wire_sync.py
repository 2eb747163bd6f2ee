"""Unit tests of tools/wire_sync.py: parsing, generation, consumer blocks, and that the
tsc checks catch every kind of drift (in a temporary copy of the repository)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from purelms_shared import SCHEMA_MODELS

TOOLS = Path(__file__).resolve().parents[1]
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import _contract  # noqa: E402
import _typescript as ts  # noqa: E402
import lockstep  # noqa: E402
import wire_sync  # noqa: E402
from _testing import changed_files, clone, copy_repository  # noqa: E402
from _workspace import WIRE_MODULE, LockstepError, marker_line  # noqa: E402

REPO = TOOLS.parent
MODULE = (REPO / WIRE_MODULE).read_text(encoding="utf-8")
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_repository(REPO, tmp_path_factory.mktemp("pristine"), lockstep._uv())


# --------------------------------------------------------------------------- parsing


def test_module_declarations_in_fixed_order() -> None:
    names = [decl.name for decl in ts.declarations(MODULE)]
    documents = [model.__name__ for model in SCHEMA_MODELS]
    assert documents == [
        "SimulationInputEnvelope",
        "SimulationOutputEnvelope",
        "EvidenceManifest",
        "ProgressCallback",
        "CompleteCallback",
        "ServiceExecutionRequest",
        "InteractiveTaskManifest",
    ]
    assert names[: 1 + len(documents)] == [_contract.ROOT_TYPE, *documents]
    rest = names[1 + len(documents) :]
    assert rest == sorted(rest)
    assert {"RunStatus", "BackendCallbackEvent", "OutputStatus", "Message"} <= set(rest)
    assert len(names) == len(set(names)), "Message and friends are defined once"


def test_module_header_states_source_version_and_fingerprint() -> None:
    first = MODULE.splitlines()[0]
    match = wire_sync.MARKER_RE.match(first)
    assert match is not None
    assert match["version"] == lockstep.shared_version(REPO)
    assert "[k: string]: unknown" not in MODULE, "additionalProperties=false: no index signatures"


def test_block_takes_the_types_a_root_uses_and_only_those() -> None:
    body = wire_sync.block_body(["SimulationOutputEnvelope"], MODULE)
    exported = ts.exported_names(body)
    assert set(exported) == {
        "SimulationOutputEnvelope",
        "OutputStatus",
        "OutputArtifact",
        "Message",
        "MessageLevel",
        "JsonValue",
    }
    # OutputStatus's doc comment mentions RunStatus; comments are not references.
    assert "export type RunStatus" not in body


def test_block_with_an_unknown_type_is_refused() -> None:
    with pytest.raises(LockstepError, match="no type named Nope"):
        wire_sync.block_body(["RunStatus", "Nope"], MODULE)


def test_synced_consumer_adds_marker_and_is_idempotent() -> None:
    text = "// BEGIN purelms-wire: RunStatus\n// END purelms-wire\n"
    once = wire_sync.synced_consumer(text, MODULE, "9.9.9", "0123456789abcdef")
    assert once.startswith(marker_line("9.9.9", "0123456789abcdef") + "\n")
    assert ts.string_unions(once)["RunStatus"].values == [
        "pending",
        "dispatched",
        "running",
        "success",
        "failed_simulation",
        "failed_runtime",
        "cancelled",
        "timed_out",
    ]
    assert wire_sync.synced_consumer(once, MODULE, "9.9.9", "0123456789abcdef") == once


def test_jinja_consumer_block_is_kept_raw_when_it_holds_jinja_syntax() -> None:
    module = 'export interface A {\n  x: { [k: string]: {{ "y": 1 }} };\n}\n'
    text = "// BEGIN purelms-wire: A\n// END purelms-wire\n"
    synced = wire_sync.synced_consumer(text, module, "1.0.0", "0" * 16, templated=True)
    assert "{% raw %}\nexport interface A" in synced
    assert "}\n{% endraw %}" in synced


def test_string_unions() -> None:
    text = """
export type A =
  | "one"
  // a comment | "not a value"
  | 'two';
export type B = "x" | string;
export type C = "only";
"""
    unions = ts.string_unions(text)
    assert unions["A"].values == ["one", "two"]
    assert unions["A"].line == 2
    assert unions["B"].values is None
    assert unions["C"].values == ["only"]


def test_exported_names() -> None:
    text = """
export interface A {}
export type B = string;
// export type Commented = 1;
export type { C, D as E } from "./other";
export { type F } from "./other";
"""
    assert ts.exported_names(text) == ["A", "B", "C", "E", "F"]


def test_fingerprint_ignores_descriptions_but_not_meaning() -> None:
    documents = _contract.committed_documents(REPO)
    enums = {"RunStatus": ["a", "b"]}
    base = _contract.fingerprint(documents, enums)
    name = "SimulationOutputEnvelope.json"
    schema = json.loads(documents[name])
    schema["description"] = "reworded"
    schema["properties"]["runtime_seconds"]["description"] = "also reworded"
    reworded = {**documents, name: json.dumps(schema)}
    assert _contract.fingerprint(reworded, enums) == base
    schema["properties"]["description"] = {"type": "string"}  # a field named description
    assert _contract.fingerprint({**documents, name: json.dumps(schema)}, enums) != base
    assert _contract.fingerprint(documents, {"RunStatus": ["a", "b", "c"]}) != base


def test_a_reference_keeps_no_sibling_that_would_become_an_alias() -> None:
    """``{"$ref": ..., "default": "none"}`` would make json-schema-to-typescript emit an alias."""
    schema = {"properties": {"p": {"$ref": "#/$defs/Mode", "default": "none", "title": "P"}}}
    assert _contract._without_property_titles(schema) == {
        "properties": {"p": {"$ref": "#/$defs/Mode"}}
    }
    assert "ProgressReporting1" not in MODULE
    assert "progress_reporting?: ProgressReporting;" in MODULE


def test_one_name_with_two_shapes_is_refused() -> None:
    def document(title: str, code_type: str) -> str:
        message = {"type": "object", "properties": {"code": {"type": code_type}}}
        return json.dumps({"title": title, "$defs": {"Message": message}})

    documents = {"A.json": document("A", "string"), "B.json": document("B", "integer")}
    with pytest.raises(LockstepError, match="Message is defined differently"):
        _contract.generation_schema(documents, {}, ["A", "B"])


def test_manifest_types() -> None:
    """Parameters from the v1 manifest; outputs from the output model, series and maps too."""
    fields = wire_sync.manifest_fields(
        {
            "parameters": [
                {"name": "n", "type": "number", "step": 1, "required": True},
                {
                    "name": "c",
                    "type": "enum",
                    "choices": [{"value": "a", "label": "A"}, {"value": 2, "label": "B"}],
                },
                {"name": "f", "type": "boolean"},
                {"name": "t", "type": "string"},
            ],
            "outputs": [{"name": "declared_only", "type": "number"}],
        },
        [
            {"name": "i", "type": "integer"},
            {"name": "m", "type": "array", "items": "number"},
            {"name": "e", "type": "object", "values": "number"},
            {"name": "o", "type": "object"},
            {"name": "s", "type": "string", "nullable": True},
        ],
    )
    assert wire_sync.render_interface("P", fields["Parameters"], docs=False) == (
        'export interface P {\n  n: number;\n  c?: "a" | 2;\n  f?: boolean;\n  t?: string;\n}'
    )
    assert wire_sync.render_interface("O", fields["Outputs"], docs=False) == (
        "export interface O {\n  i: number;\n  m: number[];\n  e: { [name: string]: number };\n"
        "  o: { [name: string]: unknown };\n  s: string | null;\n}"
    )


def test_an_open_schema_is_any_object_and_declared_outputs_are_the_fallback() -> None:
    fields = wire_sync.manifest_fields(
        {"parameters": [], "outputs": [{"name": "slug", "type": "string"}]}
    )
    assert wire_sync.render_interface("P", fields["Parameters"], docs=False) == (
        "export interface P { [name: string]: unknown }"
    )
    assert wire_sync.render_interface("O", fields["Outputs"], docs=False) == (
        "export interface O {\n  slug: string;\n}"
    )


# --------------------------------------------------------------------------- tsc checks

ECHO = "backends/echo/frontend/src/types.ts"
EPLUS_OUTPUTS = "backends/energyplus_single_zone/frontend/src/outputs.ts"
EPLUS_TYPES = "backends/energyplus_single_zone/frontend/src/types.ts"
EPLUS_YAML = "backends/energyplus_single_zone/interactive_task.yaml"
REQUIRED_HERE = "fields required here but optional (`?`) in"


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="module")
def drifted(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> list[wire_sync.Problem]:
    """Checks 3 and 4 over one copy carrying one drift of every kind (one tsc run)."""
    root = clone(pristine, tmp_path_factory.mktemp("drifted") / "repo")
    echo, eplus = root / ECHO, root / EPLUS_TYPES
    _replace(eplus, "  length_m?: number;", "  lengths_m?: number;")  # renamed parameter
    _replace(eplus, "  width_m?: number;", "  width_m?: string;")  # wrong type
    _replace(eplus, '"country" | "suburbs" | "city";', '"country" | "suburbs";')  # a choice
    _replace(eplus, "  height_m?: number;", "  height_m: number;")  # required, should be optional
    _replace(echo, "  echoed_backend_slug: string;\n", "")  # missing output
    _replace(
        echo,
        "export interface EchoParameters { [name: string]: unknown }",
        "export interface EchoParameters { message?: string }",
    )  # not open
    _replace(echo, "  size_bytes: number;\n  label?: string;\n", "  size_bytes: number;\n")
    _replace(echo, "  step?: string;", "  step: string;")  # ProgressCallback.step required
    _replace(echo, "  level: MessageLevel;", "  level: string;")  # wrong wire type
    _replace(root / EPLUS_OUTPUTS, "  monthly_heating_kwh: number[];\n", "")  # undeclared output
    return wire_sync.check_types(wire_sync.State(root))


@pytest.mark.parametrize(
    ("path", "check", "snippet"),
    [
        (EPLUS_TYPES, "backend", 'EnergyPlusParameters: fields missing: "length_m"'),
        (EPLUS_TYPES, "backend", f'EnergyPlusParameters: fields not in {EPLUS_YAML}: "lengths_m"'),
        (EPLUS_TYPES, "backend", "EnergyPlusParameters.width_m: a different type"),
        (EPLUS_TYPES, "backend", "EnergyPlusParameters.terrain: a different type"),
        (EPLUS_TYPES, "backend", f'EnergyPlusParameters: {REQUIRED_HERE} {EPLUS_YAML}: "height_m"'),
        (ECHO, "backend", 'EchoOutputs: fields missing: "echoed_backend_slug"'),
        (ECHO, "backend", "EchoParameters: fields missing: string | number"),  # not open
        (ECHO, "types", 'OutputArtifact: fields missing: "label"'),
        (ECHO, "types", f'ProgressCallback: {REQUIRED_HERE} the contract: "step"'),
        (ECHO, "types", "Message.level: a different type"),
        (EPLUS_TYPES, "backend", 'EnergyPlusOutputs: fields missing: "monthly_heating_kwh"'),
    ],
)  # fmt: skip
def test_tsc_catches(drifted: list[wire_sync.Problem], path: str, check: str, snippet: str) -> None:
    found = [p for p in drifted if p.path.as_posix().endswith(path) and p.check == check]
    assert any(snippet in p.message for p in found), "\n".join(p.message for p in drifted)


def test_tsc_reports_nothing_else(drifted: list[wire_sync.Problem]) -> None:
    # The eleven above, plus SimulationOutputEnvelope.artifacts and .messages, whose element
    # types (OutputArtifact, Message) drifted: no assignability or Equal noise on top.
    expected_lines = 11 + 2
    messages = sorted(p.message for p in drifted)
    assert len(messages) == expected_lines, "\n".join(messages)
    fixes = {
        p.fix for p in drifted if p.path.as_posix().endswith(EPLUS_TYPES) and "Outputs" in p.message
    }
    assert fixes == {
        "edit EnergyPlusOutputs where it is declared to match "
        "the output model of purelms_energyplus_single_zone"
    }


def test_write_regenerates_own_types_from_the_manifest(pristine: Path, tmp_path: Path) -> None:
    root = clone(pristine, tmp_path / "repo")
    echo = root / ECHO
    original = echo.read_text()
    text = original
    for name in ("EchoParameters", "EchoOutputs"):  # the outputs come from the output model
        start = text.index(f"export interface {name} {{")
        end = text.index("}\n", start) + 1
        text = text[:start] + f"export interface {name} {{}}" + text[end:]
    echo.write_text(text)
    assert changed_files(root) == {ECHO}
    assert wire_sync.write(root) == [echo]
    assert echo.read_text() == original
    assert changed_files(root) == set()


def test_render_jinja_keeps_lines() -> None:
    text = "{% if x %}\nexport interface {{ prefix }}Parameters {}\n{% endif %}\n"
    assert wire_sync.render_jinja(text) == "\nexport interface TemplateParameters {}\n\n"

"""The three configuration layers (platform.md §2) and ``purelms run --block-config``.

The pure functions are tested on a manifest of their own; the command runs a throwaway
graded backend (number, enum and boolean parameters, outcome rules) in a temporary
repository, for real: a refused block config or submission exits 2, prints one line per
problem naming the parameter and the rule, and leaves no run folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from purelms_harness import (
    BlockConfig,
    BlockConfigError,
    block_config_problems,
    effective_outcomes,
    effective_parameters,
    load_block_config,
    submission_problems,
    write_manifest,
)
from purelms_shared import InteractiveTaskManifest, parse_task_manifest

MANIFEST: dict[str, Any] = {
    "schema_version": "purelms.interactive_task.v1",
    "slug": "graded",
    "name": "Graded",
    "version": "0.1.0",
    "description": "A throwaway graded task.",
    "backend": {
        "credit_cost": 1,
        "trust_tier": "community",
        "execution_mode": "sync",
        "default_timeout_seconds": 30,
    },
    "deployment": {"portable_contract": "purelms.portable_container.v1"},
    "frontend": {"bundle": "graded.js"},
    "parameters": [
        {
            "name": "area",
            "type": "number",
            "label": "Window area",
            "unit": "m2",
            "min": 1,
            "max": 20,
            "step": 1,
            "default": 5,
        },
        {
            "name": "glazing",
            "type": "enum",
            "label": "Glazing",
            "choices": [
                {"value": "single", "label": "Single pane"},
                {"value": "double", "label": "Double pane"},
                {"value": "triple", "label": "Triple pane"},
            ],
            "default": "double",
        },
        {"name": "shading", "type": "boolean", "label": "Shading", "default": False},
        {"name": "note", "type": "string", "label": "Note", "required": True},
    ],
    "outputs": [{"name": "heating_kwh", "type": "number", "label": "Heating", "unit": "kWh"}],
    "lms_outcomes": {
        "passed": {"source": "outputs.heating_kwh", "transform": "less_than", "threshold": 500},
        "score": {
            "source": "outputs.heating_kwh",
            "transform": "normalize_inverse",
            "bounds": [100, 1100],
        },
    },
}
TASK = parse_task_manifest(MANIFEST)
OPEN = parse_task_manifest({**MANIFEST, "parameters": []})


def config(data: dict[str, Any]) -> BlockConfig:
    return BlockConfig.model_validate(data)


# --------------------------------------------------------------------------- Layer 2


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"parameters": {"area": {"min": 2, "max": 10, "default": 4}}},
        {"parameters": {"area": {"min": 1, "max": 20}}},  # equal is not wider
        {
            "parameters": {
                "glazing": {"choices": [{"value": "triple", "label": "Best"}], "default": "triple"}
            }
        },
        {"parameters": {"glazing": {"choices": ["double", "triple"], "default": "triple"}}},
        {"parameters": {"shading": {"visible": False}, "area": {"enabled": False}}},
        {"parameters": {"note": {"visible": False, "default": "set by the course"}}},
        {"outputs": {"heating_kwh": {"visible": True, "display_hint": "value-card"}}},
        {"lms_outcomes": {"passed": {"threshold": 300}, "score": {"bounds": [50, 900]}}},
    ],
)
def test_a_block_that_only_tightens_is_accepted(data: dict[str, Any]) -> None:
    assert block_config_problems(TASK, config(data)) == []


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            {"parameters": {"area": {"max": 25}}},
            "parameters.area.max: 25 widens the manifest's max 20 (a block may only narrow)",
        ),
        (
            {"parameters": {"area": {"min": 0.5}}},
            "parameters.area.min: 0.5 widens the manifest's min 1 (a block may only narrow)",
        ),
        (
            {"parameters": {"area": {"min": 8, "max": 6}}},
            "parameters.area.min: min 8 is greater than max 6",
        ),
        (
            {"parameters": {"glazing": {"choices": ["double", "quadruple"]}}},
            "parameters.glazing.choices[1]: 'quadruple' is not a choice of the manifest "
            "['single', 'double', 'triple'] (a block may only offer a subset)",
        ),
        (
            {"parameters": {"glazing": {"choices": []}}},
            "parameters.glazing.choices: a block offers at least one choice",
        ),
        (
            {"parameters": {"aera": {"max": 10}}},
            "parameters.aera: no parameter of that name in the manifest; did you mean 'area'? "
            "(it declares area, glazing, shading, note)",
        ),
        (
            {"outputs": {"heating": {"visible": False}}},
            "outputs.heating: no declared output of that name; did you mean 'heating_kwh'? "
            "(the manifest declares heating_kwh)",
        ),
        (
            {"parameters": {"colour": {"visible": False}}},
            "parameters.colour: no parameter of that name in the manifest "
            "(it declares area, glazing, shading, note)",
        ),
        (
            {"parameters": {"area": {"min": 2, "max": 4, "default": 5}}},
            "parameters.area.default: 5 is above the maximum 4",
        ),
        (
            {"parameters": {"area": {"min": 6}}},
            "parameters.area.default: the manifest's default 5 is outside what this block "
            "allows; give the block a default",
        ),
        (
            {"parameters": {"glazing": {"choices": ["triple"]}}},
            "parameters.glazing.default: the manifest's default 'double' is outside what "
            "this block allows; give the block a default",
        ),
        (
            {"parameters": {"shading": {"default": "yes"}}},
            "parameters.shading.default: must be true or false (got 'yes')",
        ),
        (
            {"parameters": {"note": {"visible": False}}},
            "parameters.note: a hidden parameter keeps its default, and it has none; give one",
        ),
        (
            {"parameters": {"note": {"enabled": False}}},
            "parameters.note: a disabled parameter keeps its default, and it has none; give one",
        ),
        (
            {"parameters": {"glazing": {"min": 1}}},
            "parameters.glazing.min: only number parameters take min (enum)",
        ),
        (
            {"parameters": {"area": {"choices": [1]}}},
            "parameters.area.choices: only enum parameters take choices (number)",
        ),
        (
            {"outputs": {"cooling_kwh": {"visible": False}}},
            "outputs.cooling_kwh: no declared output of that name (the manifest declares "
            "heating_kwh)",
        ),
        (
            {"lms_outcomes": {"completion": {"threshold": 1}}},
            "lms_outcomes.completion: the manifest has no completion rule to adjust",
        ),
        (
            {"lms_outcomes": {"passed": {"bounds": [1, 2]}}},
            "lms_outcomes.passed.bounds: the passed rule (less_than) takes threshold",
        ),
        (
            {"lms_outcomes": {"score": {"bounds": [900, 50]}}},
            "lms_outcomes.score.bounds: bounds of normalize_inverse must be ordered",
        ),
    ],
)
def test_widening_or_an_unknown_name_is_one_line_naming_it(
    data: dict[str, Any], problem: str
) -> None:
    problems = block_config_problems(TASK, config(data))
    assert len(problems) == 1, problems
    assert problems[0].startswith(problem), problems


def test_an_open_schema_skips_the_parameter_checks() -> None:
    data = {"parameters": {"anything": {"min": -5, "visible": False}}}
    assert block_config_problems(OPEN, config(data)) == []
    assert submission_problems(OPEN, config(data), {"x": [1], "y": "z"}) == (
        {"x": [1], "y": "z"},
        [],
    )


def test_a_block_file_that_is_not_a_block_config_is_refused_by_path(tmp_path: Path) -> None:
    path = tmp_path / "block.json"
    path.write_text(json.dumps({"parameters": {"area": {"max": "10", "hidden": True}}, "x": 1}))
    with pytest.raises(BlockConfigError) as info:
        load_block_config(path)
    assert info.value.lines == [
        "parameters.area.max: input should be a finite number (got '10')",
        "parameters.area.hidden: extra inputs are not permitted (got True)",
        "x: extra inputs are not permitted (got 1)",
    ]
    with pytest.raises(BlockConfigError, match="cannot read"):
        load_block_config(tmp_path / "missing.json")


def test_the_effective_parameters_are_layer_1_narrowed_by_layer_2() -> None:
    effective = effective_parameters(
        TASK,
        config(
            {
                "parameters": {
                    "area": {"min": 2, "max": 10},
                    "glazing": {"choices": ["triple"], "default": "triple", "enabled": False},
                }
            }
        ),
    )
    assert (effective["area"].min, effective["area"].max, effective["area"].default) == (2, 10, 5)
    glazing = effective["glazing"]
    assert [(c.value, c.label) for c in glazing.choices or ()] == [("triple", "Triple pane")]
    assert glazing.locked
    assert glazing.default == "triple"
    assert effective["shading"].visible


def test_block_overrides_change_only_threshold_style_arguments() -> None:
    outcomes = effective_outcomes(TASK, config({"lms_outcomes": {"passed": {"threshold": 300}}}))
    assert outcomes.passed is not None
    assert outcomes.passed.threshold == 300
    assert outcomes.passed.transform.value == "less_than"
    assert outcomes.score == TASK.lms_outcomes.score
    assert effective_outcomes(TASK, None) == TASK.lms_outcomes


# --------------------------------------------------------------------------- Layer 3


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"note": "n", "colour": "red"}, "parameters.colour: unknown parameter (the manifest"),
        (
            {"note": "n", "aera": 2},
            "parameters.aera: unknown parameter; did you mean 'area'? (the manifest declares "
            "area, glazing, shading, note)",
        ),
        (
            {"note": "n", "glazing": "tripple"},
            "parameters.glazing: 'tripple' is not one of the choices ['single', 'double', "
            "'triple']; did you mean 'triple'?",
        ),
        ({}, "parameters.note: required (missing)"),
        ({"note": "n", "area": "5"}, "parameters.area: must be a number (got '5')"),
        ({"note": "n", "area": True}, "parameters.area: must be a number (got True)"),
        ({"note": 3}, "parameters.note: must be a string (got 3)"),
        ({"note": "n", "shading": 1}, "parameters.shading: must be true or false (got 1)"),
        ({"note": "n", "area": 21}, "parameters.area: 21 is above the maximum 20"),
        ({"note": "n", "area": 0.5}, "parameters.area: 0.5 is below the minimum 1"),
        (
            {"note": "n", "glazing": "quadruple"},
            "parameters.glazing: 'quadruple' is not one of the choices "
            "['single', 'double', 'triple']",
        ),
    ],
)
def test_each_layer_3_refusal_against_layer_1(values: dict[str, Any], problem: str) -> None:
    _resolved, problems = submission_problems(TASK, None, values)
    assert len(problems) == 1, problems
    assert problems[0].startswith(problem)


def test_a_valid_submission_runs_as_it_was_sent() -> None:
    values = {"note": "n", "area": 7.5, "glazing": "single", "shading": True}
    assert submission_problems(TASK, None, values) == (values, [])


BLOCK = {
    "parameters": {
        "area": {"min": 2, "max": 10, "default": 4},
        "glazing": {"choices": ["double", "triple"]},
        "shading": {"visible": False, "default": True},
        "note": {"enabled": False, "default": "fixed"},
    }
}


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"area": 12}, "parameters.area: 12 is above the maximum 10"),
        ({"area": 1}, "parameters.area: 1 is below the minimum 2"),
        ({"glazing": "single"}, "parameters.glazing: 'single' is not one of the choices"),
        (
            {"shading": False},
            "parameters.shading: hidden in this block; it keeps its default True (got False)",
        ),
        (
            {"note": "mine"},
            "parameters.note: disabled in this block; it keeps its default 'fixed' (got 'mine')",
        ),
    ],
)
def test_each_layer_3_refusal_against_layer_1_and_2(values: dict[str, Any], problem: str) -> None:
    _, problems = submission_problems(TASK, config(BLOCK), values)
    assert len(problems) == 1, problems
    assert problems[0].startswith(problem)


def test_block_defaults_fill_what_the_submission_omits() -> None:
    resolved, problems = submission_problems(TASK, config(BLOCK), {"glazing": "triple"})
    assert problems == []
    assert resolved == {"glazing": "triple", "area": 4, "shading": True, "note": "fixed"}
    resolved, _ = submission_problems(TASK, config(BLOCK), {"shading": True, "area": 9})
    assert resolved["shading"] is True
    assert resolved["area"] == 9


# --------------------------------------------------------------------------- the command

MODULE = """
from typing import Literal
from purelms_runtime import Backend, Outputs, Parameters, RunContext, output, param


class P(Parameters):
    area: int = param(5, label="Window area", unit="m2", ge=1, le=20)
    glazing: Literal["single", "double", "triple"] = param("double", label="Glazing")
    shading: bool = param(False, label="Shading")
    note: str = param("", label="Note")


class O(Outputs):
    heating_kwh: float = output(label="Heating", unit="kWh")


def run(params: P, ctx: RunContext) -> O:
    per_m2 = {"single": 200.0, "double": 100.0, "triple": 60.0}[params.glazing]
    return O(heating_kwh=params.area * per_m2 * (0.5 if params.shading else 1.0))


backend = Backend(run, slug="graded", version="0.1.0")

if __name__ == "__main__":
    backend.main()
"""


DECLARATION = """
[project]
name = "purelms-runtime"
[tool.purelms]
module = "graded_backend"
[tool.purelms.manifest]
name = "Graded"
description = "A throwaway graded task."
[tool.purelms.manifest.backend]
credit_cost = 1
trust_tier = "community"
default_timeout_seconds = 30
[tool.purelms.manifest.lms_outcomes.passed]
source = "outputs.heating_kwh"
transform = "less_than"
threshold = 500
[tool.purelms.manifest.lms_outcomes.score]
source = "outputs.heating_kwh"
transform = "normalize_inverse"
bounds = [100, 1100]
[tool.purelms.manifest.choice_labels.glazing]
single = "Single pane"
double = "Double pane"
triple = "Triple pane"
"""


@pytest.fixture
def graded_root(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository holding the graded backend, its manifest generated from MODULE as
    ``purelms manifest graded --write`` would (``purelms run`` refuses a stale one)."""
    root = tmp_path / "repo"
    task = root / "backends" / "graded"
    (task / "backend").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (task / "backend" / "pyproject.toml").write_text(DECLARATION)
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "graded_backend.py").write_text(MODULE)
    spec = importlib.util.spec_from_file_location("graded_backend", modules / "graded_backend.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    write_manifest(task, module.backend)
    env = {**os.environ, "PYTHONPATH": str(modules), "COLUMNS": "200"}
    return root, env


def test_the_graded_manifest_is_the_hand_written_one_the_functions_are_tested_on(
    graded_root: tuple[Path, dict[str, str]],
) -> None:
    root, _ = graded_root
    generated = yaml.safe_load((root / "backends/graded/interactive_task.yaml").read_text())
    assert [p["name"] for p in generated["parameters"]] == [
        p["name"] for p in MANIFEST["parameters"]
    ]
    assert generated["lms_outcomes"] == MANIFEST["lms_outcomes"]


def run(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "purelms_harness.cli",
            "--root",
            str(root),
            "run",
            "graded",
            "-q",
            *list(args),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def test_a_block_config_tightens_the_run_and_adjusts_the_outcome(
    graded_root: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, env = graded_root
    block = tmp_path / "block.json"
    block.write_text(
        json.dumps(
            {
                "parameters": {"area": {"max": 10, "default": 4}, "shading": {"visible": False}},
                "lms_outcomes": {"passed": {"threshold": 300}},
            }
        )
    )
    out = tmp_path / "run"
    proc = run(root, env, "--block-config", str(block), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    sent = json.loads((out / "input" / "input.json").read_text())["parameters"]
    assert sent == {"area": 4, "shading": False}  # the block's default, the hidden default
    # 4 m2 of double glazing: 400 kWh; the block's threshold (300) fails it, the score stays
    assert json.loads((out / "outcome.json").read_text()) == {
        "passed": False,
        "score": 0.7,
        "completion": 1.0,
    }
    lines = proc.stdout.splitlines()
    at = lines.index("outcome: passed no, score 0.70, completion 1.00")
    assert lines[at + 1 : at + 3] == [  # what decided it: the block's threshold
        "  passed: heating_kwh 400, less_than 300",
        "  score: heating_kwh 400, normalize_inverse 100..1100",
    ]
    without = run(root, env, "-p", "area=4", "--out", str(tmp_path / "plain"))
    lines = without.stdout.splitlines()
    at = lines.index("outcome: passed yes, score 0.70, completion 1.00")
    assert lines[at + 1] == "  passed: heating_kwh 400, less_than 500"


def test_a_widening_block_config_runs_nothing_and_leaves_no_folder(
    graded_root: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, env = graded_root
    block = tmp_path / "block.json"
    block.write_text(json.dumps({"parameters": {"area": {"max": 30}, "colour": {}}}))
    out = tmp_path / "run"
    proc = run(root, env, "--block-config", str(block), "--out", str(out))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"purelms: error: --block-config {block}: parameters.area.max: 30 widens the "
        "manifest's max 20 (a block may only narrow)",
        f"purelms: error: --block-config {block}: parameters.colour: no parameter of that "
        "name in the manifest (it declares area, glazing, shading, note)",
    ]
    assert not out.exists()
    assert not (root / "runs").exists()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["-p", "area=25"], "parameters.area: 25 is above the maximum 20"),
        (["-p", "colour=red"], "parameters.colour: unknown parameter"),
        (["-p", "glazing=quad"], "parameters.glazing: 'quad' is not one of the choices"),
        (["-p", "shading=maybe"], "parameters.shading: must be true or false (got 'maybe')"),
    ],
)
def test_a_refused_submission_runs_nothing(
    graded_root: tuple[Path, dict[str, str]], tmp_path: Path, args: list[str], line: str
) -> None:
    root, env = graded_root
    out = tmp_path / "run"
    proc = run(root, env, *args, "--out", str(out))
    assert proc.returncode == 2
    [shown] = proc.stderr.strip().splitlines()
    assert shown.startswith(f"purelms: error: {line}")
    assert shown.endswith("(checked against the manifest (Layer 1); nothing ran)")
    assert not out.exists()


def test_a_bad_block_file_is_named(
    graded_root: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    root, env = graded_root
    block = tmp_path / "block.json"
    block.write_text("{not json")
    proc = run(root, env, "--block-config", str(block))
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(f"purelms: error: --block-config {block}: <document>: invalid JSON")


def test_the_manifest_the_test_uses_is_installable() -> None:
    assert isinstance(TASK, InteractiveTaskManifest)

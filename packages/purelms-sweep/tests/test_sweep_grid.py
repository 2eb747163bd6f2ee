"""Grid specifications: parsing by parameter type, validation before submission, clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from purelms_echo import backend as echo
from purelms_harness import find_repo_root
from purelms_harness.cli import main
from purelms_runtime import Backend, Outputs, Parameters, RunContext, output, param
from purelms_sweep._grid import GridError, build_grid, parse_axes

REPO = find_repo_root(Path(__file__))


class TypedParameters(Parameters):
    """One parameter of every kind (echo's schema is open: any name, JSON values)."""

    message: str = param("hi", label="Message")
    repeat: int = param(1, label="Repeat", ge=1, le=10)
    delay_seconds: float = param(0.0, label="Delay", unit="s", ge=0, le=600)
    fail_with: Literal["nothing", "simulation", "runtime"] = param("nothing", label="Fail with")


class TypedOutputs(Outputs):
    echoed: str = output(label="Echoed")


def _run(params: TypedParameters, ctx: RunContext) -> TypedOutputs:
    return TypedOutputs(echoed=params.message)


typed = Backend(_run, slug="typed", version="0.0.1")


def grid(*specs: str) -> list[dict[str, object]]:
    return build_grid(parse_axes(specs, typed), typed)


def test_an_open_schema_takes_any_name_and_json_values() -> None:
    points = build_grid(parse_axes(["repeat=1,2.5", 'tag=a,"b c",true'], echo), echo)
    assert points == [
        {"repeat": 1, "tag": "a"},
        {"repeat": 1, "tag": "b c"},
        {"repeat": 1, "tag": True},
        {"repeat": 2.5, "tag": "a"},
        {"repeat": 2.5, "tag": "b c"},
        {"repeat": 2.5, "tag": True},
    ]
    assert build_grid(parse_axes(['x=["1", 2]'], echo), echo) == [{"x": "1"}, {"x": 2}]
    with pytest.raises(GridError, match="'NaN' is not a finite number"):
        parse_axes(["x=NaN"], echo)


def test_product_in_order_first_parameter_slowest() -> None:
    assert grid("repeat=1,2", "message=a,b") == [
        {"repeat": 1, "message": "a"},
        {"repeat": 1, "message": "b"},
        {"repeat": 2, "message": "a"},
        {"repeat": 2, "message": "b"},
    ]


def test_values_are_typed_by_the_parameter_model() -> None:
    # A number parameter given "1" is the float 1.0 (one param_id however it is typed);
    # a string parameter given "1" stays the string "1".
    assert grid("delay_seconds=1", "message=1") == [{"delay_seconds": 1.0, "message": "1"}]
    assert isinstance(grid("delay_seconds=1")[0]["delay_seconds"], float)


def test_ranges_and_json_arrays() -> None:
    assert [p["repeat"] for p in grid("repeat=2..4")] == [2, 3, 4]
    assert [p["delay_seconds"] for p in grid("delay_seconds=0..1:5")] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert [p["message"] for p in grid('message=["a,b", "c"]')] == ["a,b", "c"]


def test_string_values_keep_their_spaces() -> None:
    assert grid("message= hello ,world") == [{"message": " hello "}, {"message": "world"}]


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        (["repeat="], "-p repeat: no values; expected NAME=v1,v2,..."),
        (["repeat"], "-p 'repeat': expected NAME=v1,v2,..."),
        (["=1"], "-p '=1': expected NAME=v1,v2,..."),
        (["repeat=1,,2"], "-p repeat: empty value at position 2"),
        (["repeat=1", "repeat=2"], "-p repeat is given twice"),
        (["repeat=1.5"], "-p repeat: '1.5' is not an integer"),
        (["delay_seconds=abc"], "-p delay_seconds: 'abc' is not a number"),
        (["delay_seconds=nan"], "-p delay_seconds: 'nan' is not a finite number"),
        (["delay_seconds=0..1"], "a number range needs a count: START..STOP:N"),
        (["delay_seconds=0..1:1"], "a range needs N >= 2 values"),
        (["repeat=5..2"], "range '5..2' is empty"),
        (["delay_seconds=1,1.0"], "-p delay_seconds: values 1 and 2 are both 1.0"),
        (["repeat=0,1"], "-p repeat=0: input should be greater than or equal to 1 (got 0)"),
        (["delay_seconds=601"], "-p delay_seconds=601.0: input should be less than or equal"),
        (
            ["fail_with=nothing,bogus", "repeat=2"],
            "-p fail_with='bogus': input should be 'nothing', 'simulation' or 'runtime' "
            "(got 'bogus') (grid point 2 of 2: fail_with='bogus', repeat=2)",
        ),
    ],
)
def test_bad_specs_are_one_clear_line(specs: list[str], expected: str) -> None:
    with pytest.raises(GridError) as caught:
        grid(*specs)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_unknown_parameter_lists_the_known_ones_and_suggests() -> None:
    with pytest.raises(GridError) as caught:
        grid("rpeat=1")
    assert str(caught.value) == (
        "-p rpeat: unknown parameter for backend typed (did you mean 'repeat'?); "
        "known parameters: message, repeat, delay_seconds, fail_with"
    )


def test_too_large_a_grid_is_refused_before_validation() -> None:
    with pytest.raises(GridError, match=r"the grid has 1000000 points; at most 100000"):
        grid("delay_seconds=0..600:1000", "message=" + ",".join(f"m{i}" for i in range(1000)))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["sweep", "energyplus_single_zone", "-p", "night_start_hour=24"],
            "-p night_start_hour=24: input should be less than or equal to 23",
        ),
        (
            ["sweep", "energyplus_single_zone", "-p", "colour=red"],
            "-p colour: unknown parameter for backend energyplus_single_zone",
        ),
        (["sweep", "nosuch", "-p", "a=1"], "unknown backend 'nosuch'; known backends: echo"),
        (["sweep", "echo", "-p", "delay=NaN"], "-p delay: 'NaN' is not a finite number"),
        (["sweep", "echo", "--workers", "0"], "--workers 0: must be at least 1"),
        (
            ["sweep", "echo", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
            "cannot be combined with --scheduler",
        ),
        (["sweep", "echo", "--image", "purelms/no-such:0"], "--image purelms/no-such:0: "),
        (
            [
                "optimise",
                "echo",
                "--target",
                "echoed_backend_slug<=3",
                "--vary",
                "delay_seconds=0..1",
            ],
            "--target echoed_backend_slug: output is not a number",
        ),
        (
            ["optimise", "energyplus_single_zone", "--target", "heating<=3", "--vary", "x=0..1"],
            "--target heating: unknown numeric output for backend energyplus_single_zone "
            "(did you mean 'heating_kwh'?)",
        ),
        (
            ["optimise", "energyplus_single_zone", "--target", "heating_kwh<3000", "--vary", "x"],
            "--target 'heating_kwh<3000': expected OUTPUT<=VALUE",
        ),
        (
            [
                "optimise",
                "energyplus_single_zone",
                "--target",
                "heating_kwh<=3000",
                "--vary",
                "wall_u_w_m2k=0.01..1.0",
            ],
            "--vary wall_u_w_m2k=0.01..1.0: wall_u_w_m2k=0.01: input should be greater than "
            "or equal to 0.05",
        ),
        (
            [
                "optimise",
                "energyplus_single_zone",
                "--target",
                "heating_kwh<=3000",
                "--vary",
                "wall_u_w_m2k=1.0..0.1",
            ],
            "LOW must be smaller than HIGH",
        ),
        (
            [
                "optimise",
                "energyplus_single_zone",
                "--target",
                "heating_kwh<=3000",
                "--vary",
                "construction=0..1",
            ],
            "--vary construction: a choice parameter cannot be searched; number parameters:",
        ),
        (
            [
                "optimise",
                "energyplus_single_zone",
                "--target",
                "heating_kwh<=3000",
                "--vary",
                "wall_u_w_m2k=0.1..1",
                "-p",
                "height_m=3,4",
            ],
            "-p height_m: give one value when optimising",
        ),
    ],
)
def test_cli_refuses_bad_specs_before_running_anything(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code = main(["--root", str(REPO), *argv, "--out", str(out), "--cas", str(tmp_path / "cas")])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("purelms: error: ")
    assert expected in lines[0]
    assert not out.exists(), "nothing may run (or be written) for a bad specification"

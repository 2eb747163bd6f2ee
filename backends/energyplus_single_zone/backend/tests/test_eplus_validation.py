"""ANSI/ASHRAE Standard 140: cases 600 and 900 through the validation code, with the real engine.

The whole suite (16 cases) is ``nox -s validation``; here the two base cases must land
inside every reference range, the README's table must show what they give today, and
the documented ``purelms run --params-file`` command must give the same numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from purelms_energyplus_single_zone import EnergyPlusOutputs
from purelms_energyplus_single_zone._validation import (
    README_BEGIN,
    README_END,
    Row,
    Suite,
    ValidationCase,
    Verdict,
    judge,
    load_suite,
    markdown_table,
    replace_readme_table,
    run_suite,
)
from purelms_harness import find_repo_root

REPO = find_repo_root(Path(__file__))
BACKEND = REPO / "backends" / "energyplus_single_zone"
SUITE_DIR = BACKEND / "validation" / "ashrae140"
README = BACKEND / "backend" / "README.md"
WEATHER_SHA256 = "a0c27c3eaf22c5f32e1337ddde10f90f9e181a3b732ee78385013fd99b58818b"
REQUIRED = {"600", "610", "620", "630", "640", "900", "910", "920", "930", "940", "600FF", "900FF"}


@pytest.fixture(scope="module")
def suite() -> Suite:
    return load_suite(SUITE_DIR)


@pytest.fixture(scope="module")
def base_cases(suite: Suite) -> dict[str, EnergyPlusOutputs | str]:
    return run_suite(suite.select(["600", "900"]), workers=2)


def test_the_suite_covers_the_envelope_cases(suite: Suite) -> None:
    names = {case.name for case in suite.cases}
    assert names >= REQUIRED | {"650", "950", "650FF", "950FF"}
    for case in suite.cases:
        assert (SUITE_DIR / f"case{case.name}.json").is_file()
        assert "climate" not in case.parameters  # given on the command line: custom
        if case.name.endswith("FF"):
            assert case.parameters["hvac"] == "free_float"
            assert set(case.ranges) == {
                "min_temperature_c",
                "max_temperature_c",
                "mean_temperature_c",
            }
        else:
            assert set(case.ranges) == {
                "heating_mwh",
                "cooling_mwh",
                "peak_heating_kw",
                "peak_cooling_kw",
            }
    assert suite.weather.name == "DRYCOLDTMY.epw"
    data = suite.weather.read_bytes()
    assert data.startswith(b"LOCATION,Denver-Stapleton,CO,USA")
    # byte-exact as published (CRLF kept by .gitattributes), as its README records
    assert hashlib.sha256(data).hexdigest() == WEATHER_SHA256
    assert WEATHER_SHA256 in (SUITE_DIR / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["600", "900"])
def test_base_case_is_inside_every_reference_range(
    suite: Suite, base_cases: dict[str, EnergyPlusOutputs | str], name: str
) -> None:
    (case,) = suite.select([name]).cases
    rows = judge(case, base_cases[name])
    assert len(rows) == 4
    for row in rows:
        assert row.verdict is Verdict.IN_RANGE, row
        assert row.passes(strict=True)


def test_the_readme_table_is_what_the_base_cases_give_today(
    suite: Suite, base_cases: dict[str, EnergyPlusOutputs | str]
) -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index(README_BEGIN) : text.index(README_END)]
    rows = [
        row
        for case in suite.select(["600", "900"]).cases
        for row in judge(case, base_cases[case.name])
    ]
    for line in markdown_table(rows).splitlines()[2:]:
        assert line in table, f"README out of date (run `uv run nox -s validation`): {line}"


def test_the_documented_command_runs_a_case_end_to_end(
    tmp_path: Path, base_cases: dict[str, EnergyPlusOutputs | str]
) -> None:
    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "purelms_harness.cli",
        "run",
        "energyplus_single_zone",
        "--params-file",
        "case600.json",
        "-p",
        "climate=custom",
        "--input-file",
        "weather=DRYCOLDTMY.epw",
        "--out",
        str(out),
        "-q",
    ]
    proc = subprocess.run(
        command,
        cwd=SUITE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PURELMS_REPO_ROOT": str(REPO)},
    )
    assert proc.returncode == 0, proc.stderr
    envelope = json.loads((out / "output" / "output.json").read_text())
    assert envelope["status"] == "success"
    validated = base_cases["600"]
    assert isinstance(validated, EnergyPlusOutputs)
    assert envelope["outputs"]["heating_kwh"] == validated.heating_kwh
    assert envelope["outputs"]["peak_cooling_kw"] == validated.peak_cooling_kw
    assert "Denver" in envelope["outputs"]["weather_station"]


def _case(low: float, high: float, energyplus: float) -> ValidationCase:
    return ValidationCase(
        name="X",
        description="",
        parameters={},
        ranges={"heating_mwh": (low, high)},
        energyplus={"heating_mwh": energyplus},
    )


def _outputs(heating_kwh: float, base: EnergyPlusOutputs) -> EnergyPlusOutputs:
    return base.model_copy(update={"heating_kwh": heating_kwh})


@pytest.mark.parametrize(
    ("heating_kwh", "energyplus", "verdict", "note"),
    [
        (4500.0, 4.4, Verdict.IN_RANGE, ""),
        (4000.0, 3.95, Verdict.NEAR_ENERGYPLUS, "+1.3 % from EnergyPlus"),
        (4000.0, 4.5, Verdict.OUT, "−11.1 % from EnergyPlus"),
        (5100.0, 4.6, Verdict.OUT, "+10.9 % from EnergyPlus"),
    ],
)
def test_verdicts(
    base_cases: dict[str, EnergyPlusOutputs | str],
    heating_kwh: float,
    energyplus: float,
    verdict: Verdict,
    note: str,
) -> None:
    real = base_cases["600"]
    assert isinstance(real, EnergyPlusOutputs)
    (row,) = judge(_case(4.3, 5.0, energyplus), _outputs(heating_kwh, real))
    assert (row.verdict, row.note) == (verdict, note)
    assert row.passes() is (verdict is not Verdict.OUT)
    assert row.passes(strict=True) is (verdict is Verdict.IN_RANGE)


def test_a_failed_run_fails_the_validation() -> None:
    (row,) = judge(_case(4.3, 5.0, 4.4), "EnergyPlus failed: boom")
    assert row.verdict is Verdict.FAILED
    assert not row.passes()
    assert "RUN FAILED" in markdown_table([row])


def test_the_table_goes_between_the_readme_markers() -> None:
    row = Row("600", "heating_mwh", 4.4, 4.296, 5.709, 4.364, Verdict.IN_RANGE)
    text = f"intro\n{README_BEGIN}\nold\n{README_END}\noutro\n"
    replaced = replace_readme_table(text, markdown_table([row]))
    assert "old" not in replaced
    assert "| 600 | heating (MWh) | 4.400 | 4.296 – 5.709 | 4.364 | in range |" in replaced
    assert replaced.startswith("intro\n")
    assert replaced.endswith(f"{README_END}\noutro\n")
    with pytest.raises(ValueError, match="lacks the markers"):
        replace_readme_table("no markers", "table")

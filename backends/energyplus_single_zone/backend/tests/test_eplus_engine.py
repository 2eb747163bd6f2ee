"""The engine layer: failures, timeouts, progress and custom weather, with the real binary."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from purelms_energyplus_single_zone import EnergyPlusParameters, simulate
from purelms_energyplus_single_zone._climates import (
    bundled_climate,
    floor_ground_temperatures,
    read_ddy_location,
    read_epw_header,
)
from purelms_energyplus_single_zone._engine import (
    EngineCrashed,
    EngineTimeout,
    parse_err,
    progress_from_line,
    run_energyplus,
)
from purelms_energyplus_single_zone._idf import ModelInputs, build_idf
from purelms_runtime import InputRejected, SimulationFailed
from purelms_shared import MessageLevel

RunCase = Callable[..., Any]  # the session fixtures of conftest.py
Run = Any  # conftest.Run


def _default_idf(directory: Path, extra: str = "") -> tuple[Path, Path]:
    climate = bundled_climate("chicago")
    header = read_epw_header(climate.epw)
    ground, _ = floor_ground_temperatures(climate.epw, header)
    text = build_idf(
        EnergyPlusParameters(),
        ModelInputs(location=read_ddy_location(climate.ddy), ground_temperatures_c=ground),
    )
    idf = directory / "in.idf"
    idf.write_text(text + extra, encoding="utf-8")
    return idf, climate.epw


def test_a_broken_model_fails_with_the_engines_own_message(tmp_path: Path) -> None:
    # A construction made of a material that does not exist: EnergyPlus rejects it.
    idf, epw = _default_idf(tmp_path, "\nConstruction,\n    Broken,\n    No Such Material;\n")
    with pytest.raises(SimulationFailed) as caught:
        run_energyplus(idf, epw, tmp_path)
    failure = caught.value
    assert failure.code == "ENERGYPLUS.FATAL"
    assert "GetSurfaceData: Errors discovered" in failure.text
    severe = [m for m in failure.messages if m.code == "ENERGYPLUS.SEVERE"]
    fatal = [m for m in failure.messages if m.code == "ENERGYPLUS.FATAL"]
    assert any("NO SUCH MATERIAL" in m.text for m in severe)
    assert len(fatal) == 1
    assert all(m.level is MessageLevel.ERROR for m in failure.messages)
    assert "Terminated--Fatal Error Detected" in (tmp_path / "eplusout.end").read_text()


def test_a_corrupt_custom_weather_file_fails_the_simulation(new_run: Run) -> None:
    source = bundled_climate("chicago").epw
    lines = source.read_text(encoding="latin-1").splitlines(keepends=True)
    broken = new_run.root / "broken.epw"
    broken.write_text("".join([*lines[:20], "not,a,weather,record\n", *lines[20:]]))
    new_run.stage_weather(broken)
    with pytest.raises(SimulationFailed) as caught:
        simulate(EnergyPlusParameters(climate="custom"), new_run.context())
    failure = caught.value
    assert failure.code == "ENERGYPLUS.FATAL"
    assert "Error in Reading Weather Data" in failure.text
    assert any("Invalid Date info in Weather Line" in m.text for m in failure.messages)
    # what the engine saw and said stays available to the learner
    assert new_run.recorder.artifacts == ["in.idf", "eplusout.err"]
    assert (new_run.output_dir / "eplusout.err").is_file()


def test_custom_climate_without_a_weather_file_never_starts_the_engine(new_run: Run) -> None:
    with pytest.raises(InputRejected) as caught:
        simulate(EnergyPlusParameters(climate="custom"), new_run.context())
    assert caught.value.code == "INPUT.WEATHER_MISSING"
    assert "role 'weather'" in caught.value.text
    assert not (new_run.work_dir / "energyplus").exists()


def test_a_weather_file_with_a_bundled_climate_is_refused(new_run: Run) -> None:
    new_run.stage_weather(bundled_climate("tampa").epw)
    with pytest.raises(InputRejected) as caught:
        simulate(EnergyPlusParameters(climate="chicago"), new_run.context())
    assert caught.value.code == "INPUT.WEATHER_CONFLICT"
    assert not (new_run.work_dir / "energyplus").exists()


def test_an_unreadable_custom_weather_file_is_refused_before_the_engine(new_run: Run) -> None:
    junk = new_run.root / "junk.epw"
    junk.write_text("this is not an EPW file\n")
    new_run.stage_weather(junk)
    with pytest.raises(InputRejected) as caught:
        simulate(EnergyPlusParameters(climate="custom"), new_run.context())
    assert caught.value.code == "INPUT.WEATHER_INVALID"
    assert not (new_run.work_dir / "energyplus").exists()


def test_a_custom_epw_gives_the_same_results_as_the_bundled_one(
    simulated: RunCase, run_case: RunCase, new_run: Run
) -> None:
    new_run.stage_weather(bundled_climate("chicago").epw, name="my_chicago.epw")
    custom = run_case(run=new_run, climate="custom").outputs
    bundled = simulated(climate="chicago").outputs
    assert custom.heating_kwh == bundled.heating_kwh
    assert custom.cooling_kwh == bundled.cooling_kwh
    assert custom.monthly_heating_kwh == bundled.monthly_heating_kwh
    assert custom.weather_station == bundled.weather_station


def test_timeout_kills_the_engine(tmp_path: Path) -> None:
    idf, epw = _default_idf(tmp_path)
    started = time.monotonic()
    with pytest.raises(EngineTimeout):
        run_energyplus(idf, epw, tmp_path, timeout_seconds=0.3)
    assert time.monotonic() - started < 5
    assert not (tmp_path / "eplusout.end").exists()
    assert not _energyplus_running_in(tmp_path)


def _energyplus_running_in(directory: Path) -> bool:
    """True if any process has ``directory`` as its working directory (Linux /proc)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(os.readlink(f"/proc/{pid}/cwd")) == directory:
                return True
        except OSError:
            continue
    return False


def test_a_missing_binary_is_a_crash_not_a_fallback(tmp_path: Path) -> None:
    idf, epw = _default_idf(tmp_path)
    with pytest.raises(EngineCrashed, match="cannot start EnergyPlus"):
        run_energyplus(idf, epw, tmp_path, binary=tmp_path / "no-energyplus")


def test_progress_follows_the_run_period(simulated: RunCase) -> None:
    progress = simulated(climate="chicago").run.recorder.progress
    percents = [pct for pct, _ in progress]
    assert percents == sorted(percents)
    assert percents[0] == 0
    assert percents[-1] == 100
    steps = [step for _, step in progress]
    assert "Warming up" in steps
    assert "Simulating 01/01" in steps
    assert any(step.startswith("Simulating 12/") for step in steps)
    assert len({pct for pct in percents if 0 < pct < 100}) >= 10


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Starting Simulation at 01/01/2017 for ANNUAL", (0.0, "Simulating 01/01")),
        ("Continuing Simulation at 07/02/2017 for ANNUAL", (100 * 182 / 365, "Simulating 07/02")),
        ("Continuing Simulation at 12/31/2017 for ANNUAL", (100 * 364 / 365, "Simulating 12/31")),
        ("Warming up {3}", (0.0, "Warming up")),
        ("Writing tabular output file results using HTML format.", (99.0, "Writing reports")),
        ("Updating Shadowing Calculations, Start Date=01/21/2017", None),
        ("Continuing Simulation at 02/30/2017 for ANNUAL", None),
    ],
)
def test_progress_lines(line: str, expected: tuple[float, str] | None) -> None:
    assert progress_from_line(line) == expected


def test_err_entries_keep_their_continuation_lines() -> None:
    report = parse_err(
        "Program Version,EnergyPlus, Version 25.2.0\n"
        "   ** Warning ** First warning\n"
        "   **   ~~~   ** more about it\n"
        "   ** Severe  ** Something bad\n"
        "   **  Fatal  ** Program terminates\n"
        "   ...Summary of Errors that led to program termination:\n"
        "   ************* EnergyPlus Terminated--Fatal Error Detected.\n"
    )
    assert [e.text for e in report.warnings] == ["First warning\nmore about it"]
    assert [e.text for e in report.severes] == ["Something bad"]
    assert [e.text for e in report.fatals] == ["Program terminates"]

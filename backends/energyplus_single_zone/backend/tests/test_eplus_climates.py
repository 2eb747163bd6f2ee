"""Every bundled climate: catalogued, readable, and simulated without a severe error."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from purelms_energyplus_single_zone import BUNDLED_CLIMATES, EnergyPlusParameters
from purelms_energyplus_single_zone._climates import (
    bundled_climate,
    catalogue_wmo_numbers,
    discover_bundled_files,
    floor_ground_temperatures,
    read_ddy_location,
    read_epw_header,
)

RunCase = Callable[..., Any]  # the session fixtures of conftest.py


def test_catalogue_and_payload_agree_one_to_one() -> None:
    assert sorted(catalogue_wmo_numbers().values()) == sorted(discover_bundled_files())
    assert sorted(catalogue_wmo_numbers()) == sorted(BUNDLED_CLIMATES)


@pytest.mark.parametrize("name", BUNDLED_CLIMATES)
def test_bundled_files_are_read(name: str) -> None:
    climate = bundled_climate(name)
    location = read_ddy_location(climate.ddy)  # latin-1 with a degree sign
    header = read_epw_header(climate.epw)
    assert math.isclose(location.latitude, header.location.latitude, abs_tol=0.01)
    assert math.isclose(location.longitude, header.location.longitude, abs_tol=0.01)
    temperatures, source = floor_ground_temperatures(climate.epw, header)
    assert len(temperatures) == 12
    assert "ground temperatures" in source
    assert all(-10 < t < 35 for t in temperatures)


def test_unknown_climate_error_lists_the_valid_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        EnergyPlusParameters(climate="atlantis")  # type: ignore[arg-type]
    text = str(caught.value)
    assert "climate" in text
    for name in (*BUNDLED_CLIMATES, "custom"):
        assert repr(name) in text


@pytest.mark.parametrize("name", BUNDLED_CLIMATES)
def test_every_bundled_climate_runs_without_severe_errors(simulated: RunCase, name: str) -> None:
    case = simulated(climate=name)
    assert case.errors() == []
    assert case.outputs.energyplus_version.startswith("25.2.0")
    assert (
        case.table("InputVerificationandResultsSummary", "General", "Hours Simulated", "Value")
        == "8760.00"
    )
    wmo = catalogue_wmo_numbers()[name]
    assert wmo in case.outputs.weather_station
    assert case.outputs.heating_kwh >= 0
    assert case.outputs.cooling_kwh > 0
    err = (case.run.output_dir / "eplusout.err").read_text(encoding="utf-8", errors="replace")
    assert " 0 Severe Errors" in err
    warnings = [m for m in case.messages if m.code == "ENERGYPLUS.WARNING"]
    assert len(warnings) == case.outputs.energyplus_warnings


@pytest.mark.parametrize("name", BUNDLED_CLIMATES)
def test_monthly_values_sum_to_the_annual_totals(simulated: RunCase, name: str) -> None:
    out = simulated(climate=name).outputs
    assert len(out.monthly_heating_kwh) == len(out.monthly_cooling_kwh) == 12
    # the annual table is rounded to 0.01 kWh, each month to 0.001 kWh
    assert sum(out.monthly_heating_kwh) == pytest.approx(out.heating_kwh, abs=0.02)
    assert sum(out.monthly_cooling_kwh) == pytest.approx(out.cooling_kwh, abs=0.02)


@pytest.mark.parametrize("name", BUNDLED_CLIMATES)
def test_site_energy_is_the_sum_of_end_uses_and_eui_is_per_floor_area(
    simulated: RunCase, name: str
) -> None:
    out = simulated(climate=name).outputs
    assert sum(out.end_uses_kwh.values()) == pytest.approx(out.site_energy_kwh, abs=0.1)
    assert out.end_uses_kwh["interior_equipment"] == pytest.approx(200 * 8760 / 1000, abs=0.01)
    assert out.site_eui_kwh_m2 == pytest.approx(out.site_energy_kwh / out.floor_area_m2, abs=0.01)
    assert out.site_eui_kbtu_ft2 == pytest.approx(out.site_eui_kwh_m2 * 0.316998, rel=1e-4)

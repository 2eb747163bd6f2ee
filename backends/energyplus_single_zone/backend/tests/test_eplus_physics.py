"""Physical direction checks and engine-reported envelope, all with the real engine.

Each check changes one parameter of the default case and asserts the direction
a building-science instructor expects. The base cases are shared through the
session cache, so each check costs at most one extra annual run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

RunCase = Callable[..., Any]  # the session fixtures of conftest.py


def test_more_insulation_means_less_heating(simulated: RunCase) -> None:
    base = simulated(climate="chicago").outputs
    insulated = simulated(climate="chicago", wall_u_w_m2k=0.2, roof_u_w_m2k=0.15).outputs
    assert insulated.heating_kwh < base.heating_kwh
    assert insulated.peak_heating_kw < base.peak_heating_kw


def test_more_south_glazing_means_more_cooling_in_tampa(simulated: RunCase) -> None:
    base = simulated(climate="tampa").outputs
    glazed = simulated(climate="tampa", window_area_south_m2=18.0).outputs
    assert glazed.cooling_kwh > base.cooling_kwh
    assert glazed.peak_cooling_kw > base.peak_cooling_kw


def test_higher_heating_setpoint_means_more_heating(simulated: RunCase) -> None:
    base = simulated(climate="chicago").outputs
    warmer = simulated(climate="chicago", heating_setpoint_c=22.0).outputs
    assert warmer.heating_kwh > base.heating_kwh


def test_tampa_needs_more_cooling_than_chicago(simulated: RunCase) -> None:
    tampa = simulated(climate="tampa").outputs
    chicago = simulated(climate="chicago").outputs
    assert tampa.cooling_kwh > chicago.cooling_kwh


def test_chicago_needs_more_heating_than_san_francisco(simulated: RunCase) -> None:
    chicago = simulated(climate="chicago").outputs
    san_francisco = simulated(climate="san_francisco").outputs
    assert chicago.heating_kwh > san_francisco.heating_kwh


def test_heavy_mass_reduces_cooling_in_golden(simulated: RunCase) -> None:
    """ASHRAE 140 case 900 against 600: mass damps the solar gains of the south glazing."""
    light = simulated(climate="golden").outputs
    heavy = simulated(climate="golden", construction="heavy").outputs
    assert heavy.cooling_kwh < light.cooling_kwh
    assert heavy.peak_cooling_kw < light.peak_cooling_kw


def test_night_setback_reduces_heating(simulated: RunCase) -> None:
    """ASHRAE 140 case 640 against 600: 10 C from 23:00 to 07:00."""
    base = simulated(climate="chicago").outputs
    setback = simulated(climate="chicago", night_setback=True).outputs
    assert setback.heating_kwh < base.heating_kwh
    # the morning recovery makes the peak larger, not smaller
    assert setback.peak_heating_kw > base.peak_heating_kw


def test_glazing_turned_north_means_more_heating_and_less_cooling(simulated: RunCase) -> None:
    south = simulated(climate="chicago").outputs
    north = simulated(climate="chicago", orientation_deg=180.0).outputs
    assert north.heating_kwh > south.heating_kwh
    assert north.cooling_kwh < south.cooling_kwh


def test_more_infiltration_means_more_heating(simulated: RunCase) -> None:
    base = simulated(climate="chicago").outputs
    leaky = simulated(climate="chicago", infiltration_ach=1.5).outputs
    assert leaky.heating_kwh > base.heating_kwh


def test_a_capacity_limit_shows_as_unmet_hours(simulated: RunCase) -> None:
    unlimited = simulated(climate="chicago").outputs
    limited = simulated(climate="chicago", heating_capacity_kw=1.5, cooling_capacity_kw=2.0).outputs
    assert unlimited.unmet_heating_hours == pytest.approx(0, abs=1)
    assert unlimited.unmet_cooling_hours == pytest.approx(0, abs=1)
    assert limited.unmet_heating_hours > 100
    assert limited.unmet_cooling_hours > 100
    assert limited.peak_heating_kw <= 1.5 + 1e-3
    assert limited.peak_cooling_kw <= 2.0 + 1e-3
    assert limited.heating_kwh < unlimited.heating_kwh


def test_the_engine_reports_the_envelope_that_was_asked_for(simulated: RunCase) -> None:
    """EnergyPlus's own envelope report (eplustbl.htm / SQL) echoes the parameters."""
    case = simulated(climate="chicago")
    p = case.params

    def envelope(table: str, row: str, column: str) -> float:
        return float(case.table("EnvelopeSummary", table, row, column))

    for row, u_value in (
        ("WALL SOUTH", p.wall_u_w_m2k),
        ("ROOF", p.roof_u_w_m2k),
        ("FLOOR", p.floor_u_w_m2k),
    ):
        reported = envelope("Opaque Exterior", row, "U-Factor with Film")
        assert reported == pytest.approx(u_value, abs=0.0011), row
    assert envelope("Exterior Fenestration", "WINDOW SOUTH", "Glass Area") == pytest.approx(12.0)
    assert envelope("Exterior Fenestration", "WINDOW SOUTH", "Glass U-Factor") == pytest.approx(
        p.window_u_w_m2k, abs=0.01
    )
    assert envelope("Exterior Fenestration", "WINDOW SOUTH", "Glass SHGC") == pytest.approx(
        p.window_shgc, abs=0.01
    )
    assert envelope("Opaque Exterior", "WALL SOUTH", "Gross Area") == pytest.approx(8 * 2.7)
    assert envelope("Opaque Exterior", "WALL EAST", "Gross Area") == pytest.approx(6 * 2.7)
    assert envelope("Exterior Fenestration", "WINDOW SOUTH", "Azimuth") == pytest.approx(180.0)
    assert case.outputs.floor_area_m2 == pytest.approx(48.0)


def test_orientation_rotates_the_glazed_facade(simulated: RunCase) -> None:
    case = simulated(climate="chicago", orientation_deg=180.0)
    azimuth = float(
        case.table("EnvelopeSummary", "Exterior Fenestration", "WINDOW SOUTH", "Azimuth")
    )
    assert azimuth == pytest.approx(0.0, abs=0.01) or azimuth == pytest.approx(360.0, abs=0.01)


def test_heavy_construction_u_values_are_still_the_parameters(simulated: RunCase) -> None:
    case = simulated(climate="golden", construction="heavy")
    reported = float(
        case.table("EnvelopeSummary", "Opaque Exterior", "WALL SOUTH", "U-Factor with Film")
    )
    assert reported == pytest.approx(case.params.wall_u_w_m2k, abs=0.0011)


def test_a_windowless_box_runs_without_warnings_about_unused_objects(simulated: RunCase) -> None:
    case = simulated(climate="san_francisco", window_area_south_m2=0.0)
    assert case.errors() == []
    assert not any("unused" in m.text for m in case.messages)
    assert case.outputs.cooling_kwh < simulated(climate="san_francisco").outputs.cooling_kwh

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
    glazed = simulated(climate="tampa", window_area_south_m2=14.0).outputs
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
    for window in ("WINDOW SOUTH 1", "WINDOW SOUTH 2"):  # Case 600's two 3 m x 2 m windows
        assert envelope("Exterior Fenestration", window, "Glass Area") == pytest.approx(6.0)
        assert envelope("Exterior Fenestration", window, "Azimuth") == pytest.approx(180.0)
        # D3: the layered Case 600 double pane has the case's SHGC (0.789 at normal incidence)
        shgc = envelope("Exterior Fenestration", window, "Glass SHGC")
        assert shgc == pytest.approx(p.window_shgc, abs=0.005)
    assert envelope("Opaque Exterior", "WALL SOUTH", "Gross Area") == pytest.approx(8 * 2.7)
    assert envelope("Opaque Exterior", "WALL EAST", "Gross Area") == pytest.approx(6 * 2.7)
    assert case.outputs.floor_area_m2 == pytest.approx(48.0)


def test_simple_glazing_is_the_u_factor_and_shgc_asked_for(simulated: RunCase) -> None:
    case = simulated(climate="golden", glazing="simple", window_u_w_m2k=1.8, window_shgc=0.45)
    for column, expected in (("Glass U-Factor", 1.8), ("Glass SHGC", 0.45)):
        reported = float(
            case.table("EnvelopeSummary", "Exterior Fenestration", "WINDOW SOUTH 1", column)
        )
        assert reported == pytest.approx(expected, abs=0.01), column
    clear = simulated(climate="golden").outputs
    assert case.outputs.cooling_kwh < clear.cooling_kwh  # less solar gain
    assert case.outputs.heating_kwh < clear.heating_kwh  # the lower U-factor wins in Golden


def test_orientation_rotates_the_glazed_facade(simulated: RunCase) -> None:
    case = simulated(climate="chicago", orientation_deg=180.0)
    azimuth = float(
        case.table("EnvelopeSummary", "Exterior Fenestration", "WINDOW SOUTH 1", "Azimuth")
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


def test_cooling_is_sensible_and_the_latent_part_is_reported_apart(simulated: RunCase) -> None:
    """D2: humid Tampa: the ideal loads' 13 C supply air condenses water out of the zone air."""
    out = simulated(climate="tampa").outputs
    metered = out.end_uses_kwh["cooling"]  # district cooling: sensible plus latent
    assert out.cooling_kwh < metered
    assert out.cooling_kwh + out.latent_cooling_kwh == pytest.approx(metered, rel=2e-3)
    assert out.latent_cooling_kwh > 0.05 * metered  # a visible share in Tampa...
    dry = simulated(climate="golden").outputs
    assert dry.latent_cooling_kwh < 0.01 * dry.end_uses_kwh["cooling"]  # ...and not in Golden


def test_peaks_are_hourly_integrated(simulated: RunCase) -> None:
    """The peak is the largest hourly energy of the year, at the end of its hour."""
    case = simulated(climate="chicago")
    rows = case.query(
        "SELECT d.Name, MAX(r.Value) / 3.6e6 FROM ReportData r JOIN ReportDataDictionary d "
        "ON r.ReportDataDictionaryIndex = d.ReportDataDictionaryIndex "
        "WHERE d.ReportingFrequency = 'Hourly' AND d.Name LIKE 'Zone Ideal Loads Zone Sensible%' "
        "GROUP BY d.Name"
    )
    peaks = dict(rows)
    out = case.outputs
    assert out.peak_heating_kw == pytest.approx(
        peaks["Zone Ideal Loads Zone Sensible Heating Energy"], abs=1e-4
    )
    assert out.peak_cooling_kw == pytest.approx(
        peaks["Zone Ideal Loads Zone Sensible Cooling Energy"], abs=1e-4
    )
    assert out.peak_heating_time.endswith(":00")
    assert out.peak_cooling_time.endswith(":00")
    # an hour's average is below the largest 15-minute value the meter report holds
    timestep_peak = float(
        case.table(
            "EnergyMeters",
            "Annual and Peak Values - Other",
            "Heating:DistrictHeatingWater",
            "Maximum Value",
        )
    )
    assert out.peak_heating_kw * 1000 <= timestep_peak + 1e-6


def test_shading_cuts_the_cooling_of_south_glazing(simulated: RunCase) -> None:
    """ASHRAE 140 case 610 against 600: a 1 m overhang at roof level over the south glass."""
    base = simulated(climate="golden").outputs
    shaded = simulated(climate="golden", overhang_depth_m=1.0).outputs
    assert shaded.cooling_kwh < 0.85 * base.cooling_kwh
    assert shaded.heating_kwh > base.heating_kwh  # less winter sun, too


def test_free_float_reports_the_zone_temperatures(simulated: RunCase) -> None:
    """ASHRAE 140 case 600FF: no heating and no cooling; the zone air floats."""
    out = simulated(climate="golden", hvac="free_float").outputs
    assert out.heating_kwh == out.cooling_kwh == out.latent_cooling_kwh == 0
    assert out.peak_heating_kw == out.peak_cooling_kw == 0
    assert out.peak_heating_time == out.peak_cooling_time == ""
    assert out.monthly_heating_kwh == [0.0] * 12
    assert out.zone_temperature_min_c < 0 < 45 < out.zone_temperature_max_c
    assert out.zone_temperature_min_c < out.zone_temperature_mean_c < out.zone_temperature_max_c
    conditioned = simulated(climate="golden").outputs
    assert conditioned.zone_temperature_min_c == pytest.approx(20.0, abs=0.05)
    assert conditioned.zone_temperature_max_c == pytest.approx(27.0, abs=0.05)


def test_night_ventilation_cools_a_free_floating_zone(simulated: RunCase) -> None:
    """ASHRAE 140 case 650FF against 600FF."""
    closed = simulated(climate="golden", hvac="free_float").outputs
    vented = simulated(climate="golden", hvac="free_float", night_ventilation=True).outputs
    assert vented.zone_temperature_mean_c < closed.zone_temperature_mean_c - 3
    assert vented.zone_temperature_max_c < closed.zone_temperature_max_c

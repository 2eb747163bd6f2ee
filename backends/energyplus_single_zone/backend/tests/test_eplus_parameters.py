"""Parameter validation and the IDF built from it (no engine needed to check these)."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from purelms_energyplus_single_zone import EnergyPlusParameters
from purelms_energyplus_single_zone._climates import SiteLocation, idf_safe
from purelms_energyplus_single_zone._idf import (
    ModelInputs,
    _day_schedule,
    build_idf,
    insulation_resistance,
    wall_vertices,
    window_vertices,
)

INPUTS = ModelInputs(
    location=SiteLocation("Test", 40.0, -100.0, -6.0, 100.0), ground_temperatures_c=(10.0,) * 12
)


def _error_fields(exc: ValidationError) -> set[str]:
    return {".".join(str(part) for part in error["loc"]) for error in exc.errors()}


def test_defaults_are_the_classic_lightweight_validation_case() -> None:
    p = EnergyPlusParameters()
    assert (p.length_m, p.width_m, p.height_m) == (8.0, 6.0, 2.7)
    assert p.window_area_south_m2 == 12.0
    assert p.window_area_east_m2 == p.window_area_north_m2 == p.window_area_west_m2 == 0.0
    assert p.internal_gains_w == 200.0
    assert p.infiltration_ach == 0.5
    assert (p.heating_setpoint_c, p.cooling_setpoint_c) == (20.0, 27.0)
    assert p.construction == "light"
    assert not p.night_setback
    assert p.heating_capacity_kw == p.cooling_capacity_kw == 0.0


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"length_m": 1.0}, "length_m", "greater than or equal to 2"),
        ({"wall_u_w_m2k": 5.0}, "wall_u_w_m2k", "less than or equal to 2"),
        ({"window_shgc": 0.95}, "window_shgc", "less than or equal to 0.9"),
        ({"infiltration_ach": -1}, "infiltration_ach", "greater than or equal to 0"),
        ({"window_area_south_m2": 20.0}, "window_area_south_m2", "exceeds 90% of the south"),
        ({"width_m": 3.0, "window_area_east_m2": 7.5}, "window_area_east_m2", "east facade"),
        ({"cooling_setpoint_c": 20.5}, "cooling_setpoint_c", "at least 1 K above"),
        (
            {"night_heating_setpoint_c": 20.0, "night_cooling_setpoint_c": 20.5},
            "night_cooling_setpoint_c",
            "at least 1 K above",
        ),
        (
            {"night_setback": True, "night_start_hour": 5, "night_end_hour": 5},
            "night_end_hour",
            "zero hours",
        ),
        ({"orientation_deg": 360}, "orientation_deg", "less than or equal to 359"),
        ({"wall_insulation": 3}, "wall_insulation", "Extra inputs are not permitted"),
    ],
)
def test_invalid_parameters_name_the_parameter(
    overrides: dict[str, object], field: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        EnergyPlusParameters(**overrides)  # type: ignore[arg-type]
    assert field in _error_fields(caught.value)
    assert fragment in str(caught.value)


def test_window_limit_follows_the_facade_it_is_on() -> None:
    # 8 m x 2.7 m south facade holds 19.44 m2; the 6 m east facade only 14.58 m2
    EnergyPlusParameters(window_area_south_m2=19.4)
    with pytest.raises(ValidationError):
        EnergyPlusParameters(window_area_east_m2=15.0)


@pytest.mark.parametrize("construction", ["light", "heavy"])
@pytest.mark.parametrize("surface", ["wall", "roof", "floor"])
@pytest.mark.parametrize("u_value", [0.03, 0.05, 0.3, 1.0, 2.0])
def test_every_allowed_u_value_is_reachable(
    construction: str, surface: str, u_value: float
) -> None:
    assert insulation_resistance(surface, u_value, construction) > 0


def test_windows_are_centred_inside_their_wall_with_the_requested_area() -> None:
    p = EnergyPlusParameters(window_area_east_m2=5.0)
    east = wall_vertices(p)["east"]
    window = window_vertices(east, 5.0)
    width = math.dist(window[1], window[2])
    height = math.dist(window[0], window[1])
    assert width * height == pytest.approx(5.0)
    xs, ys, zs = zip(*east, strict=True)
    for x, y, z in window:
        assert min(xs) <= x <= max(xs)
        assert min(ys) <= y <= max(ys)
        assert min(zs) < z < max(zs)


def test_walls_face_outwards() -> None:
    """Counter-clockwise seen from outside: the right-hand normal points away from the box."""
    p = EnergyPlusParameters()
    centre = (p.length_m / 2, p.width_m / 2, p.height_m / 2)
    for facade, points in wall_vertices(p).items():
        a, b, c = points[0], points[1], points[2]
        u = [b[i] - a[i] for i in range(3)]
        v = [c[i] - b[i] for i in range(3)]
        normal = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
        outward = [sum(pt[i] for pt in points) / 4 - centre[i] for i in range(3)]
        assert sum(n * o for n, o in zip(normal, outward, strict=True)) > 0, facade


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (23, 7, ["Until: 07:00", "10", "Until: 23:00", "20", "Until: 24:00", "10"]),
        (0, 6, ["Until: 06:00", "10", "Until: 24:00", "20"]),
        (22, 0, ["Until: 22:00", "20", "Until: 24:00", "10"]),
        (1, 5, ["Until: 01:00", "20", "Until: 05:00", "10", "Until: 24:00", "20"]),
    ],
)
def test_night_setback_schedule(start: int, end: int, expected: list[str]) -> None:
    p = EnergyPlusParameters(night_setback=True, night_start_hour=start, night_end_hour=end)
    assert _day_schedule(20.0, 10.0, p) == expected
    assert _day_schedule(20.0, 10.0, EnergyPlusParameters()) == ["Until: 24:00", "20"]


def test_the_idf_avoids_the_known_25_2_pitfalls() -> None:
    text = build_idf(EnergyPlusParameters(), INPUTS)
    assert text.count("\nVersion,") == 1
    assert "25.2;" in text
    assert "UseWeatherFile" not in text  # fatal in RunPeriod's day-of-week field
    assert "FCfactor" not in text
    assert "GroundFCfactorMethod" not in text
    assert "ZoneHVAC:IdealLoadsAirSystem" in text
    assert "Output:SQLite" in text


def test_names_from_weather_files_are_made_idf_safe() -> None:
    assert idf_safe("Chicago, IL; USA ! x") == "Chicago IL USA x"
    with pytest.raises(ValueError, match="cannot be an IDF field"):
        build_idf(
            EnergyPlusParameters(),
            ModelInputs(SiteLocation("A, B", 0, 0, 0, 0), ground_temperatures_c=(10.0,) * 12),
        )

"""Parameter validation and the IDF built from it (no engine needed to check these)."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from purelms_energyplus_single_zone import EnergyPlusParameters
from purelms_energyplus_single_zone._climates import SiteLocation, idf_safe
from purelms_energyplus_single_zone._idf import (
    COOLING_OFF_C,
    ModelInputs,
    build_idf,
    hourly_setpoints,
    insulation_resistance,
    insulation_thickness_m,
    until_fields,
    wall_vertices,
    window_rectangles,
)

INPUTS = ModelInputs(
    location=SiteLocation("Test", 40.0, -100.0, -6.0, 100.0), ground_temperatures_c=(10.0,) * 12
)


def _error_fields(exc: ValidationError) -> set[str]:
    return {".".join(str(part) for part in error["loc"]) for error in exc.errors()}


def test_defaults_are_ashrae_140_case_600_except_the_climate() -> None:
    p = EnergyPlusParameters()
    assert p.climate == "chicago"  # not Case 600 (Denver): documented
    assert p.terrain == "country"
    assert (p.length_m, p.width_m, p.height_m) == (8.0, 6.0, 2.7)
    assert p.window_area_south_m2 == 12.0
    assert p.window_area_east_m2 == p.window_area_north_m2 == p.window_area_west_m2 == 0.0
    assert (p.window_sill_height_m, p.window_height_m) == (0.2, 2.0)
    assert p.glazing == "clear_double"
    assert p.window_shgc == 0.789  # the case's glass, used when glazing is "simple"
    assert p.overhang_depth_m == p.fin_depth_m == 0.0
    assert p.internal_gains_w == 200.0
    assert p.infiltration_ach == 0.5
    assert p.hvac == "heating_and_cooling"
    assert (p.heating_setpoint_c, p.cooling_setpoint_c) == (20.0, 27.0)
    assert p.construction == "light"
    assert not p.night_setback
    assert not p.night_ventilation
    assert p.night_ventilation_m3_h == 1703.16  # Case 650's fan, when switched on
    assert p.heating_capacity_kw == p.cooling_capacity_kw == 0.0


@pytest.mark.parametrize(
    ("surface", "construction", "u_value", "thickness"),
    [  # the U-value defaults give the Case 600 / 900 insulation thicknesses
        ("wall", "light", 0.5157, 0.066),
        ("roof", "light", 0.3194, 0.1118),
        ("wall", "heavy", 0.5135, 0.0615),
    ],
)
def test_u_values_give_the_case_insulation_thickness(
    surface: str, construction: str, u_value: float, thickness: float
) -> None:
    assert insulation_thickness_m(surface, u_value, construction) == pytest.approx(
        thickness, rel=2e-3
    )


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"length_m": 1.0}, "length_m", "greater than or equal to 2"),
        ({"wall_u_w_m2k": 5.0}, "wall_u_w_m2k", "less than or equal to 2"),
        ({"window_shgc": 0.95}, "window_shgc", "less than or equal to 0.9"),
        ({"infiltration_ach": -1}, "infiltration_ach", "greater than or equal to 0"),
        ({"window_area_south_m2": 15.0}, "window_area_south_m2", "at most 90% of it"),
        ({"width_m": 3.0, "window_area_east_m2": 6}, "window_area_east_m2", "east facade"),
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
        ({"terrain": "ocean"}, "terrain", "'country', 'suburbs' or 'city'"),
        ({"hvac": "heat_pump"}, "hvac", "'free_float'"),
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


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        # D1: each cross-field rule fires with the *other* field left at its default
        ({"length_m": 2}, "window_area_south_m2", "length_m = 2 m allows at most 90%"),
        ({"length_m": 4.5}, "window_area_south_m2", "needs 6.00 m of the south facade"),
        ({"window_height_m": 1.0}, "window_area_south_m2", "window_height_m = 1 m needs 12.00"),
        ({"height_m": 2.1}, "window_height_m", "must fit below the roof"),
        ({"window_sill_height_m": 0.8}, "window_height_m", "0.8 + 2 m is more than"),
        ({"cooling_setpoint_c": 20.5}, "cooling_setpoint_c", "heating_setpoint_c = 20 degC"),
        (
            {"night_setback": True, "night_start_hour": 7},
            "night_end_hour",
            "night_end_hour = 7 equals night_start_hour",
        ),
        (
            {"night_setback": True, "night_end_hour": 23},
            "night_end_hour",
            "night_end_hour = 23 equals night_start_hour",
        ),
        (
            {"night_ventilation": True, "night_ventilation_start_hour": 7},
            "night_ventilation_end_hour",
            "equals night_ventilation_start_hour",
        ),
        (
            {"night_ventilation": True, "night_ventilation_end_hour": 18},
            "night_ventilation_end_hour",
            "would last zero hours",
        ),
    ],
)
def test_cross_field_rules_hold_for_fields_left_at_their_defaults(
    overrides: dict[str, object], field: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        EnergyPlusParameters(**overrides)  # type: ignore[arg-type]
    assert _error_fields(caught.value) == {field}
    assert fragment in str(caught.value)


def test_the_night_rules_only_apply_when_their_switch_is_on() -> None:
    EnergyPlusParameters(night_start_hour=7, night_ventilation_start_hour=7)


def test_window_limit_follows_the_facade_and_the_window_height() -> None:
    # 90 % of the 8 m south facade is 7.2 m of glass: 14.4 m2 at 2 m high, 18 m2 at 2.5 m
    EnergyPlusParameters(window_area_south_m2=14.4)
    EnergyPlusParameters(window_area_south_m2=18.0, window_height_m=2.5)
    with pytest.raises(ValidationError):
        EnergyPlusParameters(window_area_south_m2=14.5)
    # the 6 m east facade holds only 10.8 m2 at 2 m
    with pytest.raises(ValidationError):
        EnergyPlusParameters(window_area_east_m2=11.0)


@pytest.mark.parametrize("construction", ["light", "heavy"])
@pytest.mark.parametrize("surface", ["wall", "roof", "floor"])
@pytest.mark.parametrize("u_value", [0.03, 0.05, 0.3, 1.0, 2.0])
def test_every_allowed_u_value_is_reachable(
    construction: str, surface: str, u_value: float
) -> None:
    assert insulation_resistance(surface, u_value, construction) > 0


def test_case_600_and_620_windows_are_placed_as_the_standard_draws_them() -> None:
    south = window_rectangles(EnergyPlusParameters(), "south")
    assert [(w[1][0], w[2][0]) for w in south] == [
        pytest.approx((0.5, 3.5)),
        pytest.approx((4.5, 7.5)),
    ]
    for window in south:
        assert [p[2] for p in window] == pytest.approx([2.2, 0.2, 0.2, 2.2])
        assert {p[1] for p in window} == {0.0}
    case_620 = EnergyPlusParameters(
        window_area_south_m2=0, window_area_east_m2=6, window_area_west_m2=6
    )
    (east,) = window_rectangles(case_620, "east")
    assert (east[1][1], east[2][1]) == pytest.approx((1.5, 4.5))
    assert {p[0] for p in east} == {8.0}
    assert window_rectangles(case_620, "south") == []


@pytest.mark.parametrize("area", [0.5, 5.0, 9.0, 14.4])
def test_windows_fit_their_wall_with_the_requested_area(area: float) -> None:
    p = EnergyPlusParameters(window_area_south_m2=area)
    windows = window_rectangles(p, "south")
    assert all(math.dist(w[1], w[2]) <= 3.0 + 1e-9 for w in windows)
    total = sum(math.dist(w[0], w[1]) * math.dist(w[1], w[2]) for w in windows)
    assert total == pytest.approx(area)
    xs = sorted(x for w in windows for x in (w[1][0], w[2][0]))
    assert xs[0] > 0
    assert xs[-1] < p.length_m
    assert xs == sorted(xs)  # no two windows overlap


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
    heating, cooling = hourly_setpoints(p)
    assert until_fields(heating) == expected
    assert until_fields(cooling) == ["Until: 24:00", "27"]
    assert until_fields(hourly_setpoints(EnergyPlusParameters())[0]) == ["Until: 24:00", "20"]


def test_night_ventilation_switches_cooling_off_while_it_runs() -> None:
    p = EnergyPlusParameters(hvac="cooling_only", night_ventilation=True)
    _, cooling = hourly_setpoints(p)
    assert until_fields(cooling) == [
        "Until: 07:00",
        f"{COOLING_OFF_C:g}",
        "Until: 18:00",
        "27",
        "Until: 24:00",
        f"{COOLING_OFF_C:g}",
    ]
    text = build_idf(p, INPUTS)
    (ventilation,) = _objects(text, "ZoneVentilation:DesignFlowRate")
    assert ventilation[2:5] == ["Night Ventilation Hours", "Flow/Zone", "0.4731"]  # m3/s
    assert ventilation[8] == "Natural"  # no fan heat
    assert _objects(text, "ThermostatSetpoint:SingleCooling") == [["Setpoints", "Cooling Setpoint"]]
    assert "Heating Setpoint" not in text


def _objects(text: str, kind: str) -> list[list[str]]:
    """The field values of every ``kind`` object in IDF ``text`` (comments removed)."""
    bare = "\n".join(line.split("!", 1)[0] for line in text.splitlines())
    objects = [[field.strip() for field in chunk.split(",")] for chunk in bare.split(";")]
    return [fields[1:] for fields in objects if fields[0].lower() == kind.lower()]


def test_the_case_600_model_is_written_as_the_standard_specifies() -> None:
    text = build_idf(EnergyPlusParameters(), INPUTS)
    (building,) = _objects(text, "Building")
    assert building[2] == "Country"
    assert _objects(text, "Timestep") == [["4"]]
    # the double pane from its layers, no simple glazing
    (glass,) = _objects(text, "WindowMaterial:Glazing")
    assert glass[3:5] == ["0.003175", "0.86156"]
    assert _objects(text, "WindowMaterial:Gas") == [["Air gap 13mm", "Air", "0.013"]]
    assert not _objects(text, "WindowMaterial:SimpleGlazingSystem")
    # insulation with its mass in walls and roof; the floor's R-25 is massless
    insulation = {m[0]: m for m in _objects(text, "Material") if "Fiberglass" in m[0]}
    assert sorted(insulation) == ["Exterior Wall Fiberglass quilt", "Roof Fiberglass quilt"]
    for material in insulation.values():
        assert material[3:6] == ["0.04", "12", "840"]
    assert float(insulation["Exterior Wall Fiberglass quilt"][2]) == pytest.approx(0.066, 2e-3)
    (no_mass,) = _objects(text, "Material:NoMass")
    assert no_mass[0] == "Ground Floor Floor insulation"
    assert float(no_mass[2]) == pytest.approx(25.075, rel=2e-3)
    assert len(_objects(text, "FenestrationSurface:Detailed")) == 2
    assert not _objects(text, "Shading:Zone:Detailed")
    assert len(_objects(text, "ThermostatSetpoint:DualSetpoint")) == 1


def test_simple_glazing_uses_the_u_value_and_shgc() -> None:
    text = build_idf(EnergyPlusParameters(glazing="simple", window_shgc=0.6), INPUTS)
    assert _objects(text, "WindowMaterial:SimpleGlazingSystem") == [["Simple glazing", "3", "0.6"]]
    assert not _objects(text, "WindowMaterial:Glazing")


def test_terrain_reaches_the_building_object() -> None:
    (building,) = _objects(build_idf(EnergyPlusParameters(terrain="city"), INPUTS), "Building")
    assert building[2] == "City"


def test_free_float_has_no_thermostat_and_no_ideal_loads() -> None:
    text = build_idf(EnergyPlusParameters(hvac="free_float"), INPUTS)
    for kind in ("ZoneHVAC:IdealLoadsAirSystem", "ZoneControl:Thermostat", "Schedule:Compact"):
        assert not _objects(text, kind), kind
    variables = [fields[1] for fields in _objects(text, "Output:Variable")]
    assert variables == ["Zone Mean Air Temperature"]


def test_heating_only_has_a_single_heating_thermostat() -> None:
    text = build_idf(EnergyPlusParameters(hvac="heating_only"), INPUTS)
    assert _objects(text, "ThermostatSetpoint:SingleHeating") == [["Setpoints", "Heating Setpoint"]]
    assert not _objects(text, "ThermostatSetpoint:DualSetpoint")
    assert "Cooling Setpoint" not in text


def test_overhang_and_fins_are_placed_as_in_cases_610_and_630() -> None:
    p = EnergyPlusParameters(
        window_area_south_m2=0,
        window_area_east_m2=6,
        window_area_west_m2=6,
        overhang_depth_m=1.0,
        fin_depth_m=1.0,
    )
    shading = {
        fields[0]: fields for fields in _objects(build_idf(p, INPUTS), "Shading:Zone:Detailed")
    }
    names = sorted(shading)
    assert names == [
        "Fin East 1 left",
        "Fin East 1 right",
        "Fin West 1 left",
        "Fin West 1 right",
        "Overhang East",
        "Overhang West",
    ]

    def points(name: str) -> list[tuple[float, ...]]:
        fields = shading[name]
        assert fields[1] == f"Wall {name.split()[1]}"  # attached to its wall
        values = [float(v) for v in fields[4:]]
        return [tuple(values[i : i + 3]) for i in range(0, len(values), 3)]

    overhang = points("Overhang East")
    assert sorted(x for x, _, _ in overhang) == [8.0, 8.0, 9.0, 9.0]  # 1 m out from the wall
    assert sorted(y for _, y, _ in overhang) == [0.0, 0.0, 6.0, 6.0]  # the whole facade
    assert {z for _, _, z in overhang} == {2.7}  # at roof level
    fin = points("Fin East 1 right")
    assert {y for _, y, _ in fin} == {4.5}  # at the window's edge
    assert sorted(z for _, _, z in fin) == [0.0, 0.0, 2.7, 2.7]  # full height
    assert sorted(x for x, _, _ in fin) == [8.0, 8.0, 9.0, 9.0]


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

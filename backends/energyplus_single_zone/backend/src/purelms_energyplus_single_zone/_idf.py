"""Build the EnergyPlus input (IDF) text from the parameters, with the stdlib only.

Why text built in code and no wrapper library (eppy, energyplus-wrapper, ...):
the model is one box, a few dozen objects; writing them directly keeps every
number an instructor might question visible in one file, keeps the dependency
set to the engine itself, and the generated IDF is kept as an artifact so it can
be opened in the IDF editor and re-run by hand.

Modelling decisions, each one either the ANSI/ASHRAE Standard 140 (2007/2014)
specification of the envelope cases or a deliberate simplification a
building-science instructor would recognise:

* Geometry: one zone, six surfaces with explicit vertices (x east, y north, z
  up; upper-left corner first, counter-clockwise seen from outside). Orientation
  is the Building object's North Axis, so the geometry itself never changes.
  Each facade's glass is a band of windows (see ``_parameters``): two 3 m x 2 m
  windows for Case 600's 12 m2, one for Case 620's 6 m2 per facade.
* Shading (Cases 610, 630, 910, 930): an overhang is a horizontal
  Shading:Zone:Detailed surface at roof level along the whole facade, as Case
  610's; fins are vertical ones from the ground to the roof at both sides of
  every window, as Case 630's. Between full-height fins a full-length overhang
  shades exactly as Case 630's window-wide one does (any ray reaching the glass
  over the fins' ends would have to cross a fin).
* Constructions from U-values: the layers of Standard 140 cases 600 (light) and
  900 (heavy), with the insulation layer's *thickness* chosen so that the
  nominal U-value equals the parameter. Wall and roof insulation keep the mass
  the standard gives them (fibreglass quilt 12 kg/m3, 840 J/(kg.K); the heavy
  wall's foam 10 kg/m3, 1400 J/(kg.K)); the floor's R-25 insulation is
  massless in the standard and here. "Nominal" uses the conventional still-air
  film resistances of the ASHRAE Handbook / Standard 90.1, the very values
  EnergyPlus uses for the "U-Factor with Film" of its envelope report, so
  eplustbl.htm shows the U-value the learner typed (a test checks this). The
  defaults reproduce the case's insulation thicknesses (0.066 m, 0.1118 m).
  Every opaque face has solar absorptance 0.6 and thermal emittance 0.9, as in
  the cases.
* The floor is in contact with the ground ("Ground" boundary). Its outer face
  sees the monthly ground temperatures of the weather file's deepest reported
  depth (the damped, near annual-mean values); EnergyPlus's own default of 18 C
  all year would ignore the climate. EnergyPlus warns when these fall outside
  15-25 C: that range is its rule of thumb for the core of large conditioned
  slabs, not for a small box whose floor is mostly perimeter, so the warning is
  passed on to the learner, not suppressed. No F-factor slab (its perimeter model
  has no U-value to set) and no Kiva foundation (a 2-D ground model that needs
  massive layers and a longer run) keep the floor a single U-value.
* Windows: "clear_double" is the Case 600 window built from its layers (two
  WindowMaterial:Glazing panes of 3.175 mm clear glass, a 13 mm
  WindowMaterial:Gas air gap), so the angular dependence of its transmittance is
  EnergyPlus's layer-by-layer optics; "simple" is a
  WindowMaterial:SimpleGlazingSystem from U-factor and SHGC. No frames.
* HVAC: ZoneHVAC:IdealLoadsAirSystem, which meets the thermostat exactly (or up
  to the optional capacity) and reports the *loads*: the quantity the validation
  cases compare, free of any equipment efficiency. Humidity control is off; the
  supply air is at most 13 C, so in a humid climate it condenses water out of the
  zone air: that latent cooling is reported apart from the sensible load. The
  ``hvac`` parameter picks a dual, heating-only or cooling-only thermostat, or
  none at all (free float: no thermostat and no ideal loads).
* Night ventilation (Case 650): a ZoneVentilation:DesignFlowRate of the given
  air flow during the ventilation hours, type Natural (no fan heat, as the case
  says), on top of the infiltration; the cooling setpoint is raised to
  :data:`COOLING_OFF_C` during those hours, so cooling runs only outside them.
* Internal gains: ElectricEquipment (60 % radiant, as in the validation cases),
  so they also appear in the site energy and the end uses like plug loads do.
* Time step: 4 per hour, as NREL's Standard 140 runs of EnergyPlus; terrain from
  the ``terrain`` parameter (the cases: country).
* Outputs: SQLite (simple and tabular, in kWh), the HTML table file, and hourly
  values of the ideal loads' sensible heating, sensible and latent cooling and of
  the zone mean air temperature: the annual, monthly, peak (hourly-integrated, the
  standard's definition) and free-float results are all read from these.
  OutputControl:Files switches off the files nobody reads (ESO, MTR, audit,
  CSV, ...), which saves I/O when runs go in parallel.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from ._climates import SiteLocation
from ._parameters import EnergyPlusParameters, Facade

__all__ = [
    "COOLING_OFF_C",
    "ENERGYPLUS_IDF_VERSION",
    "HOURLY_VARIABLES",
    "TIMESTEPS_PER_HOUR",
    "ModelInputs",
    "build_idf",
    "hourly_setpoints",
    "insulation_resistance",
    "insulation_thickness_m",
    "until_fields",
    "wall_vertices",
    "window_rectangles",
]

ENERGYPLUS_IDF_VERSION: Final = "25.2"
TIMESTEPS_PER_HOUR: Final = 4
#: The cooling setpoint while cooling is off (night ventilation hours): never reached.
COOLING_OFF_C: Final = 100.0

ZONE: Final = "Zone"
IDEAL_LOADS: Final = "Ideal Loads"
FACADES: Final[tuple[Facade, ...]] = ("south", "east", "north", "west")

#: Hourly output variables: (key, variable name); everything the results need.
HOURLY_VARIABLES: Final = (
    (IDEAL_LOADS, "Zone Ideal Loads Zone Sensible Heating Energy"),
    (IDEAL_LOADS, "Zone Ideal Loads Zone Sensible Cooling Energy"),
    (IDEAL_LOADS, "Zone Ideal Loads Zone Latent Cooling Energy"),
    (ZONE, "Zone Mean Air Temperature"),
)

_MONTH_NAMES: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Conventional film resistances, m2.K/W, (inside, outside): ASHRAE still air
# (vertical; horizontal heat flow up; heat flow down) and 15 mph wind outside.
# The floor's outer face is the ground boundary itself, with no film.
_FILMS: Final[dict[str, tuple[float, float]]] = {
    "wall": (0.1197548, 0.0299387),
    "roof": (0.1074271, 0.0299387),
    "floor": (0.1620212, 0.0),
}

_MIN_INSULATION_RESISTANCE: Final = 0.001
#: Solar absorptance and thermal emittance of every opaque face (Standard 140).
_SOLAR_ABSORPTANCE: Final = 0.6
_THERMAL_EMITTANCE: Final = 0.9


@dataclass(frozen=True)
class _Layer:
    name: str
    thickness_m: float
    conductivity: float
    density: float
    specific_heat: float

    @property
    def resistance(self) -> float:
        return self.thickness_m / self.conductivity


@dataclass(frozen=True)
class _Insulation:
    """An insulation layer whose thickness follows the U-value; None density = massless."""

    name: str
    conductivity: float
    density: float | None
    specific_heat: float | None


# ASHRAE Standard 140 material properties.
_PLASTERBOARD_WALL = _Layer("Plasterboard 12mm", 0.012, 0.16, 950, 840)
_PLASTERBOARD_ROOF = _Layer("Plasterboard 10mm", 0.010, 0.16, 950, 840)
_WOOD_SIDING = _Layer("Wood siding 9mm", 0.009, 0.14, 530, 900)
_ROOF_DECK = _Layer("Roof deck 19mm", 0.019, 0.14, 530, 900)
_TIMBER_FLOOR = _Layer("Timber flooring 25mm", 0.025, 0.14, 650, 1200)
_CONCRETE_BLOCK = _Layer("Concrete block 100mm", 0.100, 0.51, 1400, 1000)
_CONCRETE_SLAB = _Layer("Concrete slab 80mm", 0.080, 1.13, 1400, 1000)
_FIBERGLASS = _Insulation("Fiberglass quilt", 0.04, 12, 840)
_FOAM = _Insulation("Foam insulation", 0.04, 10, 1400)
_FLOOR_INSULATION = _Insulation("Floor insulation", 0.04, None, None)

# Layers outside -> inside.
_ASSEMBLIES: Final[dict[str, dict[str, tuple[_Layer | _Insulation, ...]]]] = {
    "light": {
        "wall": (_WOOD_SIDING, _FIBERGLASS, _PLASTERBOARD_WALL),
        "roof": (_ROOF_DECK, _FIBERGLASS, _PLASTERBOARD_ROOF),
        "floor": (_FLOOR_INSULATION, _TIMBER_FLOOR),
    },
    "heavy": {
        "wall": (_WOOD_SIDING, _FOAM, _CONCRETE_BLOCK),
        "roof": (_ROOF_DECK, _FIBERGLASS, _PLASTERBOARD_ROOF),
        "floor": (_FLOOR_INSULATION, _CONCRETE_SLAB),
    },
}

# The Standard 140 clear glass pane and air gap (Case 600 window).
_CLEAR_GLASS: Final[tuple[tuple[object, str], ...]] = (
    ("Clear glass 3.175mm", "Name"),
    ("SpectralAverage", "Optical Data Type"),
    ("", "Window Glass Spectral Data Set Name"),
    (0.003175, "Thickness {m}"),
    (0.86156, "Solar Transmittance at Normal Incidence"),
    (0.07846, "Front Side Solar Reflectance at Normal Incidence"),
    (0.07846, "Back Side Solar Reflectance at Normal Incidence"),
    (0.91325, "Visible Transmittance at Normal Incidence"),
    (0.082, "Front Side Visible Reflectance at Normal Incidence"),
    (0.082, "Back Side Visible Reflectance at Normal Incidence"),
    (0.0, "Infrared Transmittance at Normal Incidence"),
    (0.84, "Front Side Infrared Hemispherical Emissivity"),
    (0.84, "Back Side Infrared Hemispherical Emissivity"),
    (1.06, "Conductivity {W/m-K}"),
)
_AIR_GAP_M: Final = 0.013


@dataclass(frozen=True)
class ModelInputs:
    """Everything besides the parameters that goes into the IDF."""

    location: SiteLocation
    ground_temperatures_c: Sequence[float]  # 12 monthly values


_IDF_UNSAFE: Final = re.compile(r"[,;!\x00-\x1f\x7f]")


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite number in the IDF: {value}")
        text = f"{value:.10g}"
        return "0" if text == "-0" else text
    text = str(value)
    if _IDF_UNSAFE.search(text):
        raise ValueError(f"{text!r} cannot be an IDF field (separator, comment or control)")
    return text


def idf_object(kind: str, *fields: tuple[object, str]) -> str:
    """One IDF object; ``fields`` are (value, comment) pairs."""
    lines = [f"{kind},"]
    for index, (value, comment) in enumerate(fields):
        end = ";" if index == len(fields) - 1 else ","
        cell = f"    {_fmt(value)}{end}"
        lines.append(f"{cell:<40}!- {comment}" if comment else cell)
    return "\n".join(lines) + "\n"


def insulation_resistance(surface: str, u_value: float, construction: str) -> float:
    """Resistance (m2.K/W) of the insulation layer that yields ``u_value``."""
    inside, outside = _FILMS[surface]
    fixed = sum(
        layer.resistance
        for layer in _ASSEMBLIES[construction][surface]
        if isinstance(layer, _Layer)
    )
    resistance = 1.0 / u_value - inside - outside - fixed
    if resistance < _MIN_INSULATION_RESISTANCE:
        raise ValueError(
            f"{surface} U-value {u_value:g} W/(m2.K) is not reachable with the "
            f"{construction} construction (its layers and films alone give "
            f"{1.0 / (inside + outside + fixed):.2f})"
        )
    return resistance


def insulation_thickness_m(surface: str, u_value: float, construction: str) -> float:
    """Thickness of the insulation layer that yields ``u_value``."""
    insulation = next(
        layer for layer in _ASSEMBLIES[construction][surface] if isinstance(layer, _Insulation)
    )
    return insulation_resistance(surface, u_value, construction) * insulation.conductivity


def _material(name: str, thickness: float, conductivity: float, density: float, cp: float) -> str:
    return idf_object(
        "Material",
        (name, "Name"),
        ("Rough", "Roughness"),
        (thickness, "Thickness {m}"),
        (conductivity, "Conductivity {W/m-K}"),
        (float(density), "Density {kg/m3}"),
        (float(cp), "Specific Heat {J/kg-K}"),
        (_THERMAL_EMITTANCE, "Thermal Absorptance"),
        (_SOLAR_ABSORPTANCE, "Solar Absorptance"),
        (_SOLAR_ABSORPTANCE, "Visible Absorptance"),
    )


def _constructions(params: EnergyPlusParameters) -> list[str]:
    objects: list[str] = []
    materials: dict[str, _Layer] = {}
    u_values = {
        "wall": params.wall_u_w_m2k,
        "roof": params.roof_u_w_m2k,
        "floor": params.floor_u_w_m2k,
    }
    names = {"wall": "Exterior Wall", "roof": "Roof", "floor": "Ground Floor"}
    for surface, layers in _ASSEMBLIES[params.construction].items():
        layer_names = []
        for layer in layers:
            if isinstance(layer, _Layer):
                materials[layer.name] = layer
                layer_names.append(layer.name)
                continue
            name = f"{names[surface]} {layer.name}"
            resistance = insulation_resistance(surface, u_values[surface], params.construction)
            if layer.density is None or layer.specific_heat is None:
                objects.append(
                    idf_object(
                        "Material:NoMass",
                        (name, "Name"),
                        ("Rough", "Roughness"),
                        (resistance, "Thermal Resistance {m2-K/W}"),
                        (_THERMAL_EMITTANCE, "Thermal Absorptance"),
                        (_SOLAR_ABSORPTANCE, "Solar Absorptance"),
                        (_SOLAR_ABSORPTANCE, "Visible Absorptance"),
                    )
                )
            else:
                thickness = resistance * layer.conductivity
                objects.append(
                    _material(
                        name, thickness, layer.conductivity, layer.density, layer.specific_heat
                    )
                )
            layer_names.append(name)
        objects.append(
            idf_object(
                "Construction",
                (names[surface], "Name"),
                *((name, f"Layer {i + 1}") for i, name in enumerate(layer_names)),
            )
        )
    for layer in materials.values():
        objects.append(
            _material(
                layer.name,
                layer.thickness_m,
                layer.conductivity,
                layer.density,
                layer.specific_heat,
            )
        )
    if any(params.window_area_m2(facade) > 0 for facade in FACADES):
        objects += _window_construction(params)  # only when used: unused ones are warned about
    return objects


def _window_construction(params: EnergyPlusParameters) -> list[str]:
    if params.glazing == "simple":
        return [
            idf_object(
                "WindowMaterial:SimpleGlazingSystem",
                ("Simple glazing", "Name"),
                (params.window_u_w_m2k, "U-Factor {W/m2-K}"),
                (params.window_shgc, "Solar Heat Gain Coefficient"),
            ),
            idf_object("Construction", ("Window", "Name"), ("Simple glazing", "Layer 1")),
        ]
    glass = str(_CLEAR_GLASS[0][0])
    return [
        idf_object("WindowMaterial:Glazing", *_CLEAR_GLASS),
        idf_object(
            "WindowMaterial:Gas",
            ("Air gap 13mm", "Name"),
            ("Air", "Gas Type"),
            (_AIR_GAP_M, "Thickness {m}"),
        ),
        idf_object(
            "Construction",
            ("Window", "Name"),
            (glass, "Outside Layer"),
            ("Air gap 13mm", "Layer 2"),
            (glass, "Layer 3"),
        ),
    ]


Point = tuple[float, float, float]


def wall_vertices(params: EnergyPlusParameters) -> dict[Facade, tuple[Point, ...]]:
    """Wall corners: upper-left first, counter-clockwise seen from outside."""
    length, width, height = params.length_m, params.width_m, params.height_m
    return {
        "south": ((0, 0, height), (0, 0, 0), (length, 0, 0), (length, 0, height)),
        "east": ((length, 0, height), (length, 0, 0), (length, width, 0), (length, width, height)),
        "north": (
            (length, width, height),
            (length, width, 0),
            (0, width, 0),
            (0, width, height),
        ),
        "west": ((0, width, height), (0, width, 0), (0, 0, 0), (0, 0, height)),
    }


def _along(origin: Point, direction: Point, distance: float, z: float) -> Point:
    return (origin[0] + direction[0] * distance, origin[1] + direction[1] * distance, z)


def _offset(point: Point, direction: Point, distance: float) -> Point:
    return (
        point[0] + direction[0] * distance,
        point[1] + direction[1] * distance,
        point[2] + direction[2] * distance,
    )


def _wall_axes(wall: Sequence[Point]) -> tuple[Point, Point, float]:
    """(unit vector left to right seen from outside, outward unit normal, facade length)."""
    lower_left, lower_right = wall[1], wall[2]
    span = math.dist(lower_left, lower_right)
    along = (
        (lower_right[0] - lower_left[0]) / span,
        (lower_right[1] - lower_left[1]) / span,
        0.0,
    )
    outward = (along[1], -along[0], 0.0)  # horizontal, 90 degrees clockwise from 'along'
    return along, outward, span


def window_rectangles(params: EnergyPlusParameters, facade: Facade) -> list[tuple[Point, ...]]:
    """The windows of ``facade``: each centred in an equal bay, wall vertex order."""
    count = params.window_count(facade)
    if count == 0:
        return []
    wall = wall_vertices(params)[facade]
    along, _, span = _wall_axes(wall)
    bay = span / count
    width = params.window_area_m2(facade) / params.window_height_m / count
    bottom = params.window_sill_height_m
    top = bottom + params.window_height_m
    rectangles: list[tuple[Point, ...]] = []
    for index in range(count):
        left = index * bay + (bay - width) / 2
        right = left + width
        rectangles.append(
            (
                _along(wall[1], along, left, top),
                _along(wall[1], along, left, bottom),
                _along(wall[1], along, right, bottom),
                _along(wall[1], along, right, top),
            )
        )
    return rectangles


def _vertex_fields(points: Iterable[Point]) -> list[tuple[object, str]]:
    fields: list[tuple[object, str]] = []
    for index, point in enumerate(points, start=1):
        for axis, value in zip("XYZ", point, strict=True):
            fields.append((round(float(value), 6), f"Vertex {index} {axis}-coordinate {{m}}"))
    return fields


def _surface(
    name: str,
    kind: str,
    construction: str,
    boundary: str,
    points: Sequence[Point],
) -> str:
    exposed = boundary == "Outdoors"
    return idf_object(
        "BuildingSurface:Detailed",
        (name, "Name"),
        (kind, "Surface Type"),
        (construction, "Construction Name"),
        (ZONE, "Zone Name"),
        ("", "Space Name"),
        (boundary, "Outside Boundary Condition"),
        ("", "Outside Boundary Condition Object"),
        ("SunExposed" if exposed else "NoSun", "Sun Exposure"),
        ("WindExposed" if exposed else "NoWind", "Wind Exposure"),
        ("autocalculate", "View Factor to Ground"),
        (len(points), "Number of Vertices"),
        *_vertex_fields(points),
    )


def _shading(name: str, base: str, points: Sequence[Point]) -> str:
    return idf_object(
        "Shading:Zone:Detailed",
        (name, "Name"),
        (base, "Base Surface Name"),
        ("", "Transmittance Schedule Name"),
        (len(points), "Number of Vertices"),
        *_vertex_fields(points),
    )


def _facing(points: tuple[Point, ...], direction: Point) -> tuple[Point, ...]:
    """``points`` in the vertex order whose (right-hand) normal points along ``direction``."""
    a, b, c = points[0], points[1], points[2]
    u = (b[0] - a[0], b[1] - a[1], b[2] - a[2])
    v = (c[0] - b[0], c[1] - b[1], c[2] - b[2])
    normal = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
    if sum(n * d for n, d in zip(normal, direction, strict=True)) >= 0:
        return points
    return tuple(reversed(points))


def _shading_devices(
    params: EnergyPlusParameters,
    facade: Facade,
    wall: Sequence[Point],
    windows: Sequence[Sequence[Point]],
) -> list[str]:
    """The overhang above the facade and the fins beside each of its windows.

    EnergyPlus casts shadows from both faces of attached shading; the vertex order
    only makes the overhang face the ground and each fin face away from its window,
    as drawn in the cases.
    """
    base = f"Wall {facade.capitalize()}"
    along, outward, _ = _wall_axes(wall)
    objects = []
    depth = params.overhang_depth_m
    if depth > 0:
        upper_left, upper_right = wall[0], wall[3]
        overhang = (
            upper_left,
            upper_right,
            _offset(upper_right, outward, depth),
            _offset(upper_left, outward, depth),
        )
        name = f"Overhang {facade.capitalize()}"
        objects.append(_shading(name, base, _facing(overhang, (0.0, 0.0, -1.0))))
    fin = params.fin_depth_m
    if fin > 0:
        height = params.height_m
        for number, window in enumerate(windows, start=1):
            for side, foot, sign in (("left", window[1], -1.0), ("right", window[2], 1.0)):
                bottom = (foot[0], foot[1], 0.0)
                top = (foot[0], foot[1], height)
                points = (top, bottom, _offset(bottom, outward, fin), _offset(top, outward, fin))
                away = (sign * along[0], sign * along[1], 0.0)
                name = f"Fin {facade.capitalize()} {number} {side}"
                objects.append(_shading(name, base, _facing(points, away)))
    return objects


def _geometry(params: EnergyPlusParameters) -> list[str]:
    length, width, height = params.length_m, params.width_m, params.height_m
    objects = []
    walls = wall_vertices(params)
    for facade, points in walls.items():
        wall_name = f"Wall {facade.capitalize()}"
        objects.append(_surface(wall_name, "Wall", "Exterior Wall", "Outdoors", points))
        windows = window_rectangles(params, facade)
        for number, window in enumerate(windows, start=1):
            objects.append(
                idf_object(
                    "FenestrationSurface:Detailed",
                    (f"Window {facade.capitalize()} {number}", "Name"),
                    ("Window", "Surface Type"),
                    ("Window", "Construction Name"),
                    (wall_name, "Building Surface Name"),
                    ("", "Outside Boundary Condition Object"),
                    ("autocalculate", "View Factor to Ground"),
                    ("", "Frame and Divider Name"),
                    (1, "Multiplier"),
                    (4, "Number of Vertices"),
                    *_vertex_fields(window),
                )
            )
        if windows:
            objects += _shading_devices(params, facade, points, windows)
    roof = ((0, width, height), (0, 0, height), (length, 0, height), (length, width, height))
    floor = ((length, width, 0), (length, 0, 0), (0, 0, 0), (0, width, 0))
    objects.append(_surface("Roof", "Roof", "Roof", "Outdoors", roof))
    objects.append(_surface("Floor", "Floor", "Ground Floor", "Ground", floor))
    return objects


def _in_period(hour: int, start: int, end: int) -> bool:
    """Whether the clock hour ``hour`` (hour:00 to hour+1:00) lies in [start, end)."""
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end  # wraps midnight


def hourly_setpoints(params: EnergyPlusParameters) -> tuple[list[float], list[float]]:
    """(heating, cooling) setpoints for each of the 24 hours of every day."""
    heating, cooling = [], []
    for hour in range(24):
        night = params.night_setback and _in_period(
            hour, params.night_start_hour, params.night_end_hour
        )
        venting = params.night_ventilation and _in_period(
            hour, params.night_ventilation_start_hour, params.night_ventilation_end_hour
        )
        heating.append(params.night_heating_setpoint_c if night else params.heating_setpoint_c)
        if venting:
            cooling.append(COOLING_OFF_C)
        else:
            cooling.append(params.night_cooling_setpoint_c if night else params.cooling_setpoint_c)
    return heating, cooling


def until_fields(values: Sequence[float]) -> list[str]:
    """Schedule:Compact 'Until' fields for 24 hourly values, equal neighbours merged."""
    if len(values) != 24:
        raise ValueError(f"expected 24 hourly values, got {len(values)}")
    fields: list[str] = []
    for hour, value in enumerate(values, start=1):
        if hour == 24 or values[hour] != value:
            fields += [f"Until: {hour:02d}:00", _fmt(float(value))]
    return fields


def _compact_schedule(name: str, limits: str, values: Sequence[float]) -> str:
    fields = ["Through: 12/31", "For: AllDays", *until_fields(values)]
    return idf_object(
        "Schedule:Compact",
        (name, "Name"),
        (limits, "Schedule Type Limits Name"),
        *((value, "") for value in fields),
    )


def _schedule_limits() -> list[str]:
    return [
        idf_object(
            "ScheduleTypeLimits",
            ("Fraction", "Name"),
            (0.0, "Lower Limit Value"),
            (1.0, "Upper Limit Value"),
            ("Continuous", "Numeric Type"),
        ),
        idf_object(
            "ScheduleTypeLimits",
            ("Temperature", "Name"),
            (-60.0, "Lower Limit Value"),
            (200.0, "Upper Limit Value"),
            ("Continuous", "Numeric Type"),
        ),
        idf_object(
            "ScheduleTypeLimits",
            ("Control Type", "Name"),
            (0, "Lower Limit Value"),
            (4, "Upper Limit Value"),
            ("Discrete", "Numeric Type"),
        ),
        idf_object(
            "Schedule:Constant",
            ("Always On", "Name"),
            ("Fraction", "Schedule Type Limits Name"),
            (1, "Hourly Value"),
        ),
    ]


def _gains_and_air(params: EnergyPlusParameters) -> list[str]:
    objects = [
        idf_object(
            "ElectricEquipment",
            ("Internal Gains", "Name"),
            (ZONE, "Zone or ZoneList or Space or SpaceList Name"),
            ("Always On", "Schedule Name"),
            ("EquipmentLevel", "Design Level Calculation Method"),
            (params.internal_gains_w, "Design Level {W}"),
            ("", "Watts per Floor Area {W/m2}"),
            ("", "Watts per Person {W/person}"),
            (0.0, "Fraction Latent"),
            (0.6, "Fraction Radiant"),
            (0.0, "Fraction Lost"),
            ("General", "End-Use Subcategory"),
        ),
        idf_object(
            "ZoneInfiltration:DesignFlowRate",
            ("Infiltration", "Name"),
            (ZONE, "Zone or ZoneList or Space or SpaceList Name"),
            ("Always On", "Schedule Name"),
            ("AirChanges/Hour", "Design Flow Rate Calculation Method"),
            ("", "Design Flow Rate {m3/s}"),
            ("", "Flow Rate per Floor Area {m3/s-m2}"),
            ("", "Flow Rate per Exterior Surface Area {m3/s-m2}"),
            (params.infiltration_ach, "Air Changes per Hour {1/hr}"),
            (1.0, "Constant Term Coefficient"),
            (0.0, "Temperature Term Coefficient"),
            (0.0, "Velocity Term Coefficient"),
            (0.0, "Velocity Squared Term Coefficient"),
        ),
    ]
    if params.night_ventilation and params.night_ventilation_m3_h > 0:
        venting = [
            1.0
            if _in_period(
                hour, params.night_ventilation_start_hour, params.night_ventilation_end_hour
            )
            else 0.0
            for hour in range(24)
        ]
        objects += [
            _compact_schedule("Night Ventilation Hours", "Fraction", venting),
            idf_object(
                "ZoneVentilation:DesignFlowRate",
                ("Night Ventilation", "Name"),
                (ZONE, "Zone or ZoneList or Space or SpaceList Name"),
                ("Night Ventilation Hours", "Schedule Name"),
                ("Flow/Zone", "Design Flow Rate Calculation Method"),
                (params.night_ventilation_m3_h / 3600.0, "Design Flow Rate {m3/s}"),
                ("", "Flow Rate per Floor Area {m3/s-m2}"),
                ("", "Flow Rate per Person {m3/s-person}"),
                ("", "Air Changes per Hour {1/hr}"),
                ("Natural", "Ventilation Type"),
                (0.0, "Fan Pressure Rise {Pa}"),
                (1.0, "Fan Total Efficiency"),
                (1.0, "Constant Term Coefficient"),
                (0.0, "Temperature Term Coefficient"),
                (0.0, "Velocity Term Coefficient"),
                (0.0, "Velocity Squared Term Coefficient"),
            ),
        ]
    return objects


def _thermostat_and_ideal_loads(params: EnergyPlusParameters) -> list[str]:
    if params.hvac == "free_float":
        return []
    heating, cooling = hourly_setpoints(params)
    if params.hvac == "heating_and_cooling":
        control_type, control = 4, "ThermostatSetpoint:DualSetpoint"
        setpoint = idf_object(
            control,
            ("Setpoints", "Name"),
            ("Heating Setpoint", "Heating Setpoint Temperature Schedule Name"),
            ("Cooling Setpoint", "Cooling Setpoint Temperature Schedule Name"),
        )
    elif params.hvac == "heating_only":
        control_type, control = 1, "ThermostatSetpoint:SingleHeating"
        setpoint = idf_object(
            control, ("Setpoints", "Name"), ("Heating Setpoint", "Setpoint Temperature Schedule")
        )
    else:
        control_type, control = 2, "ThermostatSetpoint:SingleCooling"
        setpoint = idf_object(
            control, ("Setpoints", "Name"), ("Cooling Setpoint", "Setpoint Temperature Schedule")
        )
    schedules = []
    if params.heats:
        schedules.append(_compact_schedule("Heating Setpoint", "Temperature", heating))
    if params.cools:
        schedules.append(_compact_schedule("Cooling Setpoint", "Temperature", cooling))
    heating_limit = "LimitCapacity" if params.heating_capacity_kw > 0 else "NoLimit"
    cooling_limit = "LimitCapacity" if params.cooling_capacity_kw > 0 else "NoLimit"
    return [
        idf_object(
            "Schedule:Constant",
            ("Thermostat Control Type", "Name"),
            ("Control Type", "Schedule Type Limits Name"),
            (control_type, "Hourly Value"),
        ),
        *schedules,
        idf_object(
            "ZoneControl:Thermostat",
            ("Thermostat", "Name"),
            (ZONE, "Zone or ZoneList Name"),
            ("Thermostat Control Type", "Control Type Schedule Name"),
            (control, "Control 1 Object Type"),
            ("Setpoints", "Control 1 Name"),
        ),
        setpoint,
        idf_object(
            "ZoneHVAC:EquipmentConnections",
            (ZONE, "Zone Name"),
            ("Zone Equipment", "Zone Conditioning Equipment List Name"),
            ("Zone Supply Inlet", "Zone Air Inlet Node or NodeList Name"),
            ("", "Zone Air Exhaust Node or NodeList Name"),
            ("Zone Air Node", "Zone Air Node Name"),
            ("Zone Return Outlet", "Zone Return Air Node or NodeList Name"),
        ),
        idf_object(
            "ZoneHVAC:EquipmentList",
            ("Zone Equipment", "Name"),
            ("SequentialLoad", "Load Distribution Scheme"),
            ("ZoneHVAC:IdealLoadsAirSystem", "Zone Equipment 1 Object Type"),
            (IDEAL_LOADS, "Zone Equipment 1 Name"),
            (1, "Zone Equipment 1 Cooling Sequence"),
            (1, "Zone Equipment 1 Heating or No-Load Sequence"),
            ("", "Zone Equipment 1 Sequential Cooling Fraction Schedule Name"),
            ("", "Zone Equipment 1 Sequential Heating Fraction Schedule Name"),
        ),
        idf_object(
            "ZoneHVAC:IdealLoadsAirSystem",
            (IDEAL_LOADS, "Name"),
            ("", "Availability Schedule Name"),
            ("Zone Supply Inlet", "Zone Supply Air Node Name"),
            ("", "Zone Exhaust Air Node Name"),
            ("", "System Inlet Air Node Name"),
            (50.0, "Maximum Heating Supply Air Temperature {C}"),
            (13.0, "Minimum Cooling Supply Air Temperature {C}"),
            (0.0156, "Maximum Heating Supply Air Humidity Ratio {kgWater/kgDryAir}"),
            (0.0077, "Minimum Cooling Supply Air Humidity Ratio {kgWater/kgDryAir}"),
            (heating_limit, "Heating Limit"),
            ("", "Maximum Heating Air Flow Rate {m3/s}"),
            (params.heating_capacity_kw * 1000.0, "Maximum Sensible Heating Capacity {W}"),
            (cooling_limit, "Cooling Limit"),
            ("", "Maximum Cooling Air Flow Rate {m3/s}"),
            (params.cooling_capacity_kw * 1000.0, "Maximum Total Cooling Capacity {W}"),
            ("", "Heating Availability Schedule Name"),
            ("", "Cooling Availability Schedule Name"),
            ("None", "Dehumidification Control Type"),
            (0.7, "Cooling Sensible Heat Ratio"),
            ("None", "Humidification Control Type"),
        ),
    ]


def _simulation_setup(params: EnergyPlusParameters, inputs: ModelInputs) -> list[str]:
    location = inputs.location
    ground = inputs.ground_temperatures_c
    if len(ground) != 12:
        raise ValueError(f"expected 12 monthly ground temperatures, got {len(ground)}")
    return [
        idf_object("Version", (ENERGYPLUS_IDF_VERSION, "Version Identifier")),
        idf_object(
            "SimulationControl",
            ("No", "Do Zone Sizing Calculation"),
            ("No", "Do System Sizing Calculation"),
            ("No", "Do Plant Sizing Calculation"),
            ("No", "Run Simulation for Sizing Periods"),
            ("Yes", "Run Simulation for Weather File Run Periods"),
            ("No", "Do HVAC Sizing Simulation for Sizing Periods"),
            (1, "Maximum Number of HVAC Sizing Simulation Passes"),
        ),
        idf_object(
            "Building",
            ("Single Zone", "Name"),
            (params.orientation_deg, "North Axis {deg}"),
            (params.terrain.capitalize(), "Terrain"),
            (0.04, "Loads Convergence Tolerance Value {W}"),
            (0.4, "Temperature Convergence Tolerance Value {deltaC}"),
            ("FullInteriorAndExterior", "Solar Distribution"),
            (25, "Maximum Number of Warmup Days"),
            (6, "Minimum Number of Warmup Days"),
        ),
        idf_object("Timestep", (TIMESTEPS_PER_HOUR, "Number of Timesteps per Hour")),
        idf_object(
            "GlobalGeometryRules",
            ("UpperLeftCorner", "Starting Vertex Position"),
            ("Counterclockwise", "Vertex Entry Direction"),
            ("Relative", "Coordinate System"),
        ),
        idf_object(
            "Site:Location",
            (location.name, "Name"),
            (location.latitude, "Latitude {deg}"),
            (location.longitude, "Longitude {deg}"),
            (location.time_zone, "Time Zone {hr}"),
            (location.elevation_m, "Elevation {m}"),
        ),
        idf_object(
            "Site:GroundTemperature:BuildingSurface",
            *(
                (float(t), f"{month} Ground Temperature {{C}}")
                for t, month in zip(ground, _MONTH_NAMES, strict=True)
            ),
        ),
        idf_object(
            "RunPeriod",
            ("Annual", "Name"),
            (1, "Begin Month"),
            (1, "Begin Day of Month"),
            ("", "Begin Year"),
            (12, "End Month"),
            (31, "End Day of Month"),
            ("", "End Year"),
            # Left blank on purpose: 'UseWeatherFile' is fatal in EnergyPlus 25.2.
            ("", "Day of Week for Start Day"),
            ("Yes", "Use Weather File Holidays and Special Days"),
            ("Yes", "Use Weather File Daylight Saving Period"),
            ("No", "Apply Weekend Holiday Rule"),
            ("Yes", "Use Weather File Rain Indicators"),
            ("Yes", "Use Weather File Snow Indicators"),
        ),
        idf_object(
            "Zone",
            (ZONE, "Name"),
            (0.0, "Direction of Relative North {deg}"),
            (0.0, "X Origin {m}"),
            (0.0, "Y Origin {m}"),
            (0.0, "Z Origin {m}"),
            (1, "Type"),
            (1, "Multiplier"),
        ),
    ]


def _outputs(params: EnergyPlusParameters) -> list[str]:
    variables = [
        idf_object(
            "Output:Variable",
            (key, "Key Value"),
            (name, "Variable Name"),
            ("Hourly", "Reporting Frequency"),
        )
        for key, name in HOURLY_VARIABLES
        if key != IDEAL_LOADS or params.hvac != "free_float"
    ]
    return [
        idf_object(
            "Output:SQLite",
            ("SimpleAndTabular", "Option Type"),
            ("JtoKWH", "Unit Conversion for Tabular Data"),
        ),
        idf_object(
            "OutputControl:Table:Style",
            ("HTML", "Column Separator"),
            ("JtoKWH", "Unit Conversion"),
        ),
        idf_object("Output:Table:SummaryReports", ("AllSummary", "Report 1 Name")),
        *variables,
        idf_object(
            "OutputControl:Files",
            *(
                (value, name)
                for name, value in [
                    ("Output CSV", "No"),
                    ("Output MTR", "No"),
                    ("Output ESO", "No"),
                    ("Output EIO", "Yes"),
                    ("Output Tabular", "Yes"),
                    ("Output SQLite", "Yes"),
                    ("Output JSON", "No"),
                    ("Output AUDIT", "No"),
                    ("Output Space Sizing", "No"),
                    ("Output Zone Sizing", "No"),
                    ("Output System Sizing", "No"),
                    ("Output DXF", "No"),
                    ("Output BND", "No"),
                    ("Output RDD", "No"),
                    ("Output MDD", "No"),
                    ("Output MTD", "No"),
                    ("Output END", "Yes"),
                    ("Output SHD", "No"),
                    ("Output DFS", "No"),
                    ("Output GLHE", "No"),
                    ("Output DelightIn", "No"),
                    ("Output DelightELdmp", "No"),
                    ("Output DelightDFdmp", "No"),
                    ("Output EDD", "No"),
                    ("Output DBG", "No"),
                    ("Output PerfLog", "No"),
                    ("Output SLN", "No"),
                    ("Output SCI", "No"),
                    ("Output WRL", "No"),
                    ("Output Screen", "No"),
                    ("Output ExtShd", "No"),
                    ("Output Tarcog", "No"),
                    ("Output Plant Component Sizing", "No"),
                ]
            ),
        ),
    ]


def build_idf(params: EnergyPlusParameters, inputs: ModelInputs) -> str:
    """The complete IDF text for ``params``."""
    sections = [
        ("Simulation setup, site and run period", _simulation_setup(params, inputs)),
        ("Constructions (U-values with light or heavy mass layers)", _constructions(params)),
        ("Geometry, windows and shading", _geometry(params)),
        (
            "Schedules, internal gains, infiltration, ventilation",
            [*_schedule_limits(), *_gains_and_air(params)],
        ),
        ("Thermostat and ideal loads", _thermostat_and_ideal_loads(params)),
        ("Outputs", _outputs(params)),
    ]
    parts = [
        "! Generated by purelms-energyplus-single-zone; one thermal zone, ideal loads.\n",
    ]
    for title, objects in sections:
        if not objects:
            continue
        parts.append(f"\n! ---- {title}\n\n")
        parts.append("\n".join(objects))
    return "".join(parts)

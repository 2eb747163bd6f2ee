"""Build the EnergyPlus input (IDF) text from the parameters, with the stdlib only.

Why text built in code and no wrapper library (eppy, energyplus-wrapper, ...):
the model is one box, about forty objects; writing them directly keeps every
number an instructor might question visible in one file, keeps the dependency
set to the engine itself, and the generated IDF is kept as an artifact so it can
be opened in the IDF editor and re-run by hand.

Modelling decisions, each one a deliberate simplification a building-science
instructor would recognise:

* Geometry: one zone, six surfaces with explicit vertices (x east, y north, z
  up; upper-left corner first, counter-clockwise seen from outside). Orientation
  is the Building object's North Axis, so the geometry itself never changes.
  Each window is the facade rectangle scaled about its centre to the requested
  area, so it always fits inside its wall.
* Constructions from U-values: the layers of ASHRAE Standard 140 (BESTEST)
  cases 600 (light) and 900 (heavy) with the insulation layer replaced by a
  no-mass layer whose resistance makes the *nominal* U-value equal the
  parameter. "Nominal" uses the conventional still-air film resistances of the
  ASHRAE Handbook / Standard 90.1, the very values EnergyPlus uses for the
  "U-Factor with Film" of its envelope report, so eplustbl.htm shows the U-value
  the learner typed (a test checks this). Insulation has negligible heat
  capacity, so the thermal mass stays in the real layers.
* The floor is in contact with the ground ("Ground" boundary). Its outer face
  sees the monthly ground temperatures of the weather file's deepest reported
  depth (the damped, near annual-mean values); EnergyPlus's own default of 18 C
  all year would ignore the climate. EnergyPlus warns when these fall outside
  15-25 C: that range is its rule of thumb for the core of large conditioned
  slabs, not for a small box whose floor is mostly perimeter, so the warning is
  passed on to the learner, not suppressed. No F-factor slab (its perimeter model
  has no U-value to set) and no Kiva foundation (a 2-D ground model that needs
  massive layers and a longer run) keep the floor a single U-value.
* Windows: WindowMaterial:SimpleGlazingSystem from U-factor and SHGC, no frame.
* HVAC: ZoneHVAC:IdealLoadsAirSystem, which meets the thermostat exactly (or up
  to the optional capacity) and reports the *loads*: the quantity the validation
  cases compare, free of any equipment efficiency. Humidity control is off so the
  loads are sensible, as in the validation cases.
* Internal gains: ElectricEquipment (60 % radiant, as in the validation cases),
  so they also appear in the site energy and the end uses like plug loads do.
* Outputs: SQLite (simple and tabular, in kWh), the HTML table file, and
  monthly heating and cooling meters that sum to the annual table values.
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
    "ENERGYPLUS_IDF_VERSION",
    "ModelInputs",
    "build_idf",
    "insulation_resistance",
]

ENERGYPLUS_IDF_VERSION: Final = "25.2"

ZONE: Final = "Zone"
FACADES: Final[tuple[Facade, ...]] = ("south", "east", "north", "west")

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

_MIN_NO_MASS_RESISTANCE: Final = 0.001


@dataclass(frozen=True)
class _Layer:
    name: str
    thickness_m: float
    conductivity: float
    density: float
    specific_heat: float
    solar_absorptance: float = 0.6

    @property
    def resistance(self) -> float:
        return self.thickness_m / self.conductivity


# ASHRAE Standard 140 material properties.
_PLASTERBOARD_WALL = _Layer("Plasterboard 12mm", 0.012, 0.16, 950, 840)
_PLASTERBOARD_ROOF = _Layer("Plasterboard 10mm", 0.010, 0.16, 950, 840)
_WOOD_SIDING = _Layer("Wood siding 9mm", 0.009, 0.14, 530, 900)
_ROOF_DECK = _Layer("Roof deck 19mm", 0.019, 0.14, 530, 900)
_TIMBER_FLOOR = _Layer("Timber flooring 25mm", 0.025, 0.14, 650, 1200)
_CONCRETE_BLOCK = _Layer("Concrete block 100mm", 0.100, 0.51, 1400, 1000)
_CONCRETE_SLAB = _Layer("Concrete slab 80mm", 0.080, 1.13, 1400, 1000)

# Layers outside -> inside, with None where the insulation goes.
_ASSEMBLIES: Final[dict[str, dict[str, tuple[_Layer | None, ...]]]] = {
    "light": {
        "wall": (_WOOD_SIDING, None, _PLASTERBOARD_WALL),
        "roof": (_ROOF_DECK, None, _PLASTERBOARD_ROOF),
        "floor": (None, _TIMBER_FLOOR),
    },
    "heavy": {
        "wall": (_WOOD_SIDING, None, _CONCRETE_BLOCK),
        "roof": (_ROOF_DECK, None, _PLASTERBOARD_ROOF),
        "floor": (None, _CONCRETE_SLAB),
    },
}


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
    """Resistance (m2.K/W) of the no-mass insulation layer that yields ``u_value``."""
    inside, outside = _FILMS[surface]
    fixed = sum(layer.resistance for layer in _ASSEMBLIES[construction][surface] if layer)
    resistance = 1.0 / u_value - inside - outside - fixed
    if resistance < _MIN_NO_MASS_RESISTANCE:
        raise ValueError(
            f"{surface} U-value {u_value:g} W/(m2.K) is not reachable with the "
            f"{construction} construction (its layers and films alone give "
            f"{1.0 / (inside + outside + fixed):.2f})"
        )
    return resistance


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
        insulation = f"{names[surface]} Insulation"
        resistance = insulation_resistance(surface, u_values[surface], params.construction)
        objects.append(
            idf_object(
                "Material:NoMass",
                (insulation, "Name"),
                ("MediumRough", "Roughness"),
                (resistance, "Thermal Resistance {m2-K/W}"),
                (0.9, "Thermal Absorptance"),
                (0.6, "Solar Absorptance"),
                (0.6, "Visible Absorptance"),
            )
        )
        layer_names = []
        for layer in layers:
            if layer is None:
                layer_names.append(insulation)
            else:
                materials[layer.name] = layer
                layer_names.append(layer.name)
        objects.append(
            idf_object(
                "Construction",
                (names[surface], "Name"),
                *((name, f"Layer {i + 1}") for i, name in enumerate(layer_names)),
            )
        )
    for layer in materials.values():
        objects.append(
            idf_object(
                "Material",
                (layer.name, "Name"),
                ("Rough", "Roughness"),
                (layer.thickness_m, "Thickness {m}"),
                (layer.conductivity, "Conductivity {W/m-K}"),
                (float(layer.density), "Density {kg/m3}"),
                (float(layer.specific_heat), "Specific Heat {J/kg-K}"),
                (0.9, "Thermal Absorptance"),
                (layer.solar_absorptance, "Solar Absorptance"),
                (layer.solar_absorptance, "Visible Absorptance"),
            )
        )
    if any(params.window_area_m2(facade) > 0 for facade in FACADES):
        # only when used: an unused construction is an EnergyPlus warning
        objects.append(
            idf_object(
                "WindowMaterial:SimpleGlazingSystem",
                ("Glazing", "Name"),
                (params.window_u_w_m2k, "U-Factor {W/m2-K}"),
                (params.window_shgc, "Solar Heat Gain Coefficient"),
            )
        )
        objects.append(idf_object("Construction", ("Window", "Name"), ("Glazing", "Layer 1")))
    return objects


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


def window_vertices(wall: Sequence[Point], area: float) -> tuple[Point, ...]:
    """The wall rectangle scaled about its centre to ``area``, same vertex order."""
    centre = tuple(sum(point[axis] for point in wall) / 4 for axis in range(3))
    wall_area = math.dist(wall[0], wall[1]) * math.dist(wall[1], wall[2])
    scale = math.sqrt(area / wall_area)
    return tuple(
        (
            centre[0] + scale * (point[0] - centre[0]),
            centre[1] + scale * (point[1] - centre[1]),
            centre[2] + scale * (point[2] - centre[2]),
        )
        for point in wall
    )


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


def _geometry(params: EnergyPlusParameters) -> list[str]:
    length, width, height = params.length_m, params.width_m, params.height_m
    objects = []
    walls = wall_vertices(params)
    for facade, points in walls.items():
        wall_name = f"Wall {facade.capitalize()}"
        objects.append(_surface(wall_name, "Wall", "Exterior Wall", "Outdoors", points))
        area = params.window_area_m2(facade)
        if area > 0:
            objects.append(
                idf_object(
                    "FenestrationSurface:Detailed",
                    (f"Window {facade.capitalize()}", "Name"),
                    ("Window", "Surface Type"),
                    ("Window", "Construction Name"),
                    (wall_name, "Building Surface Name"),
                    ("", "Outside Boundary Condition Object"),
                    ("autocalculate", "View Factor to Ground"),
                    ("", "Frame and Divider Name"),
                    (1, "Multiplier"),
                    (4, "Number of Vertices"),
                    *_vertex_fields(window_vertices(points, area)),
                )
            )
    roof = ((0, width, height), (0, 0, height), (length, 0, height), (length, width, height))
    floor = ((length, width, 0), (length, 0, 0), (0, 0, 0), (0, width, 0))
    objects.append(_surface("Roof", "Roof", "Roof", "Outdoors", roof))
    objects.append(_surface("Floor", "Floor", "Ground Floor", "Ground", floor))
    return objects


def _day_schedule(day: float, night: float, params: EnergyPlusParameters) -> list[str]:
    """Schedule:Compact 'Until' fields for one day with an optional night period."""
    if not params.night_setback:
        return ["Until: 24:00", _fmt(day)]
    start, end = params.night_start_hour, params.night_end_hour
    # (hour the period ends, value) in chronological order, zero-length periods dropped
    if start > end:  # the night wraps midnight: night, day, night
        periods = [(end, night), (start, day), (24, night)]
    else:  # the night lies within one day: day, night, day
        periods = [(start, day), (end, night), (24, day)]
    fields: list[str] = []
    previous = 0
    for hour, value in periods:
        if hour > previous:
            fields += [f"Until: {hour:02d}:00", _fmt(value)]
            previous = hour
    return fields


def _compact_schedule(name: str, limits: str, day_fields: list[str]) -> str:
    values = ["Through: 12/31", "For: AllDays", *day_fields]
    return idf_object(
        "Schedule:Compact",
        (name, "Name"),
        (limits, "Schedule Type Limits Name"),
        *((value, "") for value in values),
    )


def _controls_and_loads(params: EnergyPlusParameters) -> list[str]:
    heating = _day_schedule(params.heating_setpoint_c, params.night_heating_setpoint_c, params)
    cooling = _day_schedule(params.cooling_setpoint_c, params.night_cooling_setpoint_c, params)
    heating_limit = "LimitCapacity" if params.heating_capacity_kw > 0 else "NoLimit"
    cooling_limit = "LimitCapacity" if params.cooling_capacity_kw > 0 else "NoLimit"
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
        idf_object(
            "Schedule:Constant",
            ("Dual Setpoint Control", "Name"),
            ("Control Type", "Schedule Type Limits Name"),
            (4, "Hourly Value"),
        ),
        _compact_schedule("Heating Setpoint", "Temperature", heating),
        _compact_schedule("Cooling Setpoint", "Temperature", cooling),
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
        idf_object(
            "ZoneControl:Thermostat",
            ("Thermostat", "Name"),
            (ZONE, "Zone or ZoneList Name"),
            ("Dual Setpoint Control", "Control Type Schedule Name"),
            ("ThermostatSetpoint:DualSetpoint", "Control 1 Object Type"),
            ("Dual Setpoints", "Control 1 Name"),
        ),
        idf_object(
            "ThermostatSetpoint:DualSetpoint",
            ("Dual Setpoints", "Name"),
            ("Heating Setpoint", "Heating Setpoint Temperature Schedule Name"),
            ("Cooling Setpoint", "Cooling Setpoint Temperature Schedule Name"),
        ),
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
            ("Ideal Loads", "Zone Equipment 1 Name"),
            (1, "Zone Equipment 1 Cooling Sequence"),
            (1, "Zone Equipment 1 Heating or No-Load Sequence"),
            ("", "Zone Equipment 1 Sequential Cooling Fraction Schedule Name"),
            ("", "Zone Equipment 1 Sequential Heating Fraction Schedule Name"),
        ),
        idf_object(
            "ZoneHVAC:IdealLoadsAirSystem",
            ("Ideal Loads", "Name"),
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
            ("Suburbs", "Terrain"),
            (0.04, "Loads Convergence Tolerance Value {W}"),
            (0.4, "Temperature Convergence Tolerance Value {deltaC}"),
            ("FullInteriorAndExterior", "Solar Distribution"),
            (25, "Maximum Number of Warmup Days"),
            (6, "Minimum Number of Warmup Days"),
        ),
        idf_object("Timestep", (6, "Number of Timesteps per Hour")),
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


# Meters the results are read from (the ideal loads system's heating and
# cooling energy is metered as district heating water and district cooling).
HEATING_METER: Final = "Heating:DistrictHeatingWater"
COOLING_METER: Final = "Cooling:DistrictCooling"


def _outputs() -> list[str]:
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
        idf_object("Output:Meter", (HEATING_METER, "Key Name"), ("Monthly", "Frequency")),
        idf_object("Output:Meter", (COOLING_METER, "Key Name"), ("Monthly", "Frequency")),
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
        ("Geometry", _geometry(params)),
        (
            "Schedules, internal gains, infiltration, thermostat, ideal loads",
            (_controls_and_loads(params)),
        ),
        ("Outputs", _outputs()),
    ]
    parts = [
        "! Generated by purelms-energyplus-single-zone; one thermal zone, ideal loads.\n",
    ]
    for title, objects in sections:
        parts.append(f"\n! ---- {title}\n\n")
        parts.append("\n".join(objects))
    return "".join(parts)

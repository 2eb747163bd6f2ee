"""The parameter and output models: the single source of the form and the manifest.

Defaults, and where each one comes from
---------------------------------------
Every default except the climate is ANSI/ASHRAE Standard 140 (2007/2014 editions),
Case 600, the lightweight validation box, so that a learner's first run is a
building whose loads the reference programs agree on:

* 8 m x 6 m x 2.7 m, 12 m2 of south glazing in two 3 m x 2 m windows 0.2 m above
  the floor, the Case 600 double pane of clear glass (two 3.175 mm panes, 13 mm air
  gap), no shading;
* the Case 600 layers (wood siding, fibreglass quilt, plasterboard; a roof deck; a
  timber floor on R-25 insulation), with solar absorptance 0.6 and thermal emittance
  0.9 on both faces. The U-value defaults (0.5157, 0.3194, 0.03935) are those layers
  with EnergyPlus's own film convention (see ``_idf``); the standard quotes 0.514,
  0.318 and 0.039 with its own film coefficients for the very same layers;
* 200 W of constant internal gain (60 % radiant), 0.5 air changes per hour, heating
  below 20 C and cooling above 27 C by ideal loads of unlimited capacity, terrain
  "country" (the wind profile of open flat land);
* the night setback values are Case 640's (10 C from 23:00 to 07:00) and the night
  ventilation values Case 650's (1703.16 m3/h from 18:00 to 07:00); both are off by
  default, as in Case 600;
* the "simple" glazing values (U 3.0 W/(m2.K), SHGC 0.789) are the Case 600 window's
  U-value and normal-incidence solar heat gain coefficient; they are used only when
  ``glazing`` is "simple".

Not Case 600: the climate defaults to Chicago (a bundled TMY3 file with a real
heating and a real cooling season; the standard's Denver weather file is not
bundled and is used as a custom EPW by the validation suite), and the floor's
ground boundary takes the weather file's ground temperatures (see ``_idf``).

Windows
-------
Windows are given as an *area* per facade (not a window-to-wall ratio) because that
is how the validation cases are specified (12 m2 south) and how a learner measures a
drawing. Every facade's glass is a band ``window_height_m`` high whose sill is
``window_sill_height_m`` above the floor, split into equal windows no wider than
:data:`MAX_WINDOW_WIDTH_M`, each centred in an equal bay of the facade: 12 m2 on the
8 m south facade are two 3 m x 2 m windows with 0.5 m of wall at each end and 1 m
between them, exactly Case 600; 6 m2 on the 6 m east facade is one 3 m window in its
middle, exactly Case 620. The glass may use at most :data:`MAX_GLAZED_FRACTION` of the
facade's length, so a strip of wall remains beside every window. Facade names refer
to the building at orientation 0; the orientation rotates the whole box clockwise
seen from above (EnergyPlus's building North Axis), so at 90 degrees the "south"
facade faces west.

Cross-field rules
-----------------
Rules between parameters (glass against facade, window against wall height, cooling
above heating setpoint, non-empty night periods) are field validators that read the
fields declared before them, so a violation is reported on a parameter by name,
before any engine starts. ``validate_default=True`` makes them run when the
parameter itself is left at its default, so ``length_m=4.5`` alone is refused for
the default 12 m2 of south glass instead of reaching the engine.
"""

from __future__ import annotations

import math
from typing import Final, Literal

from pydantic import ConfigDict, ValidationInfo, field_validator

from purelms_runtime import Outputs, Parameters, output, param

from ._climates import ClimateName

__all__ = [
    "MAX_GLAZED_FRACTION",
    "MAX_WINDOW_WIDTH_M",
    "MIN_DEADBAND_K",
    "EnergyPlusOutputs",
    "EnergyPlusParameters",
    "Facade",
    "Glazing",
    "HvacMode",
    "Terrain",
]

#: The largest share of a facade's length its windows may take together.
MAX_GLAZED_FRACTION: Final = 0.9
#: The widest single window; wider glass is split into equal windows (Case 600's 3 m).
MAX_WINDOW_WIDTH_M: Final = 3.0
#: The smallest gap between heating and cooling setpoints (EnergyPlus needs heating < cooling).
MIN_DEADBAND_K: Final = 1.0

Facade = Literal["south", "east", "north", "west"]
Terrain = Literal["country", "suburbs", "city"]
Glazing = Literal["clear_double", "simple"]
HvacMode = Literal["heating_and_cooling", "heating_only", "cooling_only", "free_float"]


def _window_area_check(value: float, info: ValidationInfo, facade: Facade) -> float:
    data = info.data
    span_field = "length_m" if facade in ("south", "north") else "width_m"
    if value == 0 or span_field not in data or "window_height_m" not in data:
        return value  # a failed dependency is reported on its own
    span = float(data[span_field])
    window_height = float(data["window_height_m"])
    glass_width = value / window_height
    limit = MAX_GLAZED_FRACTION * span
    if glass_width > limit + 1e-9:
        raise ValueError(
            f"window_area_{facade}_m2 = {value:g} m2 at window_height_m = {window_height:g} m "
            f"needs {glass_width:.2f} m of the {facade} facade; {span_field} = {span:g} m allows "
            f"at most {MAX_GLAZED_FRACTION:.0%} of it ({limit:.2f} m, i.e. "
            f"{limit * window_height:.2f} m2)"
        )
    return value


def _night_has_duration(value: int, info: ValidationInfo, switch: str, start: str) -> int:
    if info.data.get(switch) and value == info.data.get(start):
        raise ValueError(
            f"{start.replace('start', 'end')} = {value} equals {start} with {switch} on: "
            "the period would last zero hours"
        )
    return value


class EnergyPlusParameters(Parameters):
    """A single thermal zone (a rectangular box) with ideal heating and cooling."""

    model_config = ConfigDict(validate_default=True)

    climate: ClimateName = param(
        "chicago",
        label="Climate",
        description=(
            "A bundled TMY3 location, or 'custom' to simulate with the EPW file "
            "given as the input file with role 'weather'."
        ),
    )
    terrain: Terrain = param(
        "country",
        label="Terrain around the building",
        description=(
            "Sets the wind speed profile at the building (EnergyPlus Building Terrain): "
            "country = open flat land (ASHRAE 140), suburbs, city = dense tall buildings."
        ),
    )

    # Geometry
    length_m: float = param(
        8.0, label="Length (south and north facades)", unit="m", ge=2, le=50, step=0.1
    )
    width_m: float = param(
        6.0, label="Width (east and west facades)", unit="m", ge=2, le=50, step=0.1
    )
    height_m: float = param(2.7, label="Height", unit="m", ge=2, le=8, step=0.1)
    orientation_deg: float = param(
        0.0,
        label="Orientation (clockwise rotation)",
        unit="deg",
        ge=0,
        le=359,
        step=1,
        description="Rotates the whole box clockwise; at 90 the 'south' facade faces west.",
    )

    # Glazing
    window_sill_height_m: float = param(
        0.2, label="Window sill height above the floor", unit="m", ge=0, le=7.5, step=0.05
    )
    window_height_m: float = param(
        2.0,
        label="Window height",
        unit="m",
        ge=0.3,
        le=8,
        step=0.05,
        description="Every window's height; the sill plus this must fit below the roof.",
    )
    window_area_south_m2: float = param(
        12.0, label="Window area, south facade", unit="m2", ge=0, le=360, step=0.1
    )
    window_area_east_m2: float = param(
        0.0, label="Window area, east facade", unit="m2", ge=0, le=360, step=0.1
    )
    window_area_north_m2: float = param(
        0.0, label="Window area, north facade", unit="m2", ge=0, le=360, step=0.1
    )
    window_area_west_m2: float = param(
        0.0, label="Window area, west facade", unit="m2", ge=0, le=360, step=0.1
    )
    glazing: Glazing = param(
        "clear_double",
        label="Glazing",
        description=(
            "clear_double: the ASHRAE 140 double pane of clear glass built from its layers "
            "(two 3.175 mm panes, 13 mm of air); simple: any window given by its U-factor "
            "and solar heat gain coefficient below."
        ),
    )
    window_u_w_m2k: float = param(
        3.0,
        label="Window U-factor (simple glazing)",
        unit="W/(m2.K)",
        ge=0.5,
        le=5.8,
        step=0.01,
        description="Used when glazing is 'simple'.",
    )
    window_shgc: float = param(
        0.789,
        label="Window solar heat gain coefficient (simple glazing)",
        unit="1",
        ge=0.1,
        le=0.9,
        step=0.001,
        description="Used when glazing is 'simple'.",
    )

    # Shading
    overhang_depth_m: float = param(
        0.0,
        label="Overhang depth",
        unit="m",
        ge=0,
        le=3,
        step=0.1,
        description=(
            "A horizontal overhang at roof level along the whole of every facade that has "
            "windows (0 = none)."
        ),
    )
    fin_depth_m: float = param(
        0.0,
        label="Side fin depth",
        unit="m",
        ge=0,
        le=3,
        step=0.1,
        description="Vertical fins, full wall height, at both sides of every window (0 = none).",
    )

    # Opaque envelope
    wall_u_w_m2k: float = param(
        0.5157, label="Wall U-value", unit="W/(m2.K)", ge=0.05, le=2.0, step=0.001
    )
    roof_u_w_m2k: float = param(
        0.3194, label="Roof U-value", unit="W/(m2.K)", ge=0.05, le=2.0, step=0.001
    )
    floor_u_w_m2k: float = param(
        0.03935,
        label="Floor U-value (to the ground)",
        unit="W/(m2.K)",
        ge=0.03,
        le=2.0,
        step=0.001,
    )
    construction: Literal["light", "heavy"] = param(
        "light",
        label="Thermal mass",
        description=(
            "light: timber frame with plasterboard and a timber floor (ASHRAE 140 case 600); "
            "heavy: 100 mm concrete block walls and an 80 mm concrete slab (case 900)."
        ),
    )

    # Loads
    internal_gains_w: float = param(
        200.0, label="Internal gains (constant, sensible)", unit="W", ge=0, le=20000, step=10
    )
    infiltration_ach: float = param(0.5, label="Infiltration", unit="1/h", ge=0, le=5, step=0.05)

    # Controls
    hvac: HvacMode = param(
        "heating_and_cooling",
        label="Heating and cooling",
        description=(
            "Which ideal loads run; free_float has none, so the zone temperature floats "
            "(ASHRAE 140 cases 600FF and 900FF)."
        ),
    )
    heating_setpoint_c: float = param(
        20.0, label="Heating setpoint", unit="degC", ge=10, le=26, step=0.5
    )
    cooling_setpoint_c: float = param(
        27.0, label="Cooling setpoint", unit="degC", ge=18, le=35, step=0.5
    )
    night_setback: bool = param(False, label="Night setback")
    night_heating_setpoint_c: float = param(
        10.0, label="Night heating setpoint", unit="degC", ge=5, le=26, step=0.5
    )
    night_cooling_setpoint_c: float = param(
        27.0, label="Night cooling setpoint", unit="degC", ge=18, le=40, step=0.5
    )
    night_start_hour: int = param(23, label="Night setback starts at", unit="h", ge=0, le=23)
    night_end_hour: int = param(7, label="Night setback ends at", unit="h", ge=0, le=23)
    night_ventilation: bool = param(
        False,
        label="Night ventilation",
        description=(
            "A fan blows outdoor air through the zone during the ventilation hours (no fan "
            "heat); cooling is off while it runs (ASHRAE 140 case 650)."
        ),
    )
    night_ventilation_m3_h: float = param(
        1703.16,
        label="Night ventilation air flow",
        unit="m3/h",
        ge=0,
        le=20000,
        step=10,
        description="On top of the infiltration.",
    )
    night_ventilation_start_hour: int = param(
        18, label="Night ventilation starts at", unit="h", ge=0, le=23
    )
    night_ventilation_end_hour: int = param(
        7, label="Night ventilation ends at", unit="h", ge=0, le=23
    )
    heating_capacity_kw: float = param(
        0.0,
        label="Heating capacity (0 = unlimited)",
        unit="kW",
        ge=0,
        le=200,
        step=0.1,
        description="Caps the ideal heating; with a cap, unmet hours become meaningful.",
    )
    cooling_capacity_kw: float = param(
        0.0,
        label="Cooling capacity (0 = unlimited)",
        unit="kW",
        ge=0,
        le=200,
        step=0.1,
        description="Caps the ideal cooling; with a cap, unmet hours become meaningful.",
    )

    @field_validator("window_height_m")
    @classmethod
    def _window_fits_below_the_roof(cls, value: float, info: ValidationInfo) -> float:
        height, sill = info.data.get("height_m"), info.data.get("window_sill_height_m")
        if height is not None and sill is not None and sill + value > height + 1e-9:
            raise ValueError(
                f"window_sill_height_m + window_height_m = {sill:g} + {value:g} m is more than "
                f"height_m = {height:g} m: the windows must fit below the roof"
            )
        return value

    @field_validator("window_area_south_m2")
    @classmethod
    def _south_fits(cls, value: float, info: ValidationInfo) -> float:
        return _window_area_check(value, info, "south")

    @field_validator("window_area_east_m2")
    @classmethod
    def _east_fits(cls, value: float, info: ValidationInfo) -> float:
        return _window_area_check(value, info, "east")

    @field_validator("window_area_north_m2")
    @classmethod
    def _north_fits(cls, value: float, info: ValidationInfo) -> float:
        return _window_area_check(value, info, "north")

    @field_validator("window_area_west_m2")
    @classmethod
    def _west_fits(cls, value: float, info: ValidationInfo) -> float:
        return _window_area_check(value, info, "west")

    @field_validator("cooling_setpoint_c")
    @classmethod
    def _cooling_above_heating(cls, value: float, info: ValidationInfo) -> float:
        heating = info.data.get("heating_setpoint_c")
        if heating is not None and value < heating + MIN_DEADBAND_K:
            raise ValueError(
                f"cooling_setpoint_c = {value:g} degC must be at least {MIN_DEADBAND_K:g} K "
                f"above heating_setpoint_c = {heating:g} degC"
            )
        return value

    @field_validator("night_cooling_setpoint_c")
    @classmethod
    def _night_cooling_above_heating(cls, value: float, info: ValidationInfo) -> float:
        heating = info.data.get("night_heating_setpoint_c")
        if heating is not None and value < heating + MIN_DEADBAND_K:
            raise ValueError(
                f"night_cooling_setpoint_c = {value:g} degC must be at least "
                f"{MIN_DEADBAND_K:g} K above night_heating_setpoint_c = {heating:g} degC"
            )
        return value

    @field_validator("night_end_hour")
    @classmethod
    def _night_setback_has_duration(cls, value: int, info: ValidationInfo) -> int:
        return _night_has_duration(value, info, "night_setback", "night_start_hour")

    @field_validator("night_ventilation_end_hour")
    @classmethod
    def _night_ventilation_has_duration(cls, value: int, info: ValidationInfo) -> int:
        return _night_has_duration(value, info, "night_ventilation", "night_ventilation_start_hour")

    @property
    def floor_area_m2(self) -> float:
        return self.length_m * self.width_m

    def window_area_m2(self, facade: Facade) -> float:
        area: float = getattr(self, f"window_area_{facade}_m2")
        return area

    def window_count(self, facade: Facade) -> int:
        """How many equal windows the facade's glass is split into (0 without glass)."""
        width = self.window_area_m2(facade) / self.window_height_m
        return math.ceil(width / MAX_WINDOW_WIDTH_M - 1e-9) if width > 0 else 0

    @property
    def heats(self) -> bool:
        return self.hvac in ("heating_and_cooling", "heating_only")

    @property
    def cools(self) -> bool:
        return self.hvac in ("heating_and_cooling", "cooling_only")


class EnergyPlusOutputs(Outputs):
    """Annual results of the EnergyPlus run, read from eplusout.sql."""

    heating_kwh: float = output(
        label="Annual heating load",
        unit="kWh",
        description="Sensible heat delivered to the zone by the ideal loads over the year.",
    )
    cooling_kwh: float = output(
        label="Annual cooling load (sensible)",
        unit="kWh",
        description=(
            "Sensible heat removed from the zone by the ideal loads over the year (the "
            "quantity ASHRAE 140 compares); the latent part is latent_cooling_kwh."
        ),
    )
    latent_cooling_kwh: float = output(
        label="Annual latent cooling",
        unit="kWh",
        description=(
            "Moisture condensed out of the zone air by the ideal cooling, as heat; the "
            "metered cooling energy (end uses, site energy) is cooling_kwh plus this."
        ),
    )
    peak_heating_kw: float = output(
        label="Peak heating load",
        unit="kW",
        description="Largest hourly-integrated (hour average) sensible heating of the year.",
    )
    peak_cooling_kw: float = output(
        label="Peak cooling load (sensible)",
        unit="kW",
        description="Largest hourly-integrated (hour average) sensible cooling of the year.",
    )
    peak_heating_time: str = output(
        label="Hour of peak heating (MM-DD HH:00, end of the hour)",
        description="Empty when there is no heating.",
    )
    peak_cooling_time: str = output(
        label="Hour of peak cooling (MM-DD HH:00, end of the hour)",
        description="Empty when there is no cooling.",
    )
    zone_temperature_min_c: float = output(
        label="Lowest zone air temperature",
        unit="degC",
        description="Lowest hourly average of the zone mean air temperature.",
    )
    zone_temperature_max_c: float = output(
        label="Highest zone air temperature",
        unit="degC",
        description="Highest hourly average of the zone mean air temperature.",
    )
    zone_temperature_mean_c: float = output(
        label="Mean zone air temperature",
        unit="degC",
        description="Annual mean of the zone mean air temperature.",
    )
    site_energy_kwh: float = output(
        label="Total site energy",
        unit="kWh",
        description=(
            "Heating, cooling (sensible and latent) and the internal gains (metered as "
            "electricity)."
        ),
    )
    site_eui_kwh_m2: float = output(
        label="Site energy use intensity (SI)",
        unit="kWh/m2",
        description="Total site energy per m2 of floor area.",
    )
    site_eui_kbtu_ft2: float = output(
        label="Site energy use intensity (IP)",
        unit="kBtu/ft2",
        description="Total site energy per ft2 of floor area.",
    )
    end_uses_kwh: dict[str, float] = output(
        label="Site energy by end use",
        unit="kWh",
        description="heating and cooling always, other end uses when not zero.",
    )
    monthly_heating_kwh: list[float] = output(
        label="Monthly heating load", unit="kWh", description="January to December."
    )
    monthly_cooling_kwh: list[float] = output(
        label="Monthly cooling load (sensible)", unit="kWh", description="January to December."
    )
    unmet_heating_hours: float = output(
        label="Heating setpoint not met",
        unit="h",
        description="Hours with the zone more than 0.2 K below the heating setpoint.",
    )
    unmet_cooling_hours: float = output(
        label="Cooling setpoint not met",
        unit="h",
        description="Hours with the zone more than 0.2 K above the cooling setpoint.",
    )
    floor_area_m2: float = output(label="Conditioned floor area", unit="m2")
    weather_station: str = output(
        label="Weather file station", description="As read by EnergyPlus from the EPW."
    )
    energyplus_version: str = output(label="EnergyPlus version")
    energyplus_warnings: int = output(
        label="EnergyPlus warnings", description="Warnings in eplusout.err (see the messages)."
    )

"""The parameter and output models: the single source of the form and the manifest.

Defaults are the classic lightweight single-zone validation box (ANSI/ASHRAE
Standard 140 case 600): 8 m x 6 m x 2.7 m, 12 m2 of south glazing, 200 W of
constant internal gain, 0.5 ACH, heating below 20 C and cooling above 27 C by
ideal loads, BESTEST envelope U-values. The climate default is Chicago because
it has both a real heating and a real cooling season.

Windows are given as an *area* per facade (not a window-to-wall ratio) because
that is how the validation cases are specified (12 m2 south) and how a learner
measures a drawing; the ratio is derived and must stay at or below
:data:`MAX_GLAZED_FRACTION` of the facade so that a frame of wall remains around
the glass. Facade names refer to the building at orientation 0; the orientation
rotates the whole box clockwise seen from above (EnergyPlus's building North
Axis), so at 90 degrees the "south" facade faces west.

Cross-field rules (window area against facade area, cooling above heating
setpoint) are field validators that read the fields declared before them, so a
violation is reported on the offending parameter by name, before any engine
starts.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import ValidationInfo, field_validator

from purelms_runtime import Outputs, Parameters, output, param

from ._climates import ClimateName

__all__ = [
    "MAX_GLAZED_FRACTION",
    "MIN_DEADBAND_K",
    "EnergyPlusOutputs",
    "EnergyPlusParameters",
    "Facade",
]

#: The largest window area as a fraction of its facade's gross area.
MAX_GLAZED_FRACTION: Final = 0.9
#: The smallest gap between heating and cooling setpoints (EnergyPlus needs heating < cooling).
MIN_DEADBAND_K: Final = 1.0

Facade = Literal["south", "east", "north", "west"]


def _window_area_check(value: float, info: ValidationInfo, facade: Facade) -> float:
    data = info.data
    if "height_m" not in data:
        return value  # height itself failed validation and is reported on its own
    span_field = "length_m" if facade in ("south", "north") else "width_m"
    if span_field not in data:
        return value
    facade_area = float(data[span_field]) * float(data["height_m"])
    limit = MAX_GLAZED_FRACTION * facade_area
    if value > limit:
        raise ValueError(
            f"window_area_{facade}_m2 = {value:g} m2 exceeds {MAX_GLAZED_FRACTION:.0%} of the "
            f"{facade} facade ({span_field} x height_m = {facade_area:g} m2); "
            f"at most {limit:.2f} m2"
        )
    return value


class EnergyPlusParameters(Parameters):
    """A single thermal zone (a rectangular box) with ideal heating and cooling."""

    climate: ClimateName = param(
        "chicago",
        label="Climate",
        description=(
            "A bundled TMY3 location, or 'custom' to simulate with the EPW file "
            "given as the input file with role 'weather'."
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
    window_u_w_m2k: float = param(
        3.0, label="Window U-factor", unit="W/(m2.K)", ge=0.5, le=5.8, step=0.01
    )
    window_shgc: float = param(
        0.769, label="Window solar heat gain coefficient", unit="1", ge=0.1, le=0.9, step=0.01
    )

    # Opaque envelope
    wall_u_w_m2k: float = param(
        0.514, label="Wall U-value", unit="W/(m2.K)", ge=0.05, le=2.0, step=0.001
    )
    roof_u_w_m2k: float = param(
        0.318, label="Roof U-value", unit="W/(m2.K)", ge=0.05, le=2.0, step=0.001
    )
    floor_u_w_m2k: float = param(
        0.039,
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
    def _night_has_duration(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("night_setback") and value == info.data.get("night_start_hour"):
            raise ValueError(
                f"night_end_hour = {value} equals night_start_hour: the night setback "
                "would last zero hours"
            )
        return value

    @property
    def floor_area_m2(self) -> float:
        return self.length_m * self.width_m

    def window_area_m2(self, facade: Facade) -> float:
        area: float = getattr(self, f"window_area_{facade}_m2")
        return area


class EnergyPlusOutputs(Outputs):
    """Annual results of the EnergyPlus run, read from eplusout.sql."""

    heating_kwh: float = output(
        label="Annual heating load",
        unit="kWh",
        description="Heat delivered by the ideal loads system over the year.",
    )
    cooling_kwh: float = output(
        label="Annual cooling load",
        unit="kWh",
        description="Heat removed by the ideal loads system over the year (sensible).",
    )
    peak_heating_kw: float = output(
        label="Peak heating load",
        unit="kW",
        description="Largest 10-minute average heating rate of the year.",
    )
    peak_cooling_kw: float = output(
        label="Peak cooling load",
        unit="kW",
        description="Largest 10-minute average cooling rate of the year.",
    )
    peak_heating_time: str = output(label="Time of peak heating (MM-DD HH:MM)")
    peak_cooling_time: str = output(label="Time of peak cooling (MM-DD HH:MM)")
    site_energy_kwh: float = output(
        label="Total site energy",
        unit="kWh",
        description="Heating, cooling and the internal gains (metered as electricity).",
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
        label="Monthly cooling load", unit="kWh", description="January to December."
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

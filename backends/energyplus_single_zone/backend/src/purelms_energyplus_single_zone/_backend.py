"""The backend's one function: parameters in, EnergyPlus run, outputs out.

Order of work, and why:

1. Resolve the climate *before* anything else, so a missing or conflicting
   weather file is reported without the engine ever starting. The runtime has
   already verified every input file's sha256 and size, so a custom EPW that
   reaches this function is the file the platform meant.
2. Build the IDF, write it into ``ctx.work_dir`` (fresh for every run: parallel
   runs never share a file), run EnergyPlus there with its progress forwarded.
3. Move the artifacts into ``ctx.output_dir`` (a rename on one file system:
   the work directory is discarded anyway) and declare them; the runtime
   hashes them. On an engine failure the IDF and eplusout.err are still
   declared, so the learner can see what the engine complained about.
4. Read the outputs from eplusout.sql.

Engine warnings become warning Messages (at most :data:`MAX_WARNING_MESSAGES`,
then one summary line); an engine failure raises SimulationFailed with the
engine's severe and fatal lines as error Messages.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from purelms_runtime import Backend, InputRejected, RunContext, SimulationFailed

from ._climates import (
    CUSTOM_CLIMATE,
    SiteLocation,
    bundled_climate,
    floor_ground_temperatures,
    read_ddy_location,
    read_epw_header,
)
from ._engine import EngineRun, run_energyplus
from ._idf import ModelInputs, build_idf
from ._parameters import EnergyPlusOutputs, EnergyPlusParameters
from ._prestart import IDF_NAME, prestart_engine
from ._results import read_results

__all__ = ["MAX_WARNING_MESSAGES", "backend", "simulate"]


MAX_WARNING_MESSAGES: Final = 50

# name in the engine's directory -> (label, MIME type)
_ARTIFACTS: Final[dict[str, tuple[str, str]]] = {
    IDF_NAME: ("EnergyPlus input file generated from the parameters", "text/plain"),
    "eplusout.sql": ("EnergyPlus results database (SQLite)", "application/vnd.sqlite3"),
    "eplusout.err": ("EnergyPlus error and warning report", "text/plain"),
    "eplustbl.htm": ("EnergyPlus tabular reports", "text/html"),
}
_FAILURE_ARTIFACTS: Final = (IDF_NAME, "eplusout.err")


@dataclass(frozen=True)
class Weather:
    epw: Path
    location: SiteLocation
    ground_temperatures_c: tuple[float, ...]
    ground_source: str


def resolve_weather(params: EnergyPlusParameters, ctx: RunContext) -> Weather:
    """The EPW, site and floor ground temperatures for ``params.climate``."""
    supplied = ctx.input_file("weather")
    if params.climate == CUSTOM_CLIMATE:
        if supplied is None:
            raise InputRejected(
                "climate 'custom' needs an EPW input file with role 'weather'; none was given",
                code="INPUT.WEATHER_MISSING",
            )
        epw = supplied.path
        try:
            header = read_epw_header(epw)
            ground, source = floor_ground_temperatures(epw, header)
        except (OSError, ValueError) as exc:
            raise InputRejected(
                f"the weather file {supplied.filename!r} is not a usable EPW file: {exc}",
                code="INPUT.WEATHER_INVALID",
            ) from exc
        return Weather(epw, header.location, ground, source)
    if supplied is not None:
        raise InputRejected(
            f"an input file with role 'weather' ({supplied.filename!r}) was given but climate "
            f"is {params.climate!r}; set climate to 'custom' to simulate with that file",
            code="INPUT.WEATHER_CONFLICT",
        )
    climate = bundled_climate(params.climate)
    header = read_epw_header(climate.epw)
    ground, source = floor_ground_temperatures(climate.epw, header)
    return Weather(climate.epw, read_ddy_location(climate.ddy), ground, source)


def _publish(ctx: RunContext, engine_dir: Path, names: tuple[str, ...]) -> None:
    for name in names:
        source = engine_dir / name
        if not source.is_file():
            continue
        shutil.move(source, ctx.output_dir / name)
        label, mime_type = _ARTIFACTS[name]
        ctx.add_artifact(name, label=label, mime_type=mime_type)


def _report_warnings(ctx: RunContext, run: EngineRun) -> None:
    warnings = run.err.warnings
    for entry in warnings[:MAX_WARNING_MESSAGES]:
        ctx.warning(entry.text, code="ENERGYPLUS.WARNING")
    if len(warnings) > MAX_WARNING_MESSAGES:
        ctx.warning(
            f"{len(warnings) - MAX_WARNING_MESSAGES} further EnergyPlus warnings; "
            "see the eplusout.err artifact",
            code="ENERGYPLUS.WARNING",
        )
    for entry in run.err.severes:  # severe but not fatal: the run completed, say so loudly
        ctx.message("error", entry.text, code="ENERGYPLUS.SEVERE")


def simulate(params: EnergyPlusParameters, ctx: RunContext) -> EnergyPlusOutputs:
    """Simulate one thermal zone for a year with EnergyPlus and report its loads."""
    weather = resolve_weather(params, ctx)
    ctx.info(f"floor ground boundary: {weather.ground_source}", code="MODEL.GROUND")

    engine_dir = ctx.work_dir / "energyplus"
    engine_dir.mkdir(parents=True, exist_ok=True)
    idf = engine_dir / IDF_NAME
    idf.write_text(
        build_idf(
            params,
            ModelInputs(
                location=weather.location, ground_temperatures_c=weather.ground_temperatures_c
            ),
        ),
        encoding="utf-8",
    )
    ctx.output_dir.mkdir(parents=True, exist_ok=True)

    ctx.progress(0, "Starting EnergyPlus")
    try:
        run = run_energyplus(idf, weather.epw, engine_dir, on_progress=ctx.progress)
    except SimulationFailed:
        _publish(ctx, engine_dir, _FAILURE_ARTIFACTS)
        raise
    ctx.metric("energyplus_seconds", run.elapsed_seconds)
    _report_warnings(ctx, run)

    results = read_results(run.sql)
    _publish(ctx, engine_dir, tuple(_ARTIFACTS))
    ctx.progress(100, "Done")
    return EnergyPlusOutputs(
        heating_kwh=results.heating_kwh,
        cooling_kwh=results.cooling_kwh,
        latent_cooling_kwh=results.latent_cooling_kwh,
        peak_heating_kw=results.peak_heating_kw,
        peak_cooling_kw=results.peak_cooling_kw,
        peak_heating_time=results.peak_heating_time,
        peak_cooling_time=results.peak_cooling_time,
        zone_temperature_min_c=results.zone_temperature_min_c,
        zone_temperature_max_c=results.zone_temperature_max_c,
        zone_temperature_mean_c=results.zone_temperature_mean_c,
        site_energy_kwh=results.site_energy_kwh,
        site_eui_kwh_m2=results.site_eui_kwh_m2,
        site_eui_kbtu_ft2=results.site_eui_kbtu_ft2,
        end_uses_kwh=results.end_uses_kwh,
        monthly_heating_kwh=results.monthly_heating_kwh,
        monthly_cooling_kwh=results.monthly_cooling_kwh,
        unmet_heating_hours=results.unmet_heating_hours,
        unmet_cooling_hours=results.unmet_cooling_hours,
        floor_area_m2=round(params.floor_area_m2, 4),
        weather_station=results.weather_file,
        energyplus_version=results.energyplus_version,
        energyplus_warnings=len(run.err.warnings),
    )


backend = Backend(
    simulate,
    slug="energyplus_single_zone",
    distribution="purelms-energyplus-single-zone",
    prestart=prestart_engine,
)

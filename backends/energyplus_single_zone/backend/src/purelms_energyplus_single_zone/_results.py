"""Read the results an engineer expects from eplusout.sql with stdlib sqlite3.

Where each number comes from, and why there:

* Annual heating, cooling, site energy, EUI and end uses: the
  AnnualBuildingUtilityPerformanceSummary tables for "Entire Facility" in
  ``TabularDataWithStrings``: the same numbers EnergyPlus prints in
  eplustbl.htm, so the artifact and the outputs agree. Values are converted
  from whatever unit the table states (kWh, MJ, GJ, J) rather than assumed.
* Monthly heating and cooling: the monthly ``Heating:DistrictHeatingWater`` and
  ``Cooling:DistrictCooling`` meters (``ReportData`` joined with
  ``ReportDataDictionary`` and ``Time``, in J). These are the meters the ideal
  loads system's energy is reported on, and the annual table sums the same
  meters, so the twelve months add up to the annual value.
* Peaks and their times: the EnergyMeters report's maximum of those meters,
  i.e. the largest zone-timestep (10 minute) average demand of the year.
  (The SQL ``ReportExtendedData`` min/max of monthly meters was found to be
  unreliable in 25.2: most months hold the -1e14 sentinel.)
* Unmet hours: SystemSummary "Time Setpoint Not Met" for the Facility, the
  "During Heating" and "During Cooling" columns: hours in which the zone
  temperature was more than the reporting tolerance (0.2 K) below the heating or
  above the cooling setpoint. With unlimited ideal loads they are essentially
  zero by construction; with a capacity limit they show under-sizing. The
  "During Occupied ..." columns are not used: the model has no People object.
* EnergyPlus version: the ``Simulations`` table's version string; the weather
  file the engine actually read: the InputVerificationandResultsSummary.

The database is opened read-only with a text factory that replaces invalid
UTF-8 (EnergyPlus copies latin-1 names from weather and design-day files into it).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "AnnualResults",
    "ResultsError",
    "kwh_from",
    "read_results",
]

KWH_PER_M2_TO_KBTU_PER_FT2: Final = 3.412141633 / 10.76391042

_J_PER_KWH: Final = 3.6e6
_TO_KWH: Final[dict[str, float]] = {
    "kwh": 1.0,
    "wh": 1e-3,
    "mwh": 1e3,
    "gwh": 1e6,
    "j": 1.0 / _J_PER_KWH,
    "kj": 1e3 / _J_PER_KWH,
    "mj": 1e6 / _J_PER_KWH,
    "gj": 1e9 / _J_PER_KWH,
}

_MONTHS: Final = (
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
)

_ABUPS: Final = "AnnualBuildingUtilityPerformanceSummary"
_FACILITY: Final = "Entire Facility"


class ResultsError(RuntimeError):
    """eplusout.sql lacks a value this backend needs (a bug, not a failed simulation)."""


@dataclass(frozen=True)
class AnnualResults:
    heating_kwh: float
    cooling_kwh: float
    peak_heating_kw: float
    peak_cooling_kw: float
    peak_heating_time: str
    peak_cooling_time: str
    site_energy_kwh: float
    site_eui_kwh_m2: float
    site_eui_kbtu_ft2: float
    end_uses_kwh: dict[str, float]
    monthly_heating_kwh: list[float]
    monthly_cooling_kwh: list[float]
    unmet_heating_hours: float
    unmet_cooling_hours: float
    energyplus_version: str
    weather_file: str


def kwh_from(value: float, units: str) -> float:
    """Convert an energy ``value`` in ``units`` (optionally per m2) to kWh."""
    unit = units.strip().lower().removesuffix("/m2")
    factor = _TO_KWH.get(unit)
    if factor is None:
        raise ResultsError(f"unexpected energy unit {units!r} in eplusout.sql")
    return value * factor


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    if not path.is_file():
        raise ResultsError(f"{path} does not exist")
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
        connection.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
        yield connection


def _number(text: str, where: str) -> float:
    try:
        return float(text.strip())
    except ValueError as exc:
        raise ResultsError(f"{where}: {text!r} is not a number") from exc


def _cells(
    db: sqlite3.Connection, report: str, table: str, report_for: str = _FACILITY
) -> dict[tuple[str, str], tuple[str, str]]:
    """(row, column) -> (value, units) of one tabular report table."""
    rows = db.execute(
        "SELECT RowName, ColumnName, Value, Units FROM TabularDataWithStrings "
        "WHERE ReportName = ? AND ReportForString = ? AND TableName = ?",
        (report, report_for, table),
    ).fetchall()
    if not rows:
        raise ResultsError(f"table {report} / {table} ({report_for}) not found")
    return {(row, column): (value, units) for row, column, value, units in rows}


def _cell(
    cells: dict[tuple[str, str], tuple[str, str]], row: str, column: str, where: str
) -> tuple[str, str]:
    try:
        return cells[(row, column)]
    except KeyError:
        raise ResultsError(f"{where}: no cell {row!r} / {column!r}") from None


def _end_uses(db: sqlite3.Connection) -> dict[str, float]:
    """End use (snake_case) -> site energy summed over all fuels, in kWh."""
    totals: dict[str, float] = {}
    for (row, column), (value, units) in _cells(db, _ABUPS, "End Uses").items():
        if row in ("", "Total End Uses") or column == "Water" or not units:
            continue
        if units.strip().lower() in ("m3", "gal"):
            continue
        key = re.sub(r"[^a-z0-9]+", "_", row.lower()).strip("_")
        totals[key] = totals.get(key, 0.0) + kwh_from(_number(value, "End Uses"), units)
    kept = {key: kwh for key, kwh in totals.items() if kwh > 0 or key in ("heating", "cooling")}
    return {key: round(kwh, 3) for key, kwh in kept.items()}


def _monthly_meter(db: sqlite3.Connection, meter: str) -> list[float]:
    rows = db.execute(
        "SELECT t.Month, SUM(r.Value), d.Units FROM ReportData r "
        "JOIN ReportDataDictionary d ON r.ReportDataDictionaryIndex = d.ReportDataDictionaryIndex "
        "JOIN Time t ON r.TimeIndex = t.TimeIndex "
        "JOIN EnvironmentPeriods e ON t.EnvironmentPeriodIndex = e.EnvironmentPeriodIndex "
        "WHERE d.Name = ? AND d.ReportingFrequency = 'Monthly' AND d.IsMeter = 1 "
        "AND e.EnvironmentType = 3 "  # 3 = weather file run period
        "GROUP BY t.Month, d.Units ORDER BY t.Month",
        (meter,),
    ).fetchall()
    by_month = {int(month): kwh_from(total, units) for month, total, units in rows}
    if sorted(by_month) != list(range(1, 13)):
        raise ResultsError(f"monthly meter {meter!r}: months {sorted(by_month)} in eplusout.sql")
    return [by_month[month] for month in range(1, 13)]


def _peak(db: sqlite3.Connection, meter: str) -> tuple[float, str]:
    """(peak demand in kW, 'MM-DD HH:MM') of ``meter`` from the EnergyMeters report."""
    rows = db.execute(
        "SELECT ColumnName, Value, Units FROM TabularDataWithStrings "
        "WHERE ReportName = 'EnergyMeters' AND ReportForString = ? AND RowName = ?",
        (_FACILITY, meter),
    ).fetchall()
    peak: float | None = None
    when = ""
    for column, value, units in rows:
        if column.endswith("Maximum Value"):
            scale = {"w": 1e-3, "kw": 1.0}.get(units.strip().lower())
            if scale is None:
                raise ResultsError(f"peak of {meter!r} in unexpected unit {units!r}")
            peak = _number(value, f"peak of {meter}") * scale
        elif column.startswith("Timestamp of Maximum"):
            when = _timestamp(value)
    if peak is None:
        raise ResultsError(f"no peak for meter {meter!r} in the EnergyMeters report")
    return peak, when


def _timestamp(value: str) -> str:
    """'07-JAN-07:10' -> '01-07 07:10'; anything else (e.g. '-') is returned stripped."""
    match = re.fullmatch(r"\s*(\d{1,2})-([A-Z]{3})-(\d{1,2}):(\d{2})\s*", value)
    if not match or match.group(2) not in _MONTHS:
        return value.strip()
    month = _MONTHS.index(match.group(2)) + 1
    return f"{month:02d}-{int(match.group(1)):02d} {int(match.group(3)):02d}:{match.group(4)}"


def _version(db: sqlite3.Connection) -> str:
    row = db.execute("SELECT EnergyPlusVersion FROM Simulations LIMIT 1").fetchone()
    if row is None:
        raise ResultsError("no Simulations row in eplusout.sql")
    match = re.search(r"Version\s+([0-9][0-9A-Za-z.\-]*)", row[0])
    return match.group(1) if match else str(row[0]).strip()


def _weather_file(db: sqlite3.Connection) -> str:
    cells = _cells(db, "InputVerificationandResultsSummary", "General")
    return _cell(cells, "Weather File", "Value", "weather file")[0].strip()


def read_results(sql: Path, *, heating_meter: str, cooling_meter: str) -> AnnualResults:
    """Every output of the backend that comes from eplusout.sql."""
    with _connect(sql) as db:
        site = _cells(db, _ABUPS, "Site and Source Energy")
        total_value, total_units = _cell(site, "Total Site Energy", "Total Energy", "site energy")
        eui_value, eui_units = _cell(
            site, "Total Site Energy", "Energy Per Total Building Area", "site EUI"
        )
        site_kwh = kwh_from(_number(total_value, "site energy"), total_units)
        eui_kwh_m2 = kwh_from(_number(eui_value, "site EUI"), eui_units)

        end_uses = _end_uses(db)
        peak_heating, peak_heating_time = _peak(db, heating_meter)
        peak_cooling, peak_cooling_time = _peak(db, cooling_meter)

        unmet = _cells(db, "SystemSummary", "Time Setpoint Not Met")
        unmet_heating = _number(_cell(unmet, "Facility", "During Heating", "unmet")[0], "unmet")
        unmet_cooling = _number(_cell(unmet, "Facility", "During Cooling", "unmet")[0], "unmet")

        return AnnualResults(
            heating_kwh=end_uses.get("heating", 0.0),
            cooling_kwh=end_uses.get("cooling", 0.0),
            peak_heating_kw=round(peak_heating, 4),
            peak_cooling_kw=round(peak_cooling, 4),
            peak_heating_time=peak_heating_time,
            peak_cooling_time=peak_cooling_time,
            site_energy_kwh=round(site_kwh, 3),
            site_eui_kwh_m2=round(eui_kwh_m2, 3),
            site_eui_kbtu_ft2=round(eui_kwh_m2 * KWH_PER_M2_TO_KBTU_PER_FT2, 3),
            end_uses_kwh=end_uses,
            monthly_heating_kwh=[round(v, 3) for v in _monthly_meter(db, heating_meter)],
            monthly_cooling_kwh=[round(v, 3) for v in _monthly_meter(db, cooling_meter)],
            unmet_heating_hours=unmet_heating,
            unmet_cooling_hours=unmet_cooling,
            energyplus_version=_version(db),
            weather_file=_weather_file(db),
        )

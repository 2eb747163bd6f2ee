"""purelms-runtime: what every purelms backend runs inside its image.

A backend author writes a parameter model, an output model and one function;
:class:`Backend` does the rest under the runtime protocol (read and validate
``input.json``, stage input files, run with a timeout, write ``output.json``
exclusively, post callbacks, set the exit code). The ``purelms`` CLI runs any
backend locally exactly as the platform would.

The ``modelops_contracts`` ports for these backends (``purelms sweep``,
``purelms optimise``) need the ``sweep`` extra (Dask, pyarrow): those names
are imported on first use, so ``import purelms_runtime`` never loads them.
"""

from importlib import import_module as _import_module
from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

from ._backend import Backend
from ._context import RunContext, StagedFile
from ._errors import ContractViolation, InputRejected, SimulationFailed
from ._fields import Outputs, Parameters, output, param
from ._manifest import BackendManifest, ManifestError, manifest_drift

if TYPE_CHECKING:
    from ._bundles import WorkspaceBundles
    from ._cas import FileCAS, ResultCache
    from ._execution import EnvironmentConfig, HarnessExecutionEnvironment
    from ._optimise import ThresholdSearch, run_optimise
    from ._sweep import DaskSimulationService, dask_client, run_sweep
    from ._sweep_grid import GridError

#: Public names of the sweep extra, by defining module (imported lazily).
_LAZY = {
    "WorkspaceBundles": "._bundles",
    "FileCAS": "._cas",
    "ResultCache": "._cas",
    "EnvironmentConfig": "._execution",
    "HarnessExecutionEnvironment": "._execution",
    "ThresholdSearch": "._optimise",
    "run_optimise": "._optimise",
    "DaskSimulationService": "._sweep",
    "dask_client": "._sweep",
    "run_sweep": "._sweep",
    "GridError": "._sweep_grid",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'purelms_runtime' has no attribute {name!r}")
    return getattr(_import_module(module, __name__), name)


__version__ = _version("purelms-runtime")

__all__ = [
    "Backend",
    "BackendManifest",
    "ContractViolation",
    "DaskSimulationService",
    "EnvironmentConfig",
    "FileCAS",
    "GridError",
    "HarnessExecutionEnvironment",
    "InputRejected",
    "ManifestError",
    "Outputs",
    "Parameters",
    "ResultCache",
    "RunContext",
    "SimulationFailed",
    "StagedFile",
    "ThresholdSearch",
    "WorkspaceBundles",
    "__version__",
    "dask_client",
    "manifest_drift",
    "output",
    "param",
    "run_optimise",
    "run_sweep",
]

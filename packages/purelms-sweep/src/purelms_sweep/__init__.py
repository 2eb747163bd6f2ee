"""purelms-sweep: the modelops-contracts ports on dask.distributed for purelms backends.

``purelms sweep`` runs a grid of parameter sets in parallel and ``purelms
optimise`` searches one parameter's range for a target; both cache results in
a content-addressed store keyed by (bundle digest, param_id, seed). Each point
runs through purelms-harness exactly as ``purelms run`` would (a process, or
the backend's image).

Why the names below load lazily: the ``purelms`` command imports this package
on every start to register its subcommands (entry-point group ``purelms.cli``),
and Dask and pyarrow take about a second to import. Nothing heavy is imported
until a sweep runs or one of these names is used.
"""

from importlib import import_module as _import_module
from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._bundles import WorkspaceBundles
    from ._cas import FileCAS, ResultCache
    from ._execution import EnvironmentConfig, HarnessExecutionEnvironment
    from ._grid import GridError
    from ._optimise import ThresholdSearch, run_optimise
    from ._service import DaskSimulationService, dask_client, run_sweep

#: Public names, by defining module (imported on first use).
_LAZY = {
    "WorkspaceBundles": "._bundles",
    "FileCAS": "._cas",
    "ResultCache": "._cas",
    "EnvironmentConfig": "._execution",
    "HarnessExecutionEnvironment": "._execution",
    "GridError": "._grid",
    "ThresholdSearch": "._optimise",
    "run_optimise": "._optimise",
    "DaskSimulationService": "._service",
    "dask_client": "._service",
    "run_sweep": "._service",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'purelms_sweep' has no attribute {name!r}")
    return getattr(_import_module(module, __name__), name)


__version__ = _version("purelms-sweep")

__all__ = [
    "DaskSimulationService",
    "EnvironmentConfig",
    "FileCAS",
    "GridError",
    "HarnessExecutionEnvironment",
    "ResultCache",
    "ThresholdSearch",
    "WorkspaceBundles",
    "__version__",
    "dask_client",
    "run_optimise",
    "run_sweep",
]

"""modelops-contracts: the execution contract between calibration and simulation.

The public API is exactly what this module re-exports (``__all__``);
everything in the private ``_module`` files behind it may move without
notice. The package has no runtime dependencies (stdlib only) so that any
worker, adapter or bundle can import it.

Every value type is a frozen, slotted dataclass whose fields are deeply
immutable (mappings are read-only proxies over private copies, sequences are
tuples) and validated at construction: an object that exists satisfies the
contract. Every broken invariant raises ``ContractError`` (a ``ValueError``).

Ids are content-based and stable across processes, machines and languages:
``param_id`` and ``task_id`` are sha256 hex digests of a canonical JSON form
(``canonical_json``; rules in ``_json.py`` and README.md).
"""

from importlib.metadata import version as _version

from ._artifacts import TableArtifact
from ._errors import ContractError
from ._ids import UniqueParameterSet
from ._json import canonical_json
from ._ports import (
    CAS,
    AdaptiveAlgorithm,
    BundleRepository,
    ExecutionEnvironment,
    SimulationService,
    TaskHandle,
    WireFunction,
)
from ._results import DIAGNOSTICS_MAX_BYTES, SimReturn, TrialResult, TrialStatus
from ._task import SEED_MAX, SimTask

__version__ = _version("modelops-contracts")

__all__ = [
    "CAS",
    "DIAGNOSTICS_MAX_BYTES",
    "SEED_MAX",
    "AdaptiveAlgorithm",
    "BundleRepository",
    "ContractError",
    "ExecutionEnvironment",
    "SimReturn",
    "SimTask",
    "SimulationService",
    "TableArtifact",
    "TaskHandle",
    "TrialResult",
    "TrialStatus",
    "UniqueParameterSet",
    "WireFunction",
    "__version__",
    "canonical_json",
]

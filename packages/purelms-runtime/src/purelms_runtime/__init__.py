"""purelms-runtime: what every purelms backend runs inside its image.

A backend author writes a parameter model, an output model and one function;
:class:`Backend` does the rest under the runtime protocol (read and validate
``input.json``, stage input files, run with a timeout, write ``output.json``
exclusively, post callbacks, set the exit code). The ``purelms`` CLI runs any
backend locally exactly as the platform would.
"""

from importlib.metadata import version as _version

from ._backend import Backend
from ._context import RunContext, StagedFile
from ._errors import ContractViolation, SimulationFailed
from ._fields import Outputs, Parameters, output, param
from ._manifest import BackendManifest, ManifestError, manifest_drift

__version__ = _version("purelms-runtime")

__all__ = [
    "Backend",
    "BackendManifest",
    "ContractViolation",
    "ManifestError",
    "Outputs",
    "Parameters",
    "RunContext",
    "SimulationFailed",
    "StagedFile",
    "__version__",
    "manifest_drift",
    "output",
    "param",
]

"""purelms-runtime: what every purelms backend runs inside its image.

A backend author writes a parameter model, an output model and one function;
:class:`Backend` does the rest under the runtime protocol (read and validate
``input.json``, stage input files, run with a timeout, write ``output.json``
exclusively, post callbacks, set the exit code).

Why this package is small: it is installed in every backend image, so it
depends only on purelms-shared and pydantic (stdlib otherwise). Everything a
developer's machine needs to act as the platform (the ``purelms`` CLI, the
callback server, manifests, the container launcher) is in purelms-harness,
and sweeps on Dask are in purelms-sweep; neither is imported from here.
The protocol's environment names, file names and exit codes are public in
:mod:`purelms_runtime.protocol` for whatever starts a backend.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._backend import Backend
    from ._context import RunContext, StagedFile
    from ._errors import ContractViolation, InputRejected, SimulationFailed
    from ._fields import OpenParameters, Outputs, Parameters, output, param

# Why the names load on first use (PEP 562): a launcher imports
# ``purelms_runtime.protocol`` for the protocol's names and numbers, and a submodule's
# import runs this file first. Eager imports here made every such launcher pay for the
# whole runtime (pydantic's schema machinery, the contract's models: about 40 ms); the
# ``purelms`` harness, which forks the backend's process and lets it import the runtime
# there (``purelms_harness._zygote``), never needs it itself.
_LAZY = {
    "Backend": "._backend",
    "RunContext": "._context",
    "StagedFile": "._context",
    "ContractViolation": "._errors",
    "InputRejected": "._errors",
    "SimulationFailed": "._errors",
    "OpenParameters": "._fields",
    "Outputs": "._fields",
    "Parameters": "._fields",
    "output": "._fields",
    "param": "._fields",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # Read from the installed distribution on first use: importing
        # importlib.metadata costs tens of milliseconds, paid by every backend process at
        # start otherwise (see benchmarks/bench_backend_start.py).
        from importlib.metadata import version

        return version("purelms-runtime")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import gc
    from importlib import import_module

    # Why the cyclic garbage collector is paused while the runtime imports: this import
    # is the bulk of every backend process's start (pydantic's schema machinery, the
    # contract's models, the author's models), it allocates a few hundred thousand
    # objects and frees almost none, so each of the collector's passes (one per 700
    # allocations, promoting into ever larger generations) finds nothing; they were
    # about a sixth of the import's time (benchmarks/bench_backend_start.py). It is
    # restored exactly as found; the supervisor then freezes what the import left
    # (``run_backend``).
    collecting = gc.isenabled()
    gc.disable()
    try:
        value = getattr(import_module(module, __name__), name)
    finally:
        if collecting:
            gc.enable()
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Backend",
    "ContractViolation",
    "InputRejected",
    "OpenParameters",
    "Outputs",
    "Parameters",
    "RunContext",
    "SimulationFailed",
    "StagedFile",
    "__version__",
    "output",
    "param",
]

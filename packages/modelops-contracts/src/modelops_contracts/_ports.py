"""Ports: the interfaces the rest of the system is written against.

Why ``typing.Protocol`` and not abstract base classes: an implementation
(a Dask cluster, a local process pool, a test double) satisfies a port by
having the right methods, without importing or inheriting from this package.
That keeps adapters free to live anywhere and keeps this package at zero
dependencies in both directions. The ports are ``runtime_checkable`` so that
wiring code can assert ``isinstance(service, SimulationService)`` at startup;
that check only looks at method *names*, static type checkers check the
signatures.

Why ``SimulationService`` is generic in its handle type: each backend has its
own future-like object (a Dask future, a job id, a ``concurrent.futures``
future). The contract only needs a handle to say which task it belongs to
(``TaskHandle.task_id``); making the service generic lets an implementation
accept back exactly the handles it produced, with full static typing.

Why ``WireFunction`` speaks only plain types: it is the function that
actually runs inside a bundle's environment, often across a process or
language boundary (subprocess, RPC). Its inputs are the entrypoint string, a
plain JSON mapping of parameters (``UniqueParameterSet.to_dict()``) and the
integer seed; its output maps each output name to the Arrow IPC bytes of that
table. Wrapping those bytes into ``TableArtifact``/``SimReturn`` happens on
the caller's side, where the contract types are available.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from ._ids import UniqueParameterSet
from ._results import SimReturn, TrialResult
from ._task import SimTask

__all__ = [
    "CAS",
    "AdaptiveAlgorithm",
    "BundleRepository",
    "ExecutionEnvironment",
    "HandleT",
    "SimulationService",
    "TaskHandle",
    "WireFunction",
]


@runtime_checkable
class TaskHandle(Protocol):
    """A future-like reference to a submitted task; only its ``task_id`` is required."""

    @property
    def task_id(self) -> str:
        """``SimTask.task_id`` of the task this handle stands for."""
        ...


HandleT = TypeVar("HandleT", bound=TaskHandle)


@runtime_checkable
class SimulationService(Protocol[HandleT]):
    """Runs ``SimTask`` asynchronously: submit now, gather results later."""

    def submit(self, task: SimTask) -> HandleT:
        """Schedule ``task``; return at once with a handle for it."""
        ...

    def submit_batch(self, tasks: Sequence[SimTask]) -> list[HandleT]:
        """Schedule every task; one handle per task, in the same order."""
        ...

    def gather(self, handles: Sequence[HandleT]) -> list[SimReturn]:
        """Block until every handle is done; one result per handle, in the same order."""
        ...


@runtime_checkable
class ExecutionEnvironment(Protocol):
    """Runs one ``SimTask`` synchronously where its bundle is installed."""

    def run(self, task: SimTask) -> SimReturn:
        """Run ``task`` to completion and return its outputs."""
        ...

    def health_check(self) -> bool:
        """True when the environment can accept work."""
        ...

    def shutdown(self) -> None:
        """Release every resource; the environment is unusable afterwards."""
        ...


@runtime_checkable
class BundleRepository(Protocol):
    """Resolves a ``bundle_ref`` (``sha256:<hex>``) to code on the local disk."""

    def ensure_local(self, bundle_ref: str) -> Path:
        """Fetch the bundle if needed; return the local directory holding it."""
        ...

    def exists(self, bundle_ref: str) -> bool:
        """True when the repository knows ``bundle_ref``."""
        ...


@runtime_checkable
class CAS(Protocol):
    """Content-addressed storage keyed by lowercase hex sha256 (``TableArtifact.checksum``)."""

    def put(self, data: bytes) -> str:
        """Store ``data``; return its checksum. Storing the same bytes twice is a no-op."""
        ...

    def get(self, checksum: str) -> bytes:
        """The bytes stored under ``checksum``; raise ``KeyError`` when absent."""
        ...

    def exists(self, checksum: str) -> bool:
        """True when bytes are stored under ``checksum``."""
        ...


@runtime_checkable
class WireFunction(Protocol):
    """The plain-typed function run inside a bundle: output name -> Arrow IPC bytes.

    Called as ``fn(entrypoint, params, seed)`` with ``entrypoint`` in the
    ``module.path.Class/scenario`` grammar, ``params`` a plain JSON mapping
    and ``seed`` in ``0..2**64-1``.
    """

    def __call__(
        self, entrypoint: str, params: Mapping[str, Any], seed: int
    ) -> Mapping[str, bytes]: ...


@runtime_checkable
class AdaptiveAlgorithm(Protocol):
    """An ask/tell optimiser or sampler over parameter sets."""

    def ask(self, n: int) -> list[UniqueParameterSet]:
        """Up to ``n`` parameter sets to evaluate next (fewer, or none, is allowed)."""
        ...

    def tell(self, results: Sequence[TrialResult]) -> None:
        """Report evaluated trials, matched to asked sets by ``param_id``."""
        ...

    def finished(self) -> bool:
        """True when the algorithm wants no more evaluations."""
        ...

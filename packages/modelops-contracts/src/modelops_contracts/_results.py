"""What comes back: ``SimReturn`` from one simulation, ``TrialResult`` for one trial.

``SimReturn`` is the raw result of one ``SimTask``: its output tables by name
plus free-form JSON ``metadata`` (timings, host, versions). It carries both
``task_id`` and ``param_id`` so results can be joined to the task that made
them and grouped by parameter set (several seeds of one set) without keeping
the task around.

``TrialResult`` is what an ``AdaptiveAlgorithm`` is told about one parameter
set after it has been evaluated (usually aggregated over several
``SimReturn``): a scalar ``loss``, a ``TrialStatus`` and small ``diagnostics``.

Loss rules, and why:

* ``COMPLETED`` requires a finite real ``loss`` (stored as ``float``). A
  completed trial with a NaN or infinite loss would poison every optimiser
  that compares losses (NaN is neither smaller nor larger than anything), so
  a trial whose loss is not finite must be reported as ``FAILED``.
* ``FAILED`` and ``TIMEOUT`` accept ``loss=None`` or any float, including NaN
  and +/-inf: it is informational only (the last value seen before a
  timeout, or the non-finite value that made the trial fail) and algorithms
  must not treat it as an objective value.
* ``bool`` is never a loss.

Why diagnostics are limited to JSON and < 64 KiB (65536 bytes, measured as
the canonical UTF-8 JSON form of ``_json.py``): trial results are stored and
shipped for every trial of a calibration, often tens of thousands; anything
bigger belongs in an output table (``TableArtifact``), not in diagnostics.
Non-finite floats are not JSON and are rejected in diagnostics and metadata.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ._artifacts import TableArtifact
from ._errors import contract_error
from ._ids import check_sha256_hex
from ._json import dumps_frozen, freeze_mapping, thaw
from ._task import check_output_name

if TYPE_CHECKING:
    from ._task import SimTask

__all__ = ["DIAGNOSTICS_MAX_BYTES", "SimReturn", "TrialResult", "TrialStatus"]

DIAGNOSTICS_MAX_BYTES = 64 * 1024


class TrialStatus(StrEnum):
    """How the evaluation of one parameter set ended."""

    COMPLETED = "completed"
    FAILED = "failed"
    TIMEOUT = "timeout"


_STATUS_VALUES = frozenset(status.value for status in TrialStatus)


def _freeze_outputs(value: object, where: str) -> Mapping[str, TableArtifact]:
    if not isinstance(value, Mapping):
        raise contract_error(where, "must be a mapping of output name to TableArtifact", value)
    frozen: dict[str, TableArtifact] = {}
    for name, artifact in value.items():
        check_output_name(name, f"{where} key")
        if not isinstance(artifact, TableArtifact):
            raise contract_error(f"{where}[{name!r}]", "must be a TableArtifact", artifact)
        frozen[name] = artifact
    return MappingProxyType(frozen)


def _check_status(value: object) -> TrialStatus:
    if isinstance(value, TrialStatus):
        return value
    if isinstance(value, str) and value in _STATUS_VALUES:
        return TrialStatus(value)
    allowed = ", ".join(repr(status.value) for status in TrialStatus)
    raise contract_error("TrialResult.status", f"must be a TrialStatus or one of {allowed}", value)


def _check_loss(value: object, status: TrialStatus) -> float | None:
    where = "TrialResult.loss"
    if value is None:
        if status is TrialStatus.COMPLETED:
            raise contract_error(where, "a COMPLETED trial needs a finite loss", value)
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise contract_error(where, "must be a real number (float) or None", value)
    loss = float(value)
    if status is TrialStatus.COMPLETED and not math.isfinite(loss):
        raise contract_error(
            where, "a COMPLETED trial needs a finite loss; report FAILED instead", value
        )
    return loss


@dataclass(frozen=True, slots=True)
class TrialResult:
    """The evaluated loss of one parameter set, for an ``AdaptiveAlgorithm``."""

    param_id: str
    loss: float | None
    status: TrialStatus
    diagnostics: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, TableArtifact] | None = None

    def __post_init__(self) -> None:
        check_sha256_hex(self.param_id, "TrialResult.param_id")
        status = _check_status(self.status)
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "loss", _check_loss(self.loss, status))
        diagnostics = freeze_mapping(self.diagnostics, "TrialResult.diagnostics")
        size = len(dumps_frozen(diagnostics, "TrialResult.diagnostics"))
        if size >= DIAGNOSTICS_MAX_BYTES:
            raise contract_error(
                "TrialResult.diagnostics",
                f"must be < 64 KiB ({DIAGNOSTICS_MAX_BYTES} bytes) as canonical JSON; "
                "put large data in an output table",
                f"{size} bytes",
                described=True,
            )
        object.__setattr__(self, "diagnostics", diagnostics)
        if self.outputs is not None:
            outputs = _freeze_outputs(self.outputs, "TrialResult.outputs")
            object.__setattr__(self, "outputs", outputs)

    def __reduce__(self) -> tuple[Any, ...]:
        # MappingProxyType cannot be pickled: rebuild (and re-check) from plain data.
        outputs = None if self.outputs is None else dict(self.outputs)
        return (
            type(self),
            (self.param_id, self.loss, self.status, thaw(self.diagnostics), outputs),
        )


@dataclass(frozen=True, slots=True)
class SimReturn:
    """The output tables of one ``SimTask``, by output name, plus JSON metadata."""

    task_id: str
    param_id: str
    outputs: Mapping[str, TableArtifact]
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_sha256_hex(self.task_id, "SimReturn.task_id")
        check_sha256_hex(self.param_id, "SimReturn.param_id")
        object.__setattr__(self, "outputs", _freeze_outputs(self.outputs, "SimReturn.outputs"))
        object.__setattr__(self, "metadata", freeze_mapping(self.metadata, "SimReturn.metadata"))

    @classmethod
    def from_task(
        cls,
        task: SimTask,
        outputs: Mapping[str, TableArtifact],
        metadata: Mapping[str, Any] | None = None,
    ) -> SimReturn:
        """The result of ``task``: ids are taken from the task."""
        return cls(
            task_id=task.task_id,
            param_id=task.param_id,
            outputs=outputs,
            metadata={} if metadata is None else metadata,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            type(self),
            (self.task_id, self.param_id, dict(self.outputs), thaw(self.metadata)),
        )

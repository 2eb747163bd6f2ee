"""``SimTask``: one simulation to run, fully pinned and content-addressed.

Why the entrypoint is ``module.path.Class/scenario`` and carries no digest:
*what code* runs is pinned by exactly one field, ``bundle_ref``
(``sha256:<64 lowercase hex>``, the content address of the code bundle). An
entrypoint such as ``pkg.Model/base@sha256:...`` or ``pkg.Model:v2`` would be a
second, possibly contradicting, pin, so any ``@`` or ``:`` is rejected with an
error that says so. The grammar is deliberately small so that every language
can check it with one regular expression:

* import path: two or more ASCII Python identifiers joined by ``.``
  (``[A-Za-z_][A-Za-z0-9_]*``, not a Python keyword); the last one names the
  model class, the rest its module;
* then exactly one ``/``;
* then a scenario name of letters, digits, ``_`` and ``-``.

Why the seed is an integer in ``0..2**64-1``: that is the seed space every
common generator accepts (NumPy's ``SeedSequence``, 64-bit PCG/Philox keys),
and it round-trips through JSON as an integer. ``bool`` is an ``int`` in Python
but never a seed: ``True`` is rejected.

Why ``outputs`` is stored sorted: it names *which* tables to return, a set,
not a sequence (results come back as a mapping by name). Storing it sorted
makes ``["a", "b"]`` and ``["b", "a"]`` the same task with the same
``task_id``. Duplicates are an error rather than silently dropped (they are
almost always a typo), and an empty selection is an error: ``None`` means
"every output the model produces".

``task_id`` is the lowercase hex sha256 of the canonical JSON (see
``_json.py``) of::

    {"bundle_ref": ..., "entrypoint": ..., "outputs": [...] or null,
     "param_id": ..., "seed": ...}

so it is as stable as ``param_id``: same task, same id, in every process.
"""

from __future__ import annotations

import keyword
import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import contract_error
from ._ids import UniqueParameterSet
from ._json import canonical_json, sha256_hex

__all__ = [
    "SEED_MAX",
    "SimTask",
    "check_bundle_ref",
    "check_entrypoint",
    "check_output_name",
    "check_seed",
]

SEED_MAX = 2**64 - 1

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SCENARIO = re.compile(r"[A-Za-z0-9_-]+")
_BUNDLE_REF = re.compile(r"sha256:[0-9a-f]{64}")
_OUTPUT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")

_ENTRYPOINT_RULE = "must be 'module.path.Class/scenario'"


def check_import_path(value: object, where: str) -> str:
    """``value`` if it is ``module.path.Class`` (two or more dotted identifiers)."""
    if not isinstance(value, str):
        raise contract_error(where, "must be a str like 'module.path.Class'", value)
    parts = value.split(".")
    if len(parts) < 2:
        raise contract_error(
            where, "must have a module and a class: 'module.path.Class' (at least one '.')", value
        )
    for part in parts:
        if _IDENTIFIER.fullmatch(part) is None:
            raise contract_error(
                where,
                f"{part!r} is not an ASCII Python identifier ([A-Za-z_][A-Za-z0-9_]*)",
                value,
            )
        if keyword.iskeyword(part):
            raise contract_error(where, f"{part!r} is a Python keyword", value)
    return value


def check_scenario(value: object, where: str) -> str:
    """``value`` if it is a non-empty run of letters, digits, ``_`` and ``-``."""
    if not isinstance(value, str) or _SCENARIO.fullmatch(value) is None:
        raise contract_error(
            where, "must be a scenario name of letters, digits, '_' and '-' (non-empty)", value
        )
    return value


def _reject_digest(value: str, where: str) -> None:
    if "@" in value or ":" in value:
        raise contract_error(
            where,
            "must not carry a digest or version suffix ('@sha256:...' or ':...'); "
            "the code is pinned by bundle_ref",
            value,
        )


def check_entrypoint(value: object, where: str = "SimTask.entrypoint") -> str:
    """``value`` if it follows the entrypoint grammar, else ``ContractError``."""
    if not isinstance(value, str):
        raise contract_error(where, f"{_ENTRYPOINT_RULE} (a str)", value)
    _reject_digest(value, where)
    if value.count("/") != 1:
        raise contract_error(where, f"{_ENTRYPOINT_RULE} with exactly one '/'", value)
    import_path, scenario = value.split("/")
    check_import_path(import_path, f"{where} (import path)")
    check_scenario(scenario, f"{where} (scenario)")
    return value


def check_bundle_ref(value: object, where: str = "SimTask.bundle_ref") -> str:
    """``value`` if it is ``sha256:`` followed by 64 lowercase hex characters."""
    if not isinstance(value, str) or _BUNDLE_REF.fullmatch(value) is None:
        raise contract_error(where, "must be 'sha256:' + 64 lowercase hex characters", value)
    return value


def check_seed(value: object, where: str = "SimTask.seed") -> int:
    """``value`` as an ``int`` if it is an integer in ``0..2**64-1`` (``bool`` rejected)."""
    if isinstance(value, bool):
        raise contract_error(where, "must be an integer, not a bool", value)
    try:
        seed = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise contract_error(where, "must be an integer in 0..2**64-1", value) from None
    if not 0 <= seed <= SEED_MAX:
        raise contract_error(where, "must be in 0..2**64-1", seed)
    return seed


def check_output_name(value: object, where: str) -> str:
    """``value`` if it is an output (table) name: letters, digits, ``_``, ``-``, ``.``."""
    if not isinstance(value, str) or _OUTPUT_NAME.fullmatch(value) is None:
        raise contract_error(
            where,
            "must be an output name: letters, digits, '_', '-', '.', not starting with '-' or '.'",
            value,
        )
    return value


def _check_outputs(value: object) -> tuple[str, ...] | None:
    where = "SimTask.outputs"
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise contract_error(where, "must be None or a sequence of output names", value)
    names = [check_output_name(name, f"{where}[{i}]") for i, name in enumerate(value)]
    if not names:
        raise contract_error(where, "must be None (all outputs) or name at least one output", value)
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise contract_error(where, f"names must be unique; repeated: {duplicates}", value)
    return tuple(sorted(names))


@dataclass(frozen=True, slots=True)
class SimTask:
    """One simulation run: which code, which scenario, which parameters, which seed.

    ``outputs`` (``None`` = all outputs) is stored as a sorted tuple. Build one
    with ``SimTask(...)`` from a ``UniqueParameterSet``, or with
    ``SimTask.from_components(...)`` from plain values.
    """

    entrypoint: str
    bundle_ref: str
    params: UniqueParameterSet
    seed: int
    outputs: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        check_entrypoint(self.entrypoint)
        check_bundle_ref(self.bundle_ref)
        if not isinstance(self.params, UniqueParameterSet):
            raise contract_error(
                "SimTask.params",
                "must be a UniqueParameterSet (use UniqueParameterSet.from_dict(...) "
                "or SimTask.from_components(...))",
                self.params,
            )
        object.__setattr__(self, "seed", check_seed(self.seed))
        object.__setattr__(self, "outputs", _check_outputs(self.outputs))

    @classmethod
    def from_components(
        cls,
        *,
        import_path: str,
        scenario: str,
        bundle_ref: str,
        params: Mapping[str, Any] | UniqueParameterSet,
        seed: int,
        outputs: Sequence[str] | None = None,
    ) -> SimTask:
        """Build a task from its parts; ``params`` may be a plain mapping."""
        check_import_path(import_path, "SimTask.from_components import_path")
        check_scenario(scenario, "SimTask.from_components scenario")
        if not isinstance(params, UniqueParameterSet):
            params = UniqueParameterSet.from_dict(params)
        return cls(
            entrypoint=f"{import_path}/{scenario}",
            bundle_ref=bundle_ref,
            params=params,
            seed=seed,
            outputs=_check_outputs(outputs),
        )

    @property
    def import_path(self) -> str:
        """``module.path.Class`` part of the entrypoint."""
        return self.entrypoint.split("/", 1)[0]

    @property
    def scenario(self) -> str:
        """Scenario part of the entrypoint."""
        return self.entrypoint.split("/", 1)[1]

    @property
    def param_id(self) -> str:
        """``params.param_id``."""
        return self.params.param_id

    @property
    def task_id(self) -> str:
        """Stable content id of the whole task (see the module docstring)."""
        document = {
            "bundle_ref": self.bundle_ref,
            "entrypoint": self.entrypoint,
            "outputs": None if self.outputs is None else list(self.outputs),
            "param_id": self.params.param_id,
            "seed": self.seed,
        }
        return sha256_hex(canonical_json(document))

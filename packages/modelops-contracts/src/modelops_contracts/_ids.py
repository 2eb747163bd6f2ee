"""Content-based ids: ``UniqueParameterSet.param_id`` and the id format checks.

Why content-based: the same parameters must get the same id in every process,
on every machine and in every language, so that results computed anywhere can
be cached, deduplicated and joined by id. Nothing that varies between runs may
enter the id: not ``hash()`` (salted per process by ``PYTHONHASHSEED``), not
dict insertion order, not object identity.

The id is::

    param_id = sha256(canonical_json(params)).hexdigest()

where ``canonical_json`` is ``json.dumps(params, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False)`` encoded as
UTF-8 (details, including why ``5`` and ``5.0`` are different ids, in
``_json.py``). Example, checked by a golden test::

    {"R0": 2.5, "incubation_days": 5}
    -> b'{"R0":2.5,"incubation_days":5}'
    -> da97a170c1df6cffa1e0c1a5c1e8125dd5494a5b20d22014de55427aebb7f0b7

Why equality and hashing go through ``param_id`` only: Python's ``==`` says
``{"x": 5} == {"x": 5.0}`` and ``{"x": 1} == {"x": True}``, but those are
different ids. Two parameter sets are the same exactly when their ids are.
Changing the canonical form changes every id ever stored, so it is a breaking
change of this package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import contract_error
from ._json import dumps_frozen, freeze_mapping, sha256_hex, thaw

__all__ = ["UniqueParameterSet", "check_sha256_hex"]

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def check_sha256_hex(value: object, where: str) -> str:
    """``value`` if it is 64 lowercase hex characters, else ``ContractError``."""
    if not isinstance(value, str) or _SHA256_HEX.fullmatch(value) is None:
        raise contract_error(where, "must be a sha256 digest: 64 lowercase hex characters", value)
    return value


@dataclass(frozen=True, slots=True, eq=False)
class UniqueParameterSet:
    """A read-only set of named JSON parameters with a stable content id.

    ``params`` is deeply immutable (nested mappings are read-only proxies,
    sequences are tuples); ``param_id`` is the lowercase hex sha256 of the
    canonical JSON form of ``params`` and is computed, never passed in.
    """

    params: Mapping[str, Any]
    param_id: str = field(init=False)

    def __post_init__(self) -> None:
        frozen = freeze_mapping(self.params, "UniqueParameterSet.params")
        object.__setattr__(self, "params", frozen)
        digest = sha256_hex(dumps_frozen(frozen, "UniqueParameterSet.params"))
        object.__setattr__(self, "param_id", digest)

    @classmethod
    def from_dict(cls, params: Mapping[str, Any]) -> UniqueParameterSet:
        """Build from a plain mapping of parameter name to JSON value."""
        return cls(params=params)

    def to_dict(self) -> dict[str, Any]:
        """A plain, mutable deep copy of ``params`` (dicts and lists)."""
        result: dict[str, Any] = thaw(self.params)
        return result

    def canonical_json(self) -> bytes:
        """The exact bytes ``param_id`` is the sha256 of."""
        return dumps_frozen(self.params, "UniqueParameterSet.params")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UniqueParameterSet):
            return NotImplemented
        return self.param_id == other.param_id

    def __hash__(self) -> int:
        return hash(self.param_id)

    def __reduce__(self) -> tuple[Any, ...]:
        # MappingProxyType cannot be pickled: rebuild from plain data, which
        # also re-derives (and so re-checks) the id on the receiving side.
        return (type(self).from_dict, (self.to_dict(),))

"""Deep freezing and the canonical JSON form shared by every id in the contract.

Why freeze deeply: the dataclasses of this package are ``frozen``, but a frozen
dataclass holding a ``dict`` is only shallowly immutable; mutating the dict
after ``param_id`` was computed would silently make the id lie. So every JSON
value entering the contract is copied once into an immutable tree: mappings
become ``types.MappingProxyType`` over a private ``dict`` copy, sequences
become ``tuple``, and ``bool``/``int``/``float``/``str`` subclasses (``IntEnum``,
``numpy.float64``) become the exact builtin so that nothing with custom
behaviour survives inside a contract object.

Why this value domain: it is exactly what JSON can carry without loss and
what every language can reproduce. Rejected, with the path of the offending
value: non-``str`` mapping keys (``json`` would silently turn ``1`` into
``"1"`` and collide with a real ``"1"`` key), non-finite floats (not JSON;
``allow_nan=False``), strings that are not valid Unicode scalar sequences
(lone surrogates cannot be encoded as UTF-8), and anything else (``bytes``,
``set``, ``Decimal``, arbitrary objects).

The canonical form (``canonical_json``) is::

    json.dumps(value, sort_keys=True, separators=(",", ":"),
               ensure_ascii=False, allow_nan=False).encode("utf-8")

* ``sort_keys`` makes key order irrelevant (sorted by Python ``str`` order,
  i.e. by Unicode code point, at every nesting level).
* compact separators leave no whitespace to disagree about.
* ``ensure_ascii=False`` keeps non-ASCII text as UTF-8 instead of ``\\uXXXX``
  escapes; the bytes hashed are the UTF-8 encoding of that text. No Unicode
  normalisation is applied: NFC and NFD spellings are different parameters.
* floats are written by ``float.__repr__`` (shortest round-tripping form),
  which is deterministic for IEEE-754 doubles on every platform; ``-0.0`` is
  written as ``-0.0`` and is therefore different from ``0.0``.
* ``5`` and ``5.0`` are written as ``5`` and ``5.0``: JSON keeps the
  distinction, so the contract keeps it too and they give different ids. We
  deliberately do not normalise integral floats: a parameter declared as a
  float and one declared as an int are different inputs to a model (integer
  division, array sizes, type checks in the model code), and normalising
  would make ``param_id`` depend on a rule that other languages would have to
  re-implement exactly. Producers that want ``5`` and ``5.0`` to be the same
  parameter set must convert before building it.
* ``True`` is ``true`` and ``1`` is ``1``: different ids.
* lists and tuples are both JSON arrays: same id.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ._errors import contract_error

__all__ = [
    "canonical_json",
    "dumps_frozen",
    "freeze_json",
    "freeze_mapping",
    "sha256_hex",
    "thaw",
]


def _check_text(text: str, where: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise contract_error(where, "string is not valid Unicode (lone surrogate)", text) from None
    return str(text)


def freeze_json(value: object, where: str) -> Any:
    """An immutable deep copy of the JSON value ``value``; ``where`` names it in errors."""
    if value is None:
        return None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return _check_text(value, where)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise contract_error(where, "non-finite float is not JSON", value)
        return float(value)
    if isinstance(value, Mapping):
        return freeze_mapping(value, where)
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray, memoryview)):
        return tuple(freeze_json(item, f"{where}[{i}]") for i, item in enumerate(value))
    raise contract_error(
        where,
        f"{type(value).__name__} is not a JSON value "
        "(allowed: None, bool, int, finite float, str, list/tuple, mapping with str keys)",
        value,
    )


def freeze_mapping(value: object, where: str) -> Mapping[str, Any]:
    """A read-only deep copy of the JSON object ``value`` (str keys only)."""
    if not isinstance(value, Mapping):
        raise contract_error(where, "must be a mapping with str keys", value)
    frozen: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise contract_error(where, "mapping keys must be str (JSON object keys)", key)
        key = _check_text(key, f"{where} key")
        frozen[key] = freeze_json(item, f"{where}.{key}")
    return MappingProxyType(frozen)


def thaw(value: Any) -> Any:
    """A plain, mutable deep copy (``dict``/``list``) of a frozen JSON value."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value


def _encode_frozen(value: object) -> object:
    # json only knows dict; a MappingProxyType reaches ``default`` and is
    # encoded as the dict it wraps (still subject to sort_keys).
    if isinstance(value, MappingProxyType):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps_frozen(frozen: object, where: str) -> bytes:
    """Canonical UTF-8 JSON bytes of a tree already built by ``freeze_json``."""
    try:
        text = json.dumps(
            frozen,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
            default=_encode_frozen,
        )
    except ValueError as exc:  # e.g. an int beyond sys.get_int_max_str_digits()
        raise contract_error(where, f"cannot be written as JSON: {exc}", frozen) from None
    return text.encode("utf-8")


def canonical_json(value: object) -> bytes:
    """The canonical UTF-8 JSON bytes of ``value`` (see the module docstring).

    Accepts plain JSON values and the frozen trees this package builds. Raises
    ``ContractError`` for anything that is not JSON.
    """
    return dumps_frozen(freeze_json(value, "value"), "value")


def sha256_hex(data: bytes) -> str:
    """Lowercase hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()

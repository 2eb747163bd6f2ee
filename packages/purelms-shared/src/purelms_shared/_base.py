"""Base model and field types shared by every wire model.

Why strict beats lenient: the output envelope feeds evidence and credentials.
A lenient consumer that silently drops a field it does not know turns a newer
producer's data into evidence drift nobody notices. So every model forbids
unknown fields and is frozen (a parsed envelope is a fact, not a draft), and
scalar fields are strict: ``"5"`` is not an integer and ``1`` is not a string.
UUIDs and datetimes still parse from their JSON string forms, because JSON has
no other way to carry them, but a number is not a datetime (no Unix timestamps).

Where this is stricter than the published 0.5.1 (which validates in pydantic's lax
mode), the package README lists the rule and its reason under "Differences from
0.5.1"; the ``compat`` nox session proves that list complete against the real 0.5.1.
The two guarantees it proves: every document 0.5.1 serializes is accepted here and
re-serialized byte for byte, and every document serialized here is accepted by 0.5.1.
That is why datetimes without a UTC offset are accepted (0.5.1 writes them back as
it read them) and why ``timeout_seconds`` takes ``600.0`` as 600.

Every number must be finite. JSON has no NaN or Infinity, yet pydantic would
accept those literals and serialize them back as ``null``: a value that
changes (or stops validating) on its way through the wire is evidence drift.

Speed: a JSON object field (``parameters``, ``outputs``) is validated as ``dict[str,
Any]`` from JSON text (the reader only produces JSON values there; 0.5.1 does the same)
and as ``dict[str, JsonValue]`` from Python objects. One pass in Python then rejects
non-finite floats (see ``_floats_finite``). That pass is all these models cost over
0.5.1, and it runs once per value, about 530 instructions each on a CPython 3.11 built
without PGO (pyenv's default): ``bench_wire`` measures 1.00-1.06x 0.5.1's time on the
main job's input envelope without parameters, 1.23-1.29x with all 37. Counted with
callgrind on the input envelope of ``benchmarks/bench_wire.py`` (per document, the
validator called directly): 0.5.1 about 67,300 instructions, these models
without the rule within 1,000 of that (the file-role and whole-seconds unions add about
40 and 130, strict scalars nothing), with it about 73,200. In time the pass weighs more
than its instructions: it is the only Python run inside pydantic-core's work, and
entering the interpreter there costs cache and branch misses. With callgrind's cache and
branch simulation the envelope's estimated cycles are 1.16x 0.5.1's (1,410 first-level
instruction-cache misses per document against 1,010; 280 mispredicted indirect branches
against 190), without the rule 1.02x; in time (``bench_wire``, both through
``model_validate_json``) it measures 1.11-1.18x 0.5.1. Measured and not adopted (the
same counts): ``any`` on the JSON path (+2,500 instructions: that conversion skips
pydantic-core's string cache, so every key is a new string); a tagged union keyed by the
builtin ``type`` with finite-float, int, str, bool, null, list and object branches (no
Python at all: the input envelope's estimated cycles fall from 1.16x 0.5.1's to 1.09x,
but the output envelope's rise from 1.12x to 1.24x, because every value is converted
once for ``type`` and again by its branch, and a failure's location gains the tag,
``<class 'float'>``); the same with lists left to the Python pass (input 1.10x, output
1.20x); a smart-mode union of the same branches with a custom error (input 1.15x, output
1.24-1.36x: every branch a value misses builds an error, about 1,000 instructions); the
same branches left to right, integers first (input 1.22x, output 1.38x, the validator
called directly: a float misses one branch, an object six); variants of the pass itself
(``x - x`` for ``isfinite``, no local for the type, a helper for containers: all 0.2-2 %
more); a C-level walk (``map``, ``itertools.compress``, ``sum``: about twice the time);
``marshal.dumps`` and a byte pattern (about four times the instructions; timed on its own,
0.85x the pass with marshal version 4 and 1.35x with version 2, still 1-1.3 microseconds);
searching the JSON text itself before parsing, for ``NaN``, ``Infinity`` and exponents
of three digits (the two word searches alone take 0.24-0.30x the time of the whole
validation, with the exponent search 0.47-0.85x, a regular expression for the exponents
about 10 microseconds, more than the whole validation). A one-byte search (``memchr``,
``78 in data``) costs about 20 ns a document and would rule out the two literals, but a
number that overflows a float (``1e400``) is valid JSON with no byte of its own, so the
values must still be looked at;
``json.dumps(..., allow_nan=False)`` (it formats every float);
``cache_strings`` off or keys-only (about 3,500 instructions more per input envelope:
every string becomes a new object).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Final, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    JsonValue,
    Strict,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from ._constants import InputFileRole
from ._errors import error_path

__all__ = [
    "FileRole",
    "FiniteFloat",
    "Identifier",
    "JsonObject",
    "NonNegativeFloat",
    "NonNegativeInt",
    "PositiveInt",
    "Sha256",
    "StrictText",
    "WholeSeconds",
    "WireDatetime",
    "WireModel",
    "empty_list",
]


def empty_list() -> list[Any]:
    """The ``default_factory`` of a list field that defaults to empty.

    Not ``list`` itself: pydantic asks ``inspect.signature`` whether a default factory
    takes the validated data, and for the builtin ``list`` that parses its text
    signature with :mod:`tokenize` (about 3 ms for the first, importing tokenize and
    compiling its patterns, then 0.15 ms each), paid by every process that builds one
    of these models. A Python function answers in 0.04 ms.
    """
    return []


class WireModel(BaseModel):
    """Base of every wire model: unknown fields are an error, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **options: Any) -> Self:
        """Pydantic's ``model_validate_json``; called without options, in one step.

        The same validator, so the same verdict and the same errors. Pydantic's method
        hands its five options to the validator on every call, about 1,200 of the 76,000
        machine instructions an input envelope takes through it (callgrind); envelopes and
        callbacks are read on every run. With any option, pydantic's method runs as it is
        (so options pydantic adds later work here too).

        Not adopted: making a built model's ``model_validate_json`` the validator's own
        bound ``validate_json`` (no Python frame at all, about 4,500 instructions less).
        Its first parameter is named ``input``, so ``model_validate_json(json_data=...)``
        would stop working once the model is built. Nor a method per class reading the
        validator from a closure: pydantic's metaclass defines ``__getattr__``, so
        ``cls.__pydantic_validator__`` costs about 1,400 instructions where a closure
        variable costs about 100, yet that is 2 % of an envelope, not worth installing a
        method on every model class (and following ``model_rebuild(force=True)``).
        """
        if options:
            return super().model_validate_json(json_data, **options)
        return cls.__pydantic_validator__.validate_json(json_data)  # type: ignore[no-any-return]


StrictText = Annotated[str, Strict()]
"""A JSON string; numbers and booleans are not coerced into it."""

Sha256 = Annotated[str, Strict(), StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 digest as 64 lowercase hexadecimal characters."""

NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]
PositiveInt = Annotated[int, Strict(), Field(ge=1)]
FiniteFloat = Annotated[float, Strict(), Field(allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False)]

Identifier = Annotated[str, Strict(), Field(min_length=1, max_length=64)]
"""A backend slug or version: 1 to 64 characters."""


# --------------------------------------------------------------------------- whole seconds

_WHOLE_SECONDS_RULE: Final = "Input should be a whole number of seconds greater than 0"


def _whole_seconds_from_number(value: object) -> int:
    """``600.0`` -> ``600``: a float with no fractional part, as 0.5.1 takes it."""
    if type(value) is float and value.is_integer() and value > 0:
        return int(value)
    raise PydanticCustomError("whole_seconds", _WHOLE_SECONDS_RULE)


class _WholeSecondsSchema:
    """A JSON integer > 0, or a float with no fractional part (``600.0``), as an ``int``.

    The integer path runs in pydantic-core alone; the Python function only sees what
    is not a strict integer (a float, or something to reject). Strings and booleans
    are rejected, like every other number of the contract.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.union_schema(
            [
                core_schema.int_schema(strict=True, gt=0),
                core_schema.no_info_plain_validator_function(_whole_seconds_from_number),
            ],
            mode="left_to_right",
            custom_error_type="whole_seconds",
            custom_error_message=_WHOLE_SECONDS_RULE,
            serialization=core_schema.simple_ser_schema("int"),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # JSON Schema's "integer" includes 600.0 (a number with a zero fractional part).
        return {"type": "integer", "exclusiveMinimum": 0}


WholeSeconds = Annotated[int, _WholeSecondsSchema()]
"""Seconds as an integer > 0; ``600.0`` is taken as 600 (0.5.1 does, and this
repository's 0.6.0 wrote timeouts that way). ``600.5``, ``"600"`` and ``true`` are not."""


# --------------------------------------------------------------------------- file roles


def _unregistered_role(value: object) -> InputFileRole:
    if isinstance(value, str):  # an unregistered role itself, from Python, is one too
        return InputFileRole.of(str(value))
    raise PydanticCustomError("role_type", "Input should be a valid string")


class _FileRoleSchema:
    """Any JSON string: a known value validates (in pydantic-core) to its member."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.union_schema(
            [
                core_schema.enum_schema(InputFileRole, list(InputFileRole), sub_type="str"),
                core_schema.no_info_plain_validator_function(_unregistered_role),
            ],
            mode="left_to_right",
            custom_error_type="string_type",
            serialization=core_schema.to_string_ser_schema(),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        known = ", ".join(role.value for role in InputFileRole)
        return {
            "type": "string",
            "description": f"Any string; the known roles (InputFileRole) are {known}.",
        }


FileRole = Annotated[InputFileRole, _FileRoleSchema()]
"""The role of an input or resource file: free-form text on the wire, as in 0.5.1.
Known values parse to their :class:`InputFileRole` member, others to an unregistered
role (see :meth:`InputFileRole.of`)."""


# --------------------------------------------------------------------------- datetimes

_DATE_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")


def _datetime_text_only(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE_PREFIX.match(value)):
        return value
    raise PydanticCustomError(
        "datetime_string",
        "Input should be an ISO 8601 date-time string, not a timestamp",
    )


WireDatetime = Annotated[datetime, BeforeValidator(_datetime_text_only)]
"""A datetime carried in JSON as an ISO 8601 / RFC 3339 string.

With a UTC offset or without one: 0.5.1 accepts a datetime without an offset and
writes it back without one, so rejecting it would reject evidence 0.5.1 wrote. It is
kept exactly as written (never assumed to be UTC); producers in this repository write
timezone-aware datetimes."""


# --------------------------------------------------------------------------- JSON objects


_isfinite: Final = math.isfinite


def _floats_finite(container: dict[str, Any] | list[Any]) -> bool:
    """True when no NaN or infinity hides inside ``container`` (a dict or a list).

    A float is tested with one C call (``isfinite``, cheaper than the ``x - x``
    arithmetic once the result's allocation counts). A nested container of plain
    numbers (a series, a table row) is checked with one C-level ``sum`` (NaN and
    infinities survive a sum); one holding anything else, or whose sum overflows, is
    walked item by item.
    """
    items: Iterable[Any] = container.values() if type(container) is dict else container
    for item in items:
        kind = type(item)
        if kind is float:
            if not _isfinite(item):
                return False
        elif kind is list or kind is dict:
            try:
                if _isfinite(sum(item.values() if kind is dict else item)):
                    continue
            except (TypeError, OverflowError):
                pass
            if not _floats_finite(item):
                return False
    return True


def _non_finite_at(value: JsonValue) -> tuple[int | str, ...]:
    """Where the first NaN or infinity inside ``value`` is, as an error ``loc``."""
    stack: list[tuple[tuple[int | str, ...], JsonValue]] = [((), value)]
    while stack:
        loc, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return loc
        if isinstance(item, dict):
            stack.extend(((*loc, key), child) for key, child in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend(((*loc, index), child) for index, child in reversed(list(enumerate(item))))
    return ()


def _finite_numbers_only(value: dict[str, Any]) -> dict[str, Any]:
    # The top level of _floats_finite, inlined: this runs on every envelope, so each
    # bytecode counts (about 500 machine instructions per value; see the module docstring).
    for item in value.values():
        kind = type(item)
        if kind is float:
            if not _isfinite(item):
                break
        elif kind is dict:
            try:
                if _isfinite(sum(item.values())):
                    continue
            except (TypeError, OverflowError):
                pass
            if not _floats_finite(item):
                break
        elif kind is list:
            try:
                if _isfinite(sum(item)):
                    continue
            except (TypeError, OverflowError):
                pass
            if not _floats_finite(item):
                break
    else:
        return value
    raise PydanticCustomError(
        "finite_number",
        "Numbers must be finite (JSON has no NaN or Infinity); {where} is not",
        {"where": error_path(_non_finite_at(value))},
    )


class _JsonObjectSchema:
    """``dict[str, Any]`` from JSON text, ``dict[str, JsonValue]`` from Python objects.

    From JSON text the reader can only produce JSON values, so the values need no
    validation (``JsonValue`` would only add a reference hop per value); from Python
    objects they must be JSON values. The JSON Schema is ``JsonValue``'s either way.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        self._python = handler.generate_schema(dict[str, JsonValue])
        return core_schema.json_or_python_schema(
            json_schema=handler.generate_schema(dict[str, Any]), python_schema=self._python
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(self._python)


JsonObject = Annotated[
    dict[str, JsonValue], _JsonObjectSchema(), AfterValidator(_finite_numbers_only)
]
"""A JSON object of arbitrary JSON values (parameters, outputs); numbers must be finite."""

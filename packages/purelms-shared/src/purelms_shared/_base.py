"""Base model and field types shared by every wire model.

Why strict beats lenient: the output envelope feeds evidence and credentials.
A lenient consumer that silently drops a field it does not know turns a newer
producer's data into evidence drift nobody notices. So every model forbids
unknown fields and is frozen (a parsed envelope is a fact, not a draft), and
scalar fields are strict: ``"5"`` is not an integer and ``1`` is not a string.
UUIDs and datetimes still parse from their JSON string forms, because JSON has
no other way to carry them, but a number is not a datetime (no Unix timestamps).

Every number must be finite. JSON has no NaN or Infinity, yet pydantic would
accept those literals and serialize them back as ``null``: a value that
changes (or stops validating) on its way through the wire is evidence drift.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    Strict,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from ._errors import error_path

__all__ = [
    "FiniteFloat",
    "Identifier",
    "JsonObject",
    "NonNegativeFloat",
    "NonNegativeInt",
    "PositiveInt",
    "Sha256",
    "StrictText",
    "WireDatetime",
    "WireModel",
]


class WireModel(BaseModel):
    """Base of every wire model: unknown fields are an error, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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


_DATE_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")


def _datetime_text_only(value: object) -> object:
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE_PREFIX.match(value)):
        return value
    raise PydanticCustomError(
        "datetime_string",
        "Input should be an ISO 8601 date-time string with a UTC offset, not a timestamp",
    )


WireDatetime = Annotated[AwareDatetime, BeforeValidator(_datetime_text_only)]
"""A timezone-aware datetime, carried in JSON as an ISO 8601 / RFC 3339 string."""


def _all_finite(value: JsonValue) -> bool:
    """True when no NaN or infinity hides inside ``value`` (the cheap, common path)."""
    stack: list[JsonValue] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
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


def _finite_numbers_only(value: dict[str, JsonValue]) -> dict[str, JsonValue]:
    if not _all_finite(value):
        raise PydanticCustomError(
            "finite_number",
            "Numbers must be finite (JSON has no NaN or Infinity); {where} is not",
            {"where": error_path(_non_finite_at(value))},
        )
    return value


JsonObject = Annotated[dict[str, JsonValue], AfterValidator(_finite_numbers_only)]
"""A JSON object of arbitrary JSON values (parameters, outputs); numbers must be finite."""

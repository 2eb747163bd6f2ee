"""Base model and field types shared by every wire model.

Why strict beats lenient: the output envelope feeds evidence and credentials.
A lenient consumer that silently drops a field it does not know turns a newer
producer's data into evidence drift nobody notices. So every model forbids
unknown fields and is frozen (a parsed envelope is a fact, not a draft), and
scalar fields are strict: ``"5"`` is not an integer and ``1`` is not a string.
UUIDs and datetimes still parse from their JSON string forms, because JSON has
no other way to carry them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

__all__ = [
    "Identifier",
    "NonNegativeFloat",
    "NonNegativeInt",
    "PositiveInt",
    "Sha256",
    "StrictText",
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
NonNegativeFloat = Annotated[float, Strict(), Field(ge=0)]

Identifier = Annotated[str, Strict(), Field(min_length=1, max_length=64)]
"""A backend slug or version: 1 to 64 characters."""

"""Callback bodies a backend POSTs while and after it runs.

Whether a callback is final is told by the URL it is POSTed to
(``.../progress`` or ``.../complete``), never by a flag in the body, so a body
cannot contradict its endpoint. Callback bodies carry no ``schema_version``:
they are versioned with the input envelope that handed out the URLs.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict

from ._base import NonNegativeFloat, NonNegativeInt, PositiveInt, Sha256, StrictText, WireModel

__all__ = ["CompleteCallback", "ProgressCallback"]


class ProgressCallback(WireModel):
    progress_pct: Annotated[int, Strict(), Field(ge=0, le=100)]
    step: StrictText = ""
    elapsed_seconds: NonNegativeFloat | None = None


class CompleteCallback(WireModel):
    """Sent once ``output.json`` is on disk; tells the platform where and what it is.

    The three ``output_*`` fields pin the exact object written; they default to null
    because legacy senders omit them (as 0.5.1 allows).
    """

    output_envelope_uri: StrictText
    exit_code: Annotated[int, Strict()]
    output_sha256: Sha256 | None = None
    output_size_bytes: NonNegativeInt | None = None
    output_generation: PositiveInt | None = None

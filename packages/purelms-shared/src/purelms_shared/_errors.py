"""Render validation errors so that a person can act on them.

One line per problem, ``path.to.field: rule broken (got X)``. The path uses
dots between fields and ``[i]`` for list items, the same path the fixture
corpus records for every invalid document.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError
from pydantic_core import ErrorDetails

__all__ = ["error_lines", "error_path", "format_validation_error"]

_MAX_GOT_CHARS = 60


def error_path(loc: Sequence[int | str]) -> str:
    """``("input_files", 0, "sha256")`` -> ``input_files[0].sha256``; empty -> ``<document>``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "<document>"


def _got(error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return "missing"
    shown = repr(error.get("input"))
    if len(shown) > _MAX_GOT_CHARS:
        shown = shown[: _MAX_GOT_CHARS - 3] + "..."
    return f"got {shown}"


def error_lines(exc: ValidationError) -> list[str]:
    """One ``path: rule (got X)`` line per problem in ``exc``."""
    lines = []
    for error in exc.errors(include_url=False):
        rule = error["msg"]
        rule = rule[0].lower() + rule[1:] if rule else rule
        if error["type"] == "missing":
            lines.append(f"{error_path(error['loc'])}: field required (missing)")
        else:
            lines.append(f"{error_path(error['loc'])}: {rule} ({_got(error)})")
    return lines


def format_validation_error(exc: ValidationError) -> str:
    """All problems of ``exc``, one per line, without pydantic's headers and URLs."""
    return "\n".join(error_lines(exc))

"""Render validation errors so that a person (and a log reader) can act on them.

One line per problem, ``path.to.field: rule broken (got X)``, and exactly one:

* Every character that could break or disguise a line (newlines, tabs, other
  control and format characters, line and paragraph separators) is shown
  escaped, as Python escapes it (``\\n``, ``\\x85``, ``\\u2028``), in the path,
  the rule and the value alike, so no value can split a problem over two lines.
* Nothing wraps: callers print the lines as they are (``purelms validate``
  writes them to stderr as plain text, without a terminal-width layout).

The path uses dots between fields and ``[i]`` for list items, the same path the
fixture corpus records for every invalid document. A map key that is not a plain
name (empty, with a dot, a space, a quote...) is shown quoted in brackets, so it
cannot be mistaken for nesting: ``parameters[""]``, ``metrics["a.b"]``,
``[""]`` for an empty key at the top level. The document itself is ``<document>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

__all__ = ["error_lines", "error_path", "format_validation_error"]

_MAX_GOT_CHARS: Final = 60
_PLAIN_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _one_line(text: str) -> str:
    """``text`` with every non-printable character escaped (no line can break)."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def error_path(loc: Sequence[int | str]) -> str:
    """``("input_files", 0, "sha256")`` -> ``input_files[0].sha256``; empty -> ``<document>``.

    A key that is not a plain name is quoted in brackets: ``("parameters", "")`` ->
    ``parameters[""]``, ``("metrics", "a.b")`` -> ``metrics["a.b"]``.
    """
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _PLAIN_NAME.fullmatch(part):
            path += f".{part}" if path else part
        else:
            path += f"[{json.dumps(part, ensure_ascii=False)}]"
    return _one_line(path) if path else "<document>"


def _got(error: ErrorDetails) -> str:
    shown = repr(error.get("input"))
    if len(shown) > _MAX_GOT_CHARS:
        shown = shown[: _MAX_GOT_CHARS - 3] + "..."
    return f"got {shown}"


def error_lines(exc: ValidationError) -> list[str]:
    """One ``path: rule (got X)`` line per problem in ``exc``, none containing a line break."""
    lines = []
    for error in exc.errors(include_url=False):
        path = error_path(error["loc"])
        if error["type"] == "missing":
            lines.append(f"{path}: field required (missing)")
            continue
        rule = error["msg"]
        if error["type"] == "value_error":
            # A validator's own sentence, without pydantic's "Value error, " in front (it
            # reads as developer noise to a learner); its first letter is the author's.
            rule = rule.removeprefix("Value error, ")
        elif rule:
            rule = rule[0].lower() + rule[1:]
        lines.append(_one_line(f"{path}: {rule} ({_got(error)})"))
    return lines


def format_validation_error(exc: ValidationError) -> str:
    """All problems of ``exc``, one per line, without pydantic's headers and URLs."""
    return "\n".join(error_lines(exc))

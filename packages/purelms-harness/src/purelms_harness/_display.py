"""Terminal output for people: numbers, units, series and lines that fit the terminal.

The results of a run are read by students, so the terminal speaks their language and
never the serializer's:

* **Numbers** (:func:`format_number`): thousands separated (``5,070``), about four
  significant digits below a thousand (``189.7``, ``3.802``, ``0.514``), whole numbers from
  a thousand up, and no scientific notation for everyday magnitudes (``10,930``, never
  ``1.093e+04``); only magnitudes below 0.0001 or from 10^15 up keep an exponent.
* **Units** (:func:`display_unit`): manifests and models spell units in ASCII (``m2``,
  ``W/(m2.K)``, ``degC``) so every consumer can read them; a terminal whose encoding is
  UTF-8 shows ``m²``, ``W/(m²·K)``, ``°C``, any other terminal the ASCII spelling.
* **Series** (:func:`value_lines`): a monthly series (an output of 12 numbers whose name
  or label speaks of months) is shown with month names, three months a line, numbers
  aligned; other lists are separated by `` · `` (``; `` in ASCII), never by a comma that a
  thousands separator would make ambiguous; a mapping is one ``key value`` line each.
* **Lines** (:func:`wrap`): text is wrapped by words at the terminal's width, and a
  number stays on the line of the word after it (``4 m``, ``12 m²``), as does a name with
  its ``[unit]``; a word longer than the line is put on a line of its own, never cut.

The functions are pure (they take the width and whether UTF-8 is available); the CLI
asks rich's console for both (rich honours ``COLUMNS``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "MONTHS",
    "display_unit",
    "format_number",
    "is_monthly",
    "together",
    "utf8",
    "value_lines",
    "wrap",
]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_GLUE = "\x1f"
"""Joins two words that must stay on one line; turned back into a space after wrapping."""

_SQUARED = re.compile(r"\b(m|ft|cm|mm|km|in)([23])\b")
_PRODUCT = re.compile(r"(?<=[A-Za-z²³)])\.(?=[A-Za-z(])")
_NUMBER_THEN_WORD = re.compile(r"(?<=\d) (?=[^\s\d·;,])")


def utf8(encoding: str | None) -> bool:
    """True when text in ``encoding`` can carry ``²``, ``°`` and ``·``."""
    return (encoding or "").lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")


def display_unit(unit: str, unicode: bool) -> str:
    """``W/(m2.K)`` as ``W/(m²·K)``, ``degC`` as ``°C`` (``unicode``); else as it is."""
    if not unicode or not unit:
        return unit
    text = unit.replace("degC", "°C").replace("degF", "°F")
    if text == "deg":
        return "°"
    text = _SQUARED.sub(lambda m: m[1] + {"2": "²", "3": "³"}[m[2]], text)
    return _PRODUCT.sub("·", text)


def format_number(value: Any) -> str:
    """A number as people write it (see the module docstring); other values as text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude >= 1e15 or magnitude < 1e-4:
        return f"{value:.3g}"
    if magnitude >= 1000:
        return f"{value:,.0f}"
    decimals = max(0, 3 - math.floor(math.log10(magnitude)))
    rounded = round(value, decimals)
    if abs(rounded) >= 1000:
        return f"{rounded:,.0f}"
    text = f"{rounded:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def is_monthly(name: str, label: str, value: Any) -> bool:
    """12 numbers under a name or label that speaks of months."""
    return (
        isinstance(value, list)
        and len(value) == 12
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        and any("month" in text.lower() for text in (name, label))
    )


def _common_precision(values: Sequence[float]) -> list[str]:
    """``values`` with the decimals the largest of them needs for four significant digits."""
    largest = max((abs(v) for v in values), default=0.0)
    if largest == 0 or largest >= 1e15 or largest < 1e-4:
        return [format_number(v) for v in values]
    decimals = max(0, 3 - math.floor(math.log10(largest)))
    return [f"{v:,.{decimals}f}" for v in values]


def _months(values: Sequence[float], per_line: int = 3) -> list[str]:
    numbers = _common_precision(values)
    width = max(len(n) for n in numbers)
    cells = [f"{month} {number:>{width}}" for month, number in zip(MONTHS, numbers, strict=True)]
    return ["  ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]


def value_lines(
    value: Any, *, name: str = "", label: str = "", width: int = 40, unicode: bool = True
) -> list[str]:
    """``value`` as lines of at most ``width`` characters (a longer word stays whole)."""
    if is_monthly(name, label, value):
        return _months(value)
    if isinstance(value, Mapping):
        if not value:
            return ["-"]
        keys = [str(key) for key in value]
        texts = [format_number(item) for item in value.values()]
        pad, numbers = max(len(key) for key in keys), max(len(text) for text in texts)
        numeric = all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()
        )
        align = ">" if numeric else "<"
        return [
            f"{key:<{pad}}  {text:{align}{numbers}}".rstrip()
            for key, text in zip(keys, texts, strict=True)
        ]
    if isinstance(value, list):
        if not value:
            return ["-"]
        separator = " · " if unicode else "; "
        text = separator.join(format_number(item) for item in value)
        return wrap(text, width, indent="")
    if value is None:
        return ["-"]
    return wrap(format_number(value), width, indent="")


def glue(text: str) -> str:
    """``text`` with each number joined to the word after it (see :func:`wrap`)."""
    return _NUMBER_THEN_WORD.sub(_GLUE, text)


def together(text: str) -> str:
    """``text`` as one unbreakable word for :func:`wrap` (``length_m [m]``)."""
    return text.replace(" ", _GLUE)


def wrap(text: str, width: int, *, indent: str = "  ", first: str = "") -> list[str]:
    """``text`` wrapped by words into lines of at most ``width`` characters.

    ``first`` starts the first line, ``indent`` every further one. A number stays with the
    word after it; a run of words joined by :data:`_GLUE` (``glue``) stays together; a word
    longer than a line gets a line of its own, whole.
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        words = [word for word in glue(paragraph).split(" ") if word]
        current = first if not lines else indent
        start = len(current)
        for word in words:
            if len(current) > start and len(current) + 1 + len(word) > width:
                lines.append(current)
                current = indent
                start = len(current)
            current = f"{current} {word}" if len(current) > start else current + word
        lines.append(current)
    return [line.replace(_GLUE, " ").rstrip() for line in lines]

"""Grid specifications: ``-p NAME=v1,v2,...`` into validated parameter sets.

Grammar of one ``-p`` (parsed by the parameter's type in the backend's model):

* ``NAME=v1,v2,...``: a list of values. Numbers (``1``, ``0.5``, ``2e3``),
  integers, booleans (``true``/``false``, ``yes``/``no``, ``1``/``0``) and
  strings are read by the parameter's declared type, so ``-p message=1`` is
  the string ``"1"`` and ``-p delay_seconds=1`` the float ``1.0`` (one
  parameter set, one ``param_id``, however it was typed).
* ``NAME=["a,b","c"]``: a JSON array, for values that contain commas.
* ``NAME=START..STOP:N`` (number parameters): ``N >= 2`` evenly spaced values
  from START to STOP inclusive. ``NAME=START..STOP`` (integer parameters):
  every integer from START to STOP inclusive.

The grid is the Cartesian product of the ``-p`` lists, the first ``-p``
varying slowest. Every grid point is validated with the backend's own
parameter model **before anything is submitted**; the first problem is one
``GridError`` line naming the parameter and the rule. Also errors: an empty
list or value, an unknown parameter name (the known ones are listed), a name
given twice, a value listed twice, a grid over ``MAX_GRID_POINTS``.

An open-schema backend (``purelms_runtime.OpenParameters``, ``parameters: []`` in its
manifest, such as echo) takes any NAME; its values are read as JSON where they parse
(``1``, ``2.5``, ``true``, ``"a,b"``), else as text, and ranges do not apply.

A point holds only the parameters named on the command line, each as the
model coerced it (``model_dump(mode="json")``); the backend's defaults fill
the rest at run time. The backend's defaults are part of its bundle digest,
so results cached under a point's ``param_id`` cannot go stale.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from purelms_harness import model_parameters
from purelms_runtime import Backend, OpenParameters
from purelms_shared import error_lines

__all__ = ["MAX_GRID_POINTS", "Axis", "GridError", "build_grid", "parse_axes", "unknown_name"]

MAX_GRID_POINTS = 100_000
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


class GridError(ValueError):
    """A grid specification that cannot be run; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class Axis:
    """One ``-p``: a parameter and the values it takes, in the order given."""

    name: str
    values: tuple[Any, ...]


def unknown_name(flag: str, name: str, known: Sequence[str], what: str, slug: str) -> GridError:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return GridError(
        f"{flag} {name}: unknown {what} for backend {slug}{hint}; "
        f"known {what}s: {', '.join(known) or 'none'}"
    )


def _number(flag: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise GridError(f"{flag}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise GridError(f"{flag}: {raw!r} is not a finite number")
    return value


def _integer(flag: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise GridError(f"{flag}: {raw!r} is not an integer") from None


_OPEN: Mapping[str, Any] = {"type": "json"}
"""The spec of every parameter of an open schema: a JSON value, else text."""


def _json_or_text(flag: str, raw: str) -> Any:
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(value, float) and not math.isfinite(value):
        raise GridError(f"{flag}: {raw!r} is not a finite number")
    return value


def _scalar(flag: str, raw: str, spec: Mapping[str, Any]) -> Any:
    kind = spec["type"]
    if kind == "json":
        return _json_or_text(flag, raw)
    if kind == "number":
        return _number(flag, raw)
    if kind == "integer":
        return _integer(flag, raw)
    if kind == "boolean":
        lowered = raw.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise GridError(f"{flag}: {raw!r} is not a boolean (true/false)")
    if kind == "choice":
        choices = spec.get("choices") or []
        if all(isinstance(choice, str) for choice in choices):
            return raw
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _range(flag: str, raw: str, spec: Mapping[str, Any]) -> list[Any] | None:
    """``START..STOP[:N]`` as its values, or None when ``raw`` is not a range."""
    if ".." not in raw or spec["type"] not in ("number", "integer"):
        return None
    bounds, _, count_raw = raw.partition(":")
    start_raw, _, stop_raw = bounds.partition("..")
    if spec["type"] == "integer" and not count_raw:
        first, last = _integer(flag, start_raw), _integer(flag, stop_raw)
        if first > last:
            raise GridError(f"{flag}: range {raw!r} is empty (START must be <= STOP)")
        return list(range(first, last + 1))
    if spec["type"] == "integer":
        raise GridError(f"{flag}: integer ranges are START..STOP (every integer), not {raw!r}")
    if not count_raw:
        raise GridError(f"{flag}: a number range needs a count: START..STOP:N (got {raw!r})")
    start, stop = _number(flag, start_raw), _number(flag, stop_raw)
    count = _integer(flag, count_raw)
    if count < 2:
        raise GridError(f"{flag}: a range needs N >= 2 values (got {raw!r})")
    if start >= stop:
        raise GridError(f"{flag}: range {raw!r} needs START < STOP")
    step = (stop - start) / (count - 1)
    return [start + i * step if i < count - 1 else stop for i in range(count)]


def _values(flag: str, raw: str, spec: Mapping[str, Any]) -> list[Any]:
    if not raw.strip():
        raise GridError(f"{flag}: no values; expected NAME=v1,v2,...")
    if raw.lstrip().startswith("["):
        try:
            items = json.loads(raw)
        except ValueError as exc:
            raise GridError(f"{flag}: not a JSON array ({exc})") from None
        if not isinstance(items, list) or not items:
            raise GridError(f"{flag}: a JSON array of values must not be empty")
        if spec["type"] == "json":  # an open schema: the JSON values as they are
            return list(items)
        return [
            item if isinstance(item, (bool, int, float)) else _scalar(flag, str(item), spec)
            for item in items
        ]
    ranged = _range(flag, raw, spec)
    if ranged is not None:
        return ranged
    values = []
    for position, item in enumerate(raw.split(","), start=1):
        if not item.strip():
            raise GridError(f"{flag}: empty value at position {position}")
        values.append(_scalar(flag, item.strip() if spec["type"] != "string" else item, spec))
    return values


def parse_axes(specs: Sequence[str], backend: Backend[Any, Any], flag: str = "-p") -> list[Axis]:
    """One ``Axis`` per ``NAME=...`` in ``specs`` (syntax, names and types; not ranges)."""
    entries = {entry["name"]: entry for entry in model_parameters(backend.parameters_model)}
    open_schema = issubclass(backend.parameters_model, OpenParameters)
    axes: list[Axis] = []
    seen: set[str] = set()
    for spec in specs:
        name, sep, raw = spec.partition("=")
        name = name.strip()
        if not sep or not name:
            raise GridError(f"{flag} {spec!r}: expected NAME=v1,v2,...")
        where = f"{flag} {name}"
        if name not in entries and not open_schema:
            raise unknown_name(flag, name, list(entries), "parameter", backend.slug)
        if name in seen:
            raise GridError(f"{where} is given twice; list every value once: {name}=v1,v2,...")
        seen.add(name)
        axes.append(Axis(name, tuple(_values(where, raw, entries.get(name, _OPEN)))))
    return axes


def _describe(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in point.items())


def build_grid(
    axes: Sequence[Axis], backend: Backend[Any, Any], flag: str = "-p"
) -> list[dict[str, Any]]:
    """Every grid point, validated and coerced by the backend's parameter model."""
    size = math.prod(len(axis.values) for axis in axes)
    if size > MAX_GRID_POINTS:
        raise GridError(f"the grid has {size} points; at most {MAX_GRID_POINTS} are allowed")
    names = [axis.name for axis in axes]
    points: list[dict[str, Any]] = []
    for index, combo in enumerate(itertools.product(*(axis.values for axis in axes)), start=1):
        raw = dict(zip(names, combo, strict=True))
        try:
            model = backend.validate_parameters(raw)
        except ValidationError as exc:
            raise GridError(_point_error(exc, raw, index, size, flag)) from None
        dumped = model.model_dump(mode="json")
        points.append({name: dumped[name] for name in names})
    _reject_repeated_values(axes, points, flag)
    return points


def _point_error(
    exc: ValidationError, raw: Mapping[str, Any], index: int, size: int, flag: str
) -> str:
    line = error_lines(exc)[0]
    named, _, rule = line.partition(": ")
    where = f" (grid point {index} of {size}: {_describe(raw)})" if len(raw) > 1 else ""
    if named in raw:
        return f"{flag} {named}={raw[named]!r}: {rule}{where}"
    return f"{flag}: {line}{where}"


def _reject_repeated_values(
    axes: Sequence[Axis], points: Sequence[Mapping[str, Any]], flag: str
) -> None:
    """Two values of one axis that coerce to the same value would make identical points."""
    stride = 1
    strides: dict[str, int] = {}
    for axis in reversed(axes):
        strides[axis.name] = stride
        stride *= len(axis.values)
    for axis in axes:
        coerced = [
            json.dumps(points[i * strides[axis.name]][axis.name], sort_keys=True)
            for i in range(len(axis.values))
        ]
        for position, value in enumerate(coerced):
            first = coerced.index(value)
            if first != position:
                raise GridError(
                    f"{flag} {axis.name}: values {first + 1} and {position + 1} are both "
                    f"{value}; list each value once"
                )

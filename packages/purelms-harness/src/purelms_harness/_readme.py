"""The parameters and outputs tables of a backend's README, generated from its models.

A student reads a backend's parameters (name, unit, range, default) and outputs in
``backends/<slug>/backend/README.md``; a hand-kept copy of them goes stale the day a
model changes. So the tables are generated, like the manifest, from the same models,
between two marker lines the README holds where the tables belong::

    <!-- BEGIN purelms:parameters-and-outputs -->
    ...generated...
    <!-- END purelms:parameters-and-outputs -->

``purelms manifest <slug> --write`` rewrites them with the manifest; ``purelms manifest
<slug>`` and each backend's tests (:func:`readme_drift`) fail while they differ. Prose
around the markers is the author's. Parameters come from the parameter model
(``model_parameters``: an ``int`` is a whole number, a ``Literal`` a choice), outputs
from the output model (every output, the series and mappings v1 cannot declare
included, marked as such). Units are written as a reader expects them (``m²``,
``W/(m²·K)``, ``°C``: Markdown is UTF-8).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from purelms_runtime import Backend, OpenParameters

from ._display import display_unit
from ._generate import model_outputs, model_parameters

__all__ = [
    "README_BEGIN",
    "README_END",
    "README_NAME",
    "readme_drift",
    "readme_tables",
    "write_readme",
]

README_NAME = Path("backend") / "README.md"
"""The backend package's README, relative to the task folder (``backends/<slug>/``)."""
README_BEGIN = "<!-- BEGIN purelms:parameters-and-outputs -->"
README_END = "<!-- END purelms:parameters-and-outputs -->"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, int | float):
        return _number(value)
    if value is None:
        return "(required)"
    return f"`{value}`" if value != "" else '`""`'


def _range(entry: dict[str, Any]) -> str:
    kind = entry["type"]
    if kind == "choice":
        return ", ".join(_literal(value) for value in entry["choices"])
    if kind == "boolean":
        return "`true`, `false`"
    if kind == "string":
        return "text"
    low, high = entry.get("min"), entry.get("max")
    if low is not None and high is not None:
        return f"{_number(low)} – {_number(high)}"
    if low is not None:
        return f"≥ {_number(low)}"
    if high is not None:
        return f"≤ {_number(high)}"
    return "any"


def _what(entry: dict[str, Any]) -> str:
    label, description = entry["label"], entry.get("description")
    text = label if label != entry["name"] else ""
    if description:
        text = f"{text}: {description}" if text else description
    return _cell(text)


_OUTPUT_TYPES = {
    "number": "number",
    "integer": "whole number",
    "string": "text",
    "boolean": "yes/no",
}


def _output_type(entry: dict[str, Any]) -> str:
    kind = entry["type"]
    if kind == "array":
        item = _OUTPUT_TYPES.get(str(entry.get("items")), "value")
        return f"list of {item}s" if not item.endswith("s") else f"list of {item}"
    if kind == "object":
        values = _OUTPUT_TYPES.get(str(entry.get("values")), "value")
        return f"{values}s by name"
    text = _OUTPUT_TYPES.get(kind, kind)
    return f"{text} or empty" if entry.get("nullable") else text


def readme_tables(backend: Backend[Any, Any]) -> str:
    """The generated block, markers included (see the module docstring)."""
    slug = backend.slug
    lines = [
        README_BEGIN,
        f"<!-- Generated from the models by `uv run purelms manifest {slug} --write`; the "
        "backend's tests fail when it is stale. Edit the models, not this table. -->",
        "",
        "### Parameters",
        "",
    ]
    if issubclass(backend.parameters_model, OpenParameters):
        lines.append(
            "Any parameters: an open schema (the manifest's `parameters: []`), passed to the "
            "backend exactly as given."
        )
    else:
        lines += ["| name | what | unit | range | default |", "| --- | --- | --- | --- | --- |"]
        for entry in model_parameters(backend.parameters_model):
            unit = display_unit(entry.get("unit") or "", True)
            default = "(required)" if entry["required"] else _literal(entry["default"])
            lines.append(
                f"| `{entry['name']}` | {_what(entry)} | {_cell(unit)} | {_range(entry)} "
                f"| {default} |"
            )
    lines += [
        "",
        "### Outputs",
        "",
        "| name | what | unit | type | in the manifest |",
        "| --- | --- | --- | --- | --- |",
    ]
    for entry in model_outputs(backend.outputs_model):
        unit = display_unit(entry.get("unit") or "", True)
        declared = "no (v1 has no such type)" if entry["type"] in ("array", "object") else "yes"
        lines.append(
            f"| `{entry['name']}` | {_what(entry)} | {_cell(unit)} | {_output_type(entry)} "
            f"| {declared} |"
        )
    lines.append(README_END)
    return "\n".join(lines)


class _NoMarkers(Exception):
    pass


def _with_tables(text: str, tables: str) -> str:
    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < start:
        raise _NoMarkers
    return text[:start] + tables + text[end + len(README_END) :]


def readme_drift(task_dir: Path, backend: Backend[Any, Any]) -> list[str]:
    """One line naming how the README's tables differ from the models, or ``[]``."""
    path = task_dir / README_NAME
    fix = f"run `uv run purelms manifest {task_dir.name} --write`"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [f"{path}: cannot read: {exc.strerror or exc}"]
    try:
        fresh = _with_tables(text, readme_tables(backend))
    except _NoMarkers:
        return [
            f"{path}: no generated parameters and outputs tables: put the lines "
            f"{README_BEGIN} and {README_END} where they belong, then {fix}"
        ]
    if fresh == text:
        return []
    old = text[text.find(README_BEGIN) : text.find(README_END)].splitlines()
    new = readme_tables(backend).splitlines()
    changed = next(
        (f"{b!r}" for a, b in zip(old, new, strict=False) if a != b),
        "rows added or removed",
    )
    return [f"{path}: the parameters and outputs tables are stale (first: {changed}); {fix}"]


def write_readme(task_dir: Path, backend: Backend[Any, Any]) -> bool | None:
    """Rewrite the README's tables; True if it changed, None if it has no markers."""
    path = task_dir / README_NAME
    text = path.read_text(encoding="utf-8")
    try:
        fresh = _with_tables(text, readme_tables(backend))
    except _NoMarkers:
        return None
    if fresh == text:
        return False
    path.write_text(fresh, encoding="utf-8")
    return True

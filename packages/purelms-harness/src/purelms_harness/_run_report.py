"""What ``purelms run`` and ``purelms list`` print: for a student first, a developer second.

Order of a run's report: the inputs (which climate, which parameters differ from the
defaults), the results table, the outcome, the backend's messages, the run folder and
the status. Developer detail (each artifact with its size and sha256, the evidence
manifest's path and sha256, a managed run's object URIs) is printed with ``--verbose``
only; everything of it stays in the run folder's files (``output/output.json``,
``evidence.json``, ``evidence.sha256``).

Everything fits the terminal's width (rich's console width, which honours ``COLUMNS``):
tables wrap labels by words and keep names and values whole, and free text goes through
:func:`purelms_harness._display.wrap`, so no line breaks inside a slug, a parameter name
or between a number and its unit. Numbers, units and series are formatted by
``_display``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from purelms_shared import Message, MessageLevel, OutputArtifact

from ._display import display_unit, format_number, together, value_lines, wrap
from ._manifest import BackendManifest

__all__ = ["Terminal", "backend_list", "inputs_view", "message_lines", "results_view"]


@dataclass(frozen=True)
class Terminal:
    """How wide the output may be, and whether ``m²``/``°C`` can be printed."""

    width: int
    unicode: bool

    def unit(self, unit: str | None) -> str:
        return display_unit(unit or "", self.unicode)

    @property
    def dot(self) -> str:
        return " · " if self.unicode else "; "


def _lines(lines: Sequence[str], style: str = "") -> Text:
    return Text("\n".join(lines), style=style)


# --------------------------------------------------------------------------- list


def backend_list(manifests: Mapping[str, BackendManifest], term: Terminal) -> RenderableType:
    """Every backend as a block: ``slug version: name``, then its parameters, wrapped."""
    parts: list[RenderableType] = []
    for slug, manifest in manifests.items():
        header = wrap(f"{together(slug)} {manifest.version}: {manifest.name}", term.width)
        title = _lines(header)
        title.stylize("bold", 0, len(slug))
        entries = [
            together(f"{p['name']} [{term.unit(p['unit'])}]") if p.get("unit") else p["name"]
            for p in manifest.parameters
        ]
        if entries:
            listed = "parameters: " + ", ".join(entries)
        elif manifest.task.open_schema:
            listed = "parameters: any (open schema)"
        else:
            listed = "parameters: none"
        parts += [title, _lines(wrap(listed, term.width, first="  ", indent="    ")), Text("")]
    hint = "Run one with `purelms run SLUG` (`-p NAME=VALUE` sets a parameter)."
    parts.append(_lines(wrap(hint, term.width, indent="")))
    return Group(*parts)


# --------------------------------------------------------------------------- inputs


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _value(value: Any, unit: str) -> str:
    text = format_number(value) if not isinstance(value, str) else value
    return f"{text} {unit}" if unit and value is not None else text


def _aligned(rows: Sequence[tuple[str, str, str]], width: int) -> list[str]:
    """``name  value  note`` rows, columns aligned, each note wrapped under itself."""
    names = max(len(name) for name, _, _ in rows)
    values = max(len(value) for _, value, _ in rows)
    lines = []
    for name, value, note in rows:
        prefix = f"{name:<{names}}  {value:<{values}}  "
        if not note:
            lines.append(prefix.rstrip())
        elif len(prefix) <= width - 20:
            lines += wrap(note, width, first=prefix, indent=" " * len(prefix))
        else:  # a long value: the note goes below it
            lines.append(prefix.rstrip())
            lines += wrap(note, width, first="    ", indent="    ")
    return lines


def inputs_view(
    manifest: BackendManifest,
    parameters: Mapping[str, Any],
    input_files: Sequence[tuple[str, Path]],
    term: Terminal,
    *,
    verbose: bool = False,
) -> RenderableType:
    """The run's inputs: every choice (the climate...), every value that is not the
    default; ``verbose`` every parameter. An open schema lists what was given."""
    rows: list[tuple[str, str, str]] = []
    hidden = 0
    if manifest.task.open_schema:
        for name, value in parameters.items():
            rows.append((name, _value(value, ""), ""))
    for spec in manifest.task.parameters:
        unit = term.unit(spec.unit)
        given = spec.name in parameters
        value = parameters[spec.name] if given else spec.default
        changed = given and not _same(value, spec.default)
        if spec.choices:
            labels = {repr(c.value): c.label for c in spec.choices}
            note = labels.get(repr(value), "")
            if changed:
                note += f" (default {spec.default})"
            rows.append((spec.name, str(value), note.strip()))
        elif changed or verbose:
            note = spec.label
            if changed and spec.default is not None:
                note += f"; default {_value(spec.default, unit)}"
            rows.append((spec.name, _value(value, unit), note))
        else:
            hidden += 1
    for role, path in input_files:
        rows.append((f"{role} file", path.name, ""))
    lines = _aligned(rows, term.width) if rows else ["none"]
    if hidden:
        more = f"{hidden} more parameter(s) at their defaults (`--verbose` lists them)"
        lines += wrap(more, term.width, indent="")
    return Group(Text("Inputs", style="bold"), _lines(lines))


# --------------------------------------------------------------------------- results


def results_view(
    manifest: BackendManifest,
    outputs: Mapping[str, Any],
    specs: Sequence[Mapping[str, Any]],
    term: Terminal,
) -> Table:
    """The results table: output (label and name), value, unit.

    ``specs`` are the outputs with their labels and units (the output model's, else the
    manifest's). Values are laid out here (month names on a series, one line per key of
    a mapping, wrapped text) and never re-wrapped by the table.
    """
    by_name = {str(spec["name"]): spec for spec in specs}
    width = max(16, min(36, term.width // 2 - 6))
    table = Table(title=f"{manifest.slug}: results", title_justify="left")
    table.add_column("output", overflow="fold", ratio=1)
    table.add_column("value", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    for name, value in outputs.items():
        spec = by_name.get(name, {})
        label = str(spec.get("label") or name)
        shown = f"{label} ({name})" if label != name else name
        lines = value_lines(value, name=name, label=label, width=width, unicode=term.unicode)
        table.add_row(Text(shown), _lines(lines), Text(term.unit(spec.get("unit"))))
    return table


def warm_up(width: int) -> None:
    """Render a throwaway report (a titled table of texts, a styled line) to nowhere.

    rich loads and builds much of what it needs on its first render (cell widths,
    styles, the box characters): about 10 ms for a 24-output table, which
    ``purelms run`` pays here while the backend runs instead of after it.
    """
    from io import StringIO

    from rich.console import Console

    console = Console(file=StringIO(), width=width, highlight=False, soft_wrap=True, emoji=False)
    table = Table(title="warm-up: results", title_justify="left")
    for column in ("output", "value", "unit"):
        table.add_column(column)
    table.add_row(Text("Heating (heating_kwh)"), _lines(["1.0", "2.0"]), Text("kWh"))
    console.print(table)
    console.print(_lines(["info CODE: text"], "yellow"))
    console.print("outcome: passed yes", markup=False)


# --------------------------------------------------------------------------- messages

_STYLES = {MessageLevel.ERROR: "red", MessageLevel.WARNING: "yellow"}


def message_lines(messages: Sequence[Message], term: Terminal) -> list[Text]:
    """One block per message: ``level CODE: text``, wrapped by words with an indent."""
    blocks = []
    for message in messages:
        code = f" {message.code}" if message.code else ""
        first = f"{message.level.value}{code}: "
        lines = wrap(message.text, term.width, first=first, indent="  ")
        blocks.append(_lines(lines, _STYLES.get(message.level, "")))
    return blocks


def artifact_lines(artifacts: Sequence[OutputArtifact], term: Terminal) -> list[str]:
    """``--verbose``: each artifact with its size and sha256."""
    lines = []
    for artifact in artifacts:
        text = (
            f"artifact {together(artifact.filename)} ({artifact.size_bytes:,} bytes, "
            f"{together(f'sha256 {artifact.sha256})')}"
        )
        lines += wrap(text, term.width)
    return lines

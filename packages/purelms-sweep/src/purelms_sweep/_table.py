"""One simulation's result as a one-row Arrow table, and sweep tables built from them.

Every ``SimReturn`` produced by ``HarnessExecutionEnvironment`` carries one
output table named ``result`` (``RESULT_TABLE``): an Arrow IPC **stream** of
exactly one row. Its columns, in order:

* ``param_id`` (string), ``seed`` (uint64), ``task_id`` (string);
* ``status`` (string): the output envelope's status (``success``,
  ``failed_simulation``, ``failed_runtime``, ``timed_out``, ``cancelled``), or
  ``protocol_error`` when the backend broke the runtime protocol (non-zero
  exit, rejected callback, invalid ``output.json``), or ``error`` when the
  task could not be run at all (unknown bundle, harness exception, a worker
  lost too often). A failed run is a row, never an exception that loses it;
* ``status_message`` (string): empty on success, else the first error
  message of the envelope or the problem, on one line;
* one column per **parameter** of the task, typed from the backend's
  parameter model (``number`` float64, ``integer`` int64, ``boolean`` bool,
  ``string``/``choice`` string; a parameter unknown to the model as a JSON
  string). A parameter whose name equals one of the fixed columns is renamed
  ``param.<name>``;
* one column per **output** of the backend's output model (every output: the
  manifest declares only the scalars v1 can type), null when the run
  did not succeed: ``number`` float64, ``integer`` int64, ``boolean`` bool,
  ``string`` string, ``array`` a list column of its item type, ``object`` a
  JSON string (canonical: sorted keys, no spaces). An output whose name
  equals a parameter column or a fixed column is renamed ``output.<name>``;
* ``runtime_seconds`` (float64, from the envelope), ``backend_version``
  (string), ``run_dir`` (string, on the machine that ran it), ``worker``
  (string, ``host:pid``).

The schema depends only on the backend's models and the parameter names, so
the rows of one sweep concatenate into one table: a row for a task that failed
(even one lost on the cluster) is typed from the same models as a success row.
Where the backend's module cannot be imported, the manifest's v1 lists type the
columns (``enum`` string; numbers float64; undeclared outputs absent).
Should two rows still disagree on a column's type (a row built without
its manifest), ``stack`` turns that column into JSON strings rather than
losing the sweep. ``write_csv`` writes lists as JSON arrays (CSV has no list
type) and nulls as empty fields; ``csv_row`` is the same for one row.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.ipc as pa_ipc  # type: ignore[import-untyped]

__all__ = [
    "LEADING_COLUMNS",
    "RESULT_TABLE",
    "TRAILING_COLUMNS",
    "csv_row",
    "read_ipc",
    "result_table",
    "stack",
    "table_to_ipc_file",
    "table_to_ipc_stream",
    "write_csv",
]

RESULT_TABLE = "result"
LEADING_COLUMNS = ("param_id", "seed", "task_id", "status", "status_message")
TRAILING_COLUMNS = ("runtime_seconds", "backend_version", "run_dir", "worker")

_SCALARS: dict[str, Any] = {
    "number": pa.float64(),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
    "string": pa.string(),
}


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _parameter_type(spec: Mapping[str, Any] | None) -> Any:
    if spec is None:
        return None  # not a parameter of the manifest: JSON string
    kind = spec.get("type")
    if kind in ("choice", "enum"):  # the models' choice, the manifest's enum ({value, label})
        values = [c["value"] if isinstance(c, dict) else c for c in spec.get("choices") or []]
        return pa.string() if all(isinstance(v, str) for v in values) else None
    return _SCALARS.get(str(kind))


def _output_type(spec: Mapping[str, Any]) -> Any:
    kind = spec.get("type")
    if kind == "array":
        item = _SCALARS.get(str(spec.get("items")))
        return pa.list_(item) if item is not None else None
    if kind == "enum":
        return pa.string()
    return _SCALARS.get(str(kind))


def _convert(value: Any, arrow_type: Any) -> Any:
    """``value`` as a Python value for ``arrow_type`` (None: JSON string)."""
    if value is None:
        return None
    if arrow_type is None:
        return value if isinstance(value, str) else _json(value)
    if pa.types.is_list(arrow_type):
        item = arrow_type.value_type
        return [_convert(v, item) for v in value] if isinstance(value, list) else None
    if pa.types.is_floating(arrow_type):
        return float(value) if isinstance(value, (int, float)) else None
    if pa.types.is_integer(arrow_type):
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if pa.types.is_boolean(arrow_type):
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else _json(value)


def result_table(
    *,
    param_id: str,
    seed: int,
    task_id: str,
    status: str,
    message: str,
    parameters: Mapping[str, Any],
    parameter_specs: Sequence[Mapping[str, Any]],
    outputs: Mapping[str, Any] | None,
    output_specs: Sequence[Mapping[str, Any]],
    runtime_seconds: float | None,
    backend_version: str,
    run_dir: str,
    worker: str,
) -> Any:
    """The one-row result table (see the module docstring). Returns a ``pyarrow.Table``."""
    names: list[str] = []
    types: list[Any] = []
    values: list[Any] = []

    def add(name: str, arrow_type: Any, value: Any) -> None:
        names.append(name)
        types.append(arrow_type if arrow_type is not None else pa.string())
        values.append(_convert(value, arrow_type))

    add("param_id", pa.string(), param_id)
    add("seed", pa.uint64(), seed)
    add("task_id", pa.string(), task_id)
    add("status", pa.string(), status)
    add("status_message", pa.string(), " ".join(message.split()))
    fixed = set(LEADING_COLUMNS) | set(TRAILING_COLUMNS)
    by_name = {str(p["name"]): p for p in parameter_specs}
    for name in sorted(parameters):
        column = name if name not in fixed else f"param.{name}"
        add(column, _parameter_type(by_name.get(name)), parameters[name])
    taken = set(names) | fixed
    for spec in output_specs:
        name = str(spec["name"])
        column = name if name not in taken else f"output.{name}"
        add(column, _output_type(spec), None if outputs is None else outputs.get(name))
    add("runtime_seconds", pa.float64(), runtime_seconds)
    add("backend_version", pa.string(), backend_version)
    add("run_dir", pa.string(), run_dir)
    add("worker", pa.string(), worker)
    schema = pa.schema([pa.field(n, t) for n, t in zip(names, types, strict=True)])
    return pa.Table.from_pylist([dict(zip(names, values, strict=True))], schema=schema)


def table_to_ipc_stream(table: Any) -> bytes:
    sink = io.BytesIO()
    with pa_ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def table_to_ipc_file(table: Any) -> bytes:
    sink = io.BytesIO()
    with pa_ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def read_ipc(data: bytes) -> Any:
    """A ``pyarrow.Table`` from Arrow IPC bytes, stream or file format."""
    buffer = pa.py_buffer(data)
    if data[:6] == b"ARROW1":
        return pa_ipc.open_file(buffer).read_all()
    return pa_ipc.open_stream(buffer).read_all()


def stack(tables: Sequence[Any]) -> Any:
    """Concatenate result tables row-wise; columns missing from some rows become null.

    A column whose type differs between tables (nulls aside) becomes a column of
    JSON strings, so no row is ever lost to a type clash.
    """
    if not tables:
        return pa.table({})
    try:
        return pa.concat_tables(list(tables), promote_options="default")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.concat_tables(_as_json_where_types_clash(tables), promote_options="default")


def _as_json_where_types_clash(tables: Sequence[Any]) -> list[Any]:
    types: dict[str, set[Any]] = {}
    for table in tables:
        for column in table.schema:
            if not pa.types.is_null(column.type):
                types.setdefault(column.name, set()).add(column.type)
    clashing = {name for name, kinds in types.items() if len(kinds) > 1}
    unified = []
    for table in tables:
        for name in clashing.intersection(table.column_names):
            index = table.schema.get_field_index(name)
            values = [
                None if v is None else v if isinstance(v, str) else _json(v)
                for v in table.column(name).to_pylist()
            ]
            column = pa.array(values, pa.string())
            table = table.set_column(index, pa.field(name, pa.string()), column)
        unified.append(table)
    return unified


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, (list, dict)):
        return _json(value)
    return str(value)


def csv_row(values: Mapping[str, Any], columns: Sequence[str]) -> list[str]:
    """One CSV row of ``values`` in ``columns`` order (a missing column is empty)."""
    return [_csv_cell(values.get(name)) for name in columns]


def write_csv(table: Any, path: Path) -> None:
    """``table`` as CSV with a header row; lists as JSON arrays, nulls as empty fields."""
    rows: Iterable[dict[str, Any]] = table.to_pylist()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.column_names)
        for row in rows:
            writer.writerow(csv_row(row, table.column_names))

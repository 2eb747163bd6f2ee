"""The published purelms-shared as an oracle: run with the *baseline* environment's python.

Both the published package and ours are imported as ``purelms_shared``, so they cannot
share a process. This script runs in the environment ``nox -s compat`` builds (the
baseline release from PyPI and the pydantic version of our ``uv.lock``, nothing of this
repository) and answers requests on stdin, one JSON object per line, with one JSON object
per line on stdout. It uses only the standard library and the baseline package, and
looks every model up by name, so it reads any release with the same model names.

Requests (``documents`` are base64 of the exact bytes validated):

* ``{"op": "hello"}`` -> ``{"version": ..., "pydantic": ...}``
* ``{"op": "validate", "model": "ProgressCallback", "documents": [...]}`` ->
  ``{"results": [...]}``, per document either ``{"ok": true, "dump": <model_dump_json>,
  "rereads": <does the baseline accept its own dump>}`` or ``{"ok": false, "errors":
  [{"loc": [...], "type": ..., "msg": ..., "input": <repr>}, ...]}``
* ``{"op": "fields", "model": ...}`` -> ``{"fields": {name: {"required": bool,
  "default": <the default as JSON, for a field that has one>}}}``
* ``{"op": "time", "model": ..., "document": ..., "number": n, "repeat": r}`` ->
  ``{"seconds": <best of r batches of n model_validate_json calls, per call>}``

A malformed request is answered with ``{"error": "..."}``; end of input ends the script.
"""

from __future__ import annotations

import base64
import functools
import importlib.metadata
import json
import sys
import timeit
from typing import Any

from pydantic import BaseModel, ValidationError

import purelms_shared


def _model(name: str) -> type[BaseModel]:
    model = getattr(purelms_shared, name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ValueError(f"{name} is not a model of purelms_shared")
    return model


def _errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {
            "loc": list(error["loc"]),
            "type": error["type"],
            "msg": error["msg"],
            "input": repr(error.get("input")),
        }
        for error in exc.errors(include_url=False)
    ]


def _validate(model: type[BaseModel], document: bytes) -> dict[str, Any]:
    try:
        instance = model.model_validate_json(document)
    except ValidationError as exc:
        return {"ok": False, "errors": _errors(exc)}
    dump = instance.model_dump_json()
    try:
        model.model_validate_json(dump)
        rereads = True
    except ValidationError:
        rereads = False
    return {"ok": True, "dump": dump, "rereads": rereads}


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        entry: dict[str, Any] = {"required": info.is_required()}
        if not info.is_required():
            default = info.get_default(call_default_factory=True)
            entry["default"] = json.loads(json.dumps(default, default=str))
        fields[name] = entry
    return fields


def answer(request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    if op == "hello":
        return {
            "version": importlib.metadata.version("purelms-shared"),
            "pydantic": importlib.metadata.version("pydantic"),
        }
    model = _model(request["model"])
    if op == "validate":
        documents = [base64.b64decode(text) for text in request["documents"]]
        return {"results": [_validate(model, document) for document in documents]}
    if op == "fields":
        return {"fields": _fields(model)}
    if op == "time":
        document = base64.b64decode(request["document"])
        model.model_validate_json(document)  # timed only on a document it accepts
        # timed exactly as bench_wire times ours: the bound method, called with the bytes
        timer = timeit.Timer(functools.partial(model.model_validate_json, document))
        number = int(request["number"])
        best = min(timer.repeat(repeat=int(request["repeat"]), number=number))
        return {"seconds": best / number}
    raise ValueError(f"unknown op {op!r}")


def main() -> int:
    for line in sys.stdin:
        try:
            response = answer(json.loads(line))
        except Exception as exc:  # any failure is an answer the client reports
            response = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(response) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

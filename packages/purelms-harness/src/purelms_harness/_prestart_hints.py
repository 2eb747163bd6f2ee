"""Start a backend's engine first thing in ``purelms run``, before the harness imports.

Why: a backend with a slow engine declares a ``prestart`` (``purelms_runtime.Backend``)
that starts the engine ahead of the run; ``python -m`` calls it before its imports. The
harness imports pydantic, the contract, the runtime and the backend (about 0.2 s) before
it knows the backend's ``prestart``, and then forks the backend's process (``_zygote``),
so an engine started only then waited for all of that. So each run records the
backend's ``prestart`` by name, and the next ``purelms run <slug>`` calls it from
``_entry``, before anything heavy is imported: the engine initialises while the harness
imports and checks the run (EnergyPlus: about a quarter of a second).

Rules that keep a guess harmless:

* A hint is a module-level function's ``module:name``, kept per slug in
  ``<venv>/purelms-cache/prestart.json`` (beside the document and bytecode caches, and
  turned off with them by ``PURELMS_NO_BYTECODE_CACHE=1``), written atomically and only
  when it changes; an unreadable file is no hint.
* It is used only for a plain local run: not with ``--image`` (the engine runs in the
  container), ``--managed``/``--service`` (no forked backend), ``--fresh-interpreter``,
  or ``--help``; the slug is the first argument naming a recorded backend.
* The hinted function is the backend's own prestart, whose contract makes a wrong guess
  cheap: calling it twice finds the first engine, and an engine nobody adopts ends with
  the process that started it (the harness). Any exception it raises here is dropped:
  the backend's process calls its prestart again after the import, where a failure
  shows.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ._bytecode import DATA_CACHE_DIR_NAME, OPT_OUT_ENV, write_cache_file

__all__ = ["record_prestart", "start_hinted_engine"]

HINTS_NAME = "prestart.json"
_NOT_PLAIN = frozenset({"--image", "--managed", "--service", "--fresh-interpreter", "-h", "--help"})


def _hints_path() -> Path | None:
    if os.environ.get(OPT_OUT_ENV):
        return None
    return Path(sys.prefix) / DATA_CACHE_DIR_NAME / HINTS_NAME


def _hints(path: Path) -> dict[str, str]:
    try:
        hints = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(hints, dict):
        return {}
    return {str(k): v for k, v in hints.items() if isinstance(v, str)}


def start_hinted_engine(argv: Sequence[str]) -> None:
    """For ``purelms run <slug> ...`` (``argv`` without the program name): call the
    prestart recorded for ``slug``, if any."""
    if len(argv) < 2 or argv[0] != "run":
        return
    if any(arg.partition("=")[0] in _NOT_PLAIN for arg in argv[1:]):
        return
    path = _hints_path()
    if path is None:
        return
    hints = _hints(path)
    slug = next((arg for arg in argv[1:] if arg in hints), None)
    if slug is None:
        return
    module_name, _, name = hints[slug].partition(":")
    with contextlib.suppress(Exception):
        from importlib import import_module

        getattr(import_module(module_name), name)()


def record_prestart(slug: str, prestart: Callable[[], object] | None) -> None:
    """Remember ``slug``'s prestart for the next run (forget it when there is none)."""
    path = _hints_path()
    if path is None:
        return
    value = None
    if prestart is not None:
        module, name = getattr(prestart, "__module__", None), getattr(prestart, "__qualname__", "")
        if module and name.isidentifier():  # a module-level function, found again by name
            value = f"{module}:{name}"
    hints = _hints(path)
    if hints.get(slug) == value:
        return
    if value is None:
        hints.pop(slug, None)
    else:
        hints[slug] = value
    write_cache_file(path, json.dumps(hints, indent=1, sort_keys=True).encode("utf-8"))

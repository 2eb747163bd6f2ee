"""The ``purelms`` console script: turn on the bytecode cache, then run the CLI.

A module of its own because four things must happen before ``cli`` (rich, pydantic,
the contract, the runtime) is imported:

* the bytecode cache is turned on (see ``_bytecode``), and the cache of the code that
  ``dataclasses`` and ``typing`` compile while those modules import
  (``_compiled_code_cache``), saved when the command is done;
* the backend's engine is started, when the last ``purelms run`` of it recorded one
  (``_prestart_hints``), so that it initialises while the rest imports;
* Python's cyclic garbage collector is paused for that import. The import allocates
  a few hundred thousand objects and frees almost none of them, so every pass the
  collector makes over them (one per 700 allocations, promoting into ever larger
  generations) finds nothing; the passes were about a seventh of ``purelms run
  echo``. What the import built is then *frozen* (``gc.freeze``: moved out of the
  collector's sight for good) and the collector resumes for everything a command
  allocates, so a long sweep collects its garbage as usual. The frozen objects are
  also the pages a forked backend (``_zygote``) shares with the harness.

When the command returns, what is left is frozen too, and the process ends through
the runtime's ``exit_process``: exit handlers run and the streams are flushed, but
the interpreter's teardown (a final full collection, then every module cleared) is
skipped when no other thread could still be working; it cost about 40 ms of ``purelms
run echo``. Nothing of the harness relies on a finalizer at exit: files, folders,
threads and child processes are closed, removed, joined and reaped by the commands.
"""

from __future__ import annotations

import gc
import sys

from ._bytecode import enable_bytecode_cache
from ._prestart_hints import start_hinted_engine

__all__ = ["main"]


def main() -> None:
    enable_bytecode_cache()
    start_hinted_engine(sys.argv[1:])  # before the imports below: see _prestart_hints
    collecting = gc.isenabled()
    gc.disable()
    try:
        # After the engine's start: this imports dataclasses (and with it inspect).
        from ._compiled_code_cache import install, save_learnt

        install()
        from .cli import main as run_command
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
    code = run_command()
    save_learnt()
    gc.freeze()
    from purelms_runtime._process import exit_process  # loaded by the command already

    exit_process(code)

"""Bytecode for ``purelms`` and the backends it starts, cached even under PYTHONDONTWRITEBYTECODE.

Why this exists: a Python process that finds no ``.pyc`` compiles every module it
imports from source, which doubles the start of a process that loads pydantic (about
0.25 s more, paid by ``purelms`` and again by the backend process of every run). uv's
``compile-bytecode`` setting is not the answer: it recompiles every file of the
environment (some 3,000) on every ``uv run``. Where ``PYTHONDONTWRITEBYTECODE`` is set
(as on this project's machines), nothing would ever be cached otherwise.

So the ``purelms`` command caches bytecode lazily, for exactly the modules it and its
backends import, under the virtual environment (``<venv>/purelms-pycache``), never
beside the sources. The first run writes the cache (and says so on stderr, since it
takes a few seconds with nothing else on screen); later runs read it. It stays out
of the way when the user chose otherwise: a PYTHONPYCACHEPREFIX of their own, or
``PURELMS_NO_BYTECODE_CACHE=1``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

__all__ = [
    "CACHE_DIR_NAME",
    "DATA_CACHE_DIR_NAME",
    "OPT_OUT_ENV",
    "enable_bytecode_cache",
    "write_cache_file",
]

CACHE_DIR_NAME = "purelms-pycache"
DATA_CACHE_DIR_NAME = "purelms-cache"
"""Beside it, the harness's other caches (parsed documents, prestart hints); this opt-out
turns them off too."""
OPT_OUT_ENV = "PURELMS_NO_BYTECODE_CACHE"


def enable_bytecode_cache() -> Path | None:
    """Cache bytecode for this process and the processes it starts; the cache folder or None.

    Call before importing anything heavy: only later imports use the cache.
    """
    if not sys.dont_write_bytecode or os.environ.get(OPT_OUT_ENV):
        return None  # Python caches beside the sources as usual, or the user said no
    if os.environ.get("PYTHONPYCACHEPREFIX"):
        return None  # the user's own cache, which PYTHONDONTWRITEBYTECODE keeps read-only
    prefix = Path(sys.prefix) / CACHE_DIR_NAME
    if not prefix.is_dir():
        print(
            f"purelms: first run in this environment: caching bytecode in {prefix} "
            "(once, a few seconds)",
            file=sys.stderr,
            flush=True,
        )
    sys.pycache_prefix = str(prefix)
    sys.dont_write_bytecode = False
    # Backend processes inherit it (run_local passes os.environ on).
    os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    os.environ["PYTHONDONTWRITEBYTECODE"] = ""
    return prefix


def write_cache_file(path: Path, data: bytes) -> bool:
    """Put ``data`` at ``path`` whole or not at all; whether it was written.

    Written under a name of this process's beside it, then renamed into place, so a
    reader (another ``purelms``, a forked backend) sees a whole file or the one before.
    Best effort, as Python's own bytecode writes are: a cache that cannot be written
    (a read-only environment, a full disk) costs its next reader the work again, and
    leaves nothing behind. No ``tempfile`` here: this module is loaded before anything
    heavy (see ``_entry``).
    """
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staged.write_bytes(data)
        os.replace(staged, path)
    except OSError:
        with contextlib.suppress(OSError):
            staged.unlink()
        return False
    return True

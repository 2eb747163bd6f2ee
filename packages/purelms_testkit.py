"""Types and helpers shared by the runtime, harness and sweep tests.

A module beside ``conftest.py`` rather than inside it: the tests run in pytest's importlib
mode (test files of the same name live in several packages), and in that mode a test module
cannot import a conftest. pytest's ``pythonpath`` setting (pyproject.toml) puts this folder
on ``sys.path``, so test modules and ``conftest.py`` alike import from here; the fixtures
themselves stay in ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from purelms_harness import BackendManifest

#: The ``make_backend`` fixture: ``make_backend(name, source, **backend_table)``.
MakeBackend = Callable[..., tuple[BackendManifest, dict[str, str]]]

#: The ``tmpfs`` fixture: ``with tmpfs(path, size="256k", read_only=False): ...``.
Tmpfs = Callable[..., contextlib.AbstractContextManager[Path]]


def minimal_manifest(slug: str, **backend: object) -> dict[str, object]:
    """The smallest installable manifest of a throwaway backend (open schema)."""
    return {
        "schema_version": "purelms.interactive_task.v1",
        "slug": slug,
        "name": slug,
        "version": "0.0.1",
        "description": "A throwaway test backend.",
        "backend": {
            "credit_cost": 0,
            "trust_tier": "community",
            "execution_mode": "sync",
            "default_timeout_seconds": 30,
            **backend,
        },
        "deployment": {"portable_contract": "purelms.portable_container.v1"},
        "frontend": {"bundle": f"{slug}.js"},
    }


_DONE_BACKEND = """
{imports}

class P(Parameters):
    pass

class O(Outputs):
    done: bool = output(label="done")

def run(params: P, ctx: RunContext) -> O:
{run}

backend = Backend(run, slug={slug!r}, version="0.0.1")
"""


def done_backend(slug: str, run: str, *, imports: str = "") -> str:
    """Source of a backend (for ``make_backend``) with no parameters and one output, ``done``.

    ``run`` is the body of its function ``run(params: P, ctx: RunContext) -> O``, which
    returns ``O(done=True)`` itself (or never returns); ``imports`` go above the classes.
    """
    body = textwrap.indent(textwrap.dedent(run).strip("\n"), "    ")
    return _DONE_BACKEND.format(imports=textwrap.dedent(imports).strip(), run=body, slug=slug)


def fill(folder: Path) -> None:
    """Write into ``folder`` until its file system is full (ENOSPC)."""
    with (folder / "filler").open("wb") as handle:
        with contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        with contextlib.suppress(OSError):
            handle.close()


def is_running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose environment or command line contains ``text`` (not this one)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "environ").read_bytes() + (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in blob and is_running(int(entry.name)):
            found.append(int(entry.name))
    return found


def wait_until(condition: Callable[[], bool], seconds: float, step: float = 0.02) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; returns its last value."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        time.sleep(step)
    return True

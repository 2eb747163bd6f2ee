"""Helpers for the template tests: a repository copy with a freshly scaffolded backend.

The copy is made by ``_testing.copy_repository`` (the working tree as git sees it, one
commit); ``tools/new_backend.py`` then runs in it exactly as a backend author would run it,
and the result is committed, so ``git status`` in the copy shows what a later step changed.
Commands that need the copy's own environment run through ``uv run --locked`` inside it,
which creates ``<copy>/.venv`` from the copy's lock: the new backend is installed there
only because ``new_backend`` registered it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

from _testing import copy_repository, git

TOOLS: Final = Path(__file__).resolve().parent
REPO: Final = TOOLS.parent
#: Variables of an outer environment (nox, an activated venv) that would point uv at it.
_OUTER_ENV: Final = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "CONDA_PREFIX", "PYTHONPATH")


def uv() -> str:
    found = shutil.which("uv")
    assert found, "uv is not on PATH"
    return found


def copy_env() -> dict[str, str]:
    """The environment for commands run in a copy, free of the caller's venv."""
    env = {key: value for key, value in os.environ.items() if key not in _OUTER_ENV}
    env["NO_COLOR"] = "1"
    return env


def run_in(
    root: Path, *command: str, timeout: float = 600, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        cwd=cwd or root,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=copy_env(),
    )


def uv_run(root: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``uv run --locked <args>`` in the copy's own environment."""
    return run_in(root, uv(), "run", "--locked", "--quiet", *args, timeout=timeout)


def new_backend(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``tools/new_backend.py`` of the copy, run with this interpreter (it has copier)."""
    return run_in(root, sys.executable, str(root / "tools" / "new_backend.py"), *args)


def scaffolded_copy(target: Path, slug: str, *args: str) -> tuple[Path, str]:
    """A repository copy in ``target`` with ``backends/<slug>`` scaffolded and committed.

    Returns the copy and what ``new_backend`` printed.
    """
    root = copy_repository(REPO, target, uv())
    result = new_backend(root, slug, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", f"new_backend {slug}")
    return root, result.stdout

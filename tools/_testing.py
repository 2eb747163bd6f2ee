"""Temporary copies of the repository for the lockstep and wire-sync tests.

A copy holds every file git would see (tracked, plus untracked files that are not
ignored) as they are in the working tree, becomes its own git repository with one
commit, and borrows the TypeScript toolchain's ``node_modules`` through a symlink, so
``git status`` in the copy lists exactly what a tool changed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from _typescript import ensure_toolchain
from _workspace import TS_DIR

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "lockstep tests",
    "GIT_AUTHOR_EMAIL": "lockstep@example.invalid",
    "GIT_COMMITTER_NAME": "lockstep tests",
    "GIT_COMMITTER_EMAIL": "lockstep@example.invalid",
}


def git(root: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **_GIT_ENV},
    )
    return result.stdout


def copy_repository(source: Path, target: Path, uv: str) -> Path:
    """Copy ``source``'s working tree to ``target`` and commit it there.

    ``uv.lock`` is re-locked in the copy when it is stale, so work in progress elsewhere
    in the working tree cannot make the copy's starting point inconsistent.
    """
    modules = ensure_toolchain(source)
    listed = git(source, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in sorted(set(filter(None, listed.split("\0")))):
        path = source / name
        if path.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
    (target / TS_DIR / "node_modules").symlink_to(modules, target_is_directory=True)
    check = subprocess.run([uv, "lock", "--check", "--quiet"], cwd=target, check=False)
    if check.returncode != 0:
        subprocess.run([uv, "lock", "--quiet"], cwd=target, check=True)
    git(target, "init", "--quiet")
    git(target, "add", "--all")
    git(target, "commit", "--quiet", "--message", "starting point")
    return target


def clone(pristine: Path, target: Path) -> Path:
    """A private copy of a prepared repository copy (git history and symlink included)."""
    shutil.copytree(pristine, target, symlinks=True)
    return target


def changed_files(root: Path) -> set[str]:
    """Paths that differ from the copy's commit: modified, added, deleted or untracked."""
    out = git(root, "status", "--porcelain", "--untracked-files=all", "-z")
    return {entry[3:] for entry in out.split("\0") if entry}

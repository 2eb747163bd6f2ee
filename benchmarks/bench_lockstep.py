"""``lockstep bump`` itself (floors, uv.lock, TypeScript module and consumers, checks).

Timed in a private copy of the repository (the real one is never touched), warm: the
copy is bumped once first, so uv's and npm's caches are what a maintainer's second
bump of the day sees. The test run that follows a bump is a separate, named step
(``nox -s tests``) and is not part of this figure. Target (issue 19): at most 10 s.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _report import seconds_figure

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from _testing import copy_repository  # noqa: E402

TARGET_SECONDS = 10.0


def _bump(copy: Path, part: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "tools/lockstep.py", "--root", str(copy), "bump", part],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    uv = shutil.which("uv") or "uv"
    with tempfile.TemporaryDirectory() as tmp:
        copy = copy_repository(ROOT, Path(tmp) / "repo", uv)
        cold = _bump(copy, "patch")
        warm = _bump(copy, "patch")
    print("bench_lockstep: `tools/lockstep.py bump patch` in a repository copy")
    print(f"  first bump (cold caches): {cold:6.1f} s")
    print(seconds_figure("second bump (warm)", warm, TARGET_SECONDS))


if __name__ == "__main__":
    main()

"""``uv run purelms …`` vs the same command from the project's virtual environment.

What ``uv run`` adds is a lock and environment check; it must not recompile anything
when nothing changed (uv's ``compile-bytecode`` setting used to recompile all ~3,000
files of the environment on every call). Both commands run in the repository with the
project environment (``.venv``) that ``uv run`` itself keeps; interleaved, median of
several paired runs. Target (issue 19): at most 1.15×.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _report import figure

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 9
TARGET = 1.15


def _seconds(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=env)
    return time.perf_counter() - started


def main() -> None:
    # The project's own environment, as a user's `uv run` sees it (not nox's session venv).
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    venv_purelms = str(ROOT / ".venv" / "bin" / "purelms")
    uv_times: list[float] = []
    venv_times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        _seconds(["uv", "run", "--locked", "purelms", "list"], env)  # sync once, warm the cache
        for i in range(REPEATS):
            args = ["run", "echo", "--quiet", "--out"]
            uv_times.append(
                _seconds(["uv", "run", "--locked", "purelms", *args, f"{tmp}/uv{i}"], env)
            )
            venv_times.append(_seconds([venv_purelms, *args, f"{tmp}/venv{i}"], env))
    uv_median, venv_median = statistics.median(uv_times), statistics.median(venv_times)
    print(f"bench_uv_run: `purelms run echo` (median of {REPEATS}, interleaved)")
    print(f"  .venv/bin/purelms:        {venv_median * 1000:8.1f} ms")
    print(f"  uv run --locked purelms:  {uv_median * 1000:8.1f} ms")
    print(figure("uv run purelms", uv_median / venv_median, ".venv/bin/purelms", TARGET))


if __name__ == "__main__":
    main()

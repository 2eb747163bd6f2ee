"""Echo end to end through ``purelms run`` vs a bare ``python -c "import pydantic"``.

The ratio is the cost of the whole local protocol (envelope, callback server,
backend process with its forked worker, output validation, evidence) in units
of the cheapest Python process that can touch the contract at all. Both are
measured in the same run; the best of several repeats is reported.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = 5


def _best_of(command: list[str], repeats: int, fresh_dir: bool = False) -> float:
    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            args = [*command, "--out", str(Path(tmp) / f"run{i}")] if fresh_dir else command
            started = time.perf_counter()
            subprocess.run(args, check=True, capture_output=True)
            best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    baseline = _best_of([sys.executable, "-c", "import pydantic"], REPEATS)
    harness = _best_of(
        [sys.executable, "-m", "purelms_harness.cli", "run", "echo", "--quiet"],
        REPEATS,
        fresh_dir=True,
    )
    print(f"bench_harness: echo end to end via `purelms run` (best of {REPEATS})")
    print(f"  baseline python -c 'import pydantic': {baseline * 1000:8.1f} ms")
    print(f"  purelms run echo:                     {harness * 1000:8.1f} ms")
    print(f"  ratio run/baseline:                   {harness / baseline:8.2f}x")


if __name__ == "__main__":
    main()

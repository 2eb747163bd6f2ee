"""Echo end to end through ``purelms run`` vs a bare ``python -c "import pydantic"``.

The ratio is the cost of the whole local protocol (harness start, envelope, callback
server, a backend process with its forked worker, output validation, evidence) in
units of the cheapest Python process that can touch the contract at all. Both are
measured in the same run, interleaved, through the installed ``purelms`` console
script (as a user starts it); the median of several paired runs is reported.
Target (issue 19): at most 4× (stretch 3×).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from _report import PYDANTIC_FLOOR_CODE, cpu_figure, figure, timed_run

REPEATS = 9
TARGET = 4.0


def main() -> None:
    purelms = shutil.which("purelms") or str(Path(sys.executable).with_name("purelms"))
    baseline_cmd = [sys.executable, "-c", "import pydantic"]
    floor_cmd = [sys.executable, "-c", PYDANTIC_FLOOR_CODE]
    walls: dict[str, list[float]] = {"baseline": [], "harness": [], "floor": []}
    cpus: dict[str, list[float]] = {"baseline": [], "harness": [], "floor": []}
    with tempfile.TemporaryDirectory() as tmp:
        timed_run([purelms, "run", "echo", "--quiet", "--out", str(Path(tmp) / "warm")])
        for i in range(REPEATS):
            run = [purelms, "run", "echo", "--quiet", "--out", str(Path(tmp) / f"run{i}")]
            for name, command in (
                ("baseline", baseline_cmd),
                ("harness", run),
                ("floor", floor_cmd),
            ):
                wall, cpu = timed_run(command)
                walls[name].append(wall)
                cpus[name].append(cpu)
    baseline, harness, floor = walls["baseline"], walls["harness"], walls["floor"]
    base, ours = statistics.median(baseline), statistics.median(harness)
    least = statistics.median(floor)
    print(f"bench_harness: echo end to end via `purelms run` (median of {REPEATS}, interleaved)")
    print(f"  python -c 'import pydantic':          {base * 1000:8.1f} ms")
    print(f"  python: one pydantic model validated: {least * 1000:8.1f} ms")
    print(f"  purelms run echo --quiet:             {ours * 1000:8.1f} ms")
    print(figure("purelms run echo", ours / base, "python -c 'import pydantic'", TARGET))
    print(figure("floor: one pydantic-validating process", least / base, "the same"))
    print(cpu_figure("purelms run echo", cpus["harness"], cpus["baseline"], "import pydantic"))
    print(cpu_figure("floor", cpus["floor"], cpus["baseline"], "import pydantic"))


if __name__ == "__main__":
    main()

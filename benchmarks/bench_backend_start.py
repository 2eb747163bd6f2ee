"""A backend process alone, start to exit, vs a bare ``python -c "import pydantic"``.

This is what the in-image runtime costs before any science runs: ``python -m
purelms_echo`` on a ready offline input (input.json in place, callbacks to
``file:///dev/null``), as the container's entrypoint starts it. The baseline is
the cheapest Python process that can touch the contract at all. Both are timed
in the same run, interleaved, and the median is reported; the modules the
backend process loaded are counted too (what a heavier import graph would cost).

If the echo image was built (``nox -s images``), its size is printed beside it.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from importlib.metadata import version
from pathlib import Path

from _report import cpu_figure, figure, timed_run

from purelms_shared import (
    INPUT_SCHEMA_V1,
    ExecutionContext,
    SimulationInputEnvelope,
)

REPEATS = 9
TARGET = 4.0


def _input_dir(root: Path) -> Path:
    input_dir = root / "input"
    input_dir.mkdir()
    envelope = SimulationInputEnvelope(
        schema_version=INPUT_SCHEMA_V1,
        run_id=uuid.uuid4(),
        backend_slug="echo",
        backend_version="0.1.0",
        student_id=1,
        course_id=1,
        block_id=1,
        parameters={},
        context=ExecutionContext(
            callback_url_progress="file:///dev/null",
            callback_url_complete="file:///dev/null",
            callback_audience="bench",
            timeout_seconds=30,
        ),
    )
    (input_dir / "input.json").write_text(envelope.model_dump_json())
    return input_dir


def _image_size_mb() -> str:
    for engine in ("podman", "docker"):
        if shutil.which(engine) is None:
            continue
        probe = subprocess.run(
            [
                engine,
                "image",
                "inspect",
                "--format",
                "{{.Size}}",
                f"purelms-itask-echo:{version('purelms-echo')}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip().isdigit():
            return f"{int(probe.stdout.strip()) / 1e6:.1f} MB ({engine})"
    return "not built (run `nox -s images`)"


def main() -> None:
    baseline_cmd = [sys.executable, "-c", "import pydantic"]
    backend_cmd = [sys.executable, "-m", "purelms_echo"]
    baseline: list[float] = []
    backend: list[float] = []
    baseline_cpu: list[float] = []
    backend_cpu: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        input_dir = _input_dir(root)
        for i in range(REPEATS):
            output_dir = root / f"out{i}"
            output_dir.mkdir()
            env = {
                **os.environ,
                "PURELMS_INPUT_DIR": str(input_dir),
                "PURELMS_OUTPUT_DIR": str(output_dir),
            }
            for walls, cpus, (wall, cpu) in (
                (baseline, baseline_cpu, timed_run(baseline_cmd)),
                (backend, backend_cpu, timed_run(backend_cmd, env=env)),
            ):
                walls.append(wall)
                cpus.append(cpu)
        probe_out = root / "probe"
        probe_out.mkdir()
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import atexit, runpy, sys\n"
                "atexit.register(lambda: print(len(sys.modules), file=sys.stderr))\n"
                "runpy.run_module('purelms_echo', run_name='__main__', alter_sys=True)\n",
            ],
            capture_output=True,
            text=True,
            check=False,
            env={
                **os.environ,
                "PURELMS_INPUT_DIR": str(input_dir),
                "PURELMS_OUTPUT_DIR": str(probe_out),
            },
        )
        modules = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "?"
    base, run = statistics.median(baseline), statistics.median(backend)
    print(f"bench_backend_start: `python -m purelms_echo` alone (median of {REPEATS})")
    print(f"  python -c 'import pydantic':   {base * 1000:8.1f} ms")
    print(f"  python -m purelms_echo:        {run * 1000:8.1f} ms  ({modules} modules loaded)")
    print(figure("python -m purelms_echo", run / base, "python -c 'import pydantic'", TARGET))
    print(cpu_figure("python -m purelms_echo", backend_cpu, baseline_cpu, "import pydantic"))
    print(f"  echo image size: {_image_size_mb()}")


if __name__ == "__main__":
    main()

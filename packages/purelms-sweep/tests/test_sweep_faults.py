"""Sweeps under faults: a task whose worker is SIGKILLed every time it runs, and a sweep
that is itself SIGKILLed. Nothing finished may be lost, and no point may run more than
1 + retries times.

The backend here is a throwaway module on PYTHONPATH with a manifest in a temporary
repository root; every run appends its point to a counter file, so the test counts
actual backend runs. Its ``package`` is purelms-runtime: the bundle digest pins the
code it runs on. Real LocalCluster, real worker processes, real signals.
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.ipc as pa_ipc  # type: ignore[import-untyped]
import pytest

pytestmark = pytest.mark.faults

RETRIES = 1  # the sweep service's default: at most 2 runs per point
SWEEP_OPTIONS = ["--workers", "2", "--no-store", "-q", "--out"]

MODULE = '''
import os, time
from pathlib import Path

from purelms_runtime import Backend, Outputs, Parameters, RunContext, output, param


class P(Parameters):
    point: int = param(1, label="Point")
    delay_seconds: float = param(0.0, label="Delay", unit="s", ge=0)


class O(Outputs):
    doubled: float = output(label="Doubled")


def _dask_worker() -> int:
    """This function runs in the runtime's worker; its supervisor's parent is the Dask worker."""
    stat = Path(f"/proc/{os.getppid()}/stat").read_text()
    return int(stat[stat.rfind(")") + 2 :].split()[1])


def run(params: P, ctx: RunContext) -> O:
    with open(os.environ["FAULTY_COUNTER"], "a") as handle:
        handle.write(f"{params.point}\\n")
    if params.point == int(os.environ.get("FAULTY_DOOMED", "0")):
        os.kill(_dask_worker(), 9)
        time.sleep(60)
    if params.point == int(os.environ.get("FAULTY_HANG", "0")):
        time.sleep(600)
    time.sleep(params.delay_seconds)
    return O(doubled=2.0 * params.point)


backend = Backend(run, slug="faulty", version="0.0.1")

if __name__ == "__main__":
    backend.main()
'''

MANIFEST = """
schema_version: purelms.interactive_task.v1
slug: faulty
name: Faulty
version: 0.0.1
description: A backend that fails on purpose.
backend:
  credit_cost: 0
  trust_tier: community
  execution_mode: sync
  default_timeout_seconds: 60
deployment:
  portable_contract: purelms.portable_container.v1
frontend:
  bundle: faulty.js
parameters:
- {name: point, type: number, label: Point, step: 1, default: 1}
- {name: delay_seconds, type: number, label: Delay, unit: s, min: 0.0, default: 0.0}
outputs:
- {name: doubled, type: number, label: Doubled}
"""

# The module is on PYTHONPATH, not in a distribution: the project names one that is installed.
PROJECT = """
[project]
name = "purelms-runtime"
[tool.purelms]
module = "faulty_backend"
"""


@pytest.fixture
def faulty_root(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "repo"
    (root / "backends" / "faulty").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (root / "backends" / "faulty" / "interactive_task.yaml").write_text(MANIFEST.lstrip())
    (root / "backends" / "faulty" / "backend").mkdir()
    (root / "backends" / "faulty" / "backend" / "pyproject.toml").write_text(PROJECT.lstrip())
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "faulty_backend.py").write_text(textwrap.dedent(MODULE))
    env = {
        **os.environ,
        "PYTHONPATH": str(modules),
        "FAULTY_COUNTER": str(tmp_path / "runs.txt"),
        "COLUMNS": "200",
    }
    return root, env


def start_sweep(root: Path, out: Path, env: dict[str, str], *grid: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "purelms_harness.cli", "--root", str(root), "sweep"]
    return subprocess.Popen(
        [*command, "faulty", *grid, *SWEEP_OPTIONS, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its cluster and backends: one group to clean up
    )


def stop_everything(proc: subprocess.Popen[str], out: Path, faults: Any) -> None:
    """Kill the sweep's session and any backend process still working in ``out``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    for pid in faults.processes_mentioning(str(out)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert faults.wait_until(lambda: not faults.processes_mentioning(str(out)), 10)


def runs_per_point(env: dict[str, str]) -> Counter[int]:
    counter = Path(env["FAULTY_COUNTER"])
    return Counter(int(line) for line in counter.read_text().split())


def test_a_task_whose_worker_dies_every_time_is_one_row_and_nothing_is_lost(
    faulty_root: tuple[Path, dict[str, str]], tmp_path: Path, faults: Any
) -> None:
    root, env = faulty_root
    out = tmp_path / "out"
    doomed = 5
    proc = start_sweep(
        root,
        out,
        {**env, "FAULTY_DOOMED": str(doomed)},
        "-p",
        "point=1..12",
        "-p",
        "delay_seconds=0.2",
    )
    try:
        stdout, stderr = proc.communicate(timeout=150)
    finally:
        stop_everything(proc, out, faults)
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert "12 points: 12 ran" in stdout, stdout
    table = pa_ipc.open_file((out / "sweep.arrow").read_bytes()).read_all()
    assert table.schema.field("delay_seconds").type == pa.float64(), "failed rows stack typed"
    assert table.schema.field("point").type == pa.int64()
    rows = table.to_pylist()
    assert [r["point"] for r in rows] == list(range(1, 13)), "one row per point, in grid order"
    by_point = {r["point"]: r for r in rows}
    lost = by_point.pop(doomed)
    assert lost["status"] == "error"
    assert "worker" in lost["status_message"], lost["status_message"]
    assert lost["doubled"] is None
    assert {r["status"] for r in by_point.values()} == {"success"}
    assert all(r["doubled"] == 2.0 * p for p, r in by_point.items())
    with (out / "sweep.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 12
    assert (out / "sweep.json").is_file()
    runs = runs_per_point(env)
    assert set(runs) == set(range(1, 13))
    assert max(runs.values()) <= 1 + RETRIES, runs
    assert runs[doomed] == 1 + RETRIES, "the doomed point was retried, then given up"


def test_a_killed_sweep_leaves_every_finished_row_on_disk(
    faulty_root: tuple[Path, dict[str, str]], tmp_path: Path, faults: Any
) -> None:
    root, env = faulty_root
    out = tmp_path / "out"
    proc = start_sweep(
        root, out, {**env, "FAULTY_HANG": "4"}, "-p", "point=1..4", "-p", "delay_seconds=0.2"
    )
    journal = out / "sweep.csv"

    def finished_rows() -> list[dict[str, str]]:
        if not journal.exists():
            return []
        with journal.open() as handle:
            return list(csv.DictReader(handle))

    try:
        assert faults.wait_until(lambda: len(finished_rows()) == 3, 90, step=0.1), (
            f"rows on disk: {finished_rows()}; sweep said: {proc.poll()}"
        )
        time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)  # the sweep itself, mid-run
        proc.wait(timeout=10)
    finally:
        stop_everything(proc, out, faults)
    rows = finished_rows()
    assert sorted(int(r["point"]) for r in rows) == [1, 2, 3]
    assert {r["status"] for r in rows} == {"success"}
    assert all(float(r["doubled"]) == 2.0 * int(r["point"]) for r in rows)
    assert not (out / "sweep.json").exists(), "an interrupted sweep must not look complete"

"""Echo sweeps: 2 Dask workers vs serial, and a cached rerun vs the first run.

Both ratios are measured in the same run on the same grid of echo points:

* **throughput**: the grid run one task after another through the same
  ``HarnessExecutionEnvironment`` the workers use (no Dask at all), against
  the grid on a ``LocalCluster`` of 2 single-threaded worker processes. The
  cluster is started before the clock starts (its start-up is printed on its
  own); each echo run is a whole backend process, so the ideal on a 2-core
  machine is 2x. The two are measured alternately, best of ``REPEATS``, and
  the mean time of one run (serial vs inside a worker) is printed so that
  CPU contention from other load shows up as such.
* **cache**: ``run_sweep`` with an empty store (every point runs) against the
  same sweep again (every point is served from the CAS; no cluster needed).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from _report import figure

from purelms_harness import find_repo_root
from purelms_sweep._bundles import WorkspaceBundles
from purelms_sweep._execution import EnvironmentConfig, HarnessExecutionEnvironment
from purelms_sweep._service import connector, dask_client, make_tasks, run_sweep, run_tasks

POINTS = 12
WORKERS = 2
REPEATS = 3


def _points(prefix: str) -> list[dict[str, object]]:
    return [{"message": f"{prefix}{i}"} for i in range(POINTS)]


def main() -> None:
    root = find_repo_root(Path(__file__))
    bundles = WorkspaceBundles(root)
    serial: list[float] = []
    parallel: list[float] = []
    per_task_serial: list[float] = []
    per_task_worker: list[float] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = HarnessExecutionEnvironment(EnvironmentConfig(str(root), str(tmp / "serial")))
        env.run(make_tasks(bundles, "echo", [{"message": "warm-up"}])[0])
        started = time.perf_counter()
        with dask_client(workers=WORKERS) as client:
            cluster_start = time.perf_counter() - started
            config = EnvironmentConfig(str(root), str(tmp / "parallel"))
            connect = connector(config, client=client)
            run_tasks(make_tasks(bundles, "echo", _points("w")[:WORKERS]), connect=connect)
            # Interleaved repeats, best of each: other load on the machine hits both alike.
            for repeat in range(REPEATS):
                tasks = make_tasks(bundles, "echo", _points(f"s{repeat}-"))
                started = time.perf_counter()
                for task in tasks:
                    t0 = time.perf_counter()
                    env.run(task)
                    per_task_serial.append(time.perf_counter() - t0)
                serial.append(time.perf_counter() - started)

                tasks = make_tasks(bundles, "echo", _points(f"p{repeat}-"))
                started = time.perf_counter()
                rows = run_tasks(tasks, connect=connect)
                parallel.append(time.perf_counter() - started)
                assert all(row.status == "success" for row in rows)
                per_task_worker += [float(row.result.metadata["wall_seconds"]) for row in rows]

            specs = [f"message={','.join(f'c{i}' for i in range(POINTS))}"]
            first = run_sweep(
                root, "echo", specs, out_dir=tmp / "first", client=client, cas_dir=tmp / "cas"
            )
            cached = run_sweep(
                root, "echo", specs, out_dir=tmp / "cached", client=client, cas_dir=tmp / "cas"
            )
            assert first.ran == POINTS
            assert cached.cached == POINTS
        env.shutdown()

    best_serial, best_parallel = min(serial), min(parallel)
    mean_serial, mean_worker = statistics.mean(per_task_serial), statistics.mean(per_task_worker)
    lines = [
        (f"LocalCluster({WORKERS} workers) start-up (in no ratio)", f"{cluster_start:8.2f} s"),
        (f"serial, one after another (best of {REPEATS})", f"{best_serial:8.2f} s"),
        (f"{WORKERS} workers (best of {REPEATS})", f"{best_parallel:8.2f} s"),
        ("mean time of one run, serial", f"{mean_serial:8.2f} s"),
        ("mean time of one run, inside a worker", f"{mean_worker:8.2f} s"),
        ("sweep, first run", f"{first.wall_seconds:8.2f} s"),
        ("sweep, cached rerun", f"{cached.wall_seconds:8.3f} s"),
    ]
    load = os.getloadavg()[0]
    print(f"bench_sweep: {POINTS} echo points, {os.cpu_count()} CPUs, load average {load:.1f}")
    for label, value in lines:
        print(f"  {label + ':':<52}{value}")
    throughput = best_serial / best_parallel
    print(
        figure(f"{WORKERS} workers' throughput", throughput, "serial", None, direction="at_least")
    )
    speedup = first.wall_seconds / cached.wall_seconds
    print(figure("cached rerun's speed", speedup, "first sweep", direction="at_least"))


if __name__ == "__main__":
    main()

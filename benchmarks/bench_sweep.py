"""Echo sweeps: 2 Dask workers vs serial, and a cached rerun vs the first run.

Both ratios are measured in the same run on the same grid of echo points:

* **throughput**: the grid run one task after another through the same
  ``HarnessExecutionEnvironment`` the workers use (no Dask at all), against
  the grid on a ``LocalCluster`` of 2 single-threaded worker processes. The
  cluster is started before the clock starts (its start-up is printed on its
  own); each echo run is a whole backend process, so the ideal on a 2-core
  machine is 2x.
* **cache**: ``run_sweep`` with an empty store (every point runs) against the
  same sweep again (every point is served from the CAS; no cluster needed).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from purelms_runtime._bundles import WorkspaceBundles
from purelms_runtime._execution import EnvironmentConfig, HarnessExecutionEnvironment
from purelms_runtime._manifest import find_repo_root
from purelms_runtime._sweep import connector, dask_client, make_tasks, run_sweep, run_tasks

POINTS = 12
WORKERS = 2


def main() -> None:
    root = find_repo_root(Path(__file__))
    bundles = WorkspaceBundles(root)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        serial_tasks = make_tasks(bundles, "echo", [{"message": f"s{i}"} for i in range(POINTS)])
        parallel_tasks = make_tasks(bundles, "echo", [{"message": f"p{i}"} for i in range(POINTS)])

        env = HarnessExecutionEnvironment(EnvironmentConfig(str(root), str(tmp / "serial")))
        env.run(make_tasks(bundles, "echo", [{"message": "warm-up"}])[0])
        started = time.perf_counter()
        for task in serial_tasks:
            env.run(task)
        serial = time.perf_counter() - started
        env.shutdown()

        started = time.perf_counter()
        with dask_client(workers=WORKERS) as client:
            cluster_start = time.perf_counter() - started
            config = EnvironmentConfig(str(root), str(tmp / "parallel"))
            connect = connector(config, client=client)
            warm = make_tasks(bundles, "echo", [{"message": f"w{i}"} for i in range(WORKERS)])
            run_tasks(warm, connect=connect)  # workers import the runtime once
            started = time.perf_counter()
            rows = run_tasks(parallel_tasks, connect=connect)
            parallel = time.perf_counter() - started
            assert all(row.status == "success" for row in rows)

            specs = [f"message={','.join(f'c{i}' for i in range(POINTS))}"]
            first = run_sweep(
                root, "echo", specs, out_dir=tmp / "first", client=client, cas_dir=tmp / "cas"
            )
            cached = run_sweep(
                root, "echo", specs, out_dir=tmp / "cached", client=client, cas_dir=tmp / "cas"
            )
            assert first.ran == POINTS
            assert cached.cached == POINTS

    print(f"bench_sweep: {POINTS} echo points, {os.cpu_count()} CPUs")
    print(f"  LocalCluster({WORKERS} workers) start-up:  {cluster_start:8.2f} s (not in a ratio)")
    print(f"  serial, one after another:          {serial:8.2f} s")
    print(f"  {WORKERS} workers:                          {parallel:8.2f} s")
    print(f"  throughput ratio serial/{WORKERS} workers:    {serial / parallel:8.2f}x")
    print(f"  sweep, first run:                   {first.wall_seconds:8.2f} s")
    print(f"  sweep, cached rerun:                {cached.wall_seconds:8.3f} s")
    print(f"  ratio first/cached:                 {first.wall_seconds / cached.wall_seconds:8.1f}x")


if __name__ == "__main__":
    main()

"""Runs in parallel, each in its own working directory, do not interfere."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

RunCase = Callable[..., Any]  # the session fixtures of conftest.py


def test_two_parallel_runs_equal_their_serial_runs(simulated: RunCase, run_case: RunCase) -> None:
    serial = {name: simulated(climate=name) for name in ("chicago", "tampa")}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run_case, climate=name) for name in serial}
        parallel = {name: future.result() for name, future in futures.items()}
    for name in serial:
        assert parallel[name].outputs == serial[name].outputs, name
        assert parallel[name].run.work_dir != serial[name].run.work_dir
    assert parallel["chicago"].outputs != parallel["tampa"].outputs


def test_two_parallel_identical_runs_agree(run_case: RunCase, simulated: RunCase) -> None:
    """Same model twice at once: same directory names inside separate work dirs."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(lambda _: run_case(climate="san_francisco"), range(2))
    assert first.outputs == second.outputs == simulated(climate="san_francisco").outputs

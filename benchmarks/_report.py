"""One format for every benchmark figure: ``X× <baseline> (target ≤ Y) ok|MISS``.

A figure is always a ratio of two things measured in the same run (never a number
compared with one remembered from another machine), and its direction is stated:
``at_most`` for a cost (ours over the baseline: lower is better), ``at_least`` for
a gain (the baseline over ours: higher is better). Figures without a target say so.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import Literal

__all__ = ["PYDANTIC_FLOOR_CODE", "cpu_figure", "figure", "seconds_figure", "timed_run"]

PYDANTIC_FLOOR_CODE = (
    "from pydantic import BaseModel\n"
    "class Floor(BaseModel):\n"
    "    x: int\n"
    "Floor.model_validate_json('{\"x\": 1}')\n"
)
"""The least any process costs that validates a document with pydantic: start Python,
import pydantic's model machinery, build one model, validate one document. Every
backend process and every harness run pays at least this; the benchmarks print it
beside their targets, so a MISS shows how much of it is above that floor."""


def figure(
    what: str,
    ratio: float,
    baseline: str,
    target: float | None = None,
    *,
    direction: Literal["at_most", "at_least"] = "at_most",
) -> str:
    """``what: 1.23× baseline (target ≤ 1.15) MISS`` (or ``≥`` for a gain)."""
    if target is None:
        return f"  {what}: {ratio:.2f}\u00d7 {baseline} (no target)"
    sign = "\u2264" if direction == "at_most" else "\u2265"
    met = ratio <= target if direction == "at_most" else ratio >= target
    return (
        f"  {what}: {ratio:.2f}\u00d7 {baseline} (target {sign} {target:g}) "
        f"{'ok' if met else 'MISS'}"
    )


def seconds_figure(what: str, seconds: float, target: float) -> str:
    """An absolute time against an absolute target: ``what: 4.2 s (target ≤ 10 s) ok``."""
    verdict = "ok" if seconds <= target else "MISS"
    return f"  {what}: {seconds:.1f} s (target \u2264 {target:g} s) {verdict}"


def timed_run(
    command: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | None = None
) -> tuple[float, float]:
    """Run ``command`` to completion (it must succeed): its wall seconds and CPU seconds.

    CPU seconds are user + system time of the process and of every descendant it waited
    for (``RUSAGE_CHILDREN``), so a harness's backend, worker and engine count too. On a
    shared machine wall time also holds the time others took the CPU from us; CPU time
    does not, which makes it the steadier of the two for comparing runs (the targets
    stay on wall time, what a user waits).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def cpu_figure(what: str, ours: Sequence[float], baseline: Sequence[float], name: str) -> str:
    """The median of paired CPU-time ratios, printed beside a wall-time figure (no target)."""
    ratios = [o / b for o, b in zip(ours, baseline, strict=True) if b > 0]
    if not ratios:
        return f"  {what}, CPU time: not measurable here"
    return (
        f"  {what}, CPU time (user+sys, median of {len(ratios)} pairs): "
        f"{statistics.median(ratios):.2f}\u00d7 {name} (no target)"
    )

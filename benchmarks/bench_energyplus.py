"""EnergyPlus single zone: what the backend adds to the engine, and what parallel runs gain.

All measured in the same run, so the ratios hold on whatever machine runs them:

(a) overhead: the bare ``energyplus`` binary on an IDF and EPW produced by the
    backend vs the backend's ``simulate`` end to end on the same inputs
    (building the IDF, running the engine with progress parsing, reading
    eplusout.sql, copying the artifacts). Also, if the harness is available,
    ``purelms run`` end to end (a fresh backend process, envelope, callbacks,
    evidence) on the same parameters.
(b) parallelism: N annual runs serially vs with 2 worker threads (each run is an
    EnergyPlus process, so threads are enough to keep two engines busy).

Each measurement is repeated; the best time is reported (the least disturbed
by other work on the machine), with the median beside it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import uuid4

from purelms_energyplus_single_zone import EnergyPlusParameters, simulate
from purelms_energyplus_single_zone._backend import resolve_weather
from purelms_energyplus_single_zone._engine import energyplus_binary
from purelms_energyplus_single_zone._idf import ModelInputs, build_idf
from purelms_runtime import RunContext

REPO = Path(__file__).resolve().parents[1]
REPEATS = 5
PARALLEL_RUNS = 6
PARALLEL_REPEATS = 3
WORKERS = 2


def _context(root: Path) -> RunContext:
    for name in ("input", "output", "work"):
        (root / name).mkdir(parents=True)
    return RunContext(
        run_id=uuid4(),
        input_dir=root / "input",
        output_dir=root / "output",
        work_dir=root / "work",
        input_files=[],
        events=None,
    )


def _interleaved(
    actions: dict[str, Callable[[int], object]], repeats: int
) -> dict[str, list[float]]:
    """Time each action ``repeats`` times, alternating between them, so that a busy spell of
    the machine affects every action alike rather than whichever happened to run then."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for index in range(repeats):
        for name, action in actions.items():
            started = time.perf_counter()
            action(index)
            times[name].append(time.perf_counter() - started)
    return times


def _line(label: str, times: list[float]) -> str:
    return f"  {label:<44} best {min(times):7.3f} s   median {statistics.median(times):7.3f} s"


def _ratio(label: str, value: float) -> str:
    return f"  {label:<44} {value:6.2f}x"


def bench_overhead(tmp: Path) -> None:
    params = EnergyPlusParameters()
    weather = resolve_weather(params, _context(tmp / "resolve"))
    idf = tmp / "in.idf"
    idf.write_text(
        build_idf(
            params,
            ModelInputs(
                location=weather.location, ground_temperatures_c=weather.ground_temperatures_c
            ),
        )
    )
    binary = str(energyplus_binary())

    def bare(index: int) -> None:
        out = tmp / f"bare{index}"
        command = [binary, "-w", str(weather.epw), "-d", str(out), str(idf)]
        subprocess.run(command, check=True, capture_output=True, cwd=tmp)

    def backend(index: int) -> None:
        simulate(params, _context(tmp / f"backend{index}"))

    def harness(index: int) -> None:
        command = [sys.executable, "-m", "purelms_harness.cli", "run", "energyplus_single_zone"]
        command += ["--quiet", "--out", str(tmp / f"harness{index}")]
        subprocess.run(command, check=True, capture_output=True, cwd=REPO)

    actions: dict[str, Callable[[int], object]] = {
        "bare energyplus binary": bare,
        "backend simulate() end to end": backend,
    }
    bare(-1)  # warm the page cache for the engine and the weather file
    try:
        harness(-1)
        actions["purelms run energyplus_single_zone"] = harness
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"  purelms run: not measured ({exc})")
    times = _interleaved(actions, REPEATS)
    bare_best = min(times["bare energyplus binary"])
    print(f"(a) one annual run, default parameters (best/median of {REPEATS}, interleaved)")
    for name, measured in times.items():
        print(_line(name, measured))
    print(
        _ratio(
            "ratio simulate/bare (best)", min(times["backend simulate() end to end"]) / bare_best
        )
    )
    if "purelms run energyplus_single_zone" in times:
        harness_best = min(times["purelms run energyplus_single_zone"])
        print(_ratio("ratio purelms run/bare (best)", harness_best / bare_best))


def bench_parallel(tmp: Path) -> None:
    climates = ("chicago", "golden", "san_francisco", "tampa", "washington_dulles")
    cases = [
        EnergyPlusParameters(climate=climates[i % len(climates)]) for i in range(PARALLEL_RUNS)
    ]
    counter = iter(range(10**6))

    def one(params: EnergyPlusParameters) -> float:
        return simulate(params, _context(tmp / f"par{next(counter)}")).heating_kwh

    def serial(_: int) -> list[float]:
        return [one(params) for params in cases]

    def parallel(_: int) -> list[float]:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return list(pool.map(one, cases))

    assert serial(0) == parallel(0), "parallel runs must give the serial results"
    times = _interleaved({"serial": serial, "parallel": parallel}, PARALLEL_REPEATS)
    serial_best, parallel_best = min(times["serial"]), min(times["parallel"])
    print(f"(b) {PARALLEL_RUNS} annual runs (best/median of {PARALLEL_REPEATS}, interleaved)")
    print(_line("serial", times["serial"]))
    print(_line(f"{WORKERS} parallel workers", times["parallel"]))
    print(_ratio("ratio parallel/serial (best)", parallel_best / serial_best))
    print(_ratio("speed-up serial/parallel (best)", serial_best / parallel_best))


def main() -> None:
    cpus, load = os.cpu_count(), os.getloadavg()[0]
    print(f"bench_energyplus: EnergyPlus single zone backend ({cpus} CPUs, load {load:.1f})")
    with tempfile.TemporaryDirectory(prefix="bench-eplus-") as tmp:
        bench_overhead(Path(tmp) / "overhead")
        bench_parallel(Path(tmp) / "parallel")


if __name__ == "__main__":
    main()

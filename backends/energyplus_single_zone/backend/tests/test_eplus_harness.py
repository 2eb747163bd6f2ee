"""End to end through the purelms harness: the backend as the platform runs it.

Real processes, real loopback callbacks, the real engine. These use the
runtime's harness API (as the runtime's own tests do) because only it can
forge a wrong sha256 or watch the callbacks.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from purelms_energyplus_single_zone import BUNDLED_CLIMATES, backend
from purelms_energyplus_single_zone._climates import bundled_climate
from purelms_harness import (
    BackendManifest,
    CallbackServer,
    LocalRunResult,
    Outcome,
    ReceivedCallback,
    RunRequest,
    check_manifest,
    discover,
    evaluate_outcome,
    find_repo_root,
    manifest_drift,
    readme_drift,
    run_local,
    verify_evidence,
)
from purelms_shared import (
    BackendCallbackEvent,
    InputFileRole,
    MessageLevel,
    OutputStatus,
    ProgressCallback,
)

REPO = find_repo_root(Path(__file__))
SLUG = "energyplus_single_zone"


@pytest.fixture(scope="module")
def manifest() -> BackendManifest:
    return discover(REPO)[SLUG]


@pytest.fixture
def server() -> Iterator[CallbackServer]:
    with CallbackServer(token=secrets.token_urlsafe(16)) as srv:
        yield srv


def _run(
    manifest: BackendManifest, server: CallbackServer, run_dir: Path, request: RunRequest
) -> LocalRunResult:
    result = run_local(manifest, request, server=server, run_dir=run_dir)
    assert result.problems == [], result.stderr
    assert result.envelope_out is not None
    return result


def _progress(result: LocalRunResult) -> list[ProgressCallback]:
    return [
        c.body
        for c in result.callbacks
        if c.event is BackendCallbackEvent.PROGRESS and isinstance(c.body, ProgressCallback)
    ]


def _engine_progress(result: LocalRunResult) -> list[ProgressCallback]:
    """Progress callbacks that only a started EnergyPlus run produces."""
    steps = ("Starting EnergyPlus", "Warming", "Simulating")
    return [p for p in _progress(result) if p.step.startswith(steps)]


@dataclass(frozen=True)
class Timeline:
    """A run through the harness, with the arrival time of every progress callback."""

    result: LocalRunResult
    arrivals: list[tuple[float, ProgressCallback]]

    @property
    def total_seconds(self) -> float:
        """Seconds from dispatch to the last progress callback (100 %: the engine is done)."""
        return max((t for t, _ in self.arrivals), default=0.0)


def _timed_run(manifest: BackendManifest, run_dir: Path, request: RunRequest) -> Timeline:
    arrivals: list[tuple[float, ProgressCallback]] = []
    started = time.monotonic()

    def record(callback: ReceivedCallback) -> None:
        if isinstance(callback.body, ProgressCallback):
            arrivals.append((time.monotonic() - started, callback.body))

    with CallbackServer(token=secrets.token_urlsafe(16)) as server:
        result = run_local(manifest, request, server=server, run_dir=run_dir, on_callback=record)
    assert result.problems == [], result.stderr
    return Timeline(result, arrivals)


@pytest.fixture(scope="module")
def timeline(manifest: BackendManifest, tmp_path_factory: pytest.TempPathFactory) -> Timeline:
    """A default Tampa run with unthrottled progress."""
    request = RunRequest(parameters={"climate": "tampa"}, progress_min_interval_seconds=0.0)
    return _timed_run(manifest, tmp_path_factory.mktemp("eplus-harness") / "run", request)


def test_manifest_matches_the_models(manifest: BackendManifest) -> None:
    assert manifest_drift(manifest, backend) == []
    assert readme_drift(manifest.directory, backend) == []
    assert manifest.version == backend.version == "0.2.0"
    assert check_manifest(manifest.path).problems == []


def test_manifest_says_what_the_platform_needs_to_know(manifest: BackendManifest) -> None:
    task = manifest.task
    assert task.backend.progress_reporting.value == "percentage"  # the engine counts its days
    assert task.deployment.required_capabilities == ["callbacks", "percentage_progress"]
    assert task.backend.image == "purelms-itask-energyplus-single-zone:0.2.0"
    declared = {output.name for output in task.outputs}
    undeclared = set(backend.outputs_model.model_fields) - declared
    assert undeclared == {"end_uses_kwh", "monthly_heating_kwh", "monthly_cooling_kwh"}
    hints = {output.name: output.display_hint for output in task.outputs if output.display_hint}
    assert hints["heating_kwh"] == "value-card"
    night = task.parameter("night_start_hour")
    assert night is not None
    assert (night.type.value, night.step, night.min, night.max, night.default) == (
        "number",
        1,
        0,
        23,
        23,
    )


def test_the_climate_labels_are_the_catalogues(manifest: BackendManifest) -> None:
    climate = manifest.task.parameter("climate")
    assert climate is not None
    labels = {choice.value: choice.label for choice in climate.choices or []}
    for name in BUNDLED_CLIMATES:
        assert labels[name] == bundled_climate(name).label


def test_the_teaching_goal_grades_heating_in_the_default_climate(
    manifest: BackendManifest,
) -> None:
    """Passed below 2,500 kWh; the score falls from 1 at 1,000 kWh to 0 at 5,000 kWh."""
    rules = manifest.task.lms_outcomes
    assert rules.passed is not None
    assert rules.score is not None
    assert (rules.passed.source, rules.passed.transform.value, rules.passed.threshold) == (
        "outputs.heating_kwh",
        "less_than",
        2500,
    )
    assert (rules.score.transform.value, rules.score.bounds) == ("normalize_inverse", (1000, 5000))
    insulated = evaluate_outcome(rules, "success", {"heating_kwh": 1720.0})
    assert insulated == Outcome(passed=True, score=pytest.approx(0.82), completion=1.0)


def test_purelms_run_with_no_parameters_prints_a_results_table(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "purelms_harness.cli", "run", SLUG, "--out", str(out), "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "status: success" in proc.stdout
    for label in ("Annual heating load", "Annual cooling load", "Site energy use intensity"):
        assert label in proc.stdout
    envelope = json.loads((out / "output" / "output.json").read_text())
    assert envelope["status"] == "success"
    assert envelope["outputs"]["heating_kwh"] > 0
    artifacts = {a["filename"]: a for a in envelope["artifacts"]}
    assert set(artifacts) == {"in.idf", "eplusout.sql", "eplusout.err", "eplustbl.htm"}
    for name, artifact in artifacts.items():
        data = (out / "output" / name).read_bytes()
        assert artifact["sha256"] == hashlib.sha256(data).hexdigest(), name
        assert artifact["size_bytes"] == len(data)
    assert envelope["metrics"]["energyplus_seconds"] > 0
    assert verify_evidence(out) == []
    # The Case 600 box as given needs about 5,070 kWh in Chicago: not passed, score clamped to 0
    assert "outcome: passed no, score 0.00, completion 1.00" in proc.stdout
    assert json.loads((out / "outcome.json").read_text()) == {
        "passed": False,
        "score": 0.0,
        "completion": 1.0,
    }


def test_progress_callbacks_follow_the_run_period(timeline: Timeline) -> None:
    assert timeline.result.status is OutputStatus.SUCCESS
    progress = _progress(timeline.result)
    percents = [p.progress_pct for p in progress]
    assert percents == sorted(percents)
    assert percents[-1] == 100
    assert any(p.step.startswith("Simulating") for p in progress)
    # progress_reporting: percentage sends the milestones, each at most once.
    assert set(percents) <= {0, 25, 50, 75, 100}
    assert len(percents) == len(set(percents)) >= 3


def test_a_weather_file_with_a_wrong_sha256_is_rejected_before_the_engine(
    manifest: BackendManifest, server: CallbackServer, tmp_path: Path
) -> None:
    request = RunRequest(
        parameters={"climate": "custom"},
        input_files=[(InputFileRole.WEATHER, bundled_climate("tampa").epw)],
        input_sha256_overrides={bundled_climate("tampa").epw.name: "0" * 64},
    )
    result = _run(manifest, server, tmp_path / "run", request)
    assert result.status is OutputStatus.FAILED_RUNTIME
    assert result.envelope_out is not None
    assert result.envelope_out.messages[-1].code == "INPUT_FILE.SHA256_MISMATCH"
    assert result.envelope_out.outputs == {}
    assert result.envelope_out.artifacts == []
    assert not _engine_progress(result)


def test_a_custom_weather_file_runs(
    manifest: BackendManifest, server: CallbackServer, tmp_path: Path
) -> None:
    request = RunRequest(
        parameters={"climate": "custom"},
        input_files=[(InputFileRole.WEATHER, bundled_climate("san_francisco").epw)],
    )
    result = _run(manifest, server, tmp_path / "run", request)
    assert result.status is OutputStatus.SUCCESS
    assert result.envelope_out is not None
    assert "724940" in result.envelope_out.outputs["weather_station"]


def test_an_unknown_climate_lists_the_valid_ones(
    manifest: BackendManifest, server: CallbackServer, tmp_path: Path
) -> None:
    request = RunRequest(parameters={"climate": "atlantis", "height_m": 50})
    result = _run(manifest, server, tmp_path / "run", request)
    assert result.status is OutputStatus.FAILED_RUNTIME
    assert result.envelope_out is not None
    texts = [m.text for m in result.envelope_out.messages if m.code == "PARAMS.INVALID"]
    climate = next(t for t in texts if "climate" in t)
    for name in BUNDLED_CLIMATES:
        assert name in climate
    assert any("height_m" in t for t in texts)
    assert not _engine_progress(result)


def test_an_engine_failure_is_failed_simulation_with_the_engines_messages(
    manifest: BackendManifest, server: CallbackServer, tmp_path: Path
) -> None:
    lines = bundled_climate("chicago").epw.read_text(encoding="latin-1").splitlines(True)
    broken = tmp_path / "broken.epw"
    broken.write_text("".join([*lines[:30], "garbage,line\n", *lines[30:]]))
    request = RunRequest(
        parameters={"climate": "custom"}, input_files=[(InputFileRole.WEATHER, broken)]
    )
    result = _run(manifest, server, tmp_path / "run", request)
    assert result.status is OutputStatus.FAILED_SIMULATION
    out = result.envelope_out
    assert out is not None
    assert out.messages[-1].code == "ENERGYPLUS.FATAL"
    assert "Error in Reading Weather Data" in out.messages[-1].text
    severe = [m for m in out.messages if m.code == "ENERGYPLUS.SEVERE"]
    assert severe
    assert all(m.level is MessageLevel.ERROR for m in severe)
    assert {a.filename for a in out.artifacts} == {"in.idf", "eplusout.err"}


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text.encode() in cmdline and state != "Z":
            found.append(int(pid))
    return found


def test_timeout_kills_energyplus(
    manifest: BackendManifest, tmp_path: Path, timeline: Timeline
) -> None:
    """The timeout must land while EnergyPlus runs. ``timeout_seconds`` is whole seconds
    and an annual run takes about one, so the engine is held mid-run the way a slow engine
    would be: a watcher stops (SIGSTOP) the EnergyPlus process as soon as it appears, and
    the whole-second timeout, set well past the moment the engine started in the previous
    run (progress goes out only at milestones, so the previous run's whole duration bounds
    it), lands while it is stopped. The runtime kills the process tree with SIGKILL, which
    ends a stopped process like a running one."""
    timeout = math.ceil(timeline.total_seconds) + 2
    work = tmp_path / "work"
    work.mkdir()
    held: list[int] = []
    done = threading.Event()

    def hold_engine() -> None:
        while not done.is_set() and not held:
            for pid in _processes_mentioning(str(work)):
                os.kill(pid, signal.SIGSTOP)
                held.append(pid)
            time.sleep(0.002)

    watcher = threading.Thread(target=hold_engine, daemon=True)
    watcher.start()
    request = RunRequest(
        parameters={"climate": "tampa"},
        timeout_seconds=timeout,
        progress_min_interval_seconds=0.0,
        env={"PURELMS_WORK_DIR": str(work), "PURELMS_KEEP_WORK_DIR": "1"},
    )
    started = time.monotonic()
    try:
        run = _timed_run(manifest, tmp_path / "run", request)
    finally:
        done.set()
        watcher.join(timeout=5)
    elapsed = time.monotonic() - started
    engine_dirs = list(work.glob("*/energyplus"))
    assert held, f"EnergyPlus was never seen running (status {run.result.status})"
    assert run.result.status is OutputStatus.TIMED_OUT
    assert elapsed < timeout + 5
    assert run.result.envelope_out is not None
    assert run.result.envelope_out.outputs == {}
    assert len(engine_dirs) == 1
    assert not (engine_dirs[0] / "eplusout.end").exists(), "EnergyPlus was not interrupted"
    deadline = time.monotonic() + 2
    while _processes_mentioning(str(work)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_mentioning(str(work)) == [], "EnergyPlus survived the timeout"

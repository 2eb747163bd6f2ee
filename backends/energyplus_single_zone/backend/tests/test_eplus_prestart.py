"""The engine started at the top of ``python -m`` (``_prestart``), on the real binary.

What each test holds to: the engine waits at its gate until the run's model is in place
and then simulates exactly that model; a backend process gives the results an in-process
run gives; and however the run ends (success, parameters refused, a timeout, the
backend process killed) neither an engine nor its folder is left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

from purelms_energyplus_single_zone import EnergyPlusOutputs, __version__
from purelms_energyplus_single_zone._climates import bundled_climate
from purelms_shared import INPUT_SCHEMA_V1, ExecutionContext, SimulationInputEnvelope
from purelms_testkit import is_running, processes_mentioning, wait_until

RunCase = Callable[..., Any]  # the session fixtures of conftest.py

NO_CALLBACKS = "file:///dev/null"


def _backend_process(
    root: Path, parameters: dict[str, object], *, timeout_seconds: int = 600
) -> tuple[subprocess.Popen[str], Path]:
    """Start ``python -m purelms_energyplus_single_zone`` on an offline input in ``root``;
    its work folders (and the prestarted engine's) go to ``root / "work"``."""
    for name in ("input", "output", "work"):
        (root / name).mkdir(parents=True)
    envelope = SimulationInputEnvelope(
        schema_version=INPUT_SCHEMA_V1,
        run_id=uuid4(),
        backend_slug="energyplus_single_zone",
        backend_version=__version__,
        student_id=1,
        course_id=1,
        block_id=1,
        parameters=parameters,
        context=ExecutionContext(
            callback_url_progress=NO_CALLBACKS,
            callback_url_complete=NO_CALLBACKS,
            callback_audience="tests",
            timeout_seconds=timeout_seconds,
        ),
    )
    (root / "input" / "input.json").write_text(envelope.model_dump_json())
    env = {
        **os.environ,
        "PURELMS_INPUT_DIR": str(root / "input"),
        "PURELMS_OUTPUT_DIR": str(root / "output"),
        "PURELMS_WORK_DIR": str(root / "work"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "purelms_energyplus_single_zone"],
        env=env,
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, root / "work"


PRESTARTED = "/purelms-energyplus-"
"""In the command line of a prestarted engine (its folder), not of one the worker starts
(``purelms-energyplus_single_zone-<id>/energyplus``, the run's work folder)."""


def _engines_in(folder: Path, text: str = "") -> list[int]:
    """Live EnergyPlus processes with a path under ``folder`` (and ``text``) on their
    command line."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            words[0].endswith(b"energyplus")
            and any(str(folder).encode() in word and text.encode() in word for word in words)
            and is_running(int(entry.name))
        ):
            found.append(int(entry.name))
    return found


def _nothing_left(work: Path) -> None:
    assert wait_until(lambda: not _engines_in(work), 5), f"engines left: {_engines_in(work)}"
    assert wait_until(lambda: not processes_mentioning(str(work)), 5), "processes left"
    assert wait_until(lambda: not any(work.iterdir()), 5), sorted(work.iterdir())


def test_a_backend_process_gives_the_in_process_results(tmp_path: Path, simulated: RunCase) -> None:
    process, work = _backend_process(tmp_path, {"climate": "tampa"})
    prestarted = wait_until(lambda: bool(_engines_in(work, PRESTARTED)), 30)
    started_anew = False
    while process.poll() is None:  # the worker must adopt it, not start one of its own
        started_anew = started_anew or bool(_engines_in(work, "energyplus_single_zone-"))
        time.sleep(0.01)
    log, _ = process.communicate(timeout=300)
    assert prestarted, "no engine was prestarted"
    assert not started_anew, "the worker started an engine of its own"
    assert process.returncode == 0, log
    envelope = json.loads((tmp_path / "output" / "output.json").read_text())
    assert envelope["status"] == "success", envelope["messages"]
    in_process = simulated(climate="tampa").outputs
    assert isinstance(in_process, EnergyPlusOutputs)
    outputs = EnergyPlusOutputs.model_validate(envelope["outputs"])
    assert outputs == in_process
    names = {artifact["filename"] for artifact in envelope["artifacts"]}
    assert names == {"in.idf", "eplusout.sql", "eplusout.err", "eplustbl.htm"}
    err = (tmp_path / "output" / "eplusout.err").read_text(errors="replace")
    assert err.startswith("Program Version,EnergyPlus"), err[:200]  # a file, not the FIFO
    _nothing_left(work)


def test_refused_parameters_leave_no_engine(tmp_path: Path) -> None:
    process, work = _backend_process(tmp_path, {"climate": "atlantis"})
    log, _ = process.communicate(timeout=60)
    assert process.returncode == 0, log
    envelope = json.loads((tmp_path / "output" / "output.json").read_text())
    assert envelope["status"] == "failed_runtime"
    assert any("atlantis" in message["text"] for message in envelope["messages"])
    _nothing_left(work)


def test_a_timeout_kills_the_prestarted_engine(tmp_path: Path) -> None:
    """The engine is stopped (SIGSTOP) as soon as it appears, so the one-second timeout
    lands while it runs; the runtime kills the worker, the host kills the engine."""
    process, work = _backend_process(tmp_path, {}, timeout_seconds=1)
    assert wait_until(lambda: bool(_engines_in(work, PRESTARTED)), 30), "no engine prestarted"
    for pid in _engines_in(work):
        os.kill(pid, signal.SIGSTOP)
    log, _ = process.communicate(timeout=60)
    assert process.returncode == 0, log
    envelope = json.loads((tmp_path / "output" / "output.json").read_text())
    assert envelope["status"] == "timed_out"
    _nothing_left(work)


def test_a_killed_backend_process_takes_its_engine_along(tmp_path: Path) -> None:
    process, work = _backend_process(tmp_path, {})
    try:
        assert wait_until(lambda: bool(_engines_in(work, PRESTARTED)), 30), "none prestarted"
    finally:
        process.kill()
        process.communicate(timeout=30)
    _nothing_left(work)


GATE_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    from purelms_energyplus_single_zone import _prestart
    from purelms_energyplus_single_zone._engine import run_energyplus

    idf, epw, target = map(Path, sys.argv[1:4])
    engine = _prestart.prestart_engine()
    time.sleep(2.0)  # far longer than the engine's start: it must be waiting at its gate
    waited = sorted(p.name for p in engine.folder.iterdir())
    pid = os.fork()
    if pid == 0:  # as the runtime's worker: adopt the engine
        run = run_energyplus(idf, epw, target)
        adopted = _prestart._prestarted is None  # taken (take() clears it), not started anew
        Path(sys.argv[4]).write_text(json.dumps({"end": run.end_line, "adopted": adopted}))
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"waited": waited, "status": status, "folder": str(engine.folder)}))
    """
)


def test_the_installed_engine_is_one_whose_gate_was_checked() -> None:
    """A new engine version is prestarted only once the gate test below passed on it and
    its version was added to ``GATED_ENGINE_VERSIONS``; until then it runs as before."""
    from purelms_energyplus_single_zone._payload import engine_version
    from purelms_energyplus_single_zone._prestart import GATED_ENGINE_VERSIONS

    assert engine_version() in GATED_ENGINE_VERSIONS


def test_the_engine_waits_at_its_gate_and_runs_the_model_placed_later(
    tmp_path: Path, simulated: RunCase
) -> None:
    reference = simulated(climate="tampa")
    idf_text = (reference.run.output_dir / "in.idf").read_text()
    idf = tmp_path / "model" / "in.idf"
    idf.parent.mkdir()
    idf.write_text(idf_text)
    epw = bundled_climate("tampa").epw
    target = tmp_path / "model"
    report = tmp_path / "report.json"
    work = tmp_path / "work"
    work.mkdir()
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", GATE_SCRIPT, str(idf), str(epw), str(target), str(report)],
        env={**os.environ, "PURELMS_WORK_DIR": str(work)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    # While it waited the engine had created its error file (the gate) and nothing else.
    assert seen["waited"] == ["eplusout.err", "in.epw", "in.idf"]
    assert seen["status"] == 0
    ran = json.loads(report.read_text())
    assert ran["adopted"]
    assert ran["end"].startswith("EnergyPlus Completed Successfully")
    assert (target / "eplusout.sql").is_file()
    assert (target / "in.idf").read_text() == idf_text
    assert (target / "eplusout.err").is_file()
    assert time.monotonic() - started > 2.0
    _nothing_left(work)


ENTRY = "import sys; from purelms_harness._entry import main; sys.argv[0] = 'purelms'; main()"


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _harness(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path]:
    """``purelms run energyplus_single_zone ...`` through the console script's entry, which
    starts the engine the last run recorded (``purelms_harness._prestart_hints``)."""
    work = tmp_path / "work"
    work.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "run", "energyplus_single_zone", *args],
        env={**os.environ, "PURELMS_WORK_DIR": str(work)},
        cwd=Path(__file__).resolve().parents[4],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, work


def test_purelms_run_adopts_the_engine_its_entry_started(tmp_path: Path) -> None:
    from purelms_energyplus_single_zone import backend
    from purelms_harness._prestart_hints import record_prestart

    record_prestart("energyplus_single_zone", backend.prestart)  # as any earlier run did
    process, work = _harness(tmp_path, "--quiet", "--out", str(tmp_path / "run"))
    hosts: set[int] = set()
    started_anew = False
    while process.poll() is None:
        for engine in _engines_in(work, PRESTARTED):
            with contextlib.suppress(OSError, ValueError):
                hosts.add(_parent(_parent(engine)))
        started_anew = started_anew or bool(_engines_in(work, "energyplus_single_zone-"))
        time.sleep(0.005)
    log, _ = process.communicate(timeout=300)
    assert process.returncode == 0, log
    envelope = json.loads((tmp_path / "run" / "output" / "output.json").read_text())
    assert envelope["status"] == "success", envelope["messages"]
    # The engine's host is a child of the harness itself: started before its imports.
    assert hosts == {process.pid}, (hosts, process.pid)
    assert not started_anew, "the backend started an engine of its own"
    _nothing_left(work)


def test_a_refused_purelms_run_leaves_no_engine(tmp_path: Path) -> None:
    from purelms_energyplus_single_zone import backend
    from purelms_harness._prestart_hints import record_prestart

    record_prestart("energyplus_single_zone", backend.prestart)
    process, work = _harness(tmp_path, "-p", "climate=atlantis", "--out", str(tmp_path / "r"))
    log, _ = process.communicate(timeout=120)
    assert process.returncode != 0
    assert "atlantis" in log
    _nothing_left(work)


def _prestarts_in_a_new_process(work: Path, setup: str = "", **env: str) -> bool:
    """Whether ``prestart_engine()`` starts an engine in a new interpreter (after
    ``setup``, which may use ``_prestart``); that process leaves nothing in ``work``."""
    code = (
        "from purelms_energyplus_single_zone import _prestart\n"
        + textwrap.dedent(setup)
        + "\nprint(_prestart.prestart_engine() is not None)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PURELMS_WORK_DIR": str(work), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.stdout.strip() in ("True", "False"), proc.stderr
    _nothing_left(work)  # an engine never adopted is ended with the process
    return proc.stdout.strip() == "True"


def test_an_engine_is_prestarted_but_not_for_a_service(tmp_path: Path) -> None:
    """A service runs many jobs, each in a process of its own: its start starts nothing."""
    work = tmp_path / "work"
    work.mkdir()
    assert _prestarts_in_a_new_process(work, PURELMS_RUNTIME_MODE="")
    assert not _prestarts_in_a_new_process(work, PURELMS_RUNTIME_MODE="service")


def test_an_engine_whose_gate_was_not_checked_is_not_prestarted(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    assert not _prestarts_in_a_new_process(work, "_prestart.GATED_ENGINE_VERSIONS = ('24.1.0',)")


def test_no_descriptors_left_for_the_host_means_no_prestart(tmp_path: Path) -> None:
    """Out of file descriptors (or processes) at the start, nothing is started and nothing
    is left: the worker will start the engine itself."""
    work = tmp_path / "work"
    work.mkdir()
    setup = """
        import os, resource
        _prestart.binary_path(), _prestart.engine_version()  # their files read before the limit
        room = len(os.listdir("/proc/self/fd")) + 3  # two pipes' worth, not three
        resource.setrlimit(resource.RLIMIT_NOFILE, (room, room))
        """
    assert not _prestarts_in_a_new_process(work, setup)

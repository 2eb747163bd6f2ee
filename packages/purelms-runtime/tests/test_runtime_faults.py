"""Faults inside the runtime: a killed supervisor, unwritable and full output folders,
hostile input file entries, hanging callback endpoints, and file modes.

Real backend processes, real signals, real loopback HTTP, real file systems (tmpfs
mounted for the test). Each test reproduces one failure of issue 17.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from purelms_harness import CallbackServer, RunRequest, run_local
from purelms_shared import OutputStatus, parse_output_envelope
from purelms_testkit import MakeBackend, Tmpfs, done_backend

pytestmark = pytest.mark.faults


#: A backend whose function leaves a mark when (and only when) it runs.
MARKER_BODY = done_backend(
    "marker",
    """
    Path(os.environ["TEST_MARKER"]).write_text("the function ran")
    return O(done=True)
    """,
    imports="""
    from pathlib import Path
    import os
    """,
)


def envelope(slug: str, **context: Any) -> dict[str, Any]:
    return {
        "schema_version": "purelms.input.v1",
        "run_id": str(uuid.uuid4()),
        "backend_slug": slug,
        "backend_version": "0.1.0",
        "student_id": 1,
        "course_id": 1,
        "block_id": 1,
        "parameters": {},
        "context": {
            "callback_url_progress": "file:///dev/null",
            "callback_url_complete": "file:///dev/null",
            "callback_audience": "test",
            "timeout_seconds": 30,
            **context,
        },
    }


def folders(tmp_path: Path, document: dict[str, Any]) -> tuple[Path, Path]:
    input_dir, output_dir = tmp_path / "in", tmp_path / "out"
    input_dir.mkdir()
    output_dir.mkdir(exist_ok=True)
    (input_dir / "input.json").write_text(json.dumps(document))
    return input_dir, output_dir


def backend_env(input_dir: Path, output_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PURELMS_INPUT_DIR": str(input_dir),
        "PURELMS_OUTPUT_DIR": str(output_dir),
        "PURELMS_PROGRESS_REPORTING": "percentage",  # echo's manifest says so too
        **extra,
    }


def run_module(
    module: str, env: dict[str, str], *prefix: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", module],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- process lifetime --------------------------------------------------------------------


def test_sigkill_of_the_supervisor_takes_worker_children_and_work_folder(
    make_backend: MakeBackend, tmp_path: Path, faults: Any
) -> None:
    pids = tmp_path / "pids"
    _, env = make_backend(
        "lingerer",
        done_backend(
            "lingerer",
            f"""
            child = subprocess.Popen(["sleep", "300"])
            (ctx.work_dir / "scratch.txt").write_text("x")
            Path({str(pids)!r}).write_text(f"{{os.getpid()}} {{child.pid}}")
            time.sleep(300)
            (ctx.output_dir / "late.txt").write_text("written after the supervisor died")
            return O(done=True)
            """,
            imports="""
            import os, subprocess, time
            from pathlib import Path
            """,
        ),
    )
    input_dir, output_dir = folders(tmp_path, envelope("lingerer"))
    work = tmp_path / "work"
    work.mkdir()
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "lingerer"],
        env=backend_env(input_dir, output_dir, PURELMS_WORK_DIR=str(work), **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def both_pids() -> bool:  # the file exists a moment before its text is written
            return pids.exists() and len(pids.read_text().split()) == 2

        assert faults.wait_until(both_pids, 20), "the function never started"
        worker, child = map(int, pids.read_text().split())
        assert len(list(work.iterdir())) == 1
        supervisor.kill()
        supervisor.wait(timeout=5)

        def all_gone() -> bool:
            group = faults.processes_mentioning(str(input_dir))
            return not group and not faults.is_running(worker) and not faults.is_running(child)

        assert faults.wait_until(all_gone, 5), "the worker or its child outlived the supervisor"
        assert faults.wait_until(lambda: not any(work.iterdir()), 5), "work folder leaked"
        assert list(output_dir.iterdir()) == []
    finally:
        supervisor.kill()
        for pid in faults.processes_mentioning(str(input_dir)):
            os.kill(pid, signal.SIGKILL)


def test_sigkill_of_the_supervisor_mid_simulation_stops_energyplus(
    tmp_path: Path, faults: Any
) -> None:
    """The same with the real engine: EnergyPlus is found running, then its supervisor dies."""
    for attempt in range(3):  # a run is about 1 s: catch the engine while it runs
        if _kill_energyplus_mid_run(tmp_path / f"attempt{attempt}", faults):
            return
    pytest.fail("EnergyPlus was never seen running in 3 attempts")


def _kill_energyplus_mid_run(run: Path, faults: Any) -> bool:
    """SIGKILL the supervisor once EnergyPlus runs; False when the run ended unseen."""
    run.mkdir()
    input_dir, output_dir = folders(run, envelope("energyplus_single_zone"))
    work = run / "work"
    work.mkdir()
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "purelms_energyplus_single_zone"],
        env=backend_env(input_dir, output_dir, PURELMS_WORK_DIR=str(work)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    engine: list[int] = []

    def engine_running() -> bool:
        for pid in faults.processes_mentioning(str(work)):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if command.lower().endswith(b"energyplus"):
                engine.append(pid)
        return bool(engine) or supervisor.poll() is not None

    try:
        faults.wait_until(engine_running, 30, step=0.005)
        if not engine:
            return False
        supervisor.kill()
        supervisor.wait(timeout=5)
        assert faults.wait_until(lambda: not any(map(faults.is_running, engine)), 5), (
            "EnergyPlus outlived its supervisor"
        )
        assert faults.wait_until(lambda: not faults.processes_mentioning(str(input_dir)), 5)
        assert faults.wait_until(lambda: not any(work.iterdir()), 5), "work folder leaked"
        assert not (output_dir / "output.json").exists()
        return True
    finally:
        supervisor.kill()
        for pid in faults.processes_mentioning(str(input_dir)):
            os.kill(pid, signal.SIGKILL)


# -- unwritable output folders: refused before anything runs ----------------------------------


def _assert_refused_before_running(
    proc: subprocess.CompletedProcess[str], marker: Path, errno_name: str
) -> None:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 5, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert "is not writable" in lines[0]
    assert f"({errno_name})" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not marker.exists(), "the simulation ran before the output folder was checked"


def test_read_only_output_folder_is_refused_before_the_function_runs(
    make_backend: MakeBackend, tmp_path: Path, tmpfs: Tmpfs
) -> None:
    _, env = make_backend("marker", MARKER_BODY)
    marker = tmp_path / "ran"
    input_dir, output_dir = folders(tmp_path, envelope("marker"))
    with tmpfs(output_dir, size="64k", read_only=True):
        proc = run_module(
            "marker", backend_env(input_dir, output_dir, TEST_MARKER=str(marker), **env)
        )
    _assert_refused_before_running(proc, marker, "EROFS")


def test_permission_denied_output_folder_is_refused_before_the_function_runs(
    make_backend: MakeBackend, tmp_path: Path
) -> None:
    """Root ignores file modes, so the backend runs as root *without* CAP_DAC_OVERRIDE."""
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to drop root's file-permission override"
    _, env = make_backend("marker", MARKER_BODY)
    marker = tmp_path / "ran"
    input_dir, output_dir = folders(tmp_path, envelope("marker"))
    output_dir.chmod(0o555)
    drop = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]
    proc = run_module(
        "marker", backend_env(input_dir, output_dir, TEST_MARKER=str(marker), **env), *drop
    )
    _assert_refused_before_running(proc, marker, "EACCES")


def test_full_output_folder_is_refused_before_the_function_runs(
    make_backend: MakeBackend, tmp_path: Path, tmpfs: Tmpfs, faults: Any
) -> None:
    _, env = make_backend("marker", MARKER_BODY)
    marker = tmp_path / "ran"
    input_dir, output_dir = folders(tmp_path, envelope("marker"))
    with tmpfs(output_dir, size="64k"):
        faults.fill(output_dir)
        proc = run_module(
            "marker", backend_env(input_dir, output_dir, TEST_MARKER=str(marker), **env)
        )
    _assert_refused_before_running(proc, marker, "ENOSPC")


# -- input file entries -------------------------------------------------------------------


def _input_file(filename: str, data: bytes, uri: str) -> dict[str, Any]:
    return {
        "role": "weather",
        "mime_type": "text/plain",
        "filename": filename,
        "uri": uri,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
    }


def test_a_300_character_input_filename_is_one_failed_runtime_message(tmp_path: Path) -> None:
    name = "w" * 300 + ".epw"
    document = envelope("echo")
    document["input_files"] = [_input_file(name, b"x", "gs://bucket/x.epw")]
    input_dir, output_dir = folders(tmp_path, document)
    proc = run_module("purelms_echo", backend_env(input_dir, output_dir))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = parse_output_envelope((output_dir / "output.json").read_bytes())
    assert out.status is OutputStatus.FAILED_RUNTIME
    (message,) = out.messages
    assert message.code == "INPUT_FILE.UNREADABLE"
    assert "(ENAMETOOLONG)" in message.text


def test_a_file_uri_outside_the_input_folder_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "host-secret.epw"
    secret.write_bytes(b"a host file whose hash is known\n")
    document = envelope("echo")
    document["input_files"] = [
        _input_file("weather.epw", secret.read_bytes(), secret.resolve().as_uri())
    ]
    input_dir, output_dir = folders(tmp_path, document)  # weather.epw is not staged
    proc = run_module("purelms_echo", backend_env(input_dir, output_dir))
    assert proc.returncode == 0, proc.stderr
    out = parse_output_envelope((output_dir / "output.json").read_bytes())
    assert out.status is OutputStatus.FAILED_RUNTIME
    assert out.messages[-1].code == "INPUT_FILE.MISSING"
    assert "input folder" in out.messages[-1].text
    assert out.outputs == {}


# -- late endpoints ------------------------------------------------------------------------


@contextmanager
def endpoint(hang: set[str], answer: int = 200) -> Iterator[tuple[str, list[str]]]:
    """A loopback platform whose paths ending in a name of ``hang`` never answer.

    The others answer ``answer``.
    """
    release = threading.Event()
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            event = self.path.rsplit("/", 1)[-1]
            seen.append(event)
            if event in hang:
                release.wait(60)
                return
            self.send_response(answer)
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/runs/x", seen
    finally:
        release.set()
        httpd.shutdown()
        httpd.server_close()


def test_a_hanging_progress_endpoint_does_not_delay_the_timeout(tmp_path: Path) -> None:
    with endpoint(hang={"progress"}) as (base, seen):
        document = envelope(
            "echo",
            callback_url_progress=f"{base}/progress",
            callback_url_complete=f"{base}/complete",
            timeout_seconds=3,
            progress_min_interval_seconds=0.0,
        )
        document["parameters"] = {"delay_seconds": 30}
        input_dir, output_dir = folders(tmp_path, document)
        started = time.monotonic()
        proc = run_module(
            "purelms_echo", backend_env(input_dir, output_dir, PURELMS_CALLBACK_TOKEN="t")
        )
        elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    out = parse_output_envelope((output_dir / "output.json").read_bytes())
    assert out.status is OutputStatus.TIMED_OUT
    assert out.runtime_seconds < 3.7, "the deadline was held up by progress callbacks"
    assert elapsed < 5.0, f"the run took {elapsed:.1f} s for a 3 s timeout"
    assert "progress" in seen
    assert seen[-1] == "complete"


def test_a_hanging_complete_endpoint_costs_the_budget_not_a_minute(tmp_path: Path) -> None:
    budget = 4
    with endpoint(hang={"complete"}) as (base, seen):
        document = envelope("echo", callback_url_complete=f"{base}/complete")
        input_dir, output_dir = folders(tmp_path, document)
        started = time.monotonic()
        proc = run_module(
            "purelms_echo",
            backend_env(
                input_dir,
                output_dir,
                PURELMS_CALLBACK_TOKEN="t",
                PURELMS_CALLBACK_BACKOFF_SECONDS="0.2",
                PURELMS_CALLBACK_BUDGET_SECONDS=str(budget),
            ),
        )
        elapsed = time.monotonic() - started
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"(budget {budget} s)" in lines[0]
    assert "is kept" in lines[0]
    assert elapsed < budget + 3.0, f"{elapsed:.1f} s for a {budget} s budget"
    assert seen.count("complete") >= 1
    assert (output_dir / "output.json").is_file()


def test_a_409_on_complete_counts_as_delivered(tmp_path: Path) -> None:
    """409: the platform already holds this run's completion (an earlier answer was lost)."""
    with endpoint(hang=set(), answer=409) as (base, seen):
        document = envelope("echo", callback_url_complete=f"{base}/complete")
        input_dir, output_dir = folders(tmp_path, document)
        proc = run_module(
            "purelms_echo", backend_env(input_dir, output_dir, PURELMS_CALLBACK_TOKEN="t")
        )
    assert proc.returncode == 0, proc.stderr
    assert seen == ["complete"], "delivered: not retried"


def test_sigint_cancels_like_sigterm_without_a_traceback(tmp_path: Path, faults: Any) -> None:
    work = tmp_path / "work"
    work.mkdir()
    document = envelope("echo")
    document["parameters"] = {"delay_seconds": 30}
    input_dir, output_dir = folders(tmp_path, document)
    proc = subprocess.Popen(
        [sys.executable, "-m", "purelms_echo"],
        env=backend_env(input_dir, output_dir, PURELMS_WORK_DIR=str(work)),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert faults.wait_until(lambda: any(work.iterdir()), 20)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "KeyboardInterrupt" not in stderr
    out = parse_output_envelope((output_dir / "output.json").read_bytes())
    assert out.status is OutputStatus.CANCELLED
    assert out.messages[-1].text == "run cancelled (SIGINT)"
    assert not any(work.iterdir())


# -- file modes ----------------------------------------------------------------------------


def test_files_the_platform_reads_are_0644_whatever_the_umask(
    make_backend: MakeBackend, server: CallbackServer, tmp_path: Path
) -> None:
    manifest, env = make_backend(
        "private",
        done_backend(
            "private",
            """
            path = ctx.output_dir / "report.csv"
            path.write_text("a,b\\n")
            os.chmod(path, 0o600)
            ctx.add_artifact("report.csv")
            return O(done=True)
            """,
            imports="import os",
        ),
    )
    previous = os.umask(0o077)
    try:
        result = run_local(manifest, RunRequest(env=env), server=server, run_dir=tmp_path / "run")
    finally:
        os.umask(previous)
    assert result.ok, result.problems
    run = tmp_path / "run"
    for path in (
        run / "output" / "output.json",
        run / "output" / "report.csv",
        run / "evidence.json",
        run / "input" / "input.json",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path

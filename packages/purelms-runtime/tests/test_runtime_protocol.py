"""The runtime protocol with real backend processes and real loopback HTTP."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from purelms_harness import BackendManifest, CallbackServer, RunRequest, run_local
from purelms_shared import (
    BackendCallbackEvent,
    InputFileRole,
    MessageLevel,
    OutputStatus,
    ProgressCallback,
    parse_output_envelope,
)
from purelms_testkit import MakeBackend, done_backend, is_running


def test_echo_success_writes_output_callbacks_and_evidence(
    echo_manifest: BackendManifest, server: CallbackServer, tmp_path: Path
) -> None:
    request = RunRequest(parameters={"message": "hi", "repeat": 3})
    result = run_local(echo_manifest, request, server=server, run_dir=tmp_path / "run")
    assert result.problems == []
    assert result.exit_code == 0
    assert result.status is OutputStatus.SUCCESS
    out = result.envelope_out
    assert out is not None
    assert out.outputs == {
        "echoed_parameters": {"message": "hi", "repeat": 3},
        "echoed_backend_slug": "echo",
    }
    assert [(m.level, m.code) for m in out.messages] == [(MessageLevel.INFO, "ECHO.OK")]
    completes = [c for c in result.callbacks if c.event is BackendCallbackEvent.COMPLETE]
    assert len(completes) == 1
    assert result.evidence_path is not None
    assert result.evidence_path.is_file()


def test_invalid_parameters_fail_runtime_naming_the_parameter(
    make_backend: MakeBackend, server: CallbackServer, tmp_path: Path
) -> None:
    manifest, env = make_backend(
        "typed",
        """
        class P(Parameters):
            repeat: int = param(1, label="Repeat", ge=1, le=10)

        class O(Outputs):
            done: bool = output(label="done")

        def run(params: P, ctx: RunContext) -> O:
            return O(done=True)

        backend = Backend(run, slug="typed", version="0.0.1")
        """,
    )
    request = RunRequest(parameters={"repeat": 11, "colour": "red"}, env=env)
    result = run_local(manifest, request, server=server, run_dir=tmp_path / "run")
    assert result.problems == []
    assert result.status is OutputStatus.FAILED_RUNTIME
    out = result.envelope_out
    assert out is not None
    texts = {m.text.split(":")[0]: m for m in out.messages}
    assert set(texts) == {"parameters.repeat", "parameters.colour"}
    assert all(m.code == "PARAMS.INVALID" for m in out.messages)
    assert "less than or equal to 10" in texts["parameters.repeat"].text


def test_an_open_schema_receives_the_parameters_exactly_and_rejects_bad_reserved_values(
    echo_manifest: BackendManifest, server: CallbackServer, tmp_path: Path
) -> None:
    sent = {"a": [1, 2.5, {"b": None}], "delay_seconds": 0, "x": "ü"}
    result = run_local(
        echo_manifest, RunRequest(parameters=sent), server=server, run_dir=tmp_path / "ok"
    )
    assert result.envelope_out is not None
    assert result.envelope_out.outputs["echoed_parameters"] == sent
    bad = RunRequest(parameters={"delay_seconds": -2})
    result = run_local(echo_manifest, bad, server=server, run_dir=tmp_path / "bad")
    assert result.status is OutputStatus.FAILED_RUNTIME
    assert result.envelope_out is not None
    [message] = result.envelope_out.messages
    assert message.code == "ECHO.RESERVED"
    assert message.text.startswith("parameters.delay_seconds: must be a number of seconds")


def test_an_opener_the_backend_installs_does_not_carry_the_callbacks(
    make_backend: MakeBackend, server: CallbackServer, tmp_path: Path
) -> None:
    """Callbacks are the runtime's: a global opener the author's code installs (here one
    that refuses every HTTP request) changes nothing about their delivery."""
    manifest, env = make_backend(
        "opener",
        """
        import urllib.error, urllib.request

        class Refuse(urllib.request.BaseHandler):
            handler_order = 100

            def http_open(self, request):
                raise urllib.error.URLError("the author's opener refuses")

        urllib.request.install_opener(urllib.request.build_opener(Refuse))

        class P(Parameters):
            pass

        class O(Outputs):
            done: bool = output(label="done")

        def run(params: P, ctx: RunContext) -> O:
            ctx.progress(50, "half")
            return O(done=True)

        backend = Backend(run, slug="opener", version="0.0.1")
        """,
        progress_reporting="percentage",
    )
    request = RunRequest(parameters={}, env=env)
    result = run_local(manifest, request, server=server, run_dir=tmp_path / "run")
    assert result.problems == []
    assert result.status is OutputStatus.SUCCESS
    events = [c.event for c in result.callbacks if c.accepted]
    assert BackendCallbackEvent.COMPLETE in events
    assert "refuses" not in result.stderr


@pytest.mark.parametrize(
    ("fail_with", "status", "code"),
    [
        ("runtime", OutputStatus.FAILED_RUNTIME, "RUNTIME.EXCEPTION"),
        ("simulation", OutputStatus.FAILED_SIMULATION, "ECHO.FORCED"),
    ],
)
def test_backend_exceptions_map_to_statuses(
    echo_manifest: BackendManifest,
    server: CallbackServer,
    tmp_path: Path,
    fail_with: str,
    status: OutputStatus,
    code: str,
) -> None:
    request = RunRequest(parameters={"fail_with": fail_with})
    result = run_local(echo_manifest, request, server=server, run_dir=tmp_path / "run")
    assert result.problems == []
    assert result.exit_code == 0
    assert result.status is status
    assert result.envelope_out is not None
    assert result.envelope_out.messages[-1].code == code
    assert f"fail_with={fail_with}" in result.envelope_out.messages[-1].text


def test_timeout_kills_the_whole_process_tree(
    make_backend: MakeBackend, server: CallbackServer, tmp_path: Path
) -> None:
    pid_file = tmp_path / "grandchild.pid"
    manifest, env = make_backend(
        "sleepy",
        done_backend(
            "sleepy",
            f"""
            child = subprocess.Popen(["sleep", "300"])
            Path({str(pid_file)!r}).write_text(str(child.pid))
            ctx.progress(10, "sleeping")
            time.sleep(300)
            return O(done=True)
            """,
            imports="""
            import subprocess, time
            from pathlib import Path
            """,
        ),
    )
    started = time.monotonic()
    result = run_local(
        manifest,
        RunRequest(timeout_seconds=2.0, env=env),
        server=server,
        run_dir=tmp_path / "run",
    )
    elapsed = time.monotonic() - started
    assert result.problems == []
    assert result.status is OutputStatus.TIMED_OUT
    assert elapsed < 2.0 + 2.0
    assert result.envelope_out is not None
    assert "timeout_seconds=2" in result.envelope_out.messages[-1].text
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while is_running(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_running(grandchild), "the backend's child process survived the timeout"


def test_crashing_backend_process_is_failed_runtime(
    make_backend: MakeBackend, server: CallbackServer, tmp_path: Path
) -> None:
    manifest, env = make_backend(
        "crasher",
        done_backend("crasher", "os._exit(7)", imports="import os"),
    )
    result = run_local(manifest, RunRequest(env=env), server=server, run_dir=tmp_path / "run")
    assert result.problems == []
    assert result.status is OutputStatus.FAILED_RUNTIME
    assert result.envelope_out is not None
    assert "exited with 7" in result.envelope_out.messages[-1].text


def test_progress_is_throttled_without_losing_the_latest(
    make_backend: MakeBackend, server: CallbackServer, tmp_path: Path
) -> None:
    manifest, env = make_backend(
        "measured",
        """
        import time

        class P(Parameters):
            pass

        class R(Outputs):
            done: bool = output(label="Done")

        def run(params: P, ctx: RunContext) -> R:
            for step in range(20):  # 5 % of the work every 0.1 s
                ctx.progress(step * 5, f"step {step}")
                time.sleep(0.1)
            return R(done=True)

        backend = Backend(run, slug="measured", version="0.0.1")
        """,
        progress_reporting="percentage",
    )
    interval = 0.4
    request = RunRequest(progress_min_interval_seconds=interval, env=env)
    result = run_local(manifest, request, server=server, run_dir=tmp_path / "run")
    assert result.status is OutputStatus.SUCCESS
    progress = [c for c in result.callbacks if c.event is BackendCallbackEvent.PROGRESS]
    # 20 steps in 2 s go out as the milestones 0, 25, 50, 75 and 100 (each at most once),
    # at most one per 0.4 s.
    assert 3 <= len(progress) <= 5
    # While the function runs, at most one per interval; the final state is flushed at
    # once when it returns (never throttled), before the complete callback.
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(progress[:-1])]
    assert min(gaps) >= interval * 0.9
    pcts = [c.body.progress_pct for c in progress if isinstance(c.body, ProgressCallback)]
    assert pcts == sorted(pcts)
    assert pcts[0] == 0
    assert pcts[-1] == 100, "the latest value is never lost"
    (complete,) = [c for c in result.callbacks if c.event is BackendCallbackEvent.COMPLETE]
    assert progress[-1].received_at <= complete.received_at


def test_wrong_token_is_rejected_and_reported(
    echo_manifest: BackendManifest, server: CallbackServer, tmp_path: Path
) -> None:
    request = RunRequest(backend_token="not-the-token")
    result = run_local(echo_manifest, request, server=server, run_dir=tmp_path / "run")
    assert result.exit_code == 3
    assert any("HTTP 401" in p and "bearer token" in p for p in result.problems)
    assert any("complete callback rejected" in p for p in result.problems)
    # The output envelope is still on disk and valid.
    assert result.status is OutputStatus.SUCCESS
    # 401 is not retried: exactly one complete attempt reached the server.
    completes = [c for c in result.callbacks if c.event is BackendCallbackEvent.COMPLETE]
    assert len(completes) == 1


def _write_input(tmp_path: Path, envelope: dict[str, Any] | str) -> tuple[Path, Path]:
    input_dir, output_dir = tmp_path / "in", tmp_path / "out"
    input_dir.mkdir()
    output_dir.mkdir()
    text = envelope if isinstance(envelope, str) else json.dumps(envelope)
    (input_dir / "input.json").write_text(text)
    return input_dir, output_dir


def _envelope(complete_url: str, progress_url: str = "file:///dev/null") -> dict[str, Any]:
    return {
        "schema_version": "purelms.input.v1",
        "run_id": str(uuid.uuid4()),
        "backend_slug": "echo",
        "backend_version": "0.1.0",
        "student_id": 1,
        "course_id": 1,
        "block_id": 1,
        "parameters": {"message": "x"},
        "context": {
            "callback_url_progress": progress_url,
            "callback_url_complete": complete_url,
            "callback_audience": "test",
            "timeout_seconds": 30,
        },
    }


def _run_echo(input_dir: Path, output_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "purelms_echo"],
        env={
            **os.environ,
            "PURELMS_INPUT_DIR": str(input_dir),
            "PURELMS_OUTPUT_DIR": str(output_dir),
            "PURELMS_CALLBACK_BACKOFF_SECONDS": "0.2",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_invalid_input_envelope_exits_nonzero_with_one_line(tmp_path: Path) -> None:
    envelope = _envelope("file:///dev/null")
    envelope["student_id"] = 0
    del envelope["block_id"]
    input_dir, output_dir = _write_input(tmp_path, envelope)
    proc = _run_echo(input_dir, output_dir)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "invalid input envelope" in lines[0]
    assert "student_id" in lines[0]
    assert "block_id" in lines[0]
    assert not (output_dir / "output.json").exists()


def test_unreadable_input_envelope_exits_nonzero(tmp_path: Path) -> None:
    input_dir, output_dir = _write_input(tmp_path, '{"schema_version": "purelms.input.v1", ')
    proc = _run_echo(input_dir, output_dir)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (output_dir / "output.json").exists()


def test_existing_output_is_never_overwritten(tmp_path: Path) -> None:
    input_dir, output_dir = _write_input(tmp_path, _envelope("file:///dev/null"))
    (output_dir / "output.json").write_text("precious")
    proc = _run_echo(input_dir, output_dir)
    assert proc.returncode != 0
    assert "never overwritten" in proc.stderr
    assert (output_dir / "output.json").read_text() == "precious"


def test_offline_run_with_dev_null_callbacks_needs_no_token(tmp_path: Path) -> None:
    input_dir, output_dir = _write_input(tmp_path, _envelope("file:///dev/null"))
    proc = _run_echo(input_dir, output_dir)
    assert proc.returncode == 0, proc.stderr
    out = parse_output_envelope((output_dir / "output.json").read_bytes())
    assert out.status is OutputStatus.SUCCESS


def test_callback_server_down_retries_then_fails_loudly_keeping_output(tmp_path: Path) -> None:
    # A port that was just free: nothing listens there.
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()
    url = f"http://127.0.0.1:{port}/api/v1/sims/internal/runs/x/complete"
    input_dir, output_dir = _write_input(tmp_path, _envelope(url))
    started = time.monotonic()
    proc = _run_echo(input_dir, output_dir, PURELMS_CALLBACK_TOKEN="t")
    elapsed = time.monotonic() - started
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "not delivered after 5 attempts" in lines[0]
    assert "is kept" in lines[0]
    # Backoff 0.2 + 0.4 + 0.8 + 1.6 s between the five attempts.
    assert elapsed >= 3.0
    out = parse_output_envelope((output_dir / "output.json").read_bytes())
    assert out.status is OutputStatus.SUCCESS


def test_complete_is_retried_until_the_platform_answers(tmp_path: Path) -> None:
    attempts: list[str] = []

    class Flaky(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            attempts.append(self.headers["Authorization"])
            self.send_response(503 if len(attempts) < 3 else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/complete"
        input_dir, output_dir = _write_input(tmp_path, _envelope(url))
        proc = _run_echo(input_dir, output_dir, PURELMS_CALLBACK_TOKEN="s3cret")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert proc.returncode == 0, proc.stderr
    assert attempts == ["Bearer s3cret"] * 3


def test_missing_token_with_callbacks_is_a_contract_violation(tmp_path: Path) -> None:
    input_dir, output_dir = _write_input(tmp_path, _envelope("http://127.0.0.1:9/complete"))
    env = {k: v for k, v in os.environ.items() if k != "PURELMS_CALLBACK_TOKEN"}
    proc = subprocess.run(
        [sys.executable, "-m", "purelms_echo"],
        env={**env, "PURELMS_INPUT_DIR": str(input_dir), "PURELMS_OUTPUT_DIR": str(output_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "PURELMS_CALLBACK_TOKEN is not set" in proc.stderr
    assert not (output_dir / "output.json").exists()


def test_sigterm_cancels_the_run(tmp_path: Path) -> None:
    envelope = _envelope("file:///dev/null")
    envelope["parameters"] = {"delay_seconds": 30}
    input_dir, output_dir = _write_input(tmp_path, envelope)
    proc = subprocess.Popen(
        [sys.executable, "-m", "purelms_echo"],
        env={
            **os.environ,
            "PURELMS_INPUT_DIR": str(input_dir),
            "PURELMS_OUTPUT_DIR": str(output_dir),
        },
    )
    time.sleep(1.5)
    proc.terminate()
    assert proc.wait(timeout=10) == 0
    out = parse_output_envelope((output_dir / "output.json").read_bytes())
    assert out.status is OutputStatus.CANCELLED


@pytest.mark.parametrize("name", ["../escape.epw", "/etc/passwd", "sub/../../x.epw"])
def test_input_file_names_escaping_the_input_dir_are_rejected(tmp_path: Path, name: str) -> None:
    envelope = _envelope("file:///dev/null")
    envelope["input_files"] = [
        {
            "role": "weather",
            "mime_type": "text/plain",
            "filename": name,
            "uri": "gs://bucket/x.epw",
            "sha256": "0" * 64,
            "size_bytes": 1,
        }
    ]
    input_dir, output_dir = _write_input(tmp_path, envelope)
    proc = _run_echo(input_dir, output_dir)
    assert proc.returncode == 0, proc.stderr
    out = parse_output_envelope((output_dir / "output.json").read_bytes())
    assert out.status is OutputStatus.FAILED_RUNTIME
    assert out.messages[-1].code == "INPUT_FILE.UNSAFE_NAME"
    assert name in out.messages[-1].text


def test_input_symlink_out_of_the_input_dir_is_rejected(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    envelope = _envelope("file:///dev/null")
    envelope["input_files"] = [
        {
            "role": "resource",
            "mime_type": "text/plain",
            "filename": "link.txt",
            "uri": "gs://bucket/link.txt",
            "sha256": "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
            "size_bytes": 1,
        }
    ]
    input_dir, output_dir = _write_input(tmp_path, envelope)
    (input_dir / "link.txt").symlink_to(secret)
    proc = _run_echo(input_dir, output_dir)
    out = parse_output_envelope((output_dir / "output.json").read_bytes())
    assert proc.returncode == 0
    assert out.messages[-1].code == "INPUT_FILE.UNSAFE_NAME"
    assert "symlink" in out.messages[-1].text


@pytest.mark.parametrize("name", ["../outside.txt", "/tmp/elsewhere.txt"])
def test_artifact_names_escaping_the_output_dir_are_rejected(
    make_backend: MakeBackend, server: CallbackServer, tmp_path: Path, name: str
) -> None:
    manifest, env = make_backend(
        "leaky",
        done_backend(
            "leaky",
            f"""
            (ctx.output_dir.parent / "outside.txt").write_text("x")
            ctx.add_artifact({name!r})
            return O(done=True)
            """,
        ),
    )
    result = run_local(manifest, RunRequest(env=env), server=server, run_dir=tmp_path / "run")
    assert result.status is OutputStatus.FAILED_RUNTIME
    assert result.envelope_out is not None
    assert result.envelope_out.artifacts == []
    assert "UnsafePath" in result.envelope_out.messages[-1].text


def test_artifacts_are_hashed_into_the_output_envelope(
    make_backend: MakeBackend, server: CallbackServer, tmp_path: Path
) -> None:
    manifest, env = make_backend(
        "artful",
        done_backend(
            "artful",
            """
            (ctx.output_dir / "report.csv").write_text("a,b\\n1,2\\n")
            ctx.add_artifact("report.csv", label="Report")
            return O(done=True)
            """,
        ),
    )
    result = run_local(manifest, RunRequest(env=env), server=server, run_dir=tmp_path / "run")
    assert result.ok, result.problems
    assert result.envelope_out is not None
    (artifact,) = result.envelope_out.artifacts
    assert artifact.filename == "report.csv"
    assert artifact.mime_type == "text/csv"
    assert artifact.label == "Report"
    assert artifact.size_bytes == 8
    import hashlib

    assert artifact.sha256 == hashlib.sha256(b"a,b\n1,2\n").hexdigest()


def test_input_file_with_wrong_sha256_is_rejected_before_the_function_runs(
    echo_manifest: BackendManifest, server: CallbackServer, tmp_path: Path
) -> None:
    data = tmp_path / "weather.epw"
    data.write_text("LOCATION,Nowhere\n")
    request = RunRequest(
        input_files=[(InputFileRole.WEATHER, data)],
        input_sha256_overrides={"weather.epw": "f" * 64},
    )
    result = run_local(echo_manifest, request, server=server, run_dir=tmp_path / "run")
    assert result.status is OutputStatus.FAILED_RUNTIME
    assert result.envelope_out is not None
    assert result.envelope_out.messages[-1].code == "INPUT_FILE.SHA256_MISMATCH"
    assert result.envelope_out.outputs == {}


def test_input_rejected_is_failed_runtime_with_its_code(
    make_backend: MakeBackend, server: CallbackServer, tmp_path: Path
) -> None:
    manifest, env = make_backend(
        "picky",
        done_backend(
            "picky",
            'raise InputRejected("a weather file is required", code="INPUT.WEATHER_MISSING")',
            imports="from purelms_runtime import InputRejected",
        ),
    )
    result = run_local(manifest, RunRequest(env=env), server=server, run_dir=tmp_path / "run")
    assert result.problems == []
    assert result.status is OutputStatus.FAILED_RUNTIME
    assert result.envelope_out is not None
    (message,) = result.envelope_out.messages
    assert (message.code, message.text) == ("INPUT.WEATHER_MISSING", "a weather file is required")

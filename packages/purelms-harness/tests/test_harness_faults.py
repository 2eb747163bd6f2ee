"""Faults around the harness: hostile callback requests, signals to ``purelms run``, bad
command lines, full and read-only disks, and evidence that points outside its run.

Real processes, real signals, real loopback HTTP, tmpfs mounted for the test.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from purelms_harness import (
    MAX_BODY_BYTES,
    BackendManifest,
    CallbackServer,
    RunRequest,
    find_repo_root,
    run_local,
    verify_evidence,
)
from purelms_harness.cli import main
from purelms_shared import (
    OutputStatus,
    parse_evidence_manifest,
    parse_output_envelope,
)
from purelms_testkit import MakeBackend, Tmpfs, done_backend

pytestmark = pytest.mark.faults

REPO = find_repo_root(Path(__file__))

COMPLETE_BODY = json.dumps(
    {
        "output_envelope_uri": "file:///x/output.json",
        "exit_code": 0,
        "output_sha256": None,
        "output_size_bytes": None,
        "output_generation": None,
    }
).encode()


def purelms(*args: str, **popen: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "purelms_harness.cli", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        **popen,
    )


def post(
    url: str, body: bytes = b"", headers: dict[str, str] | None = None, *, send_body: bool = True
) -> tuple[int, str, float]:
    """POST with exactly these headers (Content-Length included); status, text, seconds."""
    parsed = http.client.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
    started = time.monotonic()
    try:
        connection.putrequest("POST", parsed.path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders(body if send_body else None)
        response = connection.getresponse()
        return response.status, response.read().decode(), time.monotonic() - started
    finally:
        connection.close()


# -- the callback server ------------------------------------------------------------------


def test_callback_server_answers_before_reading_bodies_and_refuses_strangers(
    capfd: pytest.CaptureFixture[str],
) -> None:
    run_id = str(uuid.uuid4())
    with CallbackServer() as server:
        token = server.register(run_id)
        complete = server.url_for(run_id, "complete")
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        # The token is checked before the body is read: 50 MiB announced, none sent.
        status, text, seconds = post(
            complete,
            headers={"Authorization": "Bearer guess", "Content-Length": str(50 << 20)},
            send_body=False,
        )
        assert (status, seconds < 2) == (401, True), text
        # A body over the limit is refused unread, even with the right token.
        status, _, seconds = post(
            complete, headers={**auth, "Content-Length": str(MAX_BODY_BYTES + 1)}, send_body=False
        )
        assert (status, seconds < 2) == (413, True)
        assert post(complete, b"{}", {**auth, "Content-Length": "abc"})[0] == 400
        assert post(complete, b"{}", {**auth, "Content-Length": "-2"})[0] == 400
        assert post(complete, b"{}", {**auth, "Transfer-Encoding": "chunked"})[0] == 411
        length = {"Content-Length": str(len(COMPLETE_BODY))}
        other = server.url_for(str(uuid.uuid4()), "complete")
        assert post(other, COMPLETE_BODY, {**auth, **length})[0] == 404
        assert post(complete, COMPLETE_BODY, {**auth, **length})[0] == 200
        status, text, _ = post(complete, COMPLETE_BODY, {**auth, **length})
        assert status == 409, text
        other_token = server.register(str(uuid.uuid4()))
        assert other_token != token, "every run has a token of its own"
        stolen = {"Authorization": f"Bearer {other_token}", **length}
        assert post(server.url_for(run_id, "progress"), b"{}", stolen)[0] == 401

        records = server.received(run_id)
        strangers = [r for r in records if not r.authenticated]
        assert sorted(r.status_code for r in strangers) == [400, 400, 401, 401, 411]
        own = [(r.status_code, r.event.value) for r in records if r.authenticated]
        assert own == [(413, "complete"), (200, "complete"), (409, "complete")]
        server.forget(run_id)
        assert post(complete, COMPLETE_BODY, {**auth, **length})[0] == 404
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out


def test_the_callback_server_starts_without_asking_the_resolver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A machine whose resolver hangs or fails still runs: the loopback address is the
    server's name (http.server would look up its fully qualified name on every start)."""

    def no_resolver(*args: object) -> str:
        raise AssertionError("the resolver was asked")

    monkeypatch.setattr(socket, "getfqdn", no_resolver)
    run_id = str(uuid.uuid4())
    with CallbackServer() as server:
        token = server.register(run_id)
        headers = {"Authorization": f"Bearer {token}", "Content-Length": str(len(COMPLETE_BODY))}
        assert post(server.url_for(run_id, "complete"), COMPLETE_BODY, headers)[0] == 200


def test_strangers_on_loopback_cannot_change_a_runs_verdict(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = purelms("run", "echo", "-q", "-p", "delay_seconds=3", "--out", str(out))
    try:
        envelope_path = out / "input" / "input.json"
        deadline = time.monotonic() + 20
        while not envelope_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        context = json.loads(envelope_path.read_text())["context"]
        complete, progress = context["callback_url_complete"], context["callback_url_progress"]
        length = {"Content-Length": str(len(COMPLETE_BODY))}
        forged = post(complete, COMPLETE_BODY, length)  # no token
        wrong = post(progress, b'{"progress_pct": 99}', {"Authorization": "Bearer x", **length})
        malformed = post(complete, b"{}", {"Content-Length": "abc"})
        huge = post(complete, b"", {"Content-Length": str(64 << 20)}, send_body=False)
        unknown = complete.replace(
            json.loads(envelope_path.read_text())["run_id"], str(uuid.uuid4())
        )
        stray = post(unknown, COMPLETE_BODY, length)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert [forged[0], wrong[0], malformed[0], huge[0], stray[0]] == [401, 401, 400, 401, 404]
    assert proc.returncode == 0, stderr
    assert "status: success" in stdout
    assert "Traceback" not in stdout + stderr
    assert verify_evidence(out) == []


# -- signals to `purelms run` --------------------------------------------------------------

CANCELLABLE = ["-p", "delay_seconds=30", "--out"]


@pytest.mark.parametrize("start", [[], ["--fresh-interpreter"]], ids=["forked", "fresh"])
@pytest.mark.parametrize(
    ("signum", "code", "whole_group"),
    [(signal.SIGINT, 130, True), (signal.SIGTERM, 143, False)],
    ids=["ctrl-c", "sigterm"],
)
def test_a_signal_cancels_the_run_with_output_and_evidence(
    tmp_path: Path, faults: Any, signum: int, code: int, whole_group: bool, start: list[str]
) -> None:
    """Ctrl-C reaches a terminal's whole foreground group; SIGTERM only the harness.

    Both ways of starting the backend: forked from the harness (the default) and a new
    ``python -m`` (``--fresh-interpreter``).
    """
    out, work = tmp_path / "run", tmp_path / "work"
    work.mkdir()
    command = [sys.executable, "-m", "purelms_harness.cli", "run", "echo", "-q", *start]
    proc = subprocess.Popen(
        [*command, *CANCELLABLE, str(out)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", "PURELMS_WORK_DIR": str(work)},
        start_new_session=True,
    )
    try:
        assert faults.wait_until(lambda: any(work.iterdir()), 20), "the backend never started"
        time.sleep(0.3)
        started = time.monotonic()
        if whole_group:
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)
        stdout, stderr = proc.communicate(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        proc.kill()
    assert proc.returncode == code, stderr
    assert elapsed < 5, f"{elapsed:.1f} s to cancel"
    lines = stderr.strip().splitlines()
    name = signal.Signals(signum).name
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"purelms: interrupted by {name}"), stderr
    assert "Traceback" not in stdout + stderr
    assert "KeyboardInterrupt" not in stdout + stderr
    out_envelope = parse_output_envelope((out / "output" / "output.json").read_bytes())
    assert out_envelope.status is OutputStatus.CANCELLED
    assert verify_evidence(out) == []
    assert not faults.processes_mentioning(str(out)), "a backend process outlived the harness"
    assert not any(work.iterdir()), "the work folder leaked"


# -- bad command lines: one line, nothing left behind ------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["-p", "delay_seconds=NaN"], "delay_seconds"),
        (["-p", "delay_seconds=Infinity"], "delay_seconds"),
        (["-p", "delay_seconds=-inf"], "delay_seconds"),
        (["-p", "delay_seconds=1e999"], "delay_seconds"),
        (["-p", "message=[1, 1e999]"], "message"),
        (["--timeout", "-1"], "--timeout"),
        (["--timeout", "nan"], "--timeout"),
        (["--timeout", "0"], "--timeout"),
        (["--timeout", "2.5"], "--timeout"),
        (["--progress-interval", "-1"], "--progress-interval"),
        (["--progress-interval", "nan"], "--progress-interval"),
        (["--input-file", "resource=/tmp/" + "n" * 300], "ENAMETOOLONG"),
    ],
)
def test_a_bad_value_is_one_line_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    out = tmp_path / "run"
    try:
        code = main(["--root", str(REPO), "run", "echo", "-q", *args, "--out", str(out)])
    except SystemExit as exc:  # argparse refuses it while parsing
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert named in lines[0]
    assert "Traceback" not in captured.err
    assert not out.exists(), "a refused run left a folder behind"


def test_a_params_file_with_nan_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = tmp_path / "params.json"
    params.write_text('{"delay_seconds": NaN}')
    code = main(["--root", str(REPO), "run", "echo", "--params-file", str(params)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert "--params-file" in err[0]
    assert "NaN" in err[0]


@pytest.mark.parametrize(("full", "errno_name"), [(True, "ENOSPC"), (False, "EROFS")])
def test_an_unwritable_out_folder_is_one_line_and_a_retry_works(
    tmp_path: Path, tmpfs: Tmpfs, faults: Any, full: bool, errno_name: str
) -> None:
    disk = tmp_path / "disk"
    with tmpfs(disk, size="64k", read_only=not full):
        if full:
            faults.fill(disk)
        proc = purelms("run", "echo", "-q", "--out", str(disk / "run"))
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 2, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, stderr
        assert f"({errno_name})" in lines[0], stderr
        assert "Traceback" not in stderr
        assert not (disk / "run").exists()
    # Once the disk is usable again, the very same --out works.
    proc = purelms("run", "echo", "-q", "--out", str(disk / "run"))
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr


def test_a_disk_that_fills_during_the_run_is_named_from_the_backends_last_words(
    make_backend: MakeBackend, server: CallbackServer, tmp_path: Path, tmpfs: Tmpfs
) -> None:
    manifest, env = make_backend(
        "hog",
        done_backend(
            "hog",
            """
            with (ctx.output_dir / "huge.bin").open("wb") as handle:
                while True:  # until the disk is full (ENOSPC)
                    handle.write(bytes(1 << 16))
                    handle.flush()
            """,
        ),
    )
    disk = tmp_path / "disk"
    with tmpfs(disk, size="1m"):
        result = run_local(manifest, RunRequest(env=env), server=server, run_dir=disk / "run")
    assert result.exit_code == 5
    first = result.problems[0]
    assert first.startswith("backend exited with code 5: purelms-runtime: cannot write")
    assert "output.json: No space left on device (ENOSPC)" in first
    assert any("backend.stderr.log" in p and "(ENOSPC)" in p for p in result.problems)
    assert "OSError: [Errno 28]" in result.stderr, "the worker's traceback was kept in memory"


# -- evidence ------------------------------------------------------------------------------


def _rewrite(run_dir: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = run_dir / "evidence.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2))


def test_evidence_verify_is_confined_complete_and_cross_checked(
    echo_manifest: BackendManifest, server: CallbackServer, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    result = run_local(echo_manifest, RunRequest(), server=server, run_dir=run_dir)
    assert result.ok, result.problems
    original = (run_dir / "evidence.json").read_bytes()
    recorded = hashlib.sha256(original).hexdigest()
    assert result.evidence_sha256 == recorded
    assert verify_evidence(run_dir, recorded) == []
    hostname = Path("/etc/hostname")
    digest = hashlib.sha256(hostname.read_bytes()).hexdigest()
    size = hostname.stat().st_size

    def outside(uri: str) -> Callable[[dict[str, Any]], None]:
        reference = {"kind": "x", "uri": uri, "sha256": digest, "size_bytes": size}
        return lambda doc: doc["references"].append({**reference, "generation": None})

    cases: list[tuple[Callable[[dict[str, Any]], None], str]] = [
        (outside("../../../../../../../../etc/hostname"), "outside the run folder"),
        (outside("file:///etc/hostname"), "file: reference is not allowed"),
        (outside("/etc/hostname"), "outside the run folder"),
        (lambda doc: doc["references"].pop(), "no evidence reference covers"),
        (lambda doc: doc.update(status="failed_simulation"), "status is success"),
        (lambda doc: doc.update(run_id=str(uuid.uuid4())), "run_id is"),
    ]
    for change, expected in cases:
        _rewrite(run_dir, change)
        problems = verify_evidence(run_dir)
        assert any(expected in p for p in problems), (expected, problems)
        (run_dir / "evidence.json").write_bytes(original)

    (run_dir / "output" / "added.txt").write_text("slipped in later")
    assert verify_evidence(run_dir) == ["output/added.txt: a file no evidence reference covers"]
    (run_dir / "output" / "added.txt").unlink()

    # An edit re-hashed consistently into evidence.json passes the manifest's own checks;
    # only the sha256 recorded at write time catches it.
    output = run_dir / "output" / "output.json"
    output.write_bytes(output.read_bytes().replace(b'"Hello from purelms"', b'"Hello, forged"'))

    def rehash(doc: dict[str, Any]) -> None:
        for ref in doc["references"]:
            if ref["uri"] == "output/output.json":
                data = output.read_bytes()
                ref["sha256"], ref["size_bytes"] = hashlib.sha256(data).hexdigest(), len(data)

    _rewrite(run_dir, rehash)
    assert verify_evidence(run_dir) == []
    proc = purelms("evidence", "verify", str(run_dir), "--sha256", recorded)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert stderr.startswith("evidence mismatch: evidence.json: sha256 is ")


def test_purelms_run_records_the_evidence_sha256(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = purelms("run", "echo", "-q", "--verbose", "--out", str(out))
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    digest = hashlib.sha256((out / "evidence.json").read_bytes()).hexdigest()
    assert f"sha256 {digest}" in stdout  # --verbose prints it
    assert (out / "evidence.sha256").read_text() == f"{digest}  evidence.json\n"
    evidence = parse_evidence_manifest((out / "evidence.json").read_bytes())
    assert {r.uri for r in evidence.references} == {"input/input.json", "output/output.json"}

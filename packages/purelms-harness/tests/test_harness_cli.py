"""The ``purelms`` CLI and harness as a user runs them: real processes, real loopback HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from purelms_harness import (
    BackendManifest,
    CallbackServer,
    RunRequest,
    find_repo_root,
    run_local,
    verify_evidence,
)
from purelms_shared import (
    BackendCallbackEvent,
    InputFileRole,
    OutputStatus,
    parse_evidence_manifest,
)

REPO = find_repo_root(Path(__file__))


def purelms(*args: str, cwd: Path = REPO, columns: int = 200) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "purelms_harness.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": str(columns)},
    )


def test_list_shows_every_backend_with_version_and_parameters() -> None:
    proc = purelms("list")
    assert proc.returncode == 0, proc.stderr
    assert "echo" in proc.stdout
    assert "1.0.0" in proc.stdout
    assert "any (open schema)" in proc.stdout
    assert "window_area_south_m2 [m²]" in proc.stdout
    data = json.loads(purelms("list", "--json").stdout)
    assert data["echo"]["backend"]["image"] == "purelms-itask-echo:1.0.0"
    assert data["echo"]["parameters"] == []


def test_run_echo_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = purelms("run", "echo", "-p", "message=bonjour", "-p", "repeat=2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^message +bonjour *$", proc.stdout, re.MULTILINE), proc.stdout
    assert re.search(r"│ +message +bonjour +│", proc.stdout), proc.stdout
    assert "info ECHO.OK: echoed 2 parameter(s)" in proc.stdout
    assert "outcome: passed yes, score -, completion 1.00" in proc.stdout
    assert json.loads((out / "outcome.json").read_text()) == {
        "passed": True,
        "score": None,
        "completion": 1.0,
    }
    assert "status: success" in proc.stdout
    evidence = parse_evidence_manifest((out / "evidence.json").read_bytes())
    assert evidence.status is OutputStatus.SUCCESS
    # the model accepts datetimes without an offset (0.5.1 writes them); ours carry one
    assert evidence.dispatched_at.utcoffset() is not None
    assert evidence.completed_at.utcoffset() is not None
    assert {r.kind for r in evidence.references} == {"input_envelope", "output_envelope"}
    assert purelms("evidence", "verify", str(out)).returncode == 0


def test_run_failure_exits_nonzero_naming_the_status(tmp_path: Path) -> None:
    proc = purelms("run", "echo", "-p", "fail_with=simulation", "--out", str(tmp_path / "r"))
    assert proc.returncode == 1
    assert "failed_simulation" in proc.stderr
    assert "outcome: passed no, score -, completion -" in proc.stdout
    assert json.loads((tmp_path / "r" / "outcome.json").read_text())["passed"] is False


def test_run_params_file_and_input_file(tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"message": "from file"}))
    data = tmp_path / "notes.txt"
    data.write_text("resource data\n")
    out = tmp_path / "run"
    proc = purelms(
        "run",
        "echo",
        "--params-file",
        str(params),
        "--input-file",
        f"resource={data}",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert "from file" in proc.stdout
    evidence = parse_evidence_manifest((out / "evidence.json").read_bytes())
    assert "input_file:resource" in {r.kind for r in evidence.references}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "nope"], "unknown backend 'nope'; known backends: echo"),
        (["run", "echo", "-p", "novalue"], "expected NAME=VALUE"),
        (["run", "echo", "--input-file", "colour=x.txt"], "role must be one of"),
        (
            ["run", "echo", "--timeout", "2.5"],
            "--timeout: must be a whole number of seconds greater than 0, got '2.5'",
        ),
        (
            ["run", "echo", "--timeout", "0"],
            "--timeout: must be a whole number of seconds greater than 0, got '0'",
        ),
        (
            ["run", "echo", "--timeout", "soon"],
            "--timeout: must be a whole number of seconds greater than 0, got 'soon'",
        ),
        # refused after the backend was forked: still one line, no progress bar shown
        (["run", "echo", "--input-file", "weather=/nonexistent/x.epw"], "no such file"),
        (["run", "echo", "--out", "/proc/no-run-folder"], "cannot create"),
        (["manifest", "nope"], "unknown backend 'nope'; known backends: echo"),
    ],
)
def test_usage_errors_are_one_clear_line(args: list[str], needle: str) -> None:
    proc = purelms(*args)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_run_timeout_is_whole_seconds_in_the_envelope(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = purelms("run", "echo", "--timeout", "7", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    envelope = json.loads((out / "input" / "input.json").read_text())
    assert envelope["context"]["timeout_seconds"] == 7
    assert "whole seconds" in purelms("run", "--help").stdout


def test_validate_prints_one_line_per_problem(tmp_path: Path) -> None:
    doc = tmp_path / "progress.json"
    doc.write_text(json.dumps({"progress_pct": 140, "elapsed_seconds": -1, "extra": 1}))
    proc = purelms("validate", "progress", str(doc))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == ["progress_pct", "elapsed_seconds", "extra"]
    doc.write_text(json.dumps({"progress_pct": 40, "elapsed_seconds": 1.5}))
    assert purelms("validate", "progress", str(doc)).returncode == 0


def test_validate_lines_never_wrap_or_break(tmp_path: Path) -> None:
    """A narrow terminal, values with newlines, a missing schema_version, an empty key:
    still exactly one line per problem, every problem, with readable paths."""
    doc = tmp_path / "output.json"
    doc.write_text(
        json.dumps(
            {
                "run_id": "not\na uuid " + "x" * 80,
                "status": "pending",
                "metrics": {"": "x", "line\nbreak": None},
                "messages": [{"level": "info", "text": "ok", "code": 7}],
                "": 1,
            }
        )
    )
    proc = purelms("validate", "output", str(doc), columns=40)
    assert proc.returncode == 1
    header, *lines = proc.stderr.rstrip("\n").split("\n")
    assert header == f"{doc}: invalid output document"
    assert [line.split(": ")[0] for line in lines] == [
        "run_id",
        "status",
        "messages[0].code",
        'metrics[""]',
        'metrics["line\\nbreak"]',
        '[""]',
    ]
    assert all(line.isprintable() for line in lines)


def test_fifty_concurrent_runs_against_one_callback_server(
    echo_manifest: BackendManifest, server: CallbackServer, tmp_path: Path
) -> None:
    received = []

    def one(i: int) -> str:
        request = RunRequest(parameters={"message": f"run {i}"})
        result = run_local(echo_manifest, request, server=server, run_dir=tmp_path / f"r{i}")
        assert result.ok, result.problems
        assert result.envelope_out is not None
        assert result.envelope_out.outputs["echoed_parameters"] == {"message": f"run {i}"}
        received.extend(result.callbacks)
        return str(result.envelope_in.run_id)

    with ThreadPoolExecutor(max_workers=50) as pool:
        run_ids = list(pool.map(one, range(50)))
    completes = Counter(c.run_id for c in received if c.event is BackendCallbackEvent.COMPLETE)
    assert len(set(run_ids)) == 50
    assert completes == Counter(dict.fromkeys(run_ids, 1))
    assert all(c.accepted and c.authenticated for c in received)
    assert all(server.received(run_id) == [] for run_id in run_ids), "finished runs are forgotten"


def test_evidence_verify_fails_after_any_byte_of_any_file_changes(
    echo_manifest: BackendManifest, server: CallbackServer, tmp_path: Path
) -> None:
    data = tmp_path / "w.epw"
    data.write_bytes(b"weather data\n")
    run_dir = tmp_path / "run"
    result = run_local(
        echo_manifest,
        RunRequest(input_files=[(InputFileRole.WEATHER, data)]),
        server=server,
        run_dir=run_dir,
    )
    assert result.ok, result.problems
    assert verify_evidence(run_dir) == []
    evidence = parse_evidence_manifest((run_dir / "evidence.json").read_bytes())
    assert len(evidence.references) == 3
    for ref in evidence.references:
        path = run_dir / ref.uri
        original = path.read_bytes()
        for offset in (0, len(original) // 2, len(original) - 1):
            changed = bytearray(original)
            changed[offset] ^= 0x01
            path.write_bytes(bytes(changed))
            problems = verify_evidence(run_dir)
            assert problems, f"changing byte {offset} of {ref.uri} went unnoticed"
            assert problems[0].startswith(ref.uri)
            if offset == 0:
                proc = purelms("evidence", "verify", str(run_dir))
                assert proc.returncode == 1
                assert ref.uri in proc.stderr.splitlines()[0]
        path.write_bytes(original)
        assert verify_evidence(run_dir) == []


def test_progress_sent_before_the_bar_is_shown_is_not_lost() -> None:
    # The bar appears once the backend has started; a callback can arrive first.
    from purelms_harness import cli

    bar = cli._ProgressBar("echo", shown=True)
    bar.update(40, "meshing")
    bar.update(55, None)
    bar.start()
    try:
        assert bar._bar is not None
        (task,) = bar._bar.tasks
        assert (task.completed, task.fields["step"]) == (55, "meshing")
        bar.update(90, "writing")
        assert (task.completed, task.fields["step"]) == (90, "writing")
    finally:
        bar.stop()


def test_outside_a_repository_says_how_to_name_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PURELMS_REPO_ROOT"}
    proc = subprocess.run(
        [sys.executable, "-m", "purelms_harness.cli", "run", "echo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**env, "COLUMNS": "300"},
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"purelms: error: no repository with a backends/ folder above {tmp_path.resolve()}; "
        "run inside the repository, pass `purelms --root DIR` or set PURELMS_REPO_ROOT"
    ]
    assert list(tmp_path.iterdir()) == []  # nothing written where it was started


def test_a_run_folder_that_is_a_file_or_not_empty_is_refused_untouched(tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine too")
    for out, rule in ((a_file, "is a file"), (used, "is not empty")):
        proc = purelms("run", "echo", "--out", str(out))
        assert proc.returncode == 2
        assert proc.stderr.strip().splitlines() == [
            f"purelms: error: run directory {out} {rule} (give a new or empty folder)"
        ]
    assert a_file.read_text() == "mine"
    assert sorted(p.name for p in used.iterdir()) == ["keep.txt"]

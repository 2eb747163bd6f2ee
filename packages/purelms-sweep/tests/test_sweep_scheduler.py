"""A Dask scheduler and workers as separate processes on loopback, used through ``--scheduler``.

Includes the failure that matters on a real cluster: a worker killed (its whole
process group, SIGKILL) while it runs a task. Its task must be rerun on the
surviving worker, and the sweep must come back with exactly one result per
grid point: none lost, none duplicated.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dask
import pytest
from distributed import Client

from purelms_harness import find_repo_root
from purelms_harness.cli import main
from purelms_sweep._service import run_sweep

REPO = find_repo_root(Path(__file__))
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop ``process`` and everything in its process group, politely then not."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def dask_processes(
    log_dir: Path, workers: int = 2
) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """``dask scheduler`` and ``workers`` x ``dask worker --nthreads 1`` on 127.0.0.1."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (log_dir / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [str(BIN / "dask"), *args],
            cwd=log_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killable with its children
        )
        log.close()
        processes.append(process)
        return process

    try:
        start(
            "scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"
        )
        worker_processes = [
            start(
                f"worker{i}",
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                "--name",
                f"w{i}",
            )
            for i in range(workers)
        ]
        with Client(address, timeout="30s", set_as_default=False) as probe:  # type: ignore[no-untyped-call]
            probe.wait_for_workers(workers, timeout=60)
        yield address, worker_processes
    finally:
        for process in reversed(processes):
            stop(process)


def pid_of(worker: object) -> int:
    return int(str(worker).rsplit(":", 1)[1])


def test_cli_sweep_through_a_separate_scheduler_and_workers(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with dask_processes(tmp_path) as (address, workers):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "purelms_harness.cli",
                "sweep",
                "echo",
                "-p",
                "message=a,b,c",
                "-p",
                "repeat=1,2",
                "--scheduler",
                address,
                "--out",
                str(out),
                "--cas",
                str(tmp_path / "cas"),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert proc.returncode == 0, proc.stderr
        assert all(w.poll() is None for w in workers), "the workers outlive the client"
    assert "6 points: 6 ran, 0 from cache (6 success)" in proc.stdout
    with (out / "sweep.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6
    assert {r["status"] for r in rows} == {"success"}
    ran_on = {pid_of(r["worker"]) for r in rows}
    assert ran_on == {w.pid for w in workers}, "every task ran in one of the worker processes"


def test_worker_killed_mid_sweep_reruns_its_task_without_loss_or_duplicates(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    runs = out / "runs"
    killed: list[int] = []

    def busy_runs() -> list[Path]:
        if not runs.is_dir():
            return []
        return [d for d in runs.iterdir() if not (d / "evidence.json").exists()]

    with dask_processes(tmp_path) as (address, workers):
        victim = workers[1]

        def kill_when_both_workers_are_mid_task() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if len(busy_runs()) >= 2:  # one running task per single-threaded worker
                    time.sleep(0.5)  # well inside the backend's 2 s delay
                    os.killpg(victim.pid, signal.SIGKILL)
                    killed.append(victim.pid)
                    return
                time.sleep(0.05)

        watcher = threading.Thread(target=kill_when_both_workers_are_mid_task, daemon=True)
        watcher.start()
        outcome = run_sweep(
            REPO,
            "echo",
            ["message=a,b,c,d", "delay_seconds=2"],
            out_dir=out,
            scheduler=address,
            cas_dir=tmp_path / "cas",
        )
        watcher.join(timeout=5)
        survivor = workers[0]
        assert survivor.poll() is None

    assert killed == [victim.pid], "the worker was never seen mid-task"
    assert victim.poll() is not None
    rows = [row.row for row in outcome.rows]
    assert [r["message"] for r in rows] == ["a", "b", "c", "d"], "one row per point, in order"
    assert len({r["param_id"] for r in rows}) == 4, "no point duplicated"
    assert {r["status"] for r in rows} == {"success"}, [r["status_message"] for r in rows]
    assert {pid_of(r["worker"]) for r in rows} == {survivor.pid}, "the victim finished nothing"
    # The killed attempt left its run folder without evidence; its task ran again elsewhere.
    folders = list(runs.iterdir())
    finished = [d for d in folders if (d / "evidence.json").exists()]
    assert len(finished) == 4
    assert len(folders) >= 5, "the interrupted task was rerun in a fresh run folder"
    assert {Path(str(r["run_dir"])) for r in rows} == set(finished)
    table = outcome.table.to_pylist()
    assert len(table) == 4


def test_an_unreachable_scheduler_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(
            [
                "--root",
                str(REPO),
                "sweep",
                "echo",
                "-p",
                "repeat=1",
                "--scheduler",
                address,
                "--out",
                str(tmp_path / "o"),
                "--no-store",
            ]
        )
    err = capsys.readouterr().err
    assert code == 2
    assert f"purelms: error: cannot reach the Dask scheduler at {address}" in err

"""The backend forked from the harness (``_zygote``) against a new ``python -m``.

What must hold for the fork to stand in for the interpreter: the same results through
the CLI, the same process facts at the backend's import (environment, argv, sys.path,
signal dispositions, session, open descriptors), and no zygote left behind by a run
refused after the fork. Real processes throughout; the harness runs as the user starts
it (a subprocess), since a fork needs a single-threaded parent.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from purelms_harness import find_repo_root

REPO = find_repo_root(Path(__file__))


def _purelms(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "purelms_harness.cli", "--root", str(REPO), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _output(run: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((run / "output" / "output.json").read_text())
    return document


def test_a_forked_run_reports_what_a_fresh_interpreter_reports(tmp_path: Path) -> None:
    params = ["-p", "wall=0.3", "-p", 'label="south"', "-p", "layers=[1, 2]"]
    forked = _purelms("run", "echo", "-v", *params, "--out", str(tmp_path / "forked"))
    fresh = _purelms(
        "run", "echo", "-v", "--fresh-interpreter", *params, "--out", str(tmp_path / "fresh")
    )
    assert forked.returncode == 0, forked.stderr
    assert fresh.returncode == 0, fresh.stderr
    assert "backend process: forked from the harness" in forked.stdout
    assert "backend process: python -m purelms_echo" in fresh.stdout
    one, other = _output(tmp_path / "forked"), _output(tmp_path / "fresh")
    for key in ("status", "outputs", "messages", "metrics"):
        assert key in one
        if key != "metrics":
            assert one[key] == other[key], key
    assert one["outputs"]["echoed_parameters"] == {"wall": 0.3, "label": "south", "layers": [1, 2]}
    for run in ("forked", "fresh"):
        assert (tmp_path / run / "outcome.json").is_file()
        assert (tmp_path / run / "evidence.json").is_file()


_PROBE = """
import json, os, signal, sys
from purelms_runtime import Backend, Outputs, Parameters, RunContext

facts = {
    "environ": dict(os.environ),
    "argv": sys.argv,
    "path0": sys.path[0],
    "on_path": os.environ["PYTHONPATH"] in sys.path,
    "sigint": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
    "sigterm": signal.getsignal(signal.SIGTERM) == signal.SIG_DFL,
    "session_leader": os.getsid(0) == os.getpid(),
    "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
    "stdin": os.readlink("/proc/self/fd/0"),
    "stdout_is_stderr": os.readlink("/proc/self/fd/1") == os.readlink("/proc/self/fd/2"),
    "main": __name__,
}
with open(os.environ["PROBE_FACTS"], "w") as handle:
    json.dump(facts, handle)


class P(Parameters):
    pass


class O(Outputs):
    pass


def run(params: P, ctx: RunContext) -> O:
    return O()


backend = Backend(run, slug="probe", version="0.0.1")

if __name__ == "__main__":
    backend.main()
"""

_DRIVER = """
import json, secrets, signal, sys
from pathlib import Path
from purelms_harness import BackendManifest, CallbackServer, RunRequest, run_local
from purelms_harness._zygote import fork_zygote
from purelms_shared import parse_task_manifest

data, root, mode = json.loads(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
manifest = BackendManifest(
    path=root / "probe" / "interactive_task.yaml", task=parse_task_manifest(data), module="probe"
)
# Handlers of the harness's own (as _Interrupts installs): neither start may keep them.
signal.signal(signal.SIGINT, lambda *_: None)
signal.signal(signal.SIGTERM, lambda *_: None)
zygote = fork_zygote("probe") if mode == "forked" else None
if mode == "forked" and zygote is None:
    sys.exit("no zygote: the driver is not single-threaded")
env = {"PYTHONPATH": str(root / "modules"), "PROBE_FACTS": str(root / f"{mode}.json")}
with CallbackServer(token=secrets.token_urlsafe(16)) as server:
    result = run_local(
        manifest,
        RunRequest(env=env),
        server=server,
        run_dir=root / f"run-{mode}",
        zygote=zygote,
    )
print(json.dumps({"problems": result.problems, "exit_code": result.exit_code}))
"""


def _facts(root: Path, mode: str, manifest: dict[str, Any]) -> dict[str, Any]:
    driver = subprocess.run(
        [sys.executable, "-c", _DRIVER, json.dumps(manifest), str(root), mode],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert driver.returncode == 0, driver.stderr
    verdict = json.loads(driver.stdout.strip().splitlines()[-1])
    assert verdict == {"problems": [], "exit_code": 0}, (mode, verdict, driver.stderr)
    facts: dict[str, Any] = json.loads((root / f"{mode}.json").read_text())
    return facts


def test_the_forked_backend_starts_as_python_m_would(
    tmp_path: Path, manifest_of: Callable[..., dict[str, Any]]
) -> None:
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "probe.py").write_text(textwrap.dedent(_PROBE))
    manifest = manifest_of("probe")
    forked, fresh = _facts(tmp_path, "forked", manifest), _facts(tmp_path, "fresh", manifest)
    # Both runs are told their own folders; everything else must be identical.
    for facts in (forked, fresh):
        assert facts["environ"].pop("PURELMS_INPUT_DIR").endswith("/input")
        assert facts["environ"].pop("PURELMS_OUTPUT_DIR").endswith("/output")
        facts["environ"].pop("PURELMS_CALLBACK_TOKEN")
        facts["environ"].pop("PURELMS_PARENT_PID")
        facts["environ"].pop("PROBE_FACTS")
    assert forked == fresh
    assert fresh["main"] == "__main__"
    assert fresh["argv"] == [str(modules / "probe.py")]
    assert fresh["path0"] == str(tmp_path)
    for fact in ("on_path", "sigint", "sigterm", "session_leader", "stdout_is_stderr"):
        assert fresh[fact] is True, fact
    assert fresh["stdin"] == "/dev/null"
    assert fresh["fds"][:3] == [0, 1, 2]
    assert len(fresh["fds"]) == 4  # and listdir's own


@pytest.mark.parametrize("start", [[], ["--fresh-interpreter"]], ids=["forked", "fresh"])
def test_a_run_refused_after_the_fork_leaves_no_process(
    tmp_path: Path, faults: Any, start: list[str]
) -> None:
    out = tmp_path / "refused-run"
    missing = tmp_path / "no-such.epw"
    refused = _purelms(
        "run", "echo", "-q", *start, "--input-file", f"weather={missing}", "--out", str(out)
    )
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"purelms: error: --input-file weather={missing}: no such file"
    ]
    assert not out.exists()
    assert not faults.processes_mentioning(str(out)), "a zygote outlived the harness"


_REPORTER = """
import json, os, signal, sys, time
from purelms_harness._zygote import fork_zygote

mode = sys.argv[1]


def prepare(report):
    # What a prestart does: a process of its own, alive for the whole run, which holds a
    # copy of every descriptor the zygote had, the report's write end included.
    helper = os.fork()
    if helper == 0:  # holds every descriptor but the driver's output (the test reads it)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        time.sleep(60)
        os._exit(0)
    with open(sys.argv[2], "w") as handle:
        handle.write(str(helper))
    if mode == "reports":
        report({"stale": None, "warnings": ["one\\ntwo"], "outputs": [{"name": "x"}]})
    return []


zygote = fork_zygote("nothing_to_run", prepare=prepare)
started = time.monotonic()
print(json.dumps([zygote.report(), zygote.report()]))
print(round(time.monotonic() - started, 1))
zygote.close()
"""


@pytest.mark.parametrize("mode", ["reports", "silent"])
def test_the_zygote_report_arrives_while_a_process_it_forked_lives(
    tmp_path: Path, mode: str
) -> None:
    """``Zygote.report`` waits for one line, not for EOF: a prestarted engine's host
    keeps the pipe's write end open for the whole run (``purelms run`` hung on it)."""
    pid_file = tmp_path / "helper.pid"
    driver = subprocess.run(
        [sys.executable, "-c", _REPORTER, mode, str(pid_file)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    helper = int(pid_file.read_text())
    try:
        assert driver.returncode == 0, driver.stderr
        reports, seconds = driver.stdout.strip().splitlines()
        expected = {"stale": None, "warnings": ["one\ntwo"], "outputs": [{"name": "x"}]}
        if mode == "reports":
            assert json.loads(reports) == [expected, expected]  # asked twice: read once
            assert float(seconds) < 30  # not the helper's 60 s
        else:  # nothing reported: None once the zygote's prepare is over
            assert json.loads(reports) == [None, None]
            assert float(seconds) < 30
        assert Path(f"/proc/{helper}").exists()  # the helper was alive all along
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(helper, signal.SIGKILL)


_IN_PROCESS = """
import json, sys
from purelms_harness import cli

code = cli.main(sys.argv[1:])
print(json.dumps([code, "purelms_echo" in sys.modules, "purelms_runtime._backend" in sys.modules]))
"""


@pytest.mark.parametrize(
    ("start", "imported"), [([], False), (["--fresh-interpreter"], True)], ids=["forked", "fresh"]
)
def test_the_harness_leaves_the_backend_to_its_zygote(
    tmp_path: Path, start: list[str], imported: bool
) -> None:
    """With a zygote, the backend (and so the runtime) is imported, and the manifest
    checked against it, in the zygote only; without one, by the harness itself."""
    args = ["--root", str(REPO), "run", "echo", "-q", *start, "-p", "a=1", "--out"]
    done = subprocess.run(
        [sys.executable, "-c", _IN_PROCESS, *args, str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    code, echo_imported, runtime_imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 0
    assert (echo_imported, runtime_imported) == (imported, imported)
    assert _output(tmp_path / "run")["outputs"]["echoed_parameters"] == {"a": 1}

"""How a backend process ends (``purelms_runtime._process.exit_process``), in real processes.

The interpreter's teardown is skipped, nothing anyone could observe is: exit handlers
run, buffered output is written, the exit code is kept, and a thread still working is
waited for (then the normal exit runs).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PRELUDE = """
import atexit, sys, threading, time
from purelms_runtime._process import exit_process

class Loud:
    def __del__(self):
        print("torn down", flush=True)

kept = Loud()  # only the interpreter's teardown would finalize it
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_exit_handlers_run_and_buffered_output_is_written(tmp_path: Path) -> None:
    mark = tmp_path / "handler"
    done = _run(
        f"atexit.register(lambda: open({str(mark)!r}, 'w').write('ran'))\n"
        "sys.stdout.write('buffered, no newline')\n"
        "exit_process(3)\n"
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout == "buffered, no newline"  # no "torn down": the teardown was skipped
    assert mark.read_text() == "ran"


def test_a_thread_still_working_is_waited_for(tmp_path: Path) -> None:
    mark = tmp_path / "thread"
    done = _run(
        "def work():\n"
        "    time.sleep(0.3)\n"
        f"    open({str(mark)!r}, 'w').write('finished')\n"
        "threading.Thread(target=work).start()\n"
        "exit_process(4)\n"
    )
    assert done.returncode == 4, done.stderr
    assert mark.read_text() == "finished"
    assert "torn down" in done.stdout  # the normal exit ran


def test_a_daemon_thread_does_not_hold_the_exit() -> None:
    done = _run(
        "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\nexit_process(0)\n"
    )
    assert (done.returncode, done.stdout) == (0, "")

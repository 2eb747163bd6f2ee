"""What ``/proc`` says about a process tree, and killing that tree, on real processes.

``_process`` reads ``/proc/<pid>/stat`` itself (the end of every run reads it once), so
the awkward cases are checked against the kernel: a command name with spaces and
parentheses (the name is field 2 and may contain both), a descendant that left for a
session of its own, and a whole tree killed at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from purelms_runtime._process import _proc_stats, descendants, group_members, kill_tree

# A child that names itself "x) (y z" (prctl PR_SET_NAME), starts a grandchild in a
# session of its own, prints the grandchild's pid and sleeps.
_TREE = r"""
import ctypes, os, subprocess, sys
ctypes.CDLL(None).prctl(15, b"x) (y z", 0, 0, 0)
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                              start_new_session=True)
print(grandchild.pid, flush=True)
import time; time.sleep(60)
"""


@pytest.fixture
def tree() -> Iterator[tuple[subprocess.Popen[str], int]]:
    child = subprocess.Popen(
        [sys.executable, "-c", _TREE], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert child.stdout is not None
    grandchild = int(child.stdout.readline())
    try:
        yield child, grandchild
    finally:
        for pid in (grandchild, child.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        child.wait()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except FileNotFoundError:
        return False


def test_parent_and_group_are_read_past_a_name_with_parentheses(
    tree: tuple[subprocess.Popen[str], int],
) -> None:
    child, grandchild = tree
    with open(f"/proc/{child.pid}/comm", "rb") as comm:
        assert comm.read().strip() == b"x) (y z"
    stats = _proc_stats()
    assert stats[child.pid] == (os.getpid(), child.pid)  # it leads its own group
    assert stats[grandchild] == (child.pid, grandchild)  # and so does its child
    assert os.getpid() in stats


def test_a_descendant_in_a_session_of_its_own_is_found_and_killed(
    tree: tuple[subprocess.Popen[str], int],
) -> None:
    child, grandchild = tree
    assert descendants(child.pid) == {grandchild}
    assert group_members(child.pid) == {child.pid}
    kill_tree(child.pid)
    child.wait(timeout=10)
    deadline = time.monotonic() + 10
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(grandchild)
    assert child.pid not in _proc_stats()

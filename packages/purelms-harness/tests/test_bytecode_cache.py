"""The ``purelms`` bytecode cache: written once under the environment, announced once, opt-out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from purelms_harness._bytecode import write_cache_file

# A process that believes its environment is ``prefix``: the cache goes under it, and the
# process imports a module the cache must then hold.
_PROBE = """
import sys
sys.prefix = sys.argv[1]
from purelms_harness._bytecode import enable_bytecode_cache
print(enable_bytecode_cache())
import purelms_shared._constants
"""


def _probe(prefix: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
    environ.update(PYTHONDONTWRITEBYTECODE="1", **env)
    return subprocess.run(
        [sys.executable, "-c", _PROBE, str(prefix)],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )


def test_the_first_run_says_it_caches_and_later_runs_read_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "purelms-pycache"
    first = _probe(tmp_path)
    assert first.stdout.strip() == str(cache)
    assert first.stderr.count("\n") == 1
    assert "first run in this environment: caching bytecode in" in first.stderr
    assert any(p.name.startswith("_constants.") for p in cache.rglob("*.pyc"))
    second = _probe(tmp_path)
    assert second.stdout.strip() == str(cache)
    assert second.stderr == ""


def test_the_users_choice_wins(tmp_path: Path) -> None:
    opted_out = _probe(tmp_path, PURELMS_NO_BYTECODE_CACHE="1")
    assert opted_out.stdout.strip() == "None"
    assert opted_out.stderr == ""
    own = _probe(tmp_path, PYTHONPYCACHEPREFIX=str(tmp_path / "mine"))
    assert own.stdout.strip() == "None"
    assert not (tmp_path / "purelms-pycache").exists()


def test_a_cache_file_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / "caches" / "entry.json"
    assert write_cache_file(path, b"first")
    assert write_cache_file(path, b"second")
    assert path.read_bytes() == b"second"
    assert os.listdir(path.parent) == ["entry.json"]  # nothing staged is left
    taken = tmp_path / "caches" / "a folder"
    taken.mkdir()
    (taken / "inside").write_text("kept")
    assert not write_cache_file(taken, b"third")  # the rename fails: no exception
    assert sorted(os.listdir(path.parent)) == ["a folder", "entry.json"]
    assert (taken / "inside").read_text() == "kept"

"""A real backend process loads only what its image holds.

``python -X importtime -m <backend module>`` is the backend started exactly as its
image's entrypoint starts it (a ready offline input, callbacks to
``file:///dev/null``); ``-X importtime`` makes the interpreter name every module it
imports, in the supervisor and in the forked worker alike. None of the developer-only
libraries may appear: they are not installed in an image.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from purelms_shared import INPUT_SCHEMA_V1, ExecutionContext, SimulationInputEnvelope

DEVELOPER_ONLY = {"rich", "yaml", "dask", "distributed", "pyarrow", "purelms_harness"}
PLATFORM_SIDE_CONTRACT = {
    "purelms_shared._task_manifest",
    "purelms_shared._service",
    "purelms_shared._schema",
}
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(?P<module>\S+)\s*$", re.MULTILINE)


def _offline_input(input_dir: Path, slug: str, version: str) -> None:
    envelope = SimulationInputEnvelope(
        schema_version=INPUT_SCHEMA_V1,
        run_id=uuid.uuid4(),
        backend_slug=slug,
        backend_version=version,
        student_id=1,
        course_id=1,
        block_id=1,
        context=ExecutionContext(
            callback_url_progress="file:///dev/null",
            callback_url_complete="file:///dev/null",
            callback_audience="test",
            timeout_seconds=60,
        ),
    )
    input_dir.mkdir()
    (input_dir / "input.json").write_text(envelope.model_dump_json())


@pytest.mark.parametrize(
    ("module", "slug"),
    [("purelms_echo", "echo"), ("purelms_energyplus_single_zone", "energyplus_single_zone")],
)
def test_a_backend_process_imports_no_developer_library(
    module: str, slug: str, tmp_path: Path
) -> None:
    _offline_input(tmp_path / "input", slug, "0.1.0")
    (tmp_path / "output").mkdir()
    env = {
        **os.environ,
        "PURELMS_INPUT_DIR": str(tmp_path / "input"),
        "PURELMS_OUTPUT_DIR": str(tmp_path / "output"),
    }
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", module],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "output" / "output.json").is_file()
    modules = {match["module"] for match in _IMPORTED.finditer(done.stderr)}
    imported = {name.split(".")[0] for name in modules}
    assert {module, "purelms_runtime", "purelms_shared", "pydantic"} <= imported
    assert not imported & DEVELOPER_ONLY, sorted(imported & DEVELOPER_ONLY)
    # Nor what only the platform's installer and tools read (purelms_shared loads them lazily).
    assert not modules & PLATFORM_SIDE_CONTRACT, sorted(modules & PLATFORM_SIDE_CONTRACT)


def test_importing_a_developer_library_would_be_seen(tmp_path: Path) -> None:
    """The check above can fail: the same parsing sees rich when a process imports it."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import rich.console"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    imported = {match["module"].split(".")[0] for match in _IMPORTED.finditer(done.stderr)}
    assert "rich" in imported


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """``python -c code`` in a new interpreter, which must succeed."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.mark.parametrize("collecting", [True, False])
def test_the_runtime_import_leaves_the_garbage_collector_as_it_found_it(
    collecting: bool,
) -> None:
    """The collector is paused only while the runtime imports (see its ``__init__``)."""
    code = (
        "import gc, sys\n"
        f"gc.enable() if {collecting} else gc.disable()\n"
        "from purelms_runtime import Backend\n"
        "print(gc.isenabled(), 'pydantic' in sys.modules)\n"
    )
    done = _python(code)
    assert done.stdout.split() == [str(collecting), "True"]


def test_the_protocol_module_does_not_import_the_runtime() -> None:
    """A launcher reads the protocol's names without paying for the runtime (pydantic,
    the contract): the package's names load on first use."""
    code = (
        "import sys\n"
        "import purelms_runtime.protocol\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'purelms_'))))\n"
        "from purelms_runtime import param, Backend\n"
        "print(param.__module__, Backend.__module__, 'pydantic' in sys.modules)\n"
    )
    done = _python(code)
    first, second = done.stdout.splitlines()
    assert first == "['purelms_runtime', 'purelms_runtime.protocol']"
    assert second == "purelms_runtime._fields purelms_runtime._backend True"


def test_callback_imports_are_loaded_in_the_background() -> None:
    """``CallbackPoster.warm_up`` loads what posting needs, off the caller's thread."""
    code = (
        "import sys, threading\n"
        "from purelms_runtime._http import CallbackPoster\n"
        "before = 'urllib.request' in sys.modules\n"
        "thread = CallbackPoster.warm_up()\n"
        "named = thread.name != threading.current_thread().name\n"
        "thread.join(60)\n"
        "from purelms_runtime._http import _opener\n"
        "print(before, named, thread.is_alive(), 'urllib.request' in sys.modules,"
        " 'encodings.idna' in sys.modules, _opener.cache_info().currsize)\n"
    )
    done = _python(code)
    assert done.stdout.split() == ["False", "True", "False", "True", "True", "1"]

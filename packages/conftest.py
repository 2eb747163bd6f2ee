"""Fixtures shared by the runtime, harness and sweep tests: real backends in real processes,
real loopback HTTP. Here (above the three packages) so that each package's tests find them.

The fault tests (marked ``faults``) also need real file systems that fail: ``tmpfs`` mounts
a small (or read-only) tmpfs for one test. Tests run as root here, and root ignores file
modes, so a mount is the honest way to get EROFS or ENOSPC; where mounting is impossible
the test fails, naming the reason, rather than skipping.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from purelms_harness import BackendManifest, CallbackServer, discover, find_repo_root
from purelms_shared import parse_task_manifest

REPO = find_repo_root(Path(__file__))


#: A loopback port nothing listens on (the discard port): connections are refused at once.
_NOWHERE = "127.0.0.1:9"


@pytest.fixture(autouse=True)
def _google_metadata_stays_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may ever make google-auth reach for the real metadata server's address.

    A runtime without ``PURELMS_CALLBACK_TOKEN`` mints OIDC tokens through google-auth,
    whose default metadata address is not on this machine. Every backend process a test
    starts inherits this environment, so google-auth finds a refused loopback port
    instead; the OIDC tests point it at their own loopback identity provider.
    """
    monkeypatch.setenv("GCE_METADATA_HOST", _NOWHERE)
    monkeypatch.setenv("GCE_METADATA_IP", _NOWHERE)
    monkeypatch.setenv("GCE_METADATA_DETECT_RETRIES", "1")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)


@pytest.fixture
def server() -> Iterator[CallbackServer]:
    with CallbackServer(token=secrets.token_urlsafe(16)) as srv:
        yield srv


@pytest.fixture(scope="session")
def echo_manifest() -> BackendManifest:
    return discover(REPO)["echo"]


MakeBackend = Callable[..., tuple[BackendManifest, dict[str, str]]]


def minimal_manifest(slug: str, **backend: object) -> dict[str, object]:
    """The smallest installable manifest of a throwaway backend (open schema)."""
    return {
        "schema_version": "purelms.interactive_task.v1",
        "slug": slug,
        "name": slug,
        "version": "0.0.1",
        "description": "A throwaway test backend.",
        "backend": {
            "credit_cost": 0,
            "trust_tier": "community",
            "execution_mode": "sync",
            "default_timeout_seconds": 30,
            **backend,
        },
        "deployment": {"portable_contract": "purelms.portable_container.v1"},
        "frontend": {"bundle": f"{slug}.js"},
    }


@pytest.fixture(scope="session")
def manifest_of() -> Callable[..., dict[str, object]]:
    """``minimal_manifest`` for tests that build a manifest themselves (e.g. in a subprocess)."""
    return minimal_manifest


@pytest.fixture
def make_backend(tmp_path: Path) -> MakeBackend:
    """Write a throwaway backend module; returns its manifest and the env that finds it.

    The module body is given as source; it must define ``backend``; keyword arguments
    go to the manifest's ``backend`` table (e.g. ``progress_reporting="percentage"``). Test-only
    backends live in a temporary folder on PYTHONPATH so that the harness runs
    them with ``python -m`` exactly like a real backend.
    """

    def make(name: str, body: str, **backend: object) -> tuple[BackendManifest, dict[str, str]]:
        package_dir = tmp_path / "test_backends"
        package_dir.mkdir(exist_ok=True)
        header = textwrap.dedent(
            """
            from purelms_runtime import (
                Backend, Outputs, Parameters, RunContext, SimulationFailed, output, param,
            )

            """
        )
        footer = "\n\nif __name__ == '__main__':\n    backend.main()\n"
        (package_dir / f"{name}.py").write_text(header + textwrap.dedent(body) + footer)
        manifest_path = tmp_path / name / "interactive_task.yaml"
        manifest_path.parent.mkdir()
        data = minimal_manifest(name, **backend)
        manifest = BackendManifest(path=manifest_path, task=parse_task_manifest(data), module=name)
        return manifest, {"PYTHONPATH": str(package_dir)}

    return make


Tmpfs = Callable[..., contextlib.AbstractContextManager[Path]]


@pytest.fixture
def tmpfs() -> Iterator[Tmpfs]:
    """``with tmpfs(path, size="256k", read_only=False): ...`` mounts a tmpfs at ``path``."""
    mounted: list[Path] = []

    @contextlib.contextmanager
    def mount(path: Path, *, size: str = "1m", read_only: bool = False) -> Iterator[Path]:
        path.mkdir(parents=True, exist_ok=True)
        options = f"size={size}" + (",ro" if read_only else "")
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            pytest.fail(
                f"cannot mount a tmpfs at {path} (fault tests need root and mount(8)): "
                f"{proc.stderr.strip()}"
            )
        mounted.append(path)
        try:
            yield path
        finally:
            subprocess.run(["umount", "-l", str(path)], check=False)
            mounted.remove(path)

    yield mount
    for path in mounted:  # a test that failed inside the with block
        subprocess.run(["umount", "-l", str(path)], check=False)


class FaultTools:
    """Helpers of the fault tests (a fixture, since test modules cannot import a conftest)."""

    @staticmethod
    def fill(folder: Path) -> None:
        _fill(folder)

    @staticmethod
    def is_running(pid: int) -> bool:
        return _is_running(pid)

    @staticmethod
    def processes_mentioning(text: str) -> list[int]:
        return _processes_mentioning(text)

    @staticmethod
    def wait_until(condition: Callable[[], bool], seconds: float, step: float = 0.02) -> bool:
        return _wait_until(condition, seconds, step)


@pytest.fixture(scope="session")
def faults() -> FaultTools:
    return FaultTools()


def _fill(folder: Path) -> None:
    """Write into ``folder`` until its file system is full (ENOSPC)."""
    with (folder / "filler").open("wb") as handle:
        with contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        with contextlib.suppress(OSError):
            handle.close()


def _is_running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _processes_mentioning(text: str) -> list[int]:
    """Live processes whose environment or command line contains ``text`` (not this one)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "environ").read_bytes() + (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in blob and _is_running(int(entry.name)):
            found.append(int(entry.name))
    return found


def _wait_until(condition: Callable[[], bool], seconds: float, step: float = 0.02) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; returns its last value."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        time.sleep(step)
    return True

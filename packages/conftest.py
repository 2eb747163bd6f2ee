"""Fixtures shared by the runtime, harness and sweep tests: real backends in real processes,
real loopback HTTP. Here (above the three packages) so that each package's tests find them.

The fault tests (marked ``faults``) also need real file systems that fail: ``tmpfs`` mounts
a small (or read-only) tmpfs for one test. Tests run as root here, and root ignores file
modes, so a mount is the honest way to get EROFS or ENOSPC; where mounting is impossible
the test fails, naming the reason, rather than skipping.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from purelms_harness import (
    BackendManifest,
    CallbackServer,
    LoopbackIdentity,
    ObjectStore,
    discover,
    find_repo_root,
)
from purelms_shared import parse_task_manifest
from purelms_testkit import (
    MakeBackend,
    Tmpfs,
    fill,
    is_running,
    minimal_manifest,
    processes_mentioning,
    wait_until,
)

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


@pytest.fixture
def identity() -> Iterator[LoopbackIdentity]:
    """A loopback OIDC identity provider (the managed path's ID tokens)."""
    with LoopbackIdentity() as provider:
        yield provider


@pytest.fixture
def oidc_server(identity: LoopbackIdentity) -> Iterator[CallbackServer]:
    """A callback server that accepts only ID tokens of ``identity``, as on the platform."""
    with CallbackServer(identity=identity) as srv:
        yield srv


@pytest.fixture
def store() -> Iterator[ObjectStore]:
    """A loopback object store with signed URLs."""
    with ObjectStore() as objects:
        yield objects


@pytest.fixture(scope="session")
def echo_manifest() -> BackendManifest:
    return discover(REPO)["echo"]


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
    """Helpers of the fault tests, as a fixture (they are also importable from purelms_testkit)."""

    fill = staticmethod(fill)
    is_running = staticmethod(is_running)
    processes_mentioning = staticmethod(processes_mentioning)
    wait_until = staticmethod(wait_until)


@pytest.fixture(scope="session")
def faults() -> FaultTools:
    return FaultTools()

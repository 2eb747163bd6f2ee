"""Fixtures shared by the runtime, harness and sweep tests: real backends in real processes,
real loopback HTTP. Here (above the three packages) so that each package's tests find them.
"""

from __future__ import annotations

import secrets
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from purelms_harness import BackendManifest, CallbackServer, discover, find_repo_root

REPO = find_repo_root(Path(__file__))


@pytest.fixture
def server() -> Iterator[CallbackServer]:
    with CallbackServer(token=secrets.token_urlsafe(16)) as srv:
        yield srv


@pytest.fixture(scope="session")
def echo_manifest() -> BackendManifest:
    return discover(REPO)["echo"]


MakeBackend = Callable[[str, str], tuple[BackendManifest, dict[str, str]]]


@pytest.fixture
def make_backend(tmp_path: Path) -> MakeBackend:
    """Write a throwaway backend module; returns its manifest and the env that finds it.

    The module body is given as source; it must define ``backend``. Test-only
    backends live in a temporary folder on PYTHONPATH so that the harness runs
    them with ``python -m`` exactly like a real backend.
    """

    def make(name: str, body: str) -> tuple[BackendManifest, dict[str, str]]:
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
        data = {
            "slug": name,
            "version": "0.0.1",
            "backend": {"module": name, "default_timeout_seconds": 30},
        }
        return BackendManifest(path=manifest_path, data=data), {"PYTHONPATH": str(package_dir)}

    return make

"""A freshly scaffolded backend's image builds and smoke-runs, untouched.

In a temporary copy of the repository, ``tools/new_backend.py demo_image`` scaffolds a
backend, then ``tools/images.py demo_image`` (what ``nox -s images -- demo_image`` runs)
builds its image on the cached base, checks the size budget its Containerfile declares,
and runs it exactly as the harness would (no network, read-only root, default
parameters): the output envelope must say success. Like ``test_images.py`` this needs a
container engine and fails, not skips, without one. The third-party wheels already
downloaded for this checkout's images are shared with the copy (hard links), so a warm
run downloads nothing.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1]
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

from _template_testing import REPO, scaffolded_copy, uv_run  # noqa: E402

from purelms_harness import ContainerEngine, detect_engine  # noqa: E402

pytestmark = [pytest.mark.container, pytest.mark.timeout(1800)]

SLUG = "demo_image"
REF = f"purelms-itask-{SLUG.replace('_', '-')}:0.1.0"


@pytest.fixture(scope="module")
def engine() -> ContainerEngine:
    return detect_engine()


@pytest.fixture(scope="module")
def root(engine: ContainerEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root, _ = scaffolded_copy(tmp_path_factory.mktemp("images"), SLUG)
    house = REPO / "build" / "images" / "wheelhouse"
    if house.is_dir():
        target = root / "build" / "images" / "wheelhouse"
        target.mkdir(parents=True)
        for wheel in house.glob("*.whl"):
            os.link(wheel, target / wheel.name)
    yield root
    engine.run("rmi", "--force", REF, check=False)


def test_the_scaffolded_image_builds_and_smoke_runs(root: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = uv_run(
        root,
        "python",
        "tools/images.py",
        SLUG,
        "--no-export",
        "--report",
        str(report),
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    built = json.loads(report.read_text())[SLUG]
    assert built["ref"] == REF
    assert built["smoke_status"] == "success"
    assert built["max_size_mb"] is not None
    assert built["size_mb"] <= built["max_size_mb"]
    assert built["labels"]["io.purelms.interactive-task.slug"] == SLUG
    assert built["labels"]["io.purelms.interactive-task.version"] == "0.1.0"

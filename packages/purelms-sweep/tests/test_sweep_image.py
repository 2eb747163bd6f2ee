"""``purelms sweep --image``: every point runs in the backend's container image, pinned by its ID.

Needs a container engine and the echo image: marked ``container``, so it runs in
``nox -s images`` right after the images are built, and fails (never skips) when
either is missing. Refusals need neither.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import pytest

from purelms_harness import ContainerError, detect_engine, find_repo_root
from purelms_harness.cli import main
from purelms_sweep._service import run_sweep

REPO = find_repo_root(Path(__file__))
ECHO_IMAGE = f"purelms-itask-echo:{version('purelms-echo')}"
pytestmark = pytest.mark.container


def image_id(ref: str) -> str:
    try:
        return detect_engine().image_id(ref)
    except ContainerError as exc:
        pytest.fail(f"needs the echo image (`nox -s images -- echo`): {exc}")


def test_sweep_runs_points_in_the_image_and_caches_by_image_id(tmp_path: Path) -> None:
    digest = image_id(ECHO_IMAGE)
    cas = tmp_path / "cas"
    specs = ["message=a,b"]
    outcome = run_sweep(
        REPO, "echo", specs, out_dir=tmp_path / "first", workers=2, image=ECHO_IMAGE, cas_dir=cas
    )
    assert outcome.ok, [row.row["status_message"] for row in outcome.rows]
    assert outcome.bundle_ref == digest
    assert {row.task.bundle_ref for row in outcome.rows} == {digest}
    for row in outcome.rows:
        evidence = json.loads((Path(str(row.row["run_dir"])) / "evidence.json").read_text())
        assert evidence["backend_image_digest"] == digest
    bundle = json.loads((tmp_path / "first" / "bundle.json").read_text())
    assert (bundle["format"], bundle["image_id"]) == ("purelms-image/1", digest)

    again = run_sweep(
        REPO, "echo", specs, out_dir=tmp_path / "again", image=ECHO_IMAGE, cas_dir=cas
    )
    assert again.cached == 2
    source = run_sweep(REPO, "echo", specs, out_dir=tmp_path / "src", workers=1, cas_dir=cas)
    assert source.cached == 0, "the image and the source bundle are different code pins"


def test_an_image_of_another_backend_or_no_image_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = "purelms/no-such-image:0"
    out = ["--out", str(tmp_path / "o")]
    code = main(["--root", str(REPO), "sweep", "echo", "-p", "repeat=1", "--image", missing, *out])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"purelms: error: --image {missing}: ")
    assert not (tmp_path / "o").exists()

    image_id(ECHO_IMAGE)
    sweep = ["sweep", "energyplus_single_zone", "-p", "height_m=3", "--image", ECHO_IMAGE]
    code = main(["--root", str(REPO), *sweep, *out])
    err = capsys.readouterr().err
    assert code == 2
    assert (
        "is backend 'echo' (io.purelms.interactive-task.slug), not 'energyplus_single_zone'" in err
    )

"""`purelms serve`'s API against the real echo backend: real runs, real callbacks."""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from purelms_harness import BackendManifest
from purelms_harness._serve import BundleError, PreviewServer, ensure_bundle

TERMINAL = {"success", "failed_simulation", "failed_runtime", "cancelled", "timed_out"}


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read()
            kind = response.headers.get("Content-Type", "")
            return response.status, json.loads(body) if "json" in kind else body.decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _post(url: str, data: Any) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def preview(echo_manifest: BackendManifest, tmp_path: Path) -> Iterator[PreviewServer]:
    with PreviewServer(echo_manifest, tmp_path, bundle=None) as server:
        yield server


def _follow(base: str, run_id: str, timeout: float = 60) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, snapshot = _get(f"{base}api/runs/{run_id}")
        assert status == 200
        if not seen or snapshot != seen[-1]:
            seen.append(snapshot)
        if snapshot["status"] in TERMINAL:
            return seen
        time.sleep(0.1)
    raise AssertionError(f"run did not finish: {seen[-1:]}")


def test_config_carries_the_manifest_and_no_last_run(preview: PreviewServer) -> None:
    status, config = _get(preview.url + "api/config")
    assert status == 200
    assert config["slug"] == "echo"
    assert config["parameters"] == []  # an open schema
    assert [o["name"] for o in config["outputs"]] == ["echoed_backend_slug"]
    assert config["lastRun"] is None
    assert config["bundle_url"] == "/bundle/echo.js"


def test_a_run_reports_real_progress_then_its_output_envelope(preview: PreviewServer) -> None:
    status, body = _post(
        preview.url + "api/runs", {"parameters": {"message": "hi", "delay_seconds": 1}}
    )
    assert status == 202
    run_id = body["run_id"]
    seen = _follow(preview.url, run_id)
    statuses = [s["status"] for s in seen]
    assert statuses[-1] == "success"
    assert set(statuses) <= {"pending", "dispatched", "running", "success"}
    # echo's progress_reporting is `none`: the page is never shown a percentage.
    progress = [s["progress"]["progress_pct"] for s in seen if s["progress"]]
    assert progress == []
    status, envelope = _get(f"{preview.url}api/runs/{run_id}/output")
    assert status == 200
    assert envelope["schema_version"] == "purelms.output.v1"
    assert envelope["outputs"]["echoed_parameters"] == {"message": "hi", "delay_seconds": 1}
    _, config = _get(preview.url + "api/config")
    assert config["lastRun"]["parameters"] == {"message": "hi", "delay_seconds": 1}
    assert config["lastRun"]["output"]["run_id"] == envelope["run_id"]


@pytest.mark.parametrize(
    ("fail_with", "expected"),
    [("runtime", "failed_runtime"), ("simulation", "failed_simulation")],
)
def test_forced_failures_end_with_their_status_and_messages(
    preview: PreviewServer, fail_with: str, expected: str
) -> None:
    _, body = _post(preview.url + "api/runs", {"parameters": {"fail_with": fail_with}})
    assert _follow(preview.url, body["run_id"])[-1]["status"] == expected
    status, envelope = _get(f"{preview.url}api/runs/{body['run_id']}/output")
    assert status == 200
    assert envelope["status"] == expected
    assert any(m["level"] == "error" for m in envelope["messages"])


def test_invalid_parameters_are_the_backends_failed_runtime(preview: PreviewServer) -> None:
    _, body = _post(preview.url + "api/runs", {"parameters": {"delay_seconds": 999}})
    assert _follow(preview.url, body["run_id"])[-1]["status"] == "failed_runtime"
    _, envelope = _get(f"{preview.url}api/runs/{body['run_id']}/output")
    assert [m["code"] for m in envelope["messages"]] == ["ECHO.RESERVED"]


def test_unknown_runs_bad_bodies_and_missing_outputs(preview: PreviewServer) -> None:
    assert _get(preview.url + "api/runs/nope")[0] == 404
    assert _get(preview.url + "api/runs/nope/output")[0] == 404
    assert _post(preview.url + "api/runs", {"parameters": [1]})[0] == 400
    _, body = _post(preview.url + "api/runs", {"parameters": {"delay_seconds": 2}})
    status, text = _get(f"{preview.url}api/runs/{body['run_id']}/output")
    assert status == 409
    assert "has no output envelope" in text
    _follow(preview.url, body["run_id"])


def test_the_page_mounts_the_bundle_from_the_config(preview: PreviewServer) -> None:
    status, page = _get(preview.url)
    assert status == 200
    assert "bundle.mount(" in page
    assert "import(config.bundle_url)" in page
    assert _get(preview.url + "bundle/echo.js")[0] == 404  # built by ensure_bundle, not here


def test_a_missing_bundle_without_npm_names_the_build_command(
    echo_manifest: BackendManifest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frontend = tmp_path / "echo" / "frontend"
    (frontend / "src").mkdir(parents=True)
    (frontend / "package.json").write_text("{}")
    (frontend / "src" / "index.ts").write_text("export {};")
    manifest = dataclasses.replace(echo_manifest, path=tmp_path / "echo" / "interactive_task.yaml")
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(BundleError, match=r"npm ci && npm run build"):
        ensure_bundle(manifest, tmp_path)

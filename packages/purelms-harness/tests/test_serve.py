"""`purelms serve` as the platform's dispatcher: its API's shapes, Layer 3 refusals, real runs.

The shapes are the platform's (``platform.md`` §3): a submission answers
``{attempt, run, is_complete}`` with a RunReference, the status URL answers
RunStatusResponse snapshots, every refusal is ``{status, code, detail}``. Runs are real
(echo and EnergyPlus through ``run_local``), so progress comes from real callbacks.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from purelms_harness import BackendManifest, find_repo_root, load_manifest
from purelms_harness._layers import BlockConfig
from purelms_harness._serve import OUTCOME_KEY, PlatformServer
from purelms_harness.cli import main

REPO = find_repo_root(Path(__file__))
REFERENCE_KEYS = {
    "id",
    "status",
    "status_url",
    "poll_interval_seconds",
    "websocket_url",
    "deadline_at",
}
SNAPSHOT_KEYS = {
    "id",
    "status",
    "progress_pct",
    "progress_step",
    "is_terminal",
    "completed_at",
    "runtime_seconds",
    "outputs",
    "messages",
}
ORDER = ["pending", "dispatched", "running"]


def _request(url: str, data: bytes | None = None) -> tuple[int, str, bytes]:
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def _get(url: str) -> tuple[int, Any]:
    status, _, body = _request(url)
    return status, json.loads(body)


def _post(url: str, body: Any) -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, _, answer = _request(url, raw)
    return status, json.loads(answer)


@pytest.fixture(scope="module")
def energyplus_manifest() -> BackendManifest:
    return load_manifest(REPO, "energyplus_single_zone")


@pytest.fixture
def echo_server(echo_manifest: BackendManifest, tmp_path: Path) -> Iterator[PlatformServer]:
    with PlatformServer(echo_manifest, tmp_path, bundle=None, poll_interval_seconds=0.25) as srv:
        yield srv


def _submit(server: PlatformServer, parameters: dict[str, Any]) -> dict[str, Any]:
    status, answer = _post(server.url + "api/blocks/1/submissions", {"parameters": parameters})
    assert status == 201, answer
    return dict(answer)


def _follow(server: PlatformServer, reference: dict[str, Any]) -> list[dict[str, Any]]:
    """Every distinct snapshot at the status URL until a terminal one."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, snapshot = _get(server.url.rstrip("/") + reference["status_url"])
        assert status == 200, snapshot
        if not seen or snapshot != seen[-1]:
            seen.append(snapshot)
        if snapshot["is_terminal"]:
            return seen
        time.sleep(0.03)
    raise AssertionError(f"the run did not end: {seen[-1:]}")


def test_mount_info_is_what_the_platform_mounts_with(echo_server: PlatformServer) -> None:
    status, info = _get(echo_server.url + "api/mount")
    assert status == 200
    assert info["bundle_url"] == "/static/backends/echo/1.0.0/echo.js"
    assert info["submit_url"] == "/api/blocks/1/submissions"
    assert info["config"] == {}  # no block config, no run yet
    assert info["meta"] == {
        "bundle": "echo.js",
        "unitBlockId": 1,
        "creditCost": 1,
        "backendAvailable": True,
        "progressReporting": "none",
    }
    assert info["task"]["name"] == "Echo"


def test_a_submission_is_a_run_reference_then_snapshots_from_real_callbacks(
    echo_server: PlatformServer, tmp_path: Path
) -> None:
    answer = _submit(echo_server, {"message": "hi", "delay_seconds": 1.5})
    assert set(answer) == {"attempt", "run", "is_complete"}
    assert answer["is_complete"] is False
    reference = answer["run"]
    assert set(reference) == REFERENCE_KEYS
    assert reference["status"] == "pending"
    assert reference["status_url"] == f"/api/runs/{reference['id']}"
    assert reference["poll_interval_seconds"] == 0.25
    assert reference["websocket_url"] is None
    assert reference["deadline_at"].endswith("Z")
    seen = _follow(echo_server, reference)
    for snapshot in seen:
        assert set(snapshot) == SNAPSHOT_KEYS
        assert snapshot["id"] == reference["id"]
    statuses = [s["status"] for s in seen]
    # echo declares progress_reporting: none, so the runtime sends no progress callback:
    # the run is dispatched until it ends, without a percentage (EnergyPlus's test below
    # sees its percentages).
    assert statuses[:-1] == sorted(statuses[:-1], key=ORDER.index), statuses
    assert set(statuses[:-1]) <= {"pending", "dispatched"}, statuses
    assert statuses[-1] == "success"
    assert all(s["progress_pct"] is None for s in seen)
    assert all(s["outputs"] == {} for s in seen[:-1])
    assert all(s["completed_at"] is None for s in seen[:-1])
    last = seen[-1]
    assert last["is_terminal"] is True
    assert last["completed_at"].endswith("Z")
    assert isinstance(last["runtime_seconds"], float)
    assert last["outputs"]["echoed_parameters"] == {"message": "hi", "delay_seconds": 1.5}
    assert last["outputs"][OUTCOME_KEY] == {"passed": True, "score": None, "completion": 1.0}
    assert [m["code"] for m in last["messages"]] == ["ECHO.OK"]
    assert set(last["messages"][0]) == {"level", "code", "text"}
    outcome = json.loads(next(tmp_path.glob("runs/echo-*/outcome.json")).read_text())
    assert outcome == {"passed": True, "score": None, "completion": 1.0}


@pytest.mark.parametrize(
    ("fail_with", "expected"),
    [("runtime", "failed_runtime"), ("simulation", "failed_simulation")],
)
def test_failures_end_with_their_status_messages_and_no_outputs(
    echo_server: PlatformServer, fail_with: str, expected: str
) -> None:
    last = _follow(echo_server, _submit(echo_server, {"fail_with": fail_with})["run"])[-1]
    assert (last["status"], last["is_terminal"], last["outputs"]) == (expected, True, {})
    assert any(m["level"] == "error" for m in last["messages"])


def test_a_reload_gets_the_last_run(echo_server: PlatformServer) -> None:
    reference = _submit(echo_server, {"message": "again"})["run"]
    _, during = _get(echo_server.url + "api/mount")
    assert during["config"]["last_run"]["run"]["id"] == reference["id"]
    last = _follow(echo_server, reference)[-1]
    _, info = _get(echo_server.url + "api/mount")
    restored = info["config"]["last_run"]
    assert restored["parameters"] == {"message": "again"}
    assert set(restored["run"]) == REFERENCE_KEYS
    assert restored["run"]["status"] == "success"
    assert restored["outputs"] == last["outputs"]
    assert restored["messages"] == last["messages"]


BLOCK = {
    "parameters": {
        "height_m": {"max": 4},
        "terrain": {"visible": False, "default": "city"},
        "glazing": {"enabled": False},
    },
    "outputs": {"cooling_kwh": {"visible": False}},
    "lms_outcomes": {"passed": {"threshold": 9000}},
}


def _energyplus_server(manifest: BackendManifest, root: Path) -> PlatformServer:
    block = BlockConfig.model_validate(BLOCK)
    return PlatformServer(
        manifest, root, bundle=None, block_config=block, poll_interval_seconds=0.25
    )


@pytest.fixture
def energyplus_server(
    energyplus_manifest: BackendManifest, tmp_path: Path
) -> Iterator[PlatformServer]:
    with _energyplus_server(energyplus_manifest, tmp_path) as srv:
        yield srv


@pytest.fixture(scope="module")
def refusing_server(
    energyplus_manifest: BackendManifest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PlatformServer]:
    """One server for the refusals: none of them may start a run (each test checks)."""
    with _energyplus_server(energyplus_manifest, tmp_path_factory.mktemp("refusals")) as srv:
        yield srv


def test_the_block_config_is_the_bundles_layer2(refusing_server: PlatformServer) -> None:
    _, info = _get(refusing_server.url + "api/mount")
    assert info["config"] == {"parameters": BLOCK["parameters"], "outputs": BLOCK["outputs"]}
    assert info["meta"]["progressReporting"] == "percentage"


@pytest.mark.parametrize(
    ("parameters", "says"),
    [
        ({"nope": 1}, "parameters.nope: unknown parameter"),
        ({"height_m": 5}, "parameters.height_m: 5 is above the maximum 4"),
        ({"height_m": "3"}, "parameters.height_m: must be a number"),
        ({"terrain": "country"}, "parameters.terrain: hidden in this block"),
        ({"glazing": "simple"}, "parameters.glazing: disabled in this block"),
        ({"climate": "mars"}, "parameters.climate: 'mars' is not one of the choices"),
    ],
)
def test_layer3_refusals_name_the_parameter_and_start_nothing(
    refusing_server: PlatformServer, parameters: dict[str, Any], says: str
) -> None:
    status, body = _post(
        refusing_server.url + "api/blocks/1/submissions", {"parameters": parameters}
    )
    assert status == 400
    assert set(body) == {"status", "code", "detail"}
    assert (body["status"], body["code"]) == (400, "invalid_parameters")
    assert says in body["detail"], body["detail"]
    assert not (refusing_server.root / "runs").exists(), "a refused submission made a run folder"
    _, info = _get(refusing_server.url + "api/mount")
    assert "last_run" not in info["config"]


def test_an_energyplus_run_reports_percentage_progress_and_the_blocks_outcome(
    energyplus_server: PlatformServer, tmp_path: Path
) -> None:
    reference = _submit(energyplus_server, {"heating_setpoint_c": 19})["run"]
    seen = _follow(energyplus_server, reference)
    running = [s for s in seen if s["status"] == "running"]
    assert running, [s["status"] for s in seen]
    assert {s["progress_pct"] for s in running} <= {0, 25, 50, 75, 100}
    assert all(s["progress_step"] for s in running)
    last = seen[-1]
    assert last["status"] == "success", last["messages"]
    assert last["outputs"]["heating_kwh"] > 0
    outcome = last["outputs"][OUTCOME_KEY]
    assert outcome["passed"] is (last["outputs"]["heating_kwh"] < 9000)  # the block's threshold
    assert 0.0 <= outcome["score"] <= 1.0
    envelope = json.loads(next(tmp_path.glob("runs/*/input/input.json")).read_text())
    assert envelope["parameters"]["terrain"] == "city"  # the hidden parameter's block default


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_request"),
        (b'{"parameters": [1]}', 400, "invalid_request"),
        (b'{"parameters": {}, "extra": 1}', 400, "invalid_request"),
        (b'{"parameters": {"x": NaN}}', 400, "invalid_request"),
        (b'{"parameters": {"x": 1e999}}', 400, "invalid_request"),
    ],
)
def test_bad_bodies_get_the_error_shape(
    refusing_server: PlatformServer, body: bytes, status: int, code: str
) -> None:
    got, answer = _post(refusing_server.url + "api/blocks/1/submissions", body)
    assert got == status
    assert answer["status"] == status
    assert answer["code"] == code
    assert answer["detail"]


def test_unknown_runs_and_paths_are_404_with_the_error_shape(echo_server: PlatformServer) -> None:
    for path in ("api/runs/nope", "nowhere", "static/backends/echo/0.0.1/echo.js"):
        status, answer = _get(echo_server.url + path)
        assert (status, answer["code"]) == (404, "not_found"), path
    status, answer = _post(echo_server.url + "api/blocks/2/submissions", {"parameters": {}})
    assert (status, answer["status"]) == (404, 404)


def test_the_host_page_and_the_bundle_where_the_platform_serves_it(
    echo_manifest: BackendManifest, tmp_path: Path
) -> None:
    bundle = tmp_path / "dist" / "echo.js"
    bundle.parent.mkdir()
    bundle.write_text("export const mountContract = 'purelms.interactive_mount.v1';")
    with PlatformServer(echo_manifest, tmp_path, bundle=bundle) as server:
        status, kind, body = _request(server.url + "static/backends/echo/1.0.0/echo.js")
        assert (status, kind) == (200, "text/javascript; charset=utf-8")
        assert body == bundle.read_bytes()
        assert _request(server.url + "static/backends/echo/1.0.0/echo.js.map")[0] == 404
        status, kind, page = _request(server.url)
        assert status == 200
        assert kind.startswith("text/html")
        assert b'<main id="task">' in page
        status, kind, host = _request(server.url + "_host/host.js")
        assert status == 200
        assert kind.startswith("text/javascript")
        for contract in (b"purelms.interactive_mount.v1", b"pollStatus", b"createProgressBar"):
            assert contract in host


def test_a_busy_port_is_one_line_with_the_fix(
    echo_manifest: BackendManifest, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--root", str(REPO), "serve", "echo", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"purelms: error: port {port} is in use; use --port"]


def test_serve_refuses_a_widening_block_config_and_a_bad_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    block = tmp_path / "block.json"
    block.write_text(json.dumps({"parameters": {"height_m": {"max": 80}}}))
    assert (
        main(["--root", str(REPO), "serve", "energyplus_single_zone", "--block-config", str(block)])
        == 2
    )
    err = capsys.readouterr().err
    assert "parameters.height_m.max: 80 widens the manifest's max" in err
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "echo", "--port", "70000"])
    assert exit_.value.code == 2
    assert "must be a port number from 0" in capsys.readouterr().err

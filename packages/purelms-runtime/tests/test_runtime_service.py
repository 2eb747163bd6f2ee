"""Service mode (``PURELMS_RUNTIME_MODE=service``, platform.md §4) with real processes,
real loopback HTTP, a loopback object store and the callback server."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from purelms_harness import (
    BackendManifest,
    CallbackServer,
    LoopbackIdentity,
    ObjectStore,
    RunRequest,
    post_service_request,
    run_managed,
)
from purelms_shared import (
    INPUT_SCHEMA_V1,
    SERVICE_EXECUTION_SCHEMA_V1,
    BackendCallbackEvent,
    CompleteCallback,
    ExecutionContext,
    SimulationInputEnvelope,
)
from purelms_testkit import MakeBackend, is_running


@pytest.fixture
def server(oidc_server: CallbackServer) -> CallbackServer:
    """Callbacks of service runs carry OIDC ID tokens, as on the platform."""
    return oidc_server


class Service:
    def __init__(self, process: subprocess.Popen[bytes], log: Path, url: str) -> None:
        self.process = process
        self.log = log
        self.url = url

    def post(self, body: dict[str, Any] | bytes, path: str = "/") -> tuple[int, str]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return post_service_request(self.url + path, data, timeout=60)


@pytest.fixture
def start_service(tmp_path: Path, identity: LoopbackIdentity) -> Iterator[Callable[..., Service]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(module: str, env: dict[str, str] | None = None) -> Service:
        log = tmp_path / f"service-{len(started)}.log"
        full = {
            **{k: v for k, v in os.environ.items() if k != "PURELMS_CALLBACK_TOKEN"},
            **identity.environment(),
            "PURELMS_RUNTIME_MODE": "service",
            "PORT": "0",
            "PURELMS_SERVICE_HOST": "127.0.0.1",
            "PURELMS_PROGRESS_REPORTING": "percentage",
            **(env or {}),
        }
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", module], env=full, stdout=sink, stderr=subprocess.STDOUT
            )
        started.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            match = re.search(r"serving on ([0-9.]+):(\d+)", log.read_text())
            if match:
                return Service(process, log, f"http://{match[1]}:{match[2]}")
            assert process.poll() is None, log.read_text()
            time.sleep(0.05)
        pytest.fail(f"service did not start: {log.read_text()}")

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stage(
    store: ObjectStore,
    server: CallbackServer,
    slug: str,
    parameters: dict[str, Any] | None = None,
    *,
    deadline_seconds: float = 60,
) -> dict[str, Any]:
    """Upload an input envelope for a fresh run; the service request body for it."""
    run_id = uuid.uuid4()
    server.register(str(run_id), oidc_audience=server.base_url)
    envelope = SimulationInputEnvelope(
        schema_version=INPUT_SCHEMA_V1,
        run_id=run_id,
        backend_slug=slug,
        backend_version="0.1.0",
        student_id=1,
        course_id=1,
        block_id=1,
        parameters=parameters or {},
        context=ExecutionContext(
            callback_url_progress=server.url_for(str(run_id), BackendCallbackEvent.PROGRESS),
            callback_url_complete=server.url_for(str(run_id), BackendCallbackEvent.COMPLETE),
            callback_audience=server.base_url,
            timeout_seconds=120,
            progress_min_interval_seconds=0.0,
        ),
    )
    data = envelope.model_dump_json().encode()
    input_uri = f"gs://purelms-runs/runs/{run_id}/input/input.json"
    output_uri = f"gs://purelms-runs/runs/{run_id}/output/output.json"
    generation = store.put(input_uri, data)
    return {
        "schema_version": SERVICE_EXECUTION_SCHEMA_V1,
        "run_id": str(run_id),
        "timeout_at": (datetime.now(UTC) + timedelta(seconds=deadline_seconds)).isoformat(),
        "environment": {
            "PURELMS_INPUT_URI": input_uri,
            "PURELMS_OUTPUT_URI": output_uri,
            "PURELMS_INPUT_FETCH_URL": store.signed_url(input_uri, "GET"),
            "PURELMS_OUTPUT_UPLOAD_URL": store.signed_url(output_uri, "PUT"),
            "PURELMS_OUTPUT_VERIFY_URL": store.signed_url(output_uri, "GET"),
            "PURELMS_RUN_ID": str(run_id),
            "PURELMS_INPUT_SHA256": hashlib.sha256(data).hexdigest(),
            "PURELMS_INPUT_SIZE_BYTES": str(len(data)),
            "PURELMS_INPUT_GENERATION": str(generation),
        },
    }


def _counting_backend(make_backend: MakeBackend, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A backend whose function appends one line per call and can sleep with a child."""
    calls = tmp_path / "calls.txt"
    manifest, env = make_backend(
        "counted",
        f"""
        import os, subprocess, time
        from pathlib import Path

        class P(Parameters):
            sleep_seconds: float = 0.0

        class O(Outputs):
            done: bool = output(label="done")

        def run(params: P, ctx: RunContext) -> O:
            with open({str(calls)!r}, "a") as handle:
                handle.write(f"{{os.getpid()}}\\n")
            if params.sleep_seconds:
                child = subprocess.Popen(["sleep", "300"])
                with open({str(calls)!r} + ".children", "a") as handle:
                    handle.write(f"{{child.pid}}\\n")
                time.sleep(params.sleep_seconds)
            return O(done=True)

        backend = Backend(run, slug="counted", version="0.1.0")
        """,
    )
    return manifest.module, env


def test_health_and_unknown_paths(start_service: Callable[..., Service]) -> None:
    service = start_service("purelms_echo")
    import urllib.request

    with urllib.request.urlopen(service.url + "/healthz", timeout=10) as answer:
        assert answer.status == 200
    assert service.post(b"{}", "/run")[0] == 404


def _body_without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


MALFORMED: dict[str, Callable[[dict[str, Any]], dict[str, Any] | bytes]] = {
    "extra key": lambda b: {**b, "priority": 1},
    "missing key": lambda b: _body_without(b, "timeout_at"),
    "wrong schema": lambda b: {**b, "schema_version": "purelms.service_execution.v2"},
    "33 KiB": lambda b: json.dumps({**b, "pad": "x" * 33 * 1024}).encode(),
    "key outside the allow-list": lambda b: {
        **b,
        "environment": {**b["environment"], "PURELMS_CALLBACK_TOKEN": "steal"},
    },
    "run_id mismatch": lambda b: {**b, "run_id": str(uuid.uuid4())},
    "bad value": lambda b: {
        **b,
        "environment": {**b["environment"], "PURELMS_INPUT_SIZE_BYTES": "-1"},
    },
    "not JSON": lambda b: b"{not json",
}


def test_each_malformed_request_is_400_and_nothing_runs(
    start_service: Callable[..., Service], store: ObjectStore, server: CallbackServer
) -> None:
    service = start_service("purelms_echo")
    for label, mutate in MALFORMED.items():
        body = stage(store, server, "echo")
        status, text = service.post(mutate(body))
        assert status == 400, (label, text)
        assert "\n" not in text, label
        assert store.requests_for(body["environment"]["PURELMS_INPUT_URI"]) == [], label


def test_an_expired_deadline_is_204_and_no_run(
    start_service: Callable[..., Service], store: ObjectStore, server: CallbackServer
) -> None:
    service = start_service("purelms_echo")
    body = stage(store, server, "echo", deadline_seconds=-1)
    assert service.post(body)[0] == 204
    assert store.requests_for(body["environment"]["PURELMS_INPUT_URI"]) == []
    assert server.received(body["run_id"]) == []


def test_redelivery_resends_the_completion_without_running_the_backend_again(
    start_service: Callable[..., Service],
    store: ObjectStore,
    server: CallbackServer,
    make_backend: MakeBackend,
    tmp_path: Path,
) -> None:
    module, env = _counting_backend(make_backend, tmp_path)
    service = start_service(module, env)
    body = stage(store, server, "counted")
    assert service.post(body)[0] == 200
    assert service.post(body)[0] == 200
    assert len((tmp_path / "calls.txt").read_text().splitlines()) == 1, "the function ran once"
    output_uri = body["environment"]["PURELMS_OUTPUT_URI"]
    assert [r.status for r in store.requests_for(output_uri, "PUT")] == [200]
    completes = [
        c.body
        for c in server.received(body["run_id"])
        if c.event is BackendCallbackEvent.COMPLETE and isinstance(c.body, CompleteCallback)
    ]
    assert len(completes) == 2, "the completion is sent again"
    assert completes[0] == completes[1]
    stored = store.get(output_uri)
    assert stored is not None
    assert completes[0].output_generation == stored.generation


def test_deadline_mid_run_is_204_kills_the_whole_tree_and_429_while_busy(
    start_service: Callable[..., Service],
    store: ObjectStore,
    server: CallbackServer,
    make_backend: MakeBackend,
    tmp_path: Path,
) -> None:
    module, env = _counting_backend(make_backend, tmp_path)
    service = start_service(module, env)
    body = stage(store, server, "counted", {"sleep_seconds": 60}, deadline_seconds=3)
    answers: list[int] = []
    first = threading.Thread(target=lambda: answers.append(service.post(body)[0]))
    first.start()
    calls = tmp_path / "calls.txt"
    deadline = time.monotonic() + 20
    while not calls.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    other = stage(store, server, "counted")
    status, _ = service.post(other)
    assert status == 429, "one request at a time"
    first.join(30)
    assert answers == [204]
    pids = [int(line) for line in calls.read_text().split()]
    pids += [int(line) for line in Path(f"{calls}.children").read_text().split()]
    assert not [pid for pid in pids if is_running(pid)], "no process of the run is left"
    assert store.get(body["environment"]["PURELMS_OUTPUT_URI"]) is None
    # The service is free again afterwards.
    assert service.post(stage(store, server, "counted"))[0] == 200


def test_a_run_that_stores_no_output_is_500(
    start_service: Callable[..., Service], store: ObjectStore, server: CallbackServer
) -> None:
    service = start_service("purelms_echo")
    body = stage(store, server, "echo")
    body["environment"]["PURELMS_INPUT_GENERATION"] = "1"  # not the stored generation
    status, text = service.post(body)
    assert status == 500
    assert "PURELMS_INPUT_GENERATION says 1" in text


def test_service_mode_through_the_harness_with_oidc_and_a_redelivery(
    echo_manifest: BackendManifest,
    store: ObjectStore,
    identity: LoopbackIdentity,
    server: CallbackServer,
    tmp_path: Path,
) -> None:
    result = run_managed(
        echo_manifest,
        RunRequest(parameters={"message": "served"}),
        server=server,
        store=store,
        identity=identity,
        run_dir=tmp_path / "run",
        service=True,
    )
    assert result.problems == [], result.stderr
    assert result.service_answers == [200, 200]
    assert result.envelope_out is not None
    assert result.envelope_out.outputs["echoed_parameters"] == {"message": "served"}
    assert all(c.authenticated for c in result.callbacks)

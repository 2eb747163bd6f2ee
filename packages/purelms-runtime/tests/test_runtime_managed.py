"""The managed path (platform.md §4) with real backend processes, a real loopback object
store behind signed URLs and real OIDC ID tokens from a loopback metadata server."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from purelms_harness import (
    BackendManifest,
    CallbackServer,
    LoopbackIdentity,
    ManagedLayout,
    ObjectStore,
    RunRequest,
    discover,
    find_repo_root,
    run_managed,
    verify_evidence,
)
from purelms_shared import (
    BackendCallbackEvent,
    CompleteCallback,
    InputFileRole,
    OutputStatus,
    ProgressCallback,
    SimulationOutputEnvelope,
    parse_evidence_manifest,
    parse_output_envelope,
)

REPO = find_repo_root(Path(__file__))


def _completes(callbacks: list[Any]) -> list[CompleteCallback]:
    return [
        c.body
        for c in callbacks
        if c.authenticated and c.accepted and isinstance(c.body, CompleteCallback)
    ]


def test_echo_managed_success_with_oidc_callbacks(
    echo_manifest: BackendManifest,
    oidc_server: CallbackServer,
    identity: LoopbackIdentity,
    store: ObjectStore,
    tmp_path: Path,
) -> None:
    request = RunRequest(
        parameters={"message": "managed", "delay_seconds": 2.0},
        progress_min_interval_seconds=0.2,
        env={"PURELMS_PROGRESS_REPORTING": "percentage"},  # echo's manifest says none
    )
    result = run_managed(
        echo_manifest,
        request,
        server=oidc_server,
        store=store,
        identity=identity,
        run_dir=tmp_path / "run",
    )
    assert result.problems == [], result.stderr
    assert result.status is OutputStatus.SUCCESS
    (complete,) = _completes(result.callbacks)
    stored = store.get(result.output_uri)
    assert stored is not None
    assert complete.output_envelope_uri == result.output_uri
    assert complete.output_envelope_uri.startswith("gs://")
    assert complete.output_sha256 == hashlib.sha256(stored.data).hexdigest()
    assert complete.output_size_bytes == len(stored.data)
    assert complete.output_generation == stored.generation
    # Every callback carried a token minted for the run's audience, one per delivery.
    assert all(c.authenticated for c in result.callbacks)
    assert identity.minted.count(result.envelope_in.context.callback_audience) >= len(
        result.callbacks
    )
    progress = [
        c.body.progress_pct for c in result.callbacks if isinstance(c.body, ProgressCallback)
    ]
    # The platform's environment turned percentages on: the milestones, each at most once.
    assert progress == [0, 25, 50, 75, 100]
    # One create-only PUT; the stored bytes were read back (verify) after it.
    puts = store.requests_for(result.output_uri, "PUT")
    assert [p.status for p in puts] == [200]
    evidence = parse_evidence_manifest((tmp_path / "run" / "evidence.json").read_bytes())
    uris = {ref.kind: (ref.uri, ref.generation) for ref in evidence.references}
    assert uris["output_envelope"] == (result.output_uri, stored.generation)
    assert uris["input_envelope"][0] == result.input_uri
    assert verify_evidence(tmp_path / "run") == []


def test_energyplus_managed_success_with_a_static_token(
    server: CallbackServer, store: ObjectStore, tmp_path: Path
) -> None:
    manifest = discover(REPO)["energyplus_single_zone"]
    result = run_managed(
        manifest, RunRequest(), server=server, store=store, run_dir=tmp_path / "run"
    )
    assert result.problems == [], result.stderr
    assert result.status is OutputStatus.SUCCESS
    out = result.envelope_out
    assert out is not None
    assert out.artifacts == [], "artifacts are not stored on the managed path"
    assert any(m.code == "RUNTIME.ARTIFACTS_NOT_STORED" for m in out.messages)
    (complete,) = _completes(result.callbacks)
    assert complete.output_generation == result.output_generation
    assert verify_evidence(tmp_path / "run") == []


# --------------------------------------------------------------------------- refusals


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"PURELMS_INPUT_SHA256": "0" * 64}, "PURELMS_INPUT_SHA256 says"),
        ({"PURELMS_INPUT_SIZE_BYTES": "3"}, "PURELMS_INPUT_SIZE_BYTES says 3"),
        ({"PURELMS_INPUT_GENERATION": "7"}, "PURELMS_INPUT_GENERATION says 7"),
        ({"PURELMS_MAX_ENVELOPE_BYTES": "100"}, "over the limit of 100 bytes"),
    ],
)
def test_an_input_that_is_not_the_one_named_is_refused_before_anything_runs(
    echo_manifest: BackendManifest,
    server: CallbackServer,
    store: ObjectStore,
    tmp_path: Path,
    change: dict[str, str],
    expected: str,
) -> None:
    result = run_managed(
        echo_manifest,
        RunRequest(env=change),
        server=server,
        store=store,
        run_dir=tmp_path / "run",
    )
    assert result.exit_code == 2
    line = _one_line(result.stderr)
    assert expected in line
    assert "nothing was run" in line
    assert store.get(result.output_uri) is None
    assert store.requests_for(result.output_uri) == [], "nothing computed, nothing stored"
    assert result.callbacks == []


def _output_for(run_id: uuid.UUID, text: str) -> bytes:
    out = SimulationOutputEnvelope(
        run_id=run_id, status=OutputStatus.SUCCESS, outputs={"echoed": text}
    )
    return out.model_dump_json().encode()


def test_an_output_already_stored_for_the_run_is_completed_not_recomputed(
    echo_manifest: BackendManifest, server: CallbackServer, store: ObjectStore, tmp_path: Path
) -> None:
    stored: dict[str, int] = {}

    def prepare(layout: ManagedLayout) -> None:
        data = _output_for(layout.envelope.run_id, "from an earlier execution")
        stored["generation"] = layout.store.put(layout.output_uri, data)

    result = run_managed(
        echo_manifest,
        RunRequest(parameters={"message": "again"}),
        server=server,
        store=store,
        run_dir=tmp_path / "run",
        prepare=prepare,
    )
    assert result.problems == [], result.stderr
    assert result.envelope_out is not None
    assert result.envelope_out.outputs == {"echoed": "from an earlier execution"}
    (complete,) = _completes(result.callbacks)
    assert complete.output_generation == stored["generation"]
    assert store.requests_for(result.output_uri, "PUT") == [], "never overwritten"
    assert not [c for c in result.callbacks if c.event is BackendCallbackEvent.PROGRESS]


def test_an_output_stored_while_the_run_computes_stands_and_is_completed(
    echo_manifest: BackendManifest, server: CallbackServer, store: ObjectStore, tmp_path: Path
) -> None:
    """The PUT meets 412: the stored output of this run is read and its completion sent."""
    stored: dict[str, int] = {}

    def prepare(layout: ManagedLayout) -> None:
        def race() -> None:
            deadline = time.monotonic() + 20
            while not store.requests_for(layout.output_uri, "GET"):  # the pre-check
                if time.monotonic() > deadline:
                    return
                time.sleep(0.01)
            data = _output_for(layout.envelope.run_id, "another execution won")
            stored["generation"] = store.put(layout.output_uri, data)

        threading.Thread(target=race, daemon=True).start()

    result = run_managed(
        echo_manifest,
        RunRequest(parameters={"delay_seconds": 1.0}),
        server=server,
        store=store,
        run_dir=tmp_path / "run",
        prepare=prepare,
    )
    assert result.problems == [], result.stderr
    assert [p.status for p in store.requests_for(result.output_uri, "PUT")] == [412]
    (complete,) = _completes(result.callbacks)
    assert complete.output_generation == stored["generation"]
    assert result.envelope_out is not None
    assert result.envelope_out.outputs == {"echoed": "another execution won"}
    assert "that output stands" in result.stderr


def test_another_runs_output_is_never_overwritten(
    echo_manifest: BackendManifest, server: CallbackServer, store: ObjectStore, tmp_path: Path
) -> None:
    def prepare(layout: ManagedLayout) -> None:
        layout.store.put(layout.output_uri, _output_for(uuid.uuid4(), "someone else"))

    result = run_managed(
        echo_manifest,
        RunRequest(),
        server=server,
        store=store,
        run_dir=tmp_path / "run",
        prepare=prepare,
    )
    assert result.exit_code == 4
    assert "never overwritten" in _one_line(result.stderr)
    assert result.callbacks == []


def test_a_stored_output_that_reads_back_different_is_loud_and_never_completed(
    echo_manifest: BackendManifest, server: CallbackServer, store: ObjectStore, tmp_path: Path
) -> None:
    def prepare(layout: ManagedLayout) -> None:
        layout.store.serve_instead(layout.output_uri, b'{"not": "what was uploaded"}')

    result = run_managed(
        echo_manifest,
        RunRequest(),
        server=server,
        store=store,
        run_dir=tmp_path / "run",
        prepare=prepare,
    )
    assert result.exit_code == 6
    assert "differ from the uploaded ones" in _one_line(result.stderr)
    assert _completes(result.callbacks) == []


# --------------------------------------------------------------------------- the environment


def _managed_env(**values: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PURELMS_INPUT") and not key.startswith("PURELMS_OUTPUT")
    }
    env["PURELMS_CALLBACK_TOKEN"] = "t"
    env.update(values)
    return env


FULL = {
    "PURELMS_INPUT_URI": "gs://bucket/in.json",
    "PURELMS_OUTPUT_URI": "gs://bucket/out.json",
    "PURELMS_INPUT_FETCH_URL": "http://127.0.0.1:9/in",
    "PURELMS_OUTPUT_UPLOAD_URL": "http://127.0.0.1:9/out",
    "PURELMS_OUTPUT_VERIFY_URL": "http://127.0.0.1:9/out",
    "PURELMS_INPUT_GENERATION": "5",
    "PURELMS_INPUT_SHA256": "a" * 64,
    "PURELMS_INPUT_SIZE_BYTES": "10",
}


def _without(*keys: str, **changes: str) -> dict[str, str]:
    return {**{k: v for k, v in FULL.items() if k not in keys}, **changes}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (_without("PURELMS_OUTPUT_URI"), "half a managed configuration"),
        (
            {"PURELMS_INPUT_URI": "gs://b/in", "PURELMS_OUTPUT_URI": "gs://b/out"},
            "half a managed configuration",
        ),
        (_without("PURELMS_INPUT_GENERATION"), "PURELMS_INPUT_GENERATION not"),
        (_without("PURELMS_INPUT_SIZE_BYTES"), "set without PURELMS_INPUT_SIZE_BYTES"),
        (_without(PURELMS_INPUT_SHA256="XYZ" * 20), "64 lowercase hexadecimal"),
        (_without(PURELMS_INPUT_SIZE_BYTES="-4"), "not negative"),
        (_without(PURELMS_INPUT_GENERATION="five"), "not a whole number"),
        (_without(PURELMS_INPUT_GENERATION="0"), "a generation >= 1"),
        (_without(PURELMS_INPUT_FETCH_URL="http://example.org/in"), "https:// signed URL"),
        (_without(PURELMS_OUTPUT_URI="s3://b/out"), "gs://bucket/object"),
        (_without(PURELMS_RUN_ID="run-1"), "not a UUID"),
        ({"PURELMS_PROGRESS_REPORTING": "sometimes"}, "percentage or none"),
    ],
)
def test_a_malformed_or_half_configuration_is_one_line_and_nothing_runs(
    env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    output_dir = tmp_path / "output"
    output_dir.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "purelms_echo"],
        env=_managed_env(PURELMS_OUTPUT_DIR=str(output_dir), **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert expected in _one_line(proc.stderr)
    assert list(output_dir.iterdir()) == []


def test_gs_input_files_are_refused_on_the_managed_path(
    server: CallbackServer, store: ObjectStore, tmp_path: Path
) -> None:
    """The container holds no storage credentials: only signed URLs name input files."""
    manifest = discover(REPO)["echo"]
    source = tmp_path / "notes.txt"
    source.write_text("x")

    def prepare(layout: ManagedLayout) -> None:
        document = json.loads(layout.envelope.model_dump_json())
        document["input_files"][0]["uri"] = "gs://purelms-runs/notes.txt"
        data = json.dumps(document).encode()
        generation = layout.store.put(layout.input_uri, data)
        layout.environment.update(
            PURELMS_INPUT_SHA256=hashlib.sha256(data).hexdigest(),
            PURELMS_INPUT_SIZE_BYTES=str(len(data)),
            PURELMS_INPUT_GENERATION=str(generation),
        )

    request = RunRequest(input_files=[(InputFileRole.RESOURCE, source)])
    result = run_managed(
        manifest, request, server=server, store=store, run_dir=tmp_path / "run", prepare=prepare
    )
    assert result.exit_code == 0, result.stderr
    stored = store.get(result.output_uri)
    assert stored is not None
    out = parse_output_envelope(stored.data)
    assert out.status is OutputStatus.FAILED_RUNTIME
    assert out.messages[-1].code == "INPUT_FILE.UNSIGNED_URI"
    assert "no storage credentials" in out.messages[-1].text


def test_the_callback_server_takes_only_id_tokens_for_the_runs_audience(
    identity: LoopbackIdentity, oidc_server: CallbackServer
) -> None:
    import urllib.error
    import urllib.request

    run_id = str(uuid.uuid4())
    oidc_server.register(run_id, oidc_audience="https://platform.example/callbacks")
    body = b'{"progress_pct": 25}'
    url = oidc_server.url_for(run_id, BackendCallbackEvent.PROGRESS)

    def post(token: str | None) -> int:
        request = urllib.request.Request(url, data=body, method="POST")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert post(None) == 401
    assert post(oidc_server.token_for(run_id)) == 401, "a static token is not an ID token"
    assert post(identity.mint("https://someone.else")) == 401
    forged = identity.mint("https://platform.example/callbacks")[:-4] + "AAAA"
    assert post(forged) == 401
    assert post(identity.mint("https://platform.example/callbacks")) == 200

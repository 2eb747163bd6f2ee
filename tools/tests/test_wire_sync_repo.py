"""The wire-sync checks on this repository: what ``nox -s wire_sync`` runs.

One test per check and file, and check 2 (enum values) parametrized down to one test
per (file, enum, value), so a union missing ``failed_simulation``, ``failed_runtime``
and ``timed_out`` is three named failures. Every failure message ends with the command
that fixes it. The logic lives in ``tools/wire_sync.py``; see its docstring.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1]
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import wire_sync  # noqa: E402
from _workspace import shown  # noqa: E402

REPO = TOOLS.parent
STATE = wire_sync.State(REPO)
CONSUMERS = list(STATE.consumers)
BACKEND_CONSUMERS = [c for c in CONSUMERS if c.slug is not None and not c.templated]


def _ids(consumer: wire_sync.TsConsumer) -> str:
    return shown(consumer.path, REPO)


def _fail(problems: list[wire_sync.Problem]) -> None:
    if problems:
        pytest.fail("\n".join(problem.render(REPO) for problem in problems), pytrace=False)


@cache
def _types_problems() -> list[wire_sync.Problem]:
    """Checks 3 and 4 in one tsc run, shared by the tests below."""
    return wire_sync.check_types(STATE)


def test_schema_files_match_the_models() -> None:
    """Check 0: the committed JSON Schema files are what the models generate today."""
    _fail(wire_sync.check_schemas(STATE))


def test_generated_module_is_fresh() -> None:
    """Check 1: purelms-wire.ts equals a fresh generation from the committed JSON Schema."""
    _fail([p for p in wire_sync.check_generated(STATE) if p.path == STATE.module_path])


def test_every_backend_has_a_typescript_consumer() -> None:
    backends = sorted(p.parent.name for p in REPO.glob("backends/*/interactive_task.yaml"))
    with_types = sorted(c.slug for c in BACKEND_CONSUMERS if c.slug)
    assert with_types == backends, "every backends/<slug>/frontend/src/types.ts must exist"


@pytest.mark.parametrize("consumer", CONSUMERS, ids=_ids)
def test_consumer_synced_to_the_contract(consumer: wire_sync.TsConsumer) -> None:
    """Check 1: the consumer's contract marker and purelms-wire block are current."""
    _fail([p for p in wire_sync.check_generated(STATE) if p.path == consumer.path])


@pytest.mark.parametrize("case", wire_sync.enum_cases(STATE), ids=lambda case: case.id(REPO))
def test_enum_value_in_typescript_union(case: wire_sync.EnumCase) -> None:
    """Check 2: one Python enum value in one TypeScript union (or one stray value)."""
    problem = wire_sync.enum_case_problem(STATE, case)
    _fail([problem] if problem else [])


@pytest.mark.parametrize("consumer", CONSUMERS, ids=_ids)
def test_wire_types_identical_to_generated(consumer: wire_sync.TsConsumer) -> None:
    """Check 3: tsc proves each wire type the consumer exports identical to the generated one."""
    _fail(
        [
            p
            for p in _types_problems()
            if p.check == "types" and p.path in (consumer.path, STATE.module_path)
        ]
    )


@pytest.mark.parametrize("consumer", BACKEND_CONSUMERS, ids=_ids)
def test_backend_types_match_manifest(consumer: wire_sync.TsConsumer) -> None:
    """Check 4: the *Parameters / *Outputs types equal the manifest's parameters / outputs."""
    _fail([p for p in _types_problems() if p.check == "backend" and p.path == consumer.path])


def test_no_typescript_outside_the_consumers_fails_to_compile() -> None:
    """tsc errors in files other than the consumers (e.g. a re-exported outputs.ts)."""
    consumer_paths = {c.path for c in CONSUMERS} | {STATE.module_path}
    _fail([p for p in _types_problems() if p.check == "types" and p.path not in consumer_paths])


@pytest.mark.parametrize("consumer", BACKEND_CONSUMERS, ids=_ids)
def test_manifest_matches_the_pydantic_models(consumer: wire_sync.TsConsumer) -> None:
    """Check 4's other half: the manifest the TS types are compared with equals the models."""
    from purelms_harness import BackendManifest, manifest_drift

    manifest = BackendManifest.load(
        REPO / "backends" / str(consumer.slug) / "interactive_task.yaml"
    )
    problems = manifest_drift(manifest, manifest.load_backend())
    assert not problems, f"{shown(manifest.path, REPO)}: " + "; ".join(problems)

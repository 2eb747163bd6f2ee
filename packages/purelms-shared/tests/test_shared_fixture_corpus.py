"""The fixture corpus (``tests/fixtures``, see its README) as tests.

Every valid fixture parses; every invalid one raises ``ValidationError`` naming
the recorded field path. The compatibility test parses every valid fixture of
every released version: never delete a released version's fixtures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from purelms_shared import (
    CompleteCallback,
    EvidenceManifest,
    ProgressCallback,
    SimulationInputEnvelope,
    SimulationOutputEnvelope,
    error_lines,
    parse_evidence_manifest,
    parse_input_envelope,
    parse_output_envelope,
)

FIXTURES = Path(__file__).parent / "fixtures"

RELEASED_VERSIONS = ("v1",)
"""Released contract versions. Append only: their fixtures must parse forever."""

MODELS: dict[str, type[BaseModel]] = {
    "input_envelope": SimulationInputEnvelope,
    "output_envelope": SimulationOutputEnvelope,
    "evidence_manifest": EvidenceManifest,
    "progress_callback": ProgressCallback,
    "complete_callback": CompleteCallback,
}

VERSIONED_PARSERS: dict[str, Callable[[str], BaseModel]] = {
    "input_envelope": parse_input_envelope,
    "output_envelope": parse_output_envelope,
    "evidence_manifest": parse_evidence_manifest,
}

INVALID_KEYS = {"description", "error_path"}


def _fixtures(validity: str) -> list[Path]:
    return sorted(FIXTURES.glob(f"v*/*/{validity}/*.json"))


def _id(path: Path) -> str:
    return str(path.relative_to(FIXTURES).with_suffix(""))


def _kind(path: Path) -> str:
    return path.parent.parent.name


def _parsers(kind: str) -> dict[str, Callable[[str], BaseModel]]:
    """Every way a document of ``kind`` is parsed: the versioned parser and the model."""
    parsers = {"model_validate_json": MODELS[kind].model_validate_json}
    if kind in VERSIONED_PARSERS:
        parsers["versioned parser"] = VERSIONED_PARSERS[kind]
    return parsers


def _invalid_case(path: Path) -> tuple[str, str]:
    """(document text, expected error path) of an invalid fixture, checking its wrapper."""
    wrapper: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    keys = set(wrapper)
    assert keys in ({*INVALID_KEYS, "document"}, {*INVALID_KEYS, "document_text"}), (
        f"{_id(path)}: an invalid fixture has description, error_path and one of "
        f"document/document_text; got {sorted(keys)}"
    )
    assert wrapper["description"].strip(), f"{_id(path)}: empty description"
    if "document_text" in wrapper:
        return wrapper["document_text"], wrapper["error_path"]
    return json.dumps(wrapper["document"]), wrapper["error_path"]


VALID = _fixtures("valid")
INVALID = _fixtures("invalid")


def test_corpus_is_not_empty_and_covers_every_kind() -> None:
    for validity, paths in (("valid", VALID), ("invalid", INVALID)):
        kinds = {_kind(path) for path in paths}
        assert kinds == set(MODELS), f"{validity} fixtures missing for {set(MODELS) - kinds}"
    assert len(VALID) >= 8
    assert len(INVALID) >= 20


def test_every_fixture_directory_is_a_known_kind() -> None:
    for directory in FIXTURES.glob("v*/*"):
        assert directory.name in MODELS, f"unknown fixture kind directory {directory}"
        assert {child.name for child in directory.iterdir()} <= {"valid", "invalid"}


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_valid_fixture_parses(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    kind = _kind(path)
    results = {how: parse(text) for how, parse in _parsers(kind).items()}
    first = next(iter(results.values()))
    assert isinstance(first, MODELS[kind])
    assert all(result == first for result in results.values())
    # A parsed document written back out parses to the same value.
    assert type(first).model_validate_json(first.model_dump_json()) == first


@pytest.mark.parametrize("path", INVALID, ids=_id)
def test_invalid_fixture_is_rejected_naming_its_path(path: Path) -> None:
    text, expected_path = _invalid_case(path)
    for how, parse in _parsers(_kind(path)).items():
        with pytest.raises(ValidationError) as caught:
            parse(text)
        lines = error_lines(caught.value)
        assert any(line.startswith(f"{expected_path}: ") for line in lines), (
            f"{_id(path)} via {how}: expected an error at {expected_path!r}, got {lines}"
        )


@pytest.mark.parametrize("version", RELEASED_VERSIONS)
def test_released_version_fixtures_still_parse(version: str) -> None:
    """Compatibility: every valid fixture of a released version parses with today's code.

    Never delete a released version's fixtures; stored evidence must parse forever.
    """
    root = FIXTURES / version
    assert root.is_dir(), f"fixtures of released version {version} were deleted"
    for kind in MODELS:
        paths = sorted((root / kind / "valid").glob("*.json"))
        assert paths, f"released version {version} lost its valid {kind} fixtures"
        for path in paths:
            text = path.read_text(encoding="utf-8")
            for how, parse in _parsers(kind).items():
                try:
                    parse(text)
                except ValidationError as exc:  # pragma: no cover - the failure message
                    pytest.fail(f"{_id(path)} no longer parses via {how}:\n{exc}")

"""Evidence manifests for local runs: build them, and verify them later.

References use URIs relative to the run directory (``input/input.json``,
``output/eplusout.sql``), so a run directory can be moved or archived and
still verified: ``purelms evidence verify DIR`` recomputes every sha256 and
size and names the first file that differs.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from pydantic import ValidationError

from purelms_shared import (
    EVIDENCE_SCHEMA_V1,
    EvidenceManifest,
    EvidenceReference,
    InputFile,
    ResourceFile,
    SimulationInputEnvelope,
    SimulationOutputEnvelope,
    format_validation_error,
    parse_evidence_manifest,
)

__all__ = ["EVIDENCE_NAME", "build_evidence", "file_digest", "verify_evidence"]

EVIDENCE_NAME = "evidence.json"


def file_digest(path: Path) -> tuple[str, int]:
    """sha256 (lowercase hex) and size in bytes of ``path``, as evidence pins a file."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        return digest.hexdigest(), handle.tell()


def _reference(run_dir: Path, kind: str, path: Path) -> EvidenceReference:
    sha256, size = file_digest(path)
    return EvidenceReference(
        kind=kind,
        uri=path.relative_to(run_dir).as_posix(),
        sha256=sha256,
        size_bytes=size,
        generation=None,
    )


def build_evidence(
    run_dir: Path,
    envelope_in: SimulationInputEnvelope,
    envelope_out: SimulationOutputEnvelope,
    *,
    input_dir: Path,
    output_dir: Path,
    dispatched_at: datetime,
    completed_at: datetime,
    image_digest: str = "",
) -> EvidenceManifest:
    references = [_reference(run_dir, "input_envelope", input_dir / "input.json")]
    entries: list[InputFile | ResourceFile] = [
        *envelope_in.input_files,
        *envelope_in.resource_files,
    ]
    for entry in entries:
        references.append(
            _reference(run_dir, f"input_file:{entry.role.value}", input_dir / entry.filename)
        )
    references.append(_reference(run_dir, "output_envelope", output_dir / "output.json"))
    for artifact in envelope_out.artifacts:
        references.append(
            _reference(run_dir, f"artifact:{artifact.filename}", output_dir / artifact.filename)
        )
    return EvidenceManifest(
        schema_version=EVIDENCE_SCHEMA_V1,
        run_id=envelope_in.run_id,
        student_id=envelope_in.student_id,
        course_id=envelope_in.course_id,
        block_id=envelope_in.block_id,
        backend_slug=envelope_in.backend_slug,
        backend_version=envelope_in.backend_version,
        backend_image_digest=image_digest,
        status=envelope_out.status,
        dispatched_at=dispatched_at,
        completed_at=completed_at,
        runtime_seconds=envelope_out.runtime_seconds,
        references=references,
    )


def _resolve(run_dir: Path, uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme:
        raise ValueError(f"cannot verify a {parsed.scheme}:// reference locally: {uri}")
    return run_dir / unquote(uri)


def verify_evidence(run_dir: Path) -> list[str]:
    """Problems found, first mismatch first; empty when every reference matches."""
    path = run_dir / EVIDENCE_NAME
    try:
        manifest = parse_evidence_manifest(path.read_bytes())
    except OSError as exc:
        return [f"{path}: cannot read: {exc.strerror}"]
    except ValidationError as exc:
        return [f"{path}: invalid evidence manifest: {format_validation_error(exc)}"]
    problems = []
    for ref in manifest.references:
        try:
            target = _resolve(run_dir, ref.uri)
            sha256, size = file_digest(target)
        except (OSError, ValueError) as exc:
            problems.append(f"{ref.uri} ({ref.kind}): cannot read: {exc}")
            continue
        if size != ref.size_bytes:
            problems.append(
                f"{ref.uri} ({ref.kind}): size is {size} bytes, evidence says {ref.size_bytes}"
            )
        elif sha256 != ref.sha256:
            problems.append(
                f"{ref.uri} ({ref.kind}): sha256 is {sha256}, evidence says {ref.sha256}"
            )
    return problems

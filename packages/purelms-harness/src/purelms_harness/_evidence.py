"""Evidence manifests for local runs: build them, and verify them later.

References use URIs relative to the run directory (``input/input.json``,
``output/eplusout.sql``), so a run directory can be moved or archived and
still verified. Every regular file under ``input/`` and ``output/`` gets a
reference: the envelopes, the staged input files, the artifacts, and any
other file the backend left in ``output/`` (kind ``output_file``).

``purelms evidence verify DIR`` (``verify_evidence``) checks, and names the
first problem first:

* every reference stays inside the run folder: a relative path, no ``..``, no
  absolute path, no ``file://`` (or any other scheme), no symlink out, so a
  manifest can never make the verifier read ``/etc/hostname``; a managed run's
  ``gs://<bucket>/runs/<run_id>/<path>`` reference is checked against the folder's
  mirror of that object at ``<path>``;
* every reference's sha256 and size;
* every file under ``input/`` and ``output/`` is covered by a reference, so a
  file added afterwards, or a reference removed from the manifest, is found;
* ``run_id`` and ``status`` agree with ``output/output.json`` (and ``run_id``
  with ``input/input.json``).

What protects ``evidence.json`` itself: nothing inside the run folder can, since
whoever can rewrite the files can re-hash them and rewrite the manifest
consistently. So the harness prints the sha256 of ``evidence.json`` when it
writes it (``purelms run``: ``evidence: DIR/evidence.json sha256 ...``); the
platform records that value somewhere the run folder's writer cannot reach, and
``purelms evidence verify DIR --sha256 HEX`` checks the manifest against it
before anything else.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path, PurePosixPath
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
    parse_input_envelope,
    parse_output_envelope,
)

from ._errors import describe_os_error

__all__ = [
    "EVIDENCE_NAME",
    "READABLE_FILE_MODE",
    "build_evidence",
    "file_digest",
    "verify_evidence",
    "write_evidence",
]

EVIDENCE_NAME = "evidence.json"
#: Mode of every file the platform reads (evidence.json, the staged inputs).
READABLE_FILE_MODE = 0o644
#: The folders of a run whose every file evidence covers.
_COVERED_FOLDERS = ("input", "output")


def file_digest(path: Path) -> tuple[str, int]:
    """sha256 (lowercase hex) and size in bytes of ``path``, as evidence pins a file."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        return digest.hexdigest(), handle.tell()


def _files_under(run_dir: Path) -> list[Path]:
    """Every file (and symlink) under the covered folders, sorted; directories are not files."""
    found: list[Path] = []
    for name in _COVERED_FOLDERS:
        folder = run_dir / name
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if path.is_symlink() or not path.is_dir():
                found.append(path)
    return sorted(found)


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
    kinds = {input_dir / "input.json": "input_envelope"}
    entries: list[InputFile | ResourceFile] = [
        *envelope_in.input_files,
        *envelope_in.resource_files,
    ]
    for entry in entries:
        kinds.setdefault(input_dir / entry.filename, f"input_file:{entry.role.value}")
    kinds.setdefault(output_dir / "output.json", "output_envelope")
    for artifact in envelope_out.artifacts:
        kinds.setdefault(output_dir / artifact.filename, f"artifact:{artifact.filename}")
    files = [path for path in _files_under(run_dir) if not path.is_symlink()]
    # A symlink is never followed: verify reports it as a file no reference covers.
    ordered = [path for path in kinds if path in files]
    ordered += [path for path in files if path not in kinds]
    references = []
    for path in ordered:
        default = "input_file" if path.is_relative_to(input_dir) else "output_file"
        sha256, size = file_digest(path)
        references.append(
            EvidenceReference(
                kind=kinds.get(path, default),
                uri=path.relative_to(run_dir).as_posix(),
                sha256=sha256,
                size_bytes=size,
                generation=None,
            )
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


def write_evidence(path: Path, manifest: EvidenceManifest) -> str:
    """Write ``manifest`` to ``path`` atomically, mode 0644; returns the bytes' sha256."""
    data = (manifest.model_dump_json(indent=2) + "\n").encode()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, READABLE_FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    return hashlib.sha256(data).hexdigest()


class _Outside(ValueError):
    """A reference that points outside the run folder."""


def _resolve(run_dir: Path, uri: str, run_id: str = "") -> Path:
    """The file a reference names, refusing anything that leaves ``run_dir``.

    A managed run's references name objects, ``gs://<bucket>/runs/<run_id>/<path>``; the
    run folder mirrors each at ``<path>`` (``purelms run --managed``), which is checked.
    """
    parsed = urlparse(uri)
    prefix = f"/runs/{run_id}/"
    if parsed.scheme == "gs" and run_id and parsed.path.startswith(prefix):
        uri = parsed.path[len(prefix) :]
        parsed = urlparse(uri)
    if parsed.scheme:
        raise _Outside(
            f"a {parsed.scheme}: reference is not allowed; references are paths relative "
            "to the run folder"
        )
    pure = PurePosixPath(unquote(uri))
    if not uri or pure.is_absolute() or ".." in pure.parts or "\\" in uri or "\x00" in uri:
        raise _Outside("points outside the run folder (absolute or '..')")
    root = run_dir.resolve()
    target = run_dir / pure
    resolved = target.resolve()
    if resolved == root or root not in resolved.parents:
        raise _Outside("resolves outside the run folder (symlink out)")
    return target


def _cross_check(run_dir: Path, manifest: EvidenceManifest) -> list[str]:
    """``run_id`` and ``status`` against the envelopes the run folder holds."""
    problems = []
    output_path = run_dir / "output" / "output.json"
    try:
        out = parse_output_envelope(output_path.read_bytes())
    except OSError as exc:
        problems.append(f"output/output.json: cannot read: {describe_os_error(exc)}")
    except ValidationError as exc:
        problems.append(f"output/output.json: invalid: {format_validation_error(exc)}")
    else:
        if out.run_id != manifest.run_id:
            problems.append(
                f"output/output.json: run_id is {out.run_id}, evidence says {manifest.run_id}"
            )
        if out.status != manifest.status:
            problems.append(
                f"output/output.json: status is {out.status.value}, "
                f"evidence says {manifest.status.value}"
            )
    input_path = run_dir / "input" / "input.json"
    try:
        envelope = parse_input_envelope(input_path.read_bytes())
    except OSError as exc:
        problems.append(f"input/input.json: cannot read: {describe_os_error(exc)}")
    except ValidationError as exc:
        problems.append(f"input/input.json: invalid: {format_validation_error(exc)}")
    else:
        if envelope.run_id != manifest.run_id:
            problems.append(
                f"input/input.json: run_id is {envelope.run_id}, evidence says {manifest.run_id}"
            )
    return problems


def verify_evidence(run_dir: Path, expected_sha256: str | None = None) -> list[str]:
    """Problems found, first one first; empty when the run folder matches its evidence.

    ``expected_sha256`` is the evidence.json sha256 recorded when it was written
    (see the module docstring); it is checked before anything else.
    """
    path = run_dir / EVIDENCE_NAME
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [f"{path}: cannot read: {describe_os_error(exc)}"]
    problems = []
    if expected_sha256 is not None:
        actual = hashlib.sha256(raw).hexdigest()
        if actual != expected_sha256.lower():
            problems.append(
                f"{EVIDENCE_NAME}: sha256 is {actual}, the recorded value is {expected_sha256}"
            )
    try:
        manifest = parse_evidence_manifest(raw)
    except ValidationError as exc:
        return [*problems, f"{path}: invalid evidence manifest: {format_validation_error(exc)}"]
    covered: set[Path] = set()
    for ref in manifest.references:
        try:
            target = _resolve(run_dir, ref.uri, str(manifest.run_id))
            covered.add(target)
            sha256, size = file_digest(target)
        except _Outside as exc:
            problems.append(f"{ref.uri} ({ref.kind}): {exc}")
            continue
        except OSError as exc:
            problems.append(f"{ref.uri} ({ref.kind}): cannot read: {describe_os_error(exc)}")
            continue
        if size != ref.size_bytes:
            problems.append(
                f"{ref.uri} ({ref.kind}): size is {size} bytes, evidence says {ref.size_bytes}"
            )
        elif sha256 != ref.sha256:
            problems.append(
                f"{ref.uri} ({ref.kind}): sha256 is {sha256}, evidence says {ref.sha256}"
            )
    for extra in _files_under(run_dir):
        if extra not in covered:
            what = "a symlink" if extra.is_symlink() else "a file"
            problems.append(
                f"{extra.relative_to(run_dir).as_posix()}: {what} no evidence reference covers"
            )
    problems.extend(_cross_check(run_dir, manifest))
    return problems

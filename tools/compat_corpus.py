"""Write (or ``--check``) the committed corpus of mutated wire documents.

``nox -s compat`` feeds every document of ``packages/purelms-shared/tests/compat_corpus/``
to the published baseline and to our models, and requires every disagreement to be one
of the documented differences (``tools/baseline.py``). The corpus is generated here,
deterministically, and committed, so a reviewer sees exactly which documents are
compared and a change of the generator shows up as a diff of the corpus.

For each wire model, a seed document with every field present is mutated one place at a
time: each field deleted, set to each value of :data:`PALETTE` (raw JSON text, so
``NaN``, ``1e400`` and ``60.0`` are written as such), duplicated with a second value, an
unknown field added; free-form maps get each palette value under a key; the whole
document is replaced by malformed or non-object JSON. Nested models are mutated through
their own seeds; the envelopes use small seeds so the corpus stays under a megabyte.

One file per model, ``<Model>.jsonl``: one JSON object per line with ``mutation`` (what
was done) and ``document`` (the exact text) or ``document_base64`` (bytes that are not
UTF-8).

Usage: ``python tools/compat_corpus.py`` writes the files; ``--check`` exits 1 when
the committed files differ from what this script writes.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
CORPUS_DIR: Final = ROOT / "packages" / "purelms-shared" / "tests" / "compat_corpus"

SHA: Final = "8501a87c95607e9c88391ba0e6e6fd1cb2074c6f5d9d10ae713b5ec61be07cf4"
RUN_ID: Final = "6f1c2b9e-4d3a-4e8f-9b7c-2a5d1e0f3c84"


@dataclass(frozen=True)
class Raw:
    """A JSON value written exactly as given (``NaN``, ``1e400``, ``60.0``)."""

    text: str


@dataclass(frozen=True)
class Pairs:
    """A JSON object written from key/value pairs, duplicates included."""

    items: tuple[tuple[str, Any], ...]


PALETTE: Final = tuple(
    Raw(text)
    for text in (
        "null",
        "true",
        "false",
        "0",
        "-1",
        "1",
        "1.0",
        "1.5",
        "60.0",
        "1e2",
        "1e400",
        "NaN",
        "Infinity",
        "-Infinity",
        "123456789012345678901234567890",
        '""',
        '"x"',
        '"1"',
        '"1.5"',
        '"1_000"',
        '"nan"',
        "[]",
        "{}",
        '"2026-11-22T13:04:06"',
        '"2026-11-22"',
        '"1763816646"',
        "1763816646.5",
        '"6F1C2B9E-4D3A-4E8F-9B7C-2A5D1E0F3C84"',
        f'"urn:uuid:{RUN_ID}"',
        '"weather"',
        '"success"',
        '"purelms.input.v1"',
        f'"{SHA.upper()}"',
        '"line\\nbreak"',
    )
)
"""Values every field is set to, as raw JSON text."""

_FILE: Final = {
    "role": "weather",
    "mime_type": "text/plain",
    "filename": "w.epw",
    "uri": "gs://b/w.epw",
    "sha256": SHA,
    "size_bytes": 10,
}
_CONTEXT: Final = {
    "callback_url_progress": "file:///dev/null",
    "callback_url_complete": "file:///dev/null",
    "callback_audience": "",
    "timeout_seconds": 60,
    "progress_min_interval_seconds": 2.0,
}
SEEDS: Final[dict[str, dict[str, Any]]] = {
    "InputFile": _FILE,
    "ResourceFile": {**_FILE, "role": "template"},
    "ExecutionContext": _CONTEXT,
    "OutputArtifact": {
        "filename": "a.sql",
        "mime_type": "application/vnd.sqlite3",
        "uri": "a.sql",
        "sha256": SHA,
        "size_bytes": 0,
        "label": "SQL",
    },
    "Message": {"level": "warning", "code": "W", "text": "t"},
    "EvidenceReference": {
        "kind": "input_envelope",
        "uri": "gs://b/input.json",
        "sha256": SHA,
        "size_bytes": 5,
        "generation": 7,
    },
    "SimulationInputEnvelope": {
        "schema_version": "purelms.input.v1",
        "run_id": RUN_ID,
        "backend_slug": "echo",
        "backend_version": "0.1.0",
        "student_id": 1,
        "course_id": 2,
        "block_id": 3,
        "unit_block_id": 4,
        "parameters": {"p": 1.5},
        "input_files": [],
        "resource_files": [],
        "context": _CONTEXT,
    },
    "SimulationOutputEnvelope": {
        "schema_version": "purelms.output.v1",
        "run_id": RUN_ID,
        "status": "success",
        "outputs": {"o": [1.0, "x"]},
        "artifacts": [],
        "messages": [],
        "metrics": {"m": 2.5},
        "runtime_seconds": 1.25,
    },
    "EvidenceManifest": {
        "schema_version": "purelms.evidence.v1",
        "run_id": RUN_ID,
        "student_id": 1,
        "course_id": 2,
        "block_id": 3,
        "backend_slug": "echo",
        "backend_version": "0.1.0",
        "backend_image_digest": "",
        "status": "success",
        "dispatched_at": "2026-11-22T13:04:06Z",
        "completed_at": "2026-11-22T13:04:07.5+01:00",
        "runtime_seconds": 1.5,
        "references": [],
    },
    "ProgressCallback": {"progress_pct": 42, "step": "s", "elapsed_seconds": 0.5},
    "CompleteCallback": {
        "output_envelope_uri": "gs://b/output.json",
        "exit_code": 0,
        "output_sha256": SHA,
        "output_size_bytes": 100,
        "output_generation": 1,
    },
}
"""One document per wire model with every field present (the envelopes kept small)."""

MAPS: Final = {
    "SimulationInputEnvelope": ("parameters",),
    "SimulationOutputEnvelope": ("outputs", "metrics"),
}
"""Free-form maps: their values are mutated too."""

NESTED: Final[dict[str, dict[str, Any]]] = {
    "SimulationInputEnvelope": {
        "input_files": [_FILE],
        "resource_files": [{**_FILE, "role": "idf_library"}],
        "context": _CONTEXT,
    },
    "SimulationOutputEnvelope": {
        "artifacts": [SEEDS["OutputArtifact"]],
        "messages": [SEEDS["Message"]],
    },
    "EvidenceManifest": {"references": [SEEDS["EvidenceReference"]]},
}
"""Nested models placed in their envelope: valid, and with a wrong item in a list."""


def dump(value: Any) -> str:
    """Compact JSON text of ``value``; :class:`Raw` and :class:`Pairs` written as they are."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{json.dumps(k)}:{dump(v)}" for k, v in value.items) + "}"
    if isinstance(value, dict):
        return dump(Pairs(tuple(value.items())))
    if isinstance(value, list):
        return "[" + ",".join(dump(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _mutations(model: str) -> Iterator[tuple[str, bytes]]:
    seed = SEEDS[model]
    text = dump(seed)
    yield "seed", text.encode()
    for name in seed:
        yield f"delete {name}", dump({k: v for k, v in seed.items() if k != name}).encode()
        for value in PALETTE:
            yield f"set {name} = {value.text}", dump({**seed, name: value}).encode()
        for value in (Raw("null"), Raw("1")):
            pairs = (*seed.items(), (name, value))
            yield f"duplicate {name}, last = {value.text}", dump(Pairs(pairs)).encode()
        pairs = ((name, Raw('"x"')), *seed.items())
        yield f'duplicate {name}, first = "x"', dump(Pairs(pairs)).encode()
    for key in ("surprise", "", "run id", "a.b"):
        yield f"add unknown field {key!r}", dump({**seed, key: 1}).encode()
    for name in MAPS.get(model, ()):
        for value in PALETTE:
            yield f"set {name}.k = {value.text}", dump({**seed, name: {"k": value}}).encode()
        for key in ("", "a.b", "line\nbreak"):
            yield f"set {name}[{key!r}] = 1", dump({**seed, name: {key: 1}}).encode()
    for name, nested in NESTED.get(model, {}).items():
        yield f"set {name} to a valid value", dump({**seed, name: nested}).encode()
        if isinstance(nested, list):
            for value in (Raw("null"), Raw("1"), Raw('"x"'), Raw("[]")):
                yield f"set {name}[0] = {value.text}", dump({**seed, name: [value]}).encode()
    yield from (
        ("empty document", b""),
        ("array document", b"[]"),
        ("null document", b"null"),
        ("number document", b"1"),
        ("string document", b'"x"'),
        ("truncated document", text[: len(text) // 2].encode()),
        ("trailing garbage", text.encode() + b"x"),
        ("trailing whitespace", text.encode() + b" \n"),
        ("byte order mark", b"\xef\xbb\xbf" + text.encode()),
        ("not UTF-8", text.encode()[:-1] + b"\xff}"),
    )


def corpus() -> dict[str, str]:
    """File name to file text, for every model."""
    files = {}
    for model in SEEDS:
        lines = []
        for mutation, document in _mutations(model):
            entry: dict[str, str] = {"mutation": mutation}
            try:
                entry["document"] = document.decode("utf-8")
            except UnicodeDecodeError:
                entry["document_base64"] = base64.b64encode(document).decode("ascii")
            lines.append(json.dumps(entry, ensure_ascii=False) + "\n")
        files[f"{model}.jsonl"] = "".join(lines)
    return files


def load(path: Path) -> list[tuple[str, bytes]]:
    """(mutation, document bytes) of every line of one corpus file."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if "document_base64" in entry:
            document = base64.b64decode(entry["document_base64"])
        else:
            document = entry["document"].encode("utf-8")
        entries.append((entry["mutation"], document))
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    wanted = corpus()
    if args.check:
        present = {path.name for path in CORPUS_DIR.glob("*.jsonl")}
        stale = sorted(
            name
            for name in wanted.keys() | present
            if not (CORPUS_DIR / name).is_file()
            or name not in wanted
            or (CORPUS_DIR / name).read_text(encoding="utf-8") != wanted[name]
        )
        for name in stale:
            print(f"stale compat corpus file: {CORPUS_DIR / name}", file=sys.stderr)
        if stale:
            print("regenerate it: python tools/compat_corpus.py", file=sys.stderr)
        return 1 if stale else 0
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    for stale_file in CORPUS_DIR.glob("*.jsonl"):
        if stale_file.name not in wanted:
            stale_file.unlink()
    for name, text in wanted.items():
        (CORPUS_DIR / name).write_text(text, encoding="utf-8")
    total = sum(text.count("\n") for text in wanted.values())
    print(f"wrote {total} documents in {len(wanted)} files to {CORPUS_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

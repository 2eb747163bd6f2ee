"""Parsed YAML and TOML documents, cached by the sha256 of their text.

Why: every ``purelms run`` reads its task's manifest (YAML) and its backend's
``pyproject.toml``, files that change rarely. Importing PyYAML costs about 11 ms and
libyaml parses a 37-parameter manifest in about 4 ms; tomllib adds about 3 ms: together
some 6 % of ``purelms run echo`` (issue 19). So a document is parsed once and kept as
JSON, which the harness reads in well under a millisecond with a module it has loaded
anyway.

Rules that keep the cache out of the answer:

* The key is the sha256 of the text, per format (``yaml``, ``toml``: one text may
  be valid in both and mean different things): any edit is a new key, so no entry is
  ever stale, and nothing needs invalidating.
* A document is kept only when JSON holds it exactly (decoding what was written
  gives back an equal document): one with dates, binary, non-string keys or NaN is
  parsed every time.
* It lives beside the bytecode cache, under the environment
  (``<venv>/purelms-cache/<format>``; ``PURELMS_NO_BYTECODE_CACHE=1`` turns both off).
  An entry is written to a temporary name and renamed into place, so a reader sees
  a whole entry or none; one that cannot be read, decoded or written costs the
  parse and nothing else. Past ``_KEEP`` entries, the least recently written go.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Literal

from ._bytecode import DATA_CACHE_DIR_NAME, OPT_OUT_ENV, write_cache_file

__all__ = ["Format", "cached_document", "remember_document"]

_KEEP = 64
"""Entries kept: every manifest of a large repository, a few versions of each."""


Format = Literal["yaml", "toml"]


def _entry(kind: Format, text: str) -> Path | None:
    if os.environ.get(OPT_OUT_ENV):
        return None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Path(sys.prefix) / DATA_CACHE_DIR_NAME / kind / f"{digest}.json"


def cached_document(kind: Format, text: str) -> tuple[bool, Any]:
    """``(True, document)`` when ``text`` was parsed before, else ``(False, None)``."""
    entry = _entry(kind, text)
    if entry is None:
        return False, None
    try:
        return True, json.loads(entry.read_bytes())
    except (OSError, ValueError):
        return False, None


def remember_document(kind: Format, text: str, document: Any) -> None:
    """Keep ``document`` (what ``text`` parses to) if JSON holds it exactly."""
    entry = _entry(kind, text)
    if entry is None:
        return
    try:
        encoded = json.dumps(document, ensure_ascii=False, allow_nan=False)
        if json.loads(encoded) != document:
            return
    except (TypeError, ValueError):
        return  # dates, binary, non-string keys, NaN: parsed every time
    if write_cache_file(entry, encoded.encode("utf-8")):
        _prune(entry.parent)


def _prune(folder: Path) -> None:
    entries = list(folder.glob("*.json"))
    if len(entries) <= _KEEP:
        return
    by_age = sorted(entries, key=lambda path: path.stat().st_mtime)
    for old in by_age[: len(entries) - _KEEP]:
        with contextlib.suppress(OSError):
            old.unlink()

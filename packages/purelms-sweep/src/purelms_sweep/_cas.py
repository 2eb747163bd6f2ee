"""A filesystem content-addressed store, and the result cache built on it.

``FileCAS`` implements the ``modelops_contracts.CAS`` port. Objects live at
``<root>/objects/<first 2 hex>/<remaining 62 hex>``, named by the sha256 of
their bytes (the same digest as ``TableArtifact.checksum``):

* **Atomic writes.** Bytes go to a temporary file in the same folder, are
  flushed and fsync'ed, then ``os.replace``'d onto their final name. A reader
  therefore sees either no object or the whole object, never a torn one, even
  when two processes store the same bytes at once (both rename complete,
  identical files; the last rename wins, which changes nothing).
* **Verify on read.** ``get`` re-hashes what it read. An object whose bytes no
  longer match its name (disk corruption, a hand edit) raises
  ``CorruptObject`` and is moved aside to ``<root>/corrupt/``, so that the next
  ``put`` of the right bytes repairs the store instead of failing forever.

``ResultCache`` maps a *cache key* to the checksum of a stored result. For a
simulation the key is ``(bundle digest, param_id, seed)``: the same code, the
same parameters and the same seed give the same result, so a repeated sweep
is served from the store. Index entries are small JSON files under
``<root>/index/`` named by the sha256 of the key's canonical JSON, written
atomically like objects; an entry pointing at a missing or corrupt object is
a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CacheKey", "CorruptObject", "FileCAS", "ResultCache"]

_HEX64 = re.compile(r"[0-9a-f]{64}")


class CorruptObject(KeyError):
    """Bytes stored under a checksum no longer hash to it (the object was moved aside)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "corrupt CAS object"


def _check_checksum(checksum: str) -> str:
    if not isinstance(checksum, str) or _HEX64.fullmatch(checksum) is None:
        raise ValueError(f"CAS checksum must be 64 lowercase hex characters (got {checksum!r})")
    return checksum


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see all of it or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class FileCAS:
    """``modelops_contracts.CAS`` on a local (or shared) filesystem folder."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._objects = self.root / "objects"

    def __repr__(self) -> str:
        return f"FileCAS({str(self.root)!r})"

    def path_for(self, checksum: str) -> Path:
        """Where the object named ``checksum`` lives (whether or not it exists)."""
        _check_checksum(checksum)
        return self._objects / checksum[:2] / checksum[2:]

    def uri_for(self, checksum: str) -> str:
        """``cas:<sha256>``: the URI form ``TableArtifact.from_uri`` accepts."""
        return f"cas:{_check_checksum(checksum)}"

    def put(self, data: bytes) -> str:
        """Store ``data``; return its sha256. Storing the same bytes twice is a no-op."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"FileCAS.put needs bytes, got {type(data).__name__}")
        payload = bytes(data)
        checksum = hashlib.sha256(payload).hexdigest()
        path = self.path_for(checksum)
        if path.is_file() and path.stat().st_size == len(payload):
            return checksum
        _write_atomic(path, payload)
        return checksum

    def get(self, checksum: str) -> bytes:
        """The bytes stored under ``checksum``, verified; ``KeyError`` when absent."""
        path = self.path_for(checksum)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyError(checksum) from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != checksum:
            aside = self.root / "corrupt" / f"{checksum}.{secrets.token_hex(4)}"
            aside.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                os.replace(path, aside)
            raise CorruptObject(
                f"CAS object {checksum} is corrupt (its bytes hash to {actual}); moved to {aside}"
            )
        return data

    def exists(self, checksum: str) -> bool:
        """True when an object is stored under ``checksum`` (not re-hashed: see ``get``)."""
        return self.path_for(checksum).is_file()


@dataclass(frozen=True, slots=True)
class CacheKey:
    """What determines a simulation result: the code, the parameters and the seed."""

    bundle_ref: str
    param_id: str
    seed: int

    def digest(self) -> str:
        document = {"bundle_ref": self.bundle_ref, "param_id": self.param_id, "seed": self.seed}
        canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class ResultCache:
    """``CacheKey`` -> bytes, through a ``FileCAS`` and an index of small JSON files."""

    def __init__(self, cas: FileCAS) -> None:
        self.cas = cas
        self._index = cas.root / "index"

    def _entry_path(self, key: CacheKey) -> Path:
        digest = key.digest()
        return self._index / digest[:2] / f"{digest[2:]}.json"

    def lookup(self, key: CacheKey) -> str | None:
        """The checksum recorded for ``key`` if its object is present, else None."""
        try:
            entry = json.loads(self._entry_path(key).read_text())
        except (FileNotFoundError, ValueError):
            return None
        checksum = entry.get("checksum") if isinstance(entry, dict) else None
        if not isinstance(checksum, str) or _HEX64.fullmatch(checksum) is None:
            return None
        if (entry.get("bundle_ref"), entry.get("param_id"), entry.get("seed")) != (
            key.bundle_ref,
            key.param_id,
            key.seed,
        ):
            return None  # a digest collision or a hand-edited entry: not ours
        return checksum if self.cas.exists(checksum) else None

    def get(self, key: CacheKey) -> tuple[str, bytes] | None:
        """``(checksum, bytes)`` for ``key``, verified, or None on a miss (or a corrupt object)."""
        checksum = self.lookup(key)
        if checksum is None:
            return None
        try:
            return checksum, self.cas.get(checksum)
        except KeyError:
            return None

    def put(self, key: CacheKey, data: bytes) -> str:
        """Store ``data`` and record it for ``key``; return its checksum."""
        checksum = self.cas.put(data)
        entry = {
            "bundle_ref": key.bundle_ref,
            "param_id": key.param_id,
            "seed": key.seed,
            "checksum": checksum,
        }
        _write_atomic(self._entry_path(key), json.dumps(entry, sort_keys=True).encode() + b"\n")
        return checksum

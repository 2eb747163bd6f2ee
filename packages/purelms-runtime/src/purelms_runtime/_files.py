"""File helpers with the runtime's safety rules in one place.

* Names from an envelope or a backend never escape their directory: no
  ``..``, no absolute paths, no symlink that resolves outside.
* ``output.json`` is written exclusively and atomically: the bytes go to a
  temporary file that is then hard-linked into place, so a reader never sees
  half a document and an existing envelope is never overwritten.
* Files the platform reads (``output.json``, artifacts) are mode 0644
  whatever the process's umask: the platform may read them as another user.
* An ``OSError`` is reported with its symbolic name (``ENOSPC``, ``EROFS``,
  ``ENAMETOOLONG``), which is what an operator searches for.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path, PurePosixPath

__all__ = [
    "READABLE_FILE_MODE",
    "UnsafePath",
    "describe_os_error",
    "file_digest",
    "safe_child",
    "write_exclusive",
]

_CHUNK = 1 << 20
#: Mode of every file the platform reads (output.json, artifacts).
READABLE_FILE_MODE = 0o644


def describe_os_error(exc: OSError) -> str:
    """``"No space left on device (ENOSPC)"``: the message and the errno's name."""
    name = errno.errorcode.get(exc.errno or 0)
    text = exc.strerror or str(exc)
    return f"{text} ({name})" if name else text


class UnsafePath(ValueError):
    """A file name that would escape the directory it must stay in."""


def file_digest(path: Path) -> tuple[str, int]:
    """sha256 (lowercase hex) and size in bytes of ``path``."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def safe_child(directory: Path, name: str, *, what: str) -> Path:
    """``directory/name``, refusing names that escape ``directory``.

    ``what`` names the thing in the error, e.g. ``"input file 'x'"``.
    """
    if not name or "\x00" in name:
        raise UnsafePath(f"{what}: empty or NUL-containing name is not allowed")
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or "\\" in name:
        raise UnsafePath(f"{what}: {name!r} escapes {directory} (absolute or '..' not allowed)")
    candidate = directory / pure
    root = directory.resolve()
    resolved = candidate.resolve()
    if resolved != root and root not in resolved.parents:
        raise UnsafePath(f"{what}: {name!r} resolves outside {directory} (symlink out)")
    return candidate


def write_exclusive(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; ``FileExistsError`` if ``path`` exists."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, READABLE_FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

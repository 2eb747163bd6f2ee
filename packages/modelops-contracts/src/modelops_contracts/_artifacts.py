"""``TableArtifact``: one output table, carried inline or by reference.

Why tables are opaque Arrow IPC bytes: the contract has no runtime
dependencies, so it cannot parse Arrow, and it does not need to. By
convention the bytes are an Arrow IPC stream (or file); the contract only
guarantees *which* bytes they are, through ``checksum`` (lowercase hex sha256
of the exact bytes) and ``size`` (their length).

Why inline *or* reference, never both: small tables travel with the result
(no extra round trip); large ones are stored elsewhere (a CAS, a bucket) and
only their ``uri`` travels. Carrying both would allow them to disagree, so
exactly one of ``inline`` and ``uri`` must be set.

Why the checksum is checked at construction for inline bytes: an artifact
whose bytes do not match its own checksum must not exist, so a corrupted or
mislabelled payload fails where it is built or received, not later where it
is used. Hashing costs one pass over the bytes, once. A reference artifact
cannot be checked until its bytes are fetched: ``verify(data)`` does that.
``checksum`` uses the same digest as the ``CAS`` port, so
``cas.put(data) == TableArtifact.from_bytes(data).checksum``.

``uri`` must be an absolute URI with a scheme (``gs://...``, ``s3://...``,
``file:///...``, ``https://...``, ``cas:<sha256>``); the contract does not
resolve it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ._errors import contract_error
from ._ids import check_sha256_hex
from ._json import sha256_hex

__all__ = ["TableArtifact"]

_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+")


@dataclass(frozen=True, slots=True)
class TableArtifact:
    """Arrow IPC table bytes, inline or by ``uri``, with their sha256 ``checksum``."""

    checksum: str
    size: int
    inline: bytes | None = field(default=None, repr=False)
    uri: str | None = None

    def __post_init__(self) -> None:
        check_sha256_hex(self.checksum, "TableArtifact.checksum")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise contract_error("TableArtifact.size", "must be an int >= 0", self.size)
        if self.inline is None and self.uri is None:
            raise contract_error(
                "TableArtifact",
                "needs inline bytes or a uri (exactly one)",
                "neither",
                described=True,
            )
        if self.inline is not None and self.uri is not None:
            raise contract_error(
                "TableArtifact",
                "inline bytes and uri are exclusive: set exactly one",
                "both",
                described=True,
            )
        if self.uri is not None and (
            not isinstance(self.uri, str) or _URI.fullmatch(self.uri) is None
        ):
            raise contract_error(
                "TableArtifact.uri",
                "must be an absolute URI with a scheme and no whitespace (e.g. 'gs://b/k')",
                self.uri,
            )
        if self.inline is not None:
            if not isinstance(self.inline, (bytes, bytearray, memoryview)):
                raise contract_error("TableArtifact.inline", "must be bytes", self.inline)
            data = bytes(self.inline)
            object.__setattr__(self, "inline", data)
            self._check(data, "TableArtifact.inline")

    def _check(self, data: bytes, where: str) -> None:
        if len(data) != self.size:
            raise contract_error(
                where,
                f"byte length does not match size={self.size}",
                f"{len(data)} bytes",
                described=True,
            )
        actual = sha256_hex(data)
        if actual != self.checksum:
            raise contract_error(
                where,
                f"bytes do not match checksum {self.checksum}",
                f"sha256 {actual}",
                described=True,
            )

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> TableArtifact:
        """An inline artifact; ``checksum`` and ``size`` are computed from (a copy of) ``data``."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise contract_error("TableArtifact.from_bytes", "data must be bytes", data)
        payload = bytes(data)
        return cls(checksum=sha256_hex(payload), size=len(payload), inline=payload)

    @classmethod
    def from_uri(cls, uri: str, *, checksum: str, size: int) -> TableArtifact:
        """A reference artifact: the bytes live at ``uri``."""
        return cls(checksum=checksum, size=size, uri=uri)

    @property
    def is_inline(self) -> bool:
        """True when the bytes travel inside the artifact."""
        return self.inline is not None

    def verify(self, data: bytes | bytearray | memoryview | None = None) -> None:
        """Raise ``ContractError`` unless the bytes match ``checksum`` and ``size``.

        Without ``data``, checks the inline bytes (a reference artifact then
        raises: pass the bytes fetched from ``uri``). With ``data``, checks
        those bytes against this artifact's checksum and size.
        """
        if data is None:
            if self.inline is None:
                raise contract_error(
                    "TableArtifact.verify",
                    "a reference artifact has no bytes to check; pass the bytes fetched from uri",
                    self.uri,
                )
            data = self.inline
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise contract_error("TableArtifact.verify", "data must be bytes", data)
        self._check(bytes(data), "TableArtifact.verify")

    def __reduce__(self) -> tuple[Any, ...]:
        # Unpickling goes through the constructor, so the checksum is re-checked.
        return (type(self), (self.checksum, self.size, self.inline, self.uri))

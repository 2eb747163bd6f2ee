"""The RunContext a backend's function receives.

The function runs in a child process (so that a timeout can kill it together
with every process it started). Everything the function reports through the
context travels to the supervising process as small events on a pipe; the
supervisor owns the envelope, the callbacks and the files' hashes. A backend
therefore never touches envelope I/O: one concept, one place.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from uuid import UUID

from purelms_shared import InputFileRole, Message, MessageLevel

from ._files import safe_child

__all__ = ["RunContext", "StagedFile"]


@dataclass(frozen=True)
class StagedFile:
    """An input file present on disk and verified against its envelope entry."""

    role: InputFileRole
    filename: str
    path: Path
    sha256: str
    size_bytes: int
    mime_type: str


class RunContext:
    """What a backend's function may use: progress, files, artifacts, messages, metrics."""

    def __init__(
        self,
        *,
        run_id: UUID,
        input_dir: Path,
        output_dir: Path,
        work_dir: Path,
        input_files: Sequence[StagedFile],
        events: Connection | None,
        started_at: float | None = None,
    ) -> None:
        self.run_id = run_id
        self.input_dir = input_dir
        self.output_dir = output_dir
        self.work_dir = work_dir
        self.input_files = tuple(input_files)
        self._events = events
        self._started_at = time.monotonic() if started_at is None else started_at

    @property
    def elapsed_seconds(self) -> float:
        return time.monotonic() - self._started_at

    def _send(self, *event: Any) -> None:
        if self._events is not None:
            self._events.send(event)

    def input_file(self, role: InputFileRole | str) -> StagedFile | None:
        """The first staged input file with ``role``, or None."""
        wanted = InputFileRole(role)
        return next((f for f in self.input_files if f.role is wanted), None)

    def progress(self, pct: float, step: str = "") -> None:
        """Report progress in percent (clamped to 0..100); the runtime throttles callbacks."""
        self._send("progress", max(0, min(100, round(pct))), step)

    def message(self, level: MessageLevel | str, text: str, code: str = "") -> None:
        """Add a Message to the output envelope."""
        self._send("message", Message(level=MessageLevel(level), code=code, text=text))

    def info(self, text: str, code: str = "") -> None:
        self.message(MessageLevel.INFO, text, code)

    def warning(self, text: str, code: str = "") -> None:
        self.message(MessageLevel.WARNING, text, code)

    def metric(self, name: str, value: float) -> None:
        """Record a numeric metric (e.g. engine wall time) in the output envelope."""
        self._send("metric", name, float(value))

    def add_artifact(
        self, name: str | Path, *, label: str = "", mime_type: str | None = None
    ) -> Path:
        """Declare a file in the output directory as an artifact; returns its path.

        ``name`` is relative to :attr:`output_dir` (an absolute path inside it is
        accepted too). The runtime hashes it after the function returns.
        """
        relative = str(name)
        candidate = Path(relative)
        if candidate.is_absolute():
            resolved_out = self.output_dir.resolve()
            try:
                relative = str(candidate.resolve().relative_to(resolved_out))
            except ValueError:
                safe_child(self.output_dir, relative, what=f"artifact {relative!r}")
        path = safe_child(self.output_dir, relative, what=f"artifact {relative!r}")
        if not path.is_file():
            raise FileNotFoundError(f"artifact {relative!r}: no such file in {self.output_dir}")
        import mimetypes  # here, not at start: only a run that stages a file guesses a type

        guessed = mime_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._send("artifact", relative, label, guessed)
        return path

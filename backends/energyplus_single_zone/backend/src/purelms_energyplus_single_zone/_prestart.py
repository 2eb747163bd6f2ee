"""Start EnergyPlus while the backend process is still importing, and give it its model later.

Why: the engine spends its first quarter of a second (about 0.25 s of the default annual
run's 1.1 s on a small machine) initialising before it so much as looks at its input, and
a backend process spends about 0.2 s importing pydantic, the contract and the models
before it can write that input. One after the other they made the backend process about
1.2x the bare engine; started at the top of ``python -m`` (``__main__``), before any of
those imports, the engine initialises while Python imports, and the run costs little
more than the engine alone (``benchmarks/bench_energyplus.py``). Only the standard library
is imported here, and only the process that runs the backend (``__main__``, or a harness's
zygote about to become it) starts an engine; importing the package starts nothing.

How the engine waits for a model that does not exist yet. On start EnergyPlus checks that
its input and weather files exist, then opens ``eplusout.err`` for writing in its output
folder, and only then reads the input. The engine is started on empty placeholder files
with a named pipe (FIFO) at ``eplusout.err``: opening a FIFO for writing blocks until
somebody opens it for reading, so the engine initialises and then waits there. When the
run's IDF is written (renamed over the placeholder, the weather file linked over its
own) the host opens the FIFO, the engine reads the real input, and what it writes to its
error file is copied into a regular ``eplusout.err``, which then replaces the FIFO. This
relies on the order of those first file operations, so only an engine version whose order
``tests/test_eplus_prestart.py`` has checked on the real binary is prestarted
(``GATED_ENGINE_VERSIONS``); any other runs as before.

Who owns the engine: a *host*, a small process forked here before anything heavy is
imported, starts the engine as its child, holds the gate, copies the error file, waits
for the engine and reports its exit code. The backend's function runs in the runtime's
worker (a later fork of the same process), which cannot wait for a process it did not
start; it adopts the engine through the host (``take`` then ``PrestartedEngine.run``). The
lifetimes, so that nothing outlives a run: the engine dies with the host (parent-death
signal), the host with the process that started it, and once the worker has adopted the
engine the host also kills it when the worker dies (a timeout or a cancel kills the
worker's process tree, which the engine is not part of). The host removes the folder
whenever the engine did not finish for the worker; after a finished run the worker moves
the folder into its work folder, where the runtime's clean-up takes it. Where any of this
cannot be set up (no ``pidfd_open``: not Linux, or a kernel older than 5.3; a full
disk), nothing is started and the worker runs the engine as before.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
from pathlib import Path

from ._payload import binary_path, engine_version

# Imported where used, after the engine has started: what is imported before it delays it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import select
    from typing import IO, Final

__all__ = ["IDF_NAME", "PrestartedEngine", "prestart_engine", "take"]

IDF_NAME: Final = "in.idf"
"""The input file's name in the engine's folder (also the IDF artifact's name)."""
_WEATHER_NAME: Final = "in.epw"
_ERR_NAME: Final = "eplusout.err"
_ERR_PART: Final = "eplusout.err.part"
_WORK_DIR_ENV: Final = "PURELMS_WORK_DIR"
"""purelms_runtime.protocol.WORK_DIR_ENV, not imported: that import is what the engine
overlaps. The engine's folder goes where the runtime puts the run's work folder, so that
the worker can move it there with a rename."""
GATED_ENGINE_VERSIONS: Final = ("25.2.0",)
"""The engine versions whose start is known to open the error file before reading the
input (the gate): ``tests/test_eplus_prestart.py`` checks the installed engine on the
real binary and that its version is listed here. Any other engine is not prestarted (a
new payload runs as before until its order is checked and its version added)."""
_RUNTIME_MODE_ENV: Final = "PURELMS_RUNTIME_MODE"
"""purelms_runtime.protocol.RUNTIME_MODE_ENV, not imported (as ``_WORK_DIR_ENV``)."""
_PR_SET_PDEATHSIG: Final = 1


class PrestartedEngine:
    """An engine waiting at its gate, as the process that started the host sees it.

    (A plain class: ``dataclasses`` imports ``inspect``, milliseconds before the engine's
    start that the engine would otherwise have overlapped.)
    """

    def __init__(
        self, folder: Path, host_pid: int, stdout: int, control: int, status: int, starter: int
    ) -> None:
        self.folder = folder
        self.host_pid = host_pid
        #: Read end of the engine's stdout and stderr (the host holds no write end).
        self.stdout = stdout
        #: Write end of the host's control pipe: ``go <worker pid>``.
        self.control = control
        #: Read end of the host's status pipe: ``pid <engine pid>``, then ``exit <code>``.
        self.status = status
        #: The process that started the host; only its forks (the runtime's worker) adopt.
        self.starter = starter

    def descriptors(self) -> tuple[int, int, int]:
        """What a forked adopter needs open (see ``purelms_runtime.Backend``'s prestart)."""
        return (self.stdout, self.control, self.status)

    def start(self, idf: Path, epw: Path) -> tuple[int, IO[str]]:
        """Put ``idf`` and ``epw`` in place, open the gate; the engine's pid and its output.

        ``idf`` is linked into the engine's folder (copied across file systems) and stays
        where it is. Raises OSError when the host is gone or the files cannot be placed;
        the engine is then left to the host, which removes it when this process ends.
        """
        _place(idf, self.folder / IDF_NAME)
        link = self.folder / f".{_WEATHER_NAME}.link"
        link.unlink(missing_ok=True)
        link.symlink_to(epw.resolve())
        os.replace(link, self.folder / _WEATHER_NAME)
        pid = int(_read_line(self.status, "pid"))
        with contextlib.suppress(BrokenPipeError):  # the engine already ended: no gate to open
            os.write(self.control, f"go {os.getpid()}\n".encode())
        os.close(self.control)
        output = open(  # noqa: SIM115 - the caller reads it to the end and closes it
            self.stdout, encoding="utf-8", errors="replace", newline=None, closefd=True
        )
        return pid, output

    def returncode(self) -> int:
        """The engine's exit code (``-N`` for signal N), once its output has ended."""
        try:
            return int(_read_line(self.status, "exit"))
        finally:
            os.close(self.status)

    def move_to(self, target: Path) -> None:
        """Move the engine's folder (its input and outputs) to ``target``, replacing it."""
        import shutil

        if target.exists():
            shutil.rmtree(target)
        try:
            os.replace(self.folder, target)
        except OSError:  # another file system: copy, then remove
            shutil.copytree(self.folder, target)
            _remove(self.folder)


_prestarted: PrestartedEngine | None = None


def take() -> PrestartedEngine | None:
    """The engine an ancestor of this process started (``prestart_engine``), once; None
    otherwise. The starter itself never adopts: the host waits for its adopter's end
    before it tidies up, and the starter's end is what tells the host to tidy up."""
    global _prestarted
    engine = _prestarted
    if engine is None or engine.starter == os.getpid():
        return None
    _prestarted = None
    return engine


def prestart_engine() -> PrestartedEngine | None:
    """Start the host and its engine; None (nothing started) where that cannot be done,
    and in a service: it runs many jobs, each in a process of its own, started anew."""
    global _prestarted
    if _prestarted is not None:
        return _prestarted
    if os.environ.get(_RUNTIME_MODE_ENV) == "service":
        return None
    if not (sys.platform.startswith("linux") and hasattr(os, "pidfd_open")):
        return None
    try:
        if engine_version() not in GATED_ENGINE_VERSIONS:
            return None
        binary = binary_path()
        folder = _new_folder(os.environ.get(_WORK_DIR_ENV) or _temporary_folder())
    except (ImportError, OSError):
        return None
    try:
        (folder / IDF_NAME).touch()
        (folder / _WEATHER_NAME).touch()
        os.mkfifo(folder / _ERR_NAME)
    except OSError:
        _remove(folder)
        return None
    opened: list[int] = []
    try:
        for _ in range(3):
            opened.extend(os.pipe())
        stdout_r, stdout_w, control_r, control_w, status_r, status_w = opened
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
    except OSError:  # out of descriptors or processes: the worker starts the engine itself
        for fd in opened:
            os.close(fd)
        _remove(folder)
        return None
    if pid == 0:  # the host: never returns
        code = 1
        try:
            for fd in (stdout_r, control_w, status_r):
                os.close(fd)
            code = _host(parent, binary, folder, stdout_w, control_r, status_w)
        finally:
            os._exit(code)
    for fd in (stdout_w, control_r, status_w):
        os.close(fd)
    _prestarted = PrestartedEngine(folder, pid, stdout_r, control_w, status_r, parent)
    atexit.register(_dismiss, _prestarted)
    return _prestarted


def _temporary_folder() -> str:
    """``tempfile.gettempdir()``'s answer, without importing tempfile (it imports shutil and
    random: milliseconds before the engine starts): the first of ``$TMPDIR``, ``$TEMP``,
    ``$TMP``, /tmp, /var/tmp, /usr/tmp that is a writable folder. Where this and the
    runtime's answer differed, the worker would copy the engine's folder instead of
    renaming it (``PrestartedEngine.move_to``); nothing else depends on it."""
    candidates = [os.environ.get(name) for name in ("TMPDIR", "TEMP", "TMP")]
    for candidate in [*candidates, "/tmp", "/var/tmp", "/usr/tmp"]:
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    return os.getcwd()


def _new_folder(parent: str) -> Path:
    """A new folder of this user's alone (mode 0700) in ``parent``, as ``tempfile.mkdtemp``."""
    for _ in range(100):
        folder = Path(parent) / f"purelms-energyplus-{os.urandom(6).hex()}"
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"no free folder name in {parent}")


def _dismiss(engine: PrestartedEngine) -> None:
    """At the exit of the process that started the host: end the host, once its engine is
    finished or killed and its folder removed (an engine never adopted is killed now)."""
    if os.getpid() != engine.starter:  # a forked child that runs exit handlers
        return
    with contextlib.suppress(OSError):
        os.close(engine.control)  # EOF: a host still waiting for ``go`` cleans up and exits
    with contextlib.suppress(ChildProcessError):
        while True:
            try:
                os.waitpid(engine.host_pid, 0)
                return
            except InterruptedError:
                continue


# --------------------------------------------------------------------------- the host


def _die_with_parent(signum: int) -> None:
    """prctl(PR_SET_PDEATHSIG): ``signum`` when the parent (thread) exits. The runtime's
    ``_process.die_with_parent`` does the same; importing it would import the runtime."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


class _Stop(Exception):
    """The process that started the host is gone (its parent-death SIGTERM arrived)."""


def _host(parent: int, binary: Path, folder: Path, stdout: int, control: int, status: int) -> int:
    os.setsid()  # a terminal's Ctrl-C is the runtime's to handle, not the engine's
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM never raises here, so that nothing interrupts the clean-up below: it only wakes
    # the poll the host is waiting in (``_wait``), which then stops in good order.
    stop_r, stop_w = os.pipe()
    os.set_blocking(stop_w, False)
    signal.set_wakeup_fd(stop_w)
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    atexit._clear()  # the starter's exit handlers are not the host's
    engine: int | None = None
    try:
        _die_with_parent(signal.SIGTERM)
        if os.getppid() != parent:  # it died before the kernel was asked
            return 1
        command = [str(binary), "-w", str(folder / _WEATHER_NAME), "-d", str(folder)]
        engine = _spawn([*command, str(folder / IDF_NAME)], folder, stdout)
        os.close(stdout)
        engine_exit = os.pidfd_open(engine)  # before "pid": a worker told the pid adopts
        os.write(status, f"pid {engine}\n".encode())
        _wait(stop_r, control)
        worker = os.pidfd_open(int(_read_line(control, "go")))
        code = _relay(folder, engine, engine_exit, worker, stop_r)
        engine = None  # reaped
        if code is not None:
            os.write(status, f"exit {code}\n".encode())
            _wait(stop_r, worker)  # it moves the folder away, or dies: removed below
        return 0
    except (_Stop, OSError):
        return 1
    finally:
        if engine is not None:
            with contextlib.suppress(OSError):
                os.kill(engine, signal.SIGKILL)
                os.waitpid(engine, 0)
        _remove(folder)


def _spawn(command: list[str], folder: Path, output: int) -> int:
    """Fork and exec the engine (``subprocess`` is not imported for it: see the top): in
    ``folder``, stdin ``/dev/null``, stdout and stderr on ``output``, no other descriptor,
    killed when the host dies. Its pid; a failed exec ends it with 127 and says why."""
    pid = os.fork()
    if pid:
        return pid
    try:
        os.chdir(folder)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        _die_with_parent(signal.SIGKILL)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.execv(command[0], command)
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            os.write(2, f"cannot start EnergyPlus ({command[0]}): {exc}\n".encode())
    finally:
        os._exit(127)


def _relay(folder: Path, engine: int, engine_exit: int, worker: int, stop: int) -> int | None:
    """Open the gate, copy the error file until the engine exits: its exit code (``-N``
    for signal N); None when the worker died first (the engine is killed and reaped).
    ``_Stop`` when the starter is gone (``stop`` readable): the caller kills the engine."""
    import select

    gate = os.open(folder / _ERR_NAME, os.O_RDWR | os.O_NONBLOCK)  # RDWR: no EOF before it opens
    poller = select.poll()
    for fd in (gate, engine_exit, worker, stop):
        poller.register(fd, select.POLLIN)
    with open(folder / _ERR_PART, "wb") as copy:
        while True:
            ready = {fd for fd, _ in _poll(poller)}
            if stop in ready:
                raise _Stop
            if gate in ready:
                _drain(gate, copy)
            if engine_exit in ready:
                _, status = os.waitpid(engine, 0)
                _drain(gate, copy)
                break
            if worker in ready:
                os.kill(engine, signal.SIGKILL)
                os.waitpid(engine, 0)
                return None
    os.close(gate)
    os.replace(folder / _ERR_PART, folder / _ERR_NAME)
    return os.waitstatus_to_exitcode(status)


def _wait(stop: int, fd: int) -> None:
    """Until ``fd`` is readable (or at its end); ``_Stop`` when ``stop`` is, first."""
    import select

    poller = select.poll()
    poller.register(stop, select.POLLIN)
    poller.register(fd, select.POLLIN)
    if stop in {ready for ready, _ in _poll(poller)}:
        raise _Stop


def _drain(fd: int, copy: IO[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            return
        copy.write(chunk)


def _poll(poller: select.poll) -> list[tuple[int, int]]:
    while True:
        with contextlib.suppress(InterruptedError):
            return poller.poll()


def _read_line(fd: int, word: str) -> str:
    """The value of the next ``<word> <value>`` line on ``fd`` (read byte by byte: the
    next line belongs to a later reader). OSError when the writer is gone first."""
    data = b""
    while not data.endswith(b"\n"):
        try:
            byte = os.read(fd, 1)
        except InterruptedError:
            continue
        if not byte:
            raise OSError(f"the EnergyPlus host ended before sending {word!r}")
        data += byte
    key, _, value = data.decode().strip().partition(" ")
    if key != word:
        raise OSError(f"the EnergyPlus host sent {key!r} where {word!r} was due")
    return value


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _place(source: Path, target: Path) -> None:
    staged = target.with_name(f".{target.name}.part")
    staged.unlink(missing_ok=True)
    try:
        os.link(source, staged)
    except OSError:  # another file system
        import shutil

        shutil.copyfile(source, staged)
    os.replace(staged, target)

"""Start a local backend as a fork of the harness instead of a new interpreter.

Why: a backend process spends most of its start importing pydantic, the contract, the
runtime and the author's models (about 0.25 s on a small machine; see
``benchmarks/bench_backend_start.py``), and ``purelms run`` has already imported most of
those (pydantic, the contract) for its own checks. Starting ``python -m <module>`` paid
that import a second time, after the harness's own, on every run. A *zygote* (the term
is Android's: a pre-initialised process that new processes are forked from) is forked
from the harness as soon as the backend's module is known, while the harness is still
single-threaded; its ``prepare`` imports the backend and readies its start while the
harness checks the run. When the run is staged, the harness sends it the
backend's environment; the zygote then becomes what ``python -m <module>`` would
have been: its own session, the environment exactly as sent (``os.environ``
replaced), stdin ``/dev/null``, stdout and stderr on the harness's pipe through fresh
file objects, none of the harness's other file descriptors (but those its ``prepare``
opened or names, e.g. a prestarted engine's pipes, which are the backend's), ``sys.argv``/
``sys.path[0]`` as ``-m`` sets them, default signal dispositions, the harness's ``atexit`` handlers
dropped, and ``<module>.__main__`` run as ``__main__`` by :mod:`runpy`. Its exit code
is the code ``python -m`` would exit with (``SystemExit``'s, 1 and a traceback on
stderr for any other exception). The runtime protocol (files, callbacks, signals,
exit codes) is then the same code path as in the image.

What the zygote learns first, the harness can ask for: ``prepare`` may *report* one JSON
value, as one line (``purelms run``'s zygote reports whether the manifest is stale against
the backend's models, so that the harness itself never imports the backend or the runtime's
backend API); the harness reads it with :meth:`Zygote.report`, which waits for that line.
A line and not EOF, because a process ``prepare`` forks (a prestarted engine's host) holds
a copy of the pipe for as long as it lives; a ``prepare`` that reports nothing sends
``null``.

What a fork cannot show, and what shows it instead: a backend that imports something
only the harness has, or reads its environment at import time, behaves differently in
a fresh interpreter; ``tools/tests/test_import_graph.py``, the runtime-import test (a
real ``python -m`` of each backend) and ``purelms run --image`` (the container) cover
that, and ``purelms run --fresh-interpreter`` starts ``python -m <module>`` as before.
One difference is by design: the harness's cache of the code ``dataclasses`` and ``typing``
compile (``_compiled_code_cache``) stays routed in, and hands the backend the same code
objects a fresh interpreter would compile.

Lifetimes: the zygote holds the read end of a control pipe whose only write end the
harness holds. Closing it without sending (a run refused after the fork, or the
harness dying) makes the zygote exit at once, so none is ever left behind. The
harness forks only while it has a single thread (a fork copies no other thread, and
a lock one of them held would stay held in the child); otherwise :func:`fork_zygote`
returns None and the caller starts ``python -m`` as before.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

__all__ = ["ForkedBackend", "Zygote", "fork_zygote"]

_CONTROL_LIMIT = 1 << 24
"""The largest environment the zygote reads (16 MiB): far above any real one."""


class ForkedBackend:
    """The started backend, with the part of ``subprocess.Popen``'s interface a run uses."""

    def __init__(self, pid: int, stdout: IO[bytes]) -> None:
        self.pid = pid
        self.stdout: IO[bytes] | None = stdout
        self.returncode: int | None = None
        self._lock = threading.Lock()

    def wait(self) -> int:
        """Block until the backend exits; its exit code (``-N`` for signal N, as Popen)."""
        with self._lock:
            if self.returncode is None:
                while True:
                    try:
                        _, status = os.waitpid(self.pid, 0)
                        break
                    except InterruptedError:
                        continue
                self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)


class Zygote:
    """A forked copy of the harness waiting to become ``python -m <module>``."""

    def __init__(self, pid: int, control: int, output: int, report: int) -> None:
        self.pid = pid
        self._control: int | None = control
        self._output: int | None = output
        self._report: int | None = report
        self._reported: Any = None

    def report(self) -> Any:
        """What ``prepare`` reported (a JSON value), waiting for it; None when it reported
        nothing or the zygote is gone."""
        if self._report is None:
            return self._reported
        fd, self._report = self._report, None
        text = _read(fd, _CONTROL_LIMIT, line=True)
        if text:
            with contextlib.suppress(ValueError):
                self._reported = json.loads(text)
        return self._reported

    def start(self, env: Mapping[str, str]) -> ForkedBackend:
        """Hand the zygote its environment; it runs the backend from here on."""
        if self._control is None or self._output is None:
            raise RuntimeError("this zygote was already started or closed")
        payload = json.dumps(dict(env)).encode()
        control, self._control = self._control, None
        try:
            with os.fdopen(control, "wb") as pipe:
                pipe.write(payload)
        except OSError:
            self._reap()
            raise
        output, self._output = self._output, None
        return ForkedBackend(self.pid, os.fdopen(output, "rb"))

    @property
    def closed(self) -> bool:
        """True once started or dismissed (``close``)."""
        return self._control is None

    def close(self) -> None:
        """Dismiss an unused zygote: it reads EOF and exits; reaped here."""
        if self._report is not None:
            with contextlib.suppress(OSError):
                os.close(self._report)
            self._report = None
        if self._control is None:
            return
        for fd in (self._control, self._output):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._control = self._output = None
        self._reap()

    def _reap(self) -> None:
        with contextlib.suppress(ChildProcessError):
            while True:
                try:
                    os.waitpid(self.pid, 0)
                    return
                except InterruptedError:
                    continue

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Report = Callable[[Any], None]
Prepare = Callable[[Report], Iterable[int]]
"""Work for a zygote to do at once. It may call its argument once with a JSON value for
the harness (:meth:`Zygote.report`), and returns the file descriptors the backend will
need (e.g. a prestarted engine's pipes), which the zygote then keeps open."""


def fork_zygote(module: str, prepare: Prepare | None = None) -> Zygote | None:
    """Fork a zygote for ``python -m module``; None when the harness is not single-threaded.

    ``prepare`` runs in the zygote at once, while the harness goes on (checking the run,
    staging its folder): work the backend would otherwise do after its start.
    """
    if not hasattr(os, "fork") or threading.active_count() != 1:
        return None
    control_r, control_w = os.pipe()
    output_r, output_w = os.pipe()
    report_r, report_w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        os.close(control_r)
        os.close(output_w)
        os.close(report_w)
        return Zygote(pid, control_w, output_r, report_r)
    code = 1
    try:  # the zygote: never returns into the harness's code
        os.close(control_w)
        os.close(output_r)
        os.close(report_r)
        code = _become_backend(module, control_r, output_w, report_w, prepare)
    except BaseException:
        with contextlib.suppress(BaseException):
            import traceback

            traceback.print_exc()
    finally:
        os._exit(code)


def _read(fd: int, limit: int, *, line: bool = False) -> bytes | None:
    """Everything until EOF (``line``: until the first newline, which is dropped, or EOF),
    then ``fd`` is closed; None past ``limit`` bytes.

    The report is read as a line, not until EOF: a process that ``prepare`` forked (a
    prestarted engine's host) holds a copy of its write end for as long as it lives."""
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except InterruptedError:
                continue
            ended = not chunk
            if line:
                chunk, newline, _ = chunk.partition(b"\n")
                ended = ended or bool(newline)
            chunks.append(chunk)
            size += len(chunk)
            if ended:
                return b"".join(chunks)
            if size > limit:
                return None
    finally:
        os.close(fd)


def _read_environment(control: int) -> dict[str, str] | None:
    text = _read(control, _CONTROL_LIMIT)
    if not text:
        return None
    env = json.loads(text)
    if not isinstance(env, dict):
        return None
    return {str(key): str(value) for key, value in env.items()}


def _become_backend(
    module: str, control: int, output: int, report: int, prepare: Prepare | None
) -> int:
    """In the zygote: prepare, wait for the environment, then run ``module`` as
    ``python -m`` would."""
    import atexit

    os.setsid()  # its own session, as Popen(start_new_session=True)
    _reset_signal_handlers()
    atexit._clear()  # the harness's exit handlers are not the backend's
    inherited = _open_descriptors()  # the harness's, but for those ``prepare`` hands on
    if inherited is not None:
        inherited.discard(report)  # closed below; its number may be reused meanwhile
    reporter = _Reporter(report)
    try:
        if prepare is not None:
            kept = set(prepare(reporter))
            if inherited is not None:
                inherited -= kept
    finally:
        reporter.close()  # nothing reported: the harness reads None
    env = _read_environment(control)
    if env is None:
        return 0  # dismissed: the run was refused or the harness is gone
    os.environ.clear()
    os.environ.update(env)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    if inherited is None:
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    else:
        for fd in inherited - {0, 1, 2}:
            with contextlib.suppress(OSError):
                os.close(fd)
    encoding = env.get("PYTHONIOENCODING", "").split(":")[0] or "utf-8"
    stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)), encoding=encoding)
    stdout = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding=encoding
    )
    stderr = io.TextIOWrapper(
        io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
        encoding=encoding,
        errors="backslashreplace",
        line_buffering=True,
    )
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    for name, stream in (("__stdin__", stdin), ("__stdout__", stdout), ("__stderr__", stderr)):
        setattr(sys, name, stream)  # the originals, as a new interpreter's are these
    sys.argv = ["-m"]
    if not sys.flags.safe_path:  # the harness's own script folder, put first at its start
        del sys.path[0]
    if not env.get("PYTHONSAFEPATH"):  # python -m puts the working folder first
        sys.path.insert(0, os.getcwd())
    for entry in reversed(env.get("PYTHONPATH", "").split(os.pathsep)):
        if entry and entry not in sys.path:  # a new interpreter would put them first
            sys.path.insert(1, entry)
    import runpy

    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    _shut_down()
    return code


class _Reporter:
    """``prepare``'s argument: sends one JSON value to the harness, as one line.

    Closed without a report, it sends ``null``: the harness reads lines, not EOF (a
    process ``prepare`` forked may hold the pipe open), so silence must be said too.
    """

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def __call__(self, value: Any) -> None:
        if self._fd is None:
            raise RuntimeError("a zygote reports once")
        self._send(json.dumps(value).encode() + b"\n")  # one line: see _read

    def close(self) -> None:
        if self._fd is not None:
            self._send(b"null\n")

    def _send(self, data: bytes) -> None:
        fd, self._fd = self._fd, None
        assert fd is not None
        with contextlib.suppress(OSError):  # the harness is gone: it will not ask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        os.close(fd)


def _open_descriptors() -> set[int] | None:
    """This process's open file descriptors; None where the system does not list them."""
    for listing in ("/proc/self/fd", "/dev/fd"):
        try:
            listed = {int(name) for name in os.listdir(listing)}
        except (OSError, ValueError):
            continue
        return {fd for fd in listed if _is_open(fd)}  # not the listing's own, closed since
    return None


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _reset_signal_handlers() -> None:
    """Dispositions as a new interpreter has them: exec keeps an ignored signal ignored,
    resets a handled one to the default, and Python then handles SIGINT itself."""
    for signum, default in (
        (signal.SIGINT, signal.default_int_handler),
        (signal.SIGTERM, signal.SIG_DFL),
    ):
        current = signal.getsignal(signum)
        if current is not signal.SIG_IGN and current is not default:
            signal.signal(signum, default)


def _exit_code(value: object) -> int:
    """What the interpreter exits with for ``sys.exit(value)``."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


def _shut_down() -> None:
    """The interpreter's shutdown in brief: join threads, run exit handlers, flush."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()

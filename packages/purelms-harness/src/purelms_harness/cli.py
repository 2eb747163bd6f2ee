"""The ``purelms`` command: run and inspect backends locally as the platform would.

Exit codes: 0 success; 1 the run ended in a domain failure (its status is
named) or a check failed (validation, evidence, ``manifest check``, manifest drift);
2 usage errors and contract problems (bad manifest, a block config that widens the
manifest or parameters the platform would refuse, backend exited non-zero, callbacks
rejected), each reported on one line naming the option, file or key path and the rule; 130 and 143
when ``purelms run`` was interrupted by SIGINT (Ctrl-C) or SIGTERM: the signal
is forwarded to the backend, which ends the run as ``cancelled`` (output and
evidence written as usual), and one line says so. No traceback on any path.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import secrets
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ValidationError

from purelms_shared import (
    CompleteCallback,
    InputFileRole,
    ProgressCallback,
    format_validation_error,
    parse_evidence_manifest,
    parse_input_envelope,
    parse_output_envelope,
)

from ._args import OneLineParser, non_negative_seconds, port_number, whole_seconds
from ._compiled_code_cache import save_learnt
from ._container import ContainerError, ContainerLauncher
from ._display import together, utf8, wrap
from ._errors import RunCancelled, RunRequestError, describe_os_error
from ._evidence import EVIDENCE_NAME, verify_evidence
from ._layers import (
    BlockConfig,
    BlockConfigError,
    block_config_problems,
    effective_outcomes,
    load_block_config,
    submission_problems,
)
from ._local_run import (
    LocalRunResult,
    RunRequest,
    build_contract_validators,
    default_run_dir,
    prepare_backend_process,
    run_local,
)
from ._manifest import (
    MANIFEST_NAME,
    PROJECT_NAME,
    BackendManifest,
    BackendProject,
    ManifestError,
    discover,
    find_repo_root,
    import_backend,
    load_manifest,
    unknown_backend,
)
from ._outcomes import Outcome, describe_outcome, evaluate_outcome, write_outcome
from ._prestart_hints import record_prestart
from ._zygote import Report, Zygote, fork_zygote

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from purelms_runtime import Backend

    from ._callback_server import ReceivedCallback
    from ._drift import BackendChecks
    from ._run_report import Terminal

# Imported where used, not here: what only some commands need (the managed path, the
# manifest and README generators, the progress bar, plugin subcommands) would otherwise
# be paid by every `purelms` start (issue 19: `purelms run echo` against its floor).

__all__ = ["main"]


class _LazyConsole:
    """A rich ``Console`` made on first use: rich is imported only when something is printed.

    ``purelms run`` prints its report after the backend has started, and warms this up
    while the backend runs (``_prepare_report``), so importing rich is off the path
    before the backend starts.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def console(self) -> Console:
        """The console itself (for rich objects that take one, e.g. a progress bar)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console(), name)


# emoji=False: a backend's text is shown as written (rich would turn ``:fire:`` in a
# message into an emoji), and rich's table of emoji codes is never loaded.
_console = cast("Console", _LazyConsole(highlight=False, soft_wrap=True, emoji=False))
_errors = cast("Console", _LazyConsole(stderr=True, highlight=False, soft_wrap=True, emoji=False))
# (_errors: one problem, one line)


def _backend_started(progress: _ProgressBar, completed: threading.Event) -> None:
    """Once the backend runs: show the progress bar and prepare the report meanwhile."""
    progress.start()
    _prepare_report(still_running=lambda: not completed.is_set())


def _prepare_report(still_running: Callable[[], bool]) -> None:
    """Import the report's modules and make the consoles (while the backend runs), then,
    if the backend is still running, render once to nowhere so that the report's first
    render does not pay rich's set-up. A backend already done (a quick echo) is waiting
    on the report: a throwaway render would only delay it."""
    from ._run_report import warm_up

    _ = _errors.width
    width = _console.width
    if still_running():
        warm_up(width)


EVIDENCE_SHA256_NAME = "evidence.sha256"
"""Beside ``evidence.json`` in a run folder: its sha256, as ``sha256sum`` writes it."""


def _terminal(console: Console = _console) -> Terminal:
    from ._run_report import Terminal

    """The console's width (rich honours ``COLUMNS``) and whether it can print ``m²``."""
    return Terminal(width=max(40, console.width), unicode=utf8(console.encoding))


def _say(text: str, *, console: Console = _console, style: str = "", indent: str = "  ") -> None:
    """One message, wrapped by words at the terminal's width (never inside ``4 m``)."""
    lines = wrap(text, _terminal(console).width, indent=indent)
    console.print("\n".join(lines), markup=False, style=style or None)


class UsageError(Exception):
    pass


class Refused(UsageError):
    """A command refused for several reasons: one line each (exit 2, nothing done)."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


def _root(args: argparse.Namespace) -> Path:
    return find_repo_root(Path(args.root) if args.root else None)


def _manifests(args: argparse.Namespace) -> dict[str, BackendManifest]:
    return discover(_root(args))


def _manifest(args: argparse.Namespace) -> BackendManifest:
    return load_manifest(_root(args), args.slug)


def _named_backend(args: argparse.Namespace) -> tuple[Path, str] | None:
    """The task's manifest file and its backend's module, read without validating the
    manifest (``backend/pyproject.toml`` names the module); None when the folder cannot
    say (``_manifest`` then refuses the run, naming why)."""
    try:
        path = _root(args) / "backends" / args.slug / MANIFEST_NAME
        if not path.is_file():
            return None
        return path, BackendProject.load(path.parent / PROJECT_NAME).module
    except (ManifestError, OSError):
        return None


def cmd_list(args: argparse.Namespace) -> int:
    manifests = _manifests(args)
    if args.json:
        print(json.dumps({slug: m.data for slug, m in manifests.items()}, indent=2))
        return 0
    from ._run_report import backend_list

    _console.print(backend_list(manifests, _terminal()))
    return 0


def _non_finite(value: Any, path: str = "") -> str | None:
    """The path of the first NaN or infinity inside a parsed JSON value, else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "value"
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _non_finite(item, f"{path}[{key!r}]" if path else f"[{key!r}]")
        if found:
            return found
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_value(name: str, raw: str) -> Any:
    """``-p NAME=VALUE``: VALUE as JSON when it parses (numbers, true, lists), else a string.

    The wire format is JSON, which has no NaN or Infinity: a value that spells
    one (``NaN``, ``Infinity``, ``inf``, ``1e999``) is refused here, naming the
    parameter, rather than sent to a backend that would read it as a number.
    """
    rule = (
        f"-p {name}={raw}: not a finite number; the wire format (JSON) has no NaN or "
        f"Infinity (for the text, quote it: -p '{name}=\"{raw}\"')"
    )
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except ValueError:
        try:
            number = float(raw)
        except ValueError:
            return raw
        if not math.isfinite(number):
            raise UsageError(rule) from None
        return raw
    if _non_finite(value):
        raise UsageError(rule)
    return value


def _split_pair(raw: str, flag: str) -> tuple[str, str]:
    name, sep, value = raw.partition("=")
    if not sep or not name:
        raise UsageError(f"{flag} {raw!r}: expected NAME=VALUE")
    return name, value


def _request(args: argparse.Namespace) -> RunRequest:
    parameters: dict[str, Any] = {}
    if args.params_file:
        what = f"--params-file {args.params_file}"
        try:
            loaded = json.loads(Path(args.params_file).read_text(), parse_constant=_refuse_constant)
        except OSError as exc:
            raise UsageError(f"{what}: cannot read: {describe_os_error(exc)}") from exc
        except ValueError as exc:
            raise UsageError(f"{what}: not JSON (NaN and Infinity are not JSON): {exc}") from exc
        if not isinstance(loaded, dict):
            raise UsageError(f"{what}: must hold a JSON object")
        where = _non_finite(loaded)
        if where:
            raise UsageError(f"{what}: {where} is not a finite number")
        parameters.update(loaded)
    for raw in args.param:
        name, value = _split_pair(raw, "-p")
        parameters[name] = _parse_value(name, value)
    files = []
    for raw in args.input_file:
        role, path = _split_pair(raw, "--input-file")
        try:
            files.append((InputFileRole(role), Path(path)))
        except ValueError as exc:
            roles = ", ".join(r.value for r in InputFileRole)
            raise UsageError(f"--input-file {raw!r}: role must be one of {roles}") from exc
    return RunRequest(
        parameters=parameters,
        input_files=files,
        timeout_seconds=args.timeout,
        progress_min_interval_seconds=args.progress_interval,
    )


def _print_result(
    manifest: BackendManifest,
    result: LocalRunResult,
    outcome: Outcome | None,
    specs: list[dict[str, Any]] | None,
    *,
    verbose: bool,
    reasons: Sequence[str] = (),
) -> None:
    from ._run_report import artifact_lines, message_lines, results_view

    out = result.envelope_out
    if out is None:
        return
    term = _terminal()
    if out.outputs:  # the output model's labels and units, else the manifest's
        shown = specs if specs is not None else manifest.outputs
        _console.print(results_view(manifest, out.outputs, shown, term))
    if outcome is not None:
        _console.print(_outcome_line(outcome), markup=False)
        for reason in reasons:  # what decided it, one rule a line (describe_outcome)
            _console.print(
                "\n".join(wrap(reason, term.width, first="  ", indent="    ")), markup=False
            )
    for block in message_lines(out.messages, term):
        _console.print(block)
    if verbose:
        for line in artifact_lines(out.artifacts, term):
            _console.print(line, markup=False)


def _outcome_line(outcome: Outcome) -> str:
    """``outcome: passed yes, score 0.42, completion 1.00`` (null shown as ``-``)."""

    def share(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    passed = "yes" if outcome.passed else "no"
    return (
        f"outcome: passed {passed}, score {share(outcome.score)}, "
        f"completion {share(outcome.completion)}"
    )


def _block_config(args: argparse.Namespace, manifest: BackendManifest) -> BlockConfig | None:
    """``--block-config FILE`` read and checked against Layer 1; Refused naming every problem."""
    if not args.block_config:
        return None
    where = f"--block-config {args.block_config}"
    try:
        config = load_block_config(Path(args.block_config))
    except BlockConfigError as exc:
        raise Refused([f"{where}: {line}" for line in exc.lines]) from exc
    problems = block_config_problems(manifest.task, config)
    if problems:
        raise Refused([f"{where}: {line}" for line in problems])
    return config


class _ProgressBar:
    """The run's progress bar on stderr; rich.progress is imported only when it is shown."""

    def __init__(self, slug: str, *, shown: bool) -> None:
        self._slug = slug
        self._shown = shown
        self._bar: Progress | None = None
        self._task: Any = None
        self._lock = threading.Lock()  # callbacks update it from the server's thread
        self._early: dict[str, Any] = {}  # what arrived before the bar was shown

    def start(self) -> None:
        """Show the bar (once the backend has started: a refused run shows none)."""
        if not self._shown or self._bar is not None:
            return
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[step]}"),
            console=cast("_LazyConsole", _errors).console(),
            transient=False,
        )
        with self._lock:
            fields = {"completed": 0, "step": "starting", **self._early}
            self._task = bar.add_task(self._slug, total=100, **fields)
            bar.start()
            self._bar = bar

    def update(self, completed: float | None, step: str | None) -> None:
        if not self._shown:
            return
        fields: dict[str, Any] = {} if step is None else {"step": step}
        if completed is not None:
            fields["completed"] = completed
        with self._lock:
            if self._bar is None:
                self._early.update(fields)
            else:
                self._bar.update(self._task, **fields)

    def stop(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.stop()


class _Interrupts:
    """SIGINT and SIGTERM during ``purelms run``: remembered and forwarded, never a traceback."""

    def __init__(self) -> None:
        self.cancel = threading.Event()
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def _on_signal(self, signum: int, frame: object) -> None:
        if self.signum is None:
            self.signum = signum
        self.cancel.set()

    def __enter__(self) -> _Interrupts:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum or signal.SIGINT).name

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)


def _imported_backend(manifest: BackendManifest) -> Backend[Any, Any] | None:
    """The backend object, or None with a warning when it cannot be imported here (an
    ``--image`` run needs no local package)."""
    try:
        return manifest.load_backend()
    except Exception as exc:  # any import failure of the author's code: say it, go on
        _warn_not_imported(manifest, f"{type(exc).__name__}: {exc}")
        return None


def _apply_backend_checks(checks: BackendChecks) -> list[dict[str, Any]]:
    """Refuse a stale manifest, say the warnings; the outputs the models declare."""
    if checks["stale"]:
        raise UsageError(checks["stale"])
    for warning in checks["warnings"]:
        _say(f"warning: {warning}", console=_errors, style="yellow")
    return checks["outputs"]


def _prepare_forked_backend(path: Path, module: str, report: Report) -> list[int]:
    """In the zygote (``_zygote``): import the backend, start its engine, check it against
    the manifest at ``path`` and report that to the harness at once, then prepare the
    rest of the backend's start (``prepare_backend_process``).

    Why here and not in the harness: importing the backend imports the runtime and the
    author's models (about 40 ms on a small machine), and the checks render the manifest
    from them; in the zygote that runs beside the harness's own work (validating the
    manifest, the callback server, the submission's checks) instead of before it.
    """
    try:
        backend = import_backend(module)
    except Exception as exc:  # any import failure of the author's code: the harness says it
        report({"import_error": f"{type(exc).__name__}: {exc}"})
        return []
    record_prestart(path.parent.name, backend.prestart)  # for the next run's _entry
    from ._drift import backend_checks

    def checks() -> None:
        try:
            report(backend_checks(path, module, backend))
        except ManifestError:  # unreadable: the harness refuses it while validating
            report(None)

    kept = prepare_backend_process(backend, checks=checks)
    save_learnt()  # what the runtime and the author's code compiled (see _compiled_code_cache)
    return kept


def _build_what_both_sides_use() -> None:
    """Before the fork, what the harness and its zygote would otherwise each build.

    The contract's validators (both sides validate the input envelope, the callbacks and
    the output envelope; pydantic's first validator also loads its plugins, which is
    importlib.metadata and a scan of every installed distribution, about 20 ms), the
    task manifest's (the zygote's drift check validates the manifest as the harness
    does), http.client with ssl (the callback server's HTTP and the runtime's), the idna
    codec (host names) and ``purelms_runtime._process`` with ctypes (the harness exits
    through it, the backend ties its worker's life to its own with it).
    Measured on ``purelms run echo``, paired with the fork after the input envelope's
    validator only: about 15-30 ms less CPU time per run (360 against 374 ms, 345
    against 373 ms), and the wall time 0.986-0.992 of it: the zygote starts later by as
    much as it no longer builds.
    """
    import encodings.idna  # noqa: F401
    import http.client  # noqa: F401

    import purelms_runtime._process  # noqa: F401
    from purelms_shared import InteractiveTaskManifest

    build_contract_validators()
    InteractiveTaskManifest.model_rebuild()


def _forked_checks(zygote: Zygote, manifest: BackendManifest) -> BackendChecks | None:
    """The zygote's report (see ``_prepare_forked_backend``), or None after a warning when
    it could not import the backend. Anything else (a zygote that died without a word) is
    replaced by the checks made here. Unless the zygote reported its checks it is
    dismissed, and the backend runs as a new ``python -m``, which shows any failure."""
    checks = zygote.report()
    if isinstance(checks, dict) and {"stale", "warnings", "outputs"} <= checks.keys():
        return cast("BackendChecks", checks)
    zygote.close()
    if isinstance(checks, dict) and "import_error" in checks:
        _warn_not_imported(manifest, str(checks["import_error"]))
        return None
    return _checks_here(manifest)


def _checks_here(manifest: BackendManifest) -> BackendChecks | None:
    """The backend's checks with the backend imported by the harness (no zygote)."""
    backend = _imported_backend(manifest)
    if backend is None:
        return None
    record_prestart(manifest.slug, backend.prestart)  # for the next run's _entry
    from ._drift import backend_checks

    return backend_checks(manifest.path, manifest.module, backend)


def _warn_not_imported(manifest: BackendManifest, error: str) -> None:
    _say(
        f"warning: cannot check {manifest.path.name} against the models of "
        f"{manifest.module} ({error})",
        console=_errors,
        style="yellow",
    )


def cmd_run(args: argparse.Namespace) -> int:
    request = _request(args)
    launcher = ContainerLauncher(args.image) if args.image else None
    managed = args.managed or args.service
    if managed:
        from ._identity import LoopbackIdentity
        from ._managed import ManagedRunResult, run_managed
        from ._object_store import ObjectStore
    with contextlib.ExitStack() as stack:
        # Forked first: before any thread exists (the server's, the progress bar's), and
        # before the manifest is validated, so that the zygote imports the backend, checks
        # it against the manifest and prepares its start while the harness validates the
        # manifest and checks the run; a refusal dismisses it (see _zygote). Without a
        # zygote (a container, a managed run, --fresh-interpreter, no fork here, or a task
        # folder whose backend cannot be named yet) the harness imports the backend itself.
        zygote = None
        if launcher is None and not managed and not args.fresh_interpreter:
            named = _named_backend(args)
            if named is not None:
                _build_what_both_sides_use()
                prepare = functools.partial(_prepare_forked_backend, *named)
                zygote = fork_zygote(named[1], prepare=prepare)
                if zygote is not None:
                    stack.enter_context(zygote)
        manifest = _manifest(args)
        # The callback server's modules (http.server, email, http.client) and the report's
        # (rich) load while the zygote works too; then its verdict, which comes first: a
        # stale manifest is named before the parameters it would judge.
        from ._callback_server import CallbackServer
        from ._run_report import inputs_view

        if zygote is None:
            checks = _checks_here(manifest)
        else:
            checks = _forked_checks(zygote, manifest)
            if zygote.closed:  # dismissed (see _forked_checks): python -m runs the backend
                zygote = None
        specs = _apply_backend_checks(checks) if checks is not None else None
        config = _block_config(args, manifest)
        parameters, problems = submission_problems(manifest.task, config, request.parameters)
        if problems:
            layers = "Layer 1 ∩ Layer 2" if config is not None else "the manifest (Layer 1)"
            raise Refused([f"{line} (checked against {layers}; nothing ran)" for line in problems])
        request.parameters = parameters
        root = _root(args)
        run_dir = Path(args.out) if args.out else default_run_dir(root, manifest.slug)
        progress = _ProgressBar(manifest.slug, shown=not args.quiet)

        completed = threading.Event()

        def on_callback(callback: ReceivedCallback) -> None:
            if isinstance(callback.body, ProgressCallback):
                progress.update(callback.body.progress_pct, callback.body.step)
            elif isinstance(callback.body, CompleteCallback):
                completed.set()
                progress.update(None, "complete")

        interrupts = stack.enter_context(_Interrupts())
        identity = (
            stack.enter_context(LoopbackIdentity()) if managed and not args.static_token else None
        )
        server = stack.enter_context(
            CallbackServer(token=secrets.token_urlsafe(24), identity=identity)
        )
        if managed:
            progress.start()  # after the fork: rich's refresh thread must not be copied
        stack.callback(progress.stop)
        try:
            result: LocalRunResult
            if managed:
                store = stack.enter_context(ObjectStore())
                result = run_managed(
                    manifest,
                    request,
                    server=server,
                    store=store,
                    identity=identity,
                    run_dir=run_dir,
                    on_callback=on_callback,
                    launcher=launcher,
                    cancel=interrupts.cancel,
                    service=args.service,
                )
            else:
                result = run_local(
                    manifest,
                    request,
                    server=server,
                    run_dir=run_dir,
                    on_callback=on_callback,
                    launcher=launcher,
                    cancel=interrupts.cancel,
                    zygote=zygote,
                    while_running=functools.partial(_backend_started, progress, completed),
                )
        except RunCancelled as exc:
            progress.stop()
            _errors.print(f"purelms: interrupted by {interrupts.name}: {exc}", markup=False)
            return interrupts.exit_code
        if result.status is not None and result.status.value == "success":
            progress.update(100, None)
    outcome = None
    reasons: list[str] = []
    if result.envelope_out is not None:
        out = result.envelope_out
        rules = effective_outcomes(manifest.task, config)
        outcome = evaluate_outcome(rules, out.status, out.outputs)
        reasons = describe_outcome(rules, out.status, out.outputs)
        try:
            write_outcome(run_dir, outcome)
        except OSError as exc:
            result.problems.append(f"cannot write {run_dir}/outcome.json: {describe_os_error(exc)}")
    if result.evidence_sha256 is not None:
        try:
            (run_dir / EVIDENCE_SHA256_NAME).write_text(
                f"{result.evidence_sha256}  evidence.json\n", encoding="utf-8"
            )
        except OSError as exc:
            result.problems.append(
                f"cannot write {run_dir / EVIDENCE_SHA256_NAME}: {describe_os_error(exc)}"
            )
    files = [(role.value, path) for role, path in request.input_files]
    _console.print(
        inputs_view(manifest, request.parameters, files, _terminal(), verbose=args.verbose)
    )
    _print_result(manifest, result, outcome, specs, verbose=args.verbose, reasons=reasons)
    if args.verbose and managed and isinstance(result, ManagedRunResult):
        _say(
            f"output: {result.output_uri} generation {result.output_generation} "
            f"(input {result.input_uri})"
        )
        if result.service_answers:
            answers = ", ".join(str(code) for code in result.service_answers)
            _say(f"service answers (request, then redelivery): {answers}")
    if args.verbose and launcher is None and not managed:
        how = (
            "forked from the harness (--fresh-interpreter: a new python -m)"
            if zygote is not None
            else f"python -m {manifest.module}"
        )
        _say(f"backend process: {how}")
    if args.verbose and result.evidence_path is not None:
        digest = together(f"sha256 {result.evidence_sha256}")
        _say(f"evidence: {together(str(result.evidence_path))} {digest}")
    _say(f"run folder: {_shown(run_dir)}" + ("" if args.verbose else " (details: --verbose)"))
    for problem in result.problems:
        _say(f"error: {problem}", console=_errors)
    status = result.status.value if result.status else "unknown"
    if interrupts.signum is not None:
        _errors.print(
            f"purelms: interrupted by {interrupts.name}: the run was cancelled "
            f"(status {status}); its folder is {run_dir}",
            markup=False,
        )
        return interrupts.exit_code
    if result.problems:
        return 2
    if status != "success":
        _errors.print(f"run ended with status {status}", markup=False)
        return 1
    _console.print(f"status: {status}")
    return 0


def _sha256_arg(text: str) -> str:
    value = text.strip().lower()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise argparse.ArgumentTypeError(f"must be 64 hex digits (a sha256), got {text!r}")
    return value


def cmd_evidence_verify(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    if not folder.exists():
        raise UsageError(
            f"evidence verify: no such folder {args.dir} (give a run folder, runs/...)"
        )
    if not folder.is_dir():
        raise UsageError(f"evidence verify: {args.dir} is a file; give the run folder holding it")
    if not (folder / EVIDENCE_NAME).exists():
        _errors.print(
            f"no {EVIDENCE_NAME} in {args.dir}: was this folder made by `purelms run`? "
            "(each run folder under runs/ holds one)",
            markup=False,
        )
        return 1
    problems = verify_evidence(folder, expected_sha256=args.sha256)
    if problems:
        _errors.print(f"evidence mismatch: {problems[0]}", markup=False)
        for extra in problems[1:]:
            _errors.print(f"also: {extra}", markup=False)
        return 1
    checked = " against the recorded sha256" if args.sha256 else ""
    _console.print(f"evidence verified{checked}: {args.dir}")
    return 0


def _validate_document(kind: str, raw: bytes) -> BaseModel:
    if kind == "input":
        return parse_input_envelope(raw)
    if kind == "output":
        return parse_output_envelope(raw)
    if kind == "evidence":
        return parse_evidence_manifest(raw)
    model: type[BaseModel] = ProgressCallback if kind == "progress" else CompleteCallback
    return model.model_validate_json(raw)


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        raw = Path(args.file).read_bytes()
    except OSError as exc:
        raise UsageError(
            f"validate {args.kind}: cannot read {args.file}: {describe_os_error(exc)} (give a "
            f"wire document, e.g. runs/<run-dir>/output/output.json)"
        ) from exc
    try:
        _validate_document(args.kind, raw)
    except ValidationError as exc:
        # Plain text: the formatter's lines exactly, never re-wrapped or re-styled.
        print(f"{args.file}: invalid {args.kind} document", file=sys.stderr)
        print(format_validation_error(exc), file=sys.stderr)
        return 1
    _console.print(f"{args.file}: valid {args.kind} document")
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    if args.target == "check":
        if args.write:
            raise UsageError("manifest check: --write belongs to `purelms manifest <slug>`")
        return _manifest_check(args)
    if args.files:
        raise UsageError(f"manifest {args.target}: unexpected arguments {args.files}")
    root = _root(args)
    task_dir = root / "backends" / args.target
    if not (task_dir / PROJECT_NAME).is_file():
        known = task_dir.is_dir()
        raise UsageError(
            (
                f"backend {args.target!r} has no {PROJECT_NAME}"
                if known
                else unknown_backend(root, args.target)
            )
            + " (`purelms manifest <slug>` compares a backend's manifest with its models; "
            "`purelms manifest check [FILE ...]` checks manifest files)"
        )
    project = BackendProject.load(task_dir / PROJECT_NAME)
    backend = project.load_backend()
    path = task_dir / MANIFEST_NAME
    from ._generate import manifest_drift, write_manifest
    from ._readme import README_NAME, readme_drift, write_readme

    readme = task_dir / README_NAME
    if args.write:
        changed = write_manifest(task_dir, backend)
        _console.print(f"{path}: {'updated' if changed else 'already up to date'}", markup=False)
        tables = write_readme(task_dir, backend)
        if tables is None:
            _say(f"warning: {readme_drift(task_dir, backend)[0]}", console=_errors)
        else:
            state = "updated" if tables else "already up to date"
            _console.print(f"{readme}: parameters and outputs tables {state}", markup=False)
        return 0
    problems = [f"{path}: {problem}" for problem in manifest_drift(path, backend)]
    problems += readme_drift(task_dir, backend)
    for problem in problems:
        _errors.print(problem, markup=False)
    if not problems:
        _console.print(
            f"{path} and the tables of {readme.name} agree with {project.module} and "
            f"{project.path.name}",
            markup=False,
        )
    return 1 if problems else 0


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _manifest_check(args: argparse.Namespace) -> int:
    """Every installer rule over FILEs (default: every backend and the template)."""
    from ._manifest_check import check_manifest, default_manifest_files, render_template_manifest

    with tempfile.TemporaryDirectory(prefix="purelms-template-") as scratch:
        files = [Path(name) for name in args.files]
        template: Path | None = None
        if not files:
            root = _root(args)
            files = default_manifest_files(root)
            template = render_template_manifest(root, Path(scratch))
            if template is not None:
                files.append(template)
        missing = [str(path) for path in files if not path.exists()]
        if missing:
            raise UsageError(f"manifest check: no such file or folder: {', '.join(missing)}")
        failed = 0
        for path in files:
            check = check_manifest(path)
            shown = "templates (rendered for new_task)" if path == template else _shown(check.path)
            for problem in check.problems:
                _errors.print(f"{shown}: {problem}", markup=False)
            if check.ok:
                _console.print(f"{shown}: installable (slug {check.slug})", markup=False)
            else:
                failed += 1
    if failed:
        _errors.print(f"manifest check: {failed} of {len(files)} manifest(s) refused", markup=False)
        return 1
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ._serve import BundleError, PlatformServer, PortInUse, ensure_bundle

    manifest = _manifest(args)
    config = _block_config(args, manifest)
    root = find_repo_root(Path(args.root) if args.root else None)
    try:  # the port first: a busy port is told before any build
        server = PlatformServer(manifest, root, bundle=None, block_config=config, port=args.port)
    except PortInUse as exc:
        raise UsageError(str(exc)) from exc
    try:
        server.bundle = ensure_bundle(
            manifest, root, log=lambda line: _errors.print(line, markup=False)
        )
    except BundleError as exc:
        server.close()
        raise UsageError(str(exc)) from exc
    with server:
        block = f" as configured by {args.block_config}" if args.block_config else ""
        print(f"serving {manifest.slug}{block} at {server.url} (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


_BUILT_IN = frozenset({"list", "run", "evidence", "validate", "manifest", "serve"})


def _command_word(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (skipping ``--root DIR``), None if there is none."""
    words = iter(argv)
    for word in words:
        if word == "--root":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _parser(*, plugins: bool = True) -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="purelms",
        description="Run purelms simulation backends locally, as the platform would.",
    )
    parser.add_argument("--root", help="repository root (default: nearest parent with backends/)")
    sub = parser.add_subparsers(dest="command", required=True)

    p_list = sub.add_parser("list", help="list the backends under backends/*/interactive_task.yaml")
    p_list.add_argument("--json", action="store_true", help="print the manifests as JSON")
    p_list.set_defaults(func=cmd_list)

    p_run = sub.add_parser("run", help="run a backend once through the local harness")
    p_run.add_argument("slug")
    p_run.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter; VALUE is parsed as JSON when possible",
    )
    p_run.add_argument("--params-file", metavar="FILE", help="a JSON object of parameters")
    p_run.add_argument(
        "--input-file",
        action="append",
        default=[],
        metavar="ROLE=PATH",
        help="an input file with its role (e.g. weather=my.epw)",
    )
    p_run.add_argument("--out", metavar="DIR", help="run directory (default: runs/<slug>-<time>)")
    p_run.add_argument(
        "--timeout",
        type=whole_seconds,
        metavar="S",
        help="timeout_seconds, whole seconds > 0 (default: the manifest's default_timeout_seconds)",
    )
    p_run.add_argument(
        "--progress-interval",
        type=non_negative_seconds,
        default=0.5,
        metavar="S",
        help="progress_min_interval_seconds for the run (default 0.5)",
    )
    p_run.add_argument(
        "--block-config",
        metavar="FILE",
        help="a course author's per-block config (Layer 2 JSON); it may only tighten the "
        "manifest, and the -p values are checked against both before anything runs",
    )
    p_run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p_run.add_argument(
        "--fresh-interpreter",
        action="store_true",
        help="start the backend as a new `python -m <module>` instead of a fork of the "
        "harness (slower by the backend's import time; shows import-time surprises)",
    )
    p_run.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also every parameter, each artifact with its sha256, and the evidence "
        "manifest's path and sha256 (always in the run folder: evidence.sha256)",
    )
    p_run.add_argument(
        "--image",
        metavar="REF",
        help="run the backend inside this container image (docker, else podman; "
        "$PURELMS_CONTAINER_ENGINE overrides) and record its digest in the evidence",
    )
    p_run.add_argument(
        "--managed",
        action="store_true",
        help="run as a Cloud Run Job would: signed URLs of a loopback object store instead "
        "of folders, OIDC-authenticated callbacks from a loopback metadata server",
    )
    p_run.add_argument(
        "--service",
        action="store_true",
        help="like --managed, but start the backend in service mode and POST the run "
        "(then redeliver it once, which must not run the backend again)",
    )
    p_run.add_argument(
        "--static-token",
        action="store_true",
        help="with --managed/--service: a per-run bearer token instead of OIDC ID tokens",
    )
    p_run.set_defaults(func=cmd_run)

    p_evidence = sub.add_parser("evidence", help="evidence manifests")
    ev_sub = p_evidence.add_subparsers(dest="evidence_command", required=True)
    p_verify = ev_sub.add_parser(
        "verify",
        help="recompute every reference of DIR/evidence.json, confined to DIR; every file "
        "of DIR/input and DIR/output must be covered",
    )
    p_verify.add_argument("dir")
    p_verify.add_argument(
        "--sha256",
        type=_sha256_arg,
        metavar="HEX",
        help="the sha256 of evidence.json recorded when the run was made (printed by "
        "`purelms run`): checked first, so a consistently rewritten manifest is caught",
    )
    p_verify.set_defaults(func=cmd_evidence_verify)

    p_validate = sub.add_parser("validate", help="validate a wire document")
    p_validate.add_argument(
        "kind",
        choices=["input", "output", "evidence", "progress", "complete"],
        help="which document: an input or output envelope, an evidence manifest, or a "
        "progress or complete callback body",
    )
    p_validate.add_argument(
        "file",
        help="the JSON file; exit status 1 and one line per problem on stderr when invalid",
    )
    p_validate.set_defaults(func=cmd_validate)

    p_manifest = sub.add_parser(
        "manifest",
        help="`manifest check [FILE ...]`: every installer rule; `manifest <slug> [--write]`: "
        "compare (or regenerate) a backend's manifest with its models and declaration",
    )
    p_manifest.add_argument("target", metavar="check|SLUG")
    p_manifest.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="with check: manifests or task folders (default: every backend and the template)",
    )
    p_manifest.add_argument("--write", action="store_true", help="regenerate the manifest")
    p_manifest.set_defaults(func=cmd_manifest)

    p_serve = sub.add_parser(
        "serve",
        help="the task's page as the platform mounts it, on loopback, backed by real runs",
    )
    p_serve.add_argument("slug")
    p_serve.add_argument(
        "--block-config",
        metavar="FILE",
        help="a course block's config (Layer 2 JSON): hidden, disabled, tightened parameters",
    )
    p_serve.add_argument(
        "--port", type=port_number, default=8765, help="port on 127.0.0.1 (0: any free port)"
    )
    p_serve.set_defaults(func=cmd_serve)

    if plugins:  # scanning every installed distribution's entry points costs each start
        _add_plugin_parsers(sub)
    return parser


#: Entry-point group through which other packages add subcommands (purelms-sweep adds
#: ``sweep`` and ``optimise``). Each entry point names ``add_parsers(subparsers)``.
PLUGIN_GROUP = "purelms.cli"


def _add_plugin_parsers(sub: Any) -> None:
    from importlib.metadata import entry_points

    for entry in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        entry.load()(sub)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        words = sys.argv[1:] if argv is None else argv
        args = _parser(plugins=_command_word(words) not in _BUILT_IN).parse_args(words)
        code: int = args.func(args)
    except Refused as exc:
        for line in exc.lines:
            _errors.print(f"purelms: error: {line}", markup=False)
        return 2
    except (
        UsageError,
        RunRequestError,
        ManifestError,
        ContainerError,
        FileExistsError,
        FileNotFoundError,
    ) as exc:
        _errors.print(f"purelms: error: {exc}", markup=False)
        return 2
    except OSError as exc:  # a file this command needed: named, with the errno
        where = f" {exc.filename}" if exc.filename else ""
        _errors.print(f"purelms: error:{where}: {describe_os_error(exc)}", markup=False)
        return 2
    except KeyboardInterrupt:
        _errors.print("purelms: interrupted (SIGINT)", markup=False)
        return 128 + signal.SIGINT
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()

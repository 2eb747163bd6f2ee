"""The ``purelms`` command: run and inspect backends locally as the platform would.

Exit codes: 0 success; 1 the run ended in a domain failure (its status is
named) or a check failed (validation, evidence); 2 usage errors and contract
problems (bad manifest, backend exited non-zero, callbacks rejected).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from purelms_shared import (
    CompleteCallback,
    InputFileRole,
    MessageLevel,
    ProgressCallback,
    format_validation_error,
    parse_evidence_manifest,
    parse_input_envelope,
    parse_output_envelope,
)

from ._callback_server import CallbackServer, ReceivedCallback
from ._container import ContainerError, ContainerLauncher
from ._evidence import verify_evidence
from ._harness import LocalRunResult, RunRequest, default_run_dir, run_local
from ._manifest import (
    BackendManifest,
    ManifestError,
    discover,
    find_repo_root,
    manifest_drift,
    write_manifest_lists,
)
from ._sweep_cli import add_parsers as _add_sweep_parsers

__all__ = ["main"]

_console = Console(highlight=False)
# soft_wrap: a problem is one line whatever the terminal width (log readers split on lines)
_errors = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(Exception):
    pass


def _manifests(args: argparse.Namespace) -> dict[str, BackendManifest]:
    root = find_repo_root(Path(args.root) if args.root else None)
    return discover(root)


def _manifest(args: argparse.Namespace) -> BackendManifest:
    manifests = _manifests(args)
    if args.slug not in manifests:
        known = ", ".join(sorted(manifests)) or "none"
        raise UsageError(f"unknown backend {args.slug!r}; known backends: {known}")
    return manifests[args.slug]


def cmd_list(args: argparse.Namespace) -> int:
    manifests = _manifests(args)
    if args.json:
        print(json.dumps({slug: m.data for slug, m in manifests.items()}, indent=2))
        return 0
    table = Table(title="purelms backends")
    for column in ("slug", "version", "name", "parameters"):
        table.add_column(column)
    for slug, manifest in manifests.items():
        params = ", ".join(
            f"{p['name']}{' [' + p['unit'] + ']' if p.get('unit') else ''}"
            for p in manifest.parameters
        )
        table.add_row(slug, manifest.version, manifest.name, escape(params) or "-")
    _console.print(table)
    return 0


def _parse_value(raw: str) -> Any:
    """``-p NAME=VALUE``: VALUE as JSON when it parses (numbers, true, lists), else a string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _split_pair(raw: str, flag: str) -> tuple[str, str]:
    name, sep, value = raw.partition("=")
    if not sep or not name:
        raise UsageError(f"{flag} {raw!r}: expected NAME=VALUE")
    return name, value


def _whole_seconds(raw: str | None) -> int | None:
    """``--timeout``: whole seconds > 0, as the wire's ``timeout_seconds`` takes them."""
    if raw is None:
        return None
    try:
        seconds = int(raw)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise UsageError(f"--timeout {raw!r}: expected whole seconds, an integer > 0")
    return seconds


def _request(args: argparse.Namespace) -> RunRequest:
    parameters: dict[str, Any] = {}
    if args.params_file:
        try:
            loaded = json.loads(Path(args.params_file).read_text())
        except (OSError, ValueError) as exc:
            raise UsageError(f"--params-file {args.params_file}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise UsageError(f"--params-file {args.params_file}: must hold a JSON object")
        parameters.update(loaded)
    for raw in args.param:
        name, value = _split_pair(raw, "-p")
        parameters[name] = _parse_value(value)
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
        timeout_seconds=_whole_seconds(args.timeout),
        progress_min_interval_seconds=args.progress_interval,
    )


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    if isinstance(value, list):
        return ", ".join(_format_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_format_value(v)}" for k, v in value.items())
    return str(value)


def _print_result(manifest: BackendManifest, result: LocalRunResult) -> None:
    out = result.envelope_out
    if out is None:
        return
    units = {o["name"]: (o.get("label", o["name"]), o.get("unit", "")) for o in manifest.outputs}
    if out.outputs:
        table = Table(title=f"{manifest.slug}: outputs")
        table.add_column("output")
        table.add_column("value", overflow="fold")
        table.add_column("unit")
        for name, value in out.outputs.items():
            label, unit = units.get(name, (name, ""))
            table.add_row(
                f"{label} ({name})" if label != name else name, _format_value(value), unit
            )
        _console.print(table)
    styles = {MessageLevel.ERROR: "red", MessageLevel.WARNING: "yellow"}
    for message in out.messages:
        style = styles.get(message.level, "")
        code = f" {message.code}" if message.code else ""
        _console.print(
            f"[{style}]{message.level.value}{code}: {message.text}[/]"
            if style
            else f"{message.level.value}{code}: {message.text}",
            markup=bool(style),
        )
    for artifact in out.artifacts:
        _console.print(
            f"artifact {artifact.filename} ({artifact.size_bytes} bytes, "
            f"sha256 {artifact.sha256[:12]}...)"
        )


def cmd_run(args: argparse.Namespace) -> int:
    manifest = _manifest(args)
    request = _request(args)
    root = find_repo_root(Path(args.root) if args.root else None)
    run_dir = Path(args.out) if args.out else default_run_dir(root, manifest.slug)
    show_progress = not args.quiet
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[step]}"),
        console=_errors,
        disable=not show_progress,
        transient=False,
    )
    task = progress.add_task(manifest.slug, total=100, step="starting")

    def on_callback(callback: ReceivedCallback) -> None:
        if isinstance(callback.body, ProgressCallback):
            progress.update(task, completed=callback.body.progress_pct, step=callback.body.step)
        elif isinstance(callback.body, CompleteCallback):
            progress.update(task, step="complete")

    launcher = ContainerLauncher(args.image) if args.image else None
    with CallbackServer(token=secrets.token_urlsafe(24)) as server, progress:
        result = run_local(
            manifest,
            request,
            server=server,
            run_dir=run_dir,
            on_callback=on_callback,
            launcher=launcher,
        )
        if result.status is not None and result.status.value == "success":
            progress.update(task, completed=100)
    _print_result(manifest, result)
    _console.print(f"run directory: {run_dir}")
    for problem in result.problems:
        _errors.print(f"error: {problem}", markup=False)
    if result.problems:
        return 2
    status = result.status.value if result.status else "unknown"
    if status != "success":
        _errors.print(f"run ended with status {status}", markup=False)
        return 1
    _console.print(f"status: {status}")
    return 0


def cmd_evidence_verify(args: argparse.Namespace) -> int:
    problems = verify_evidence(Path(args.dir))
    if problems:
        _errors.print(f"evidence mismatch: {problems[0]}", markup=False)
        for extra in problems[1:]:
            _errors.print(f"also: {extra}", markup=False)
        return 1
    _console.print(f"evidence verified: {args.dir}")
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
        raise UsageError(f"{args.file}: {exc.strerror}") from exc
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
    manifest = _manifest(args)
    backend = manifest.load_backend()
    if args.write:
        changed = write_manifest_lists(manifest, backend)
        _console.print(f"{manifest.path}: {'updated' if changed else 'already up to date'}")
        return 0
    problems = manifest_drift(manifest, backend)
    for problem in problems:
        _errors.print(f"{manifest.path}: {problem}", markup=False)
    if not problems:
        _console.print(f"{manifest.path}: agrees with {manifest.module}")
    return 1 if problems else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ._serve import BundleError, PreviewServer, ensure_bundle

    manifest = _manifest(args)
    root = find_repo_root(Path(args.root) if args.root else None)
    try:
        bundle = ensure_bundle(manifest, root, log=lambda line: _errors.print(line, markup=False))
    except BundleError as exc:
        raise UsageError(str(exc)) from exc
    with PreviewServer(manifest, root, bundle=bundle, port=args.port) as server:
        print(f"serving {manifest.slug} at {server.url} (Ctrl-C stops)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
        metavar="SECONDS",
        help="timeout_seconds, whole seconds > 0 (default: the manifest's default_timeout_seconds)",
    )
    p_run.add_argument(
        "--progress-interval",
        type=float,
        default=0.5,
        metavar="S",
        help="progress_min_interval_seconds for the run (default 0.5)",
    )
    p_run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p_run.add_argument(
        "--image",
        metavar="REF",
        help="run the backend inside this container image (docker, else podman; "
        "$PURELMS_CONTAINER_ENGINE overrides) and record its digest in the evidence",
    )
    p_run.set_defaults(func=cmd_run)

    p_evidence = sub.add_parser("evidence", help="evidence manifests")
    ev_sub = p_evidence.add_subparsers(dest="evidence_command", required=True)
    p_verify = ev_sub.add_parser("verify", help="recompute every reference of DIR/evidence.json")
    p_verify.add_argument("dir")
    p_verify.set_defaults(func=cmd_evidence_verify)

    p_validate = sub.add_parser("validate", help="validate a wire document")
    p_validate.add_argument("kind", choices=["input", "output", "evidence", "progress", "complete"])
    p_validate.add_argument("file")
    p_validate.set_defaults(func=cmd_validate)

    p_manifest = sub.add_parser("manifest", help="check (or --write) a manifest against its models")
    p_manifest.add_argument("slug")
    p_manifest.add_argument("--write", action="store_true", help="regenerate parameters/outputs")
    p_manifest.set_defaults(func=cmd_manifest)

    p_serve = sub.add_parser("serve", help="preview a task's frontend bundle on a loopback page")
    p_serve.add_argument("slug")
    p_serve.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free)")
    p_serve.set_defaults(func=cmd_serve)

    _add_sweep_parsers(sub)  # sweep, optimise (need the 'sweep' extra)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except (UsageError, ManifestError, ContainerError, FileExistsError, FileNotFoundError) as exc:
        _errors.print(f"purelms: error: {exc}", markup=False)
        return 2
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()

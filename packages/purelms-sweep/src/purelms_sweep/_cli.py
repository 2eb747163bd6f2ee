"""``purelms sweep`` and ``purelms optimise``: the CLI side of the modelops ports.

Registered with the harness's ``purelms`` command through the ``purelms.cli``
entry-point group, so it is imported on every ``purelms`` start: this module
only registers the subcommands; Dask and pyarrow (slow to import) are imported
when one of them runs.

Exit codes follow ``purelms run``: 0 every point succeeded (``optimise``:
the best point meets the target), 1 some point ended in another status (the
statuses are counted) or the target was not met, 2 a usage error (a bad
grid, target or range, an unknown backend) reported on one line before
anything runs.
"""

from __future__ import annotations

import argparse
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from purelms_harness import ManifestError, find_repo_root, whole_seconds

if TYPE_CHECKING:
    from ._optimise import Trial
    from ._service import SweepRow

__all__ = ["add_parsers"]

CAS_ENV = "PURELMS_CAS_DIR"
_console = Console(highlight=False, soft_wrap=True)
_errors = Console(stderr=True, highlight=False, soft_wrap=True)
_MAX_OUTPUT_COLUMNS = 6


class _Refused(Exception):
    """A usage problem found by this module: printed on one line, exit 2."""


def _root(args: argparse.Namespace) -> Path:
    return find_repo_root(Path(args.root) if args.root else None)


def _out_dir(args: argparse.Namespace, root: Path, kind: str) -> Path:
    if args.out:
        return Path(args.out)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return root / "runs" / f"{kind}-{args.slug}-{stamp}-{secrets.token_hex(3)}"


def _cas_dir(args: argparse.Namespace, root: Path) -> Path:
    if args.cas:
        return Path(args.cas)
    return Path(os.environ.get(CAS_ENV) or root / "runs" / "cas")


def _check_cluster_args(args: argparse.Namespace) -> None:
    if args.workers is not None and args.workers < 1:
        raise _Refused(f"--workers {args.workers}: must be at least 1")
    if args.workers is not None and args.scheduler:
        raise _Refused("--workers starts a local cluster; it cannot be combined with --scheduler")


def _run_guarded(args: argparse.Namespace, command: Any) -> int:
    from ._grid import GridError

    try:
        _check_cluster_args(args)
        from purelms_harness import ContainerError

        from ._service import SchedulerUnreachable

        try:
            code: int = command(args)
        except SchedulerUnreachable as exc:
            raise _Refused(str(exc)) from exc
        except ContainerError as exc:
            raise _Refused(f"--image {args.image}: {exc}") from exc
    except (_Refused, GridError, ManifestError) as exc:
        _errors.print(f"purelms: error: {exc}", markup=False)
        return 2
    return code


def _progress(label: str) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=_errors,
        transient=False,
    )


def _scalar_outputs(table: Any, skip: set[str]) -> list[str]:
    import pyarrow as pa  # type: ignore[import-untyped]

    from ._table import LEADING_COLUMNS, TRAILING_COLUMNS

    fixed = {*LEADING_COLUMNS, *TRAILING_COLUMNS, "cached", "result_sha256", "round"}
    names = []
    for field in table.schema:
        if field.name in fixed or field.name in skip or pa.types.is_list(field.type):
            continue
        names.append(field.name)
    return names[:_MAX_OUTPUT_COLUMNS]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _print_rows(title: str, table: Any, params: list[str]) -> None:
    rows = table.to_pylist()
    outputs = _scalar_outputs(table, set(params) | {"parameters"})
    view = Table(title=title)
    for name in [*params, "status", "cached", *outputs]:
        view.add_column(name, overflow="fold")
    for row in rows:
        view.add_row(
            *(escape(_cell(row.get(name))) for name in params),
            escape(str(row["status"])),
            "yes" if row.get("cached") else "",
            *(escape(_cell(row.get(name))) for name in outputs),
        )
    _console.print(view)


def cmd_sweep(args: argparse.Namespace) -> int:
    from ._service import run_sweep

    root = _root(args)
    out_dir = _out_dir(args, root, "sweep")
    progress = _progress("sweep")
    counts = {"cached": 0, "failed": 0}
    task_ids: list[Any] = []

    def on_start(total: int) -> None:
        task_ids.append(progress.add_task(f"sweep {args.slug}", total=total, detail=""))
        progress.start()

    def on_row(row: SweepRow) -> None:
        counts["cached"] += row.cached
        counts["failed"] += row.status != "success"
        detail = f"cached {counts['cached']}, failed {counts['failed']}"
        progress.update(task_ids[0], advance=1, detail=detail)

    try:
        outcome = run_sweep(
            root,
            args.slug,
            args.param,
            out_dir=out_dir,
            seed=args.seed,
            workers=args.workers,
            scheduler=args.scheduler,
            cas_dir=None if args.no_store else _cas_dir(args, root),
            use_cache=not args.no_cache,
            timeout_seconds=args.timeout,
            image=args.image,
            on_start=on_start,
            on_row=on_row,
        )
    finally:
        if task_ids:
            progress.stop()
    params = sorted({name for row in outcome.rows for name in row.task.params.to_dict()})
    if not args.quiet:
        _print_rows(f"sweep {args.slug}: {len(outcome.rows)} points", outcome.table, params)
    statuses = ", ".join(f"{n} {s}" for s, n in outcome.counts.items())
    _console.print(
        f"{len(outcome.rows)} points: {outcome.ran} ran, {outcome.cached} from cache "
        f"({statuses}) in {outcome.wall_seconds:.1f} s"
    )
    _console.print(f"wrote {outcome.paths['csv']} and {outcome.paths['arrow']}")
    if not outcome.ok:
        _errors.print(f"sweep: not every point succeeded ({statuses})", markup=False)
        return 1
    return 0


def cmd_optimise(args: argparse.Namespace) -> int:
    from ._optimise import run_optimise

    root = _root(args)
    out_dir = _out_dir(args, root, "optimise")
    name = args.vary.partition("=")[0].strip()

    def on_round(trials: list[Trial]) -> None:
        for trial in trials:
            value = "failed" if trial.value is None else f"{trial.value:,.6g}"
            mark = "meets target" if trial.met else ""
            _console.print(
                f"round {trial.round:>2}  {name} = {trial.x:<12.6g} -> {value:>14}  {mark}",
                markup=False,
            )

    outcome = run_optimise(
        root,
        args.slug,
        target=args.target,
        vary=args.vary,
        fixed=args.param,
        out_dir=out_dir,
        budget=args.budget,
        tol=args.tol,
        batch=args.batch,
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        cas_dir=None if args.no_store else _cas_dir(args, root),
        use_cache=not args.no_cache,
        timeout_seconds=args.timeout,
        image=args.image,
        on_round=on_round,
    )
    search = outcome.search
    best = search.best()
    _console.print(
        f"stopped: {search.reason} ({len(search.trials)} evaluations, "
        f"{outcome.cached} from cache, {outcome.wall_seconds:.1f} s)",
        markup=False,
    )
    if search.bracket is not None:
        low, high = search.bracket
        _console.print(f"crossing bracketed in {name} = [{low:.6g}, {high:.6g}]", markup=False)
    _console.print(f"wrote {outcome.paths['csv']} and {outcome.paths['arrow']}")
    if best is None or best.value is None:
        _errors.print("optimise: no evaluation succeeded", markup=False)
        return 1
    verdict = "meets" if best.met else "does NOT meet"
    _console.print(
        f"best: {name} = {best.x:.6g} -> {search.target.output} = {best.value:,.6g} "
        f"({verdict} {search.target})",
        markup=False,
    )
    return 0 if best.met else 1


def _cluster_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes of the local Dask cluster (default 2)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="use a running Dask scheduler (e.g. tcp://10.0.0.5:8786) instead of a local cluster",
    )
    parser.add_argument("--out", metavar="DIR", help="output folder (default: under runs/)")
    parser.add_argument(
        "--cas",
        metavar="DIR",
        help=f"result store (default: ${CAS_ENV} or runs/cas)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="run every point even when its result is cached"
    )
    parser.add_argument("--no-store", action="store_true", help="neither read nor write the store")
    parser.add_argument("--seed", type=int, default=0, help="seed recorded with every task")
    parser.add_argument(
        "--timeout",
        type=whole_seconds,
        metavar="S",
        help="timeout_seconds of every run, whole seconds > 0",
    )
    parser.add_argument(
        "--image",
        metavar="REF",
        help="run every point in this container image (built by `nox -s images`); "
        "results are pinned and cached by the image ID",
    )


def add_parsers(sub: Any) -> None:
    """Register ``sweep`` and ``optimise`` on ``purelms``'s subparsers."""
    p_sweep = sub.add_parser(
        "sweep",
        help="run a grid of parameter sets in parallel (Dask), cached by content",
        description=(
            "Run every combination of the -p lists on a Dask cluster; each result is "
            "cached by (bundle digest, param_id, seed), so a repeated sweep is served "
            "from the store. Writes DIR/sweep.csv and DIR/sweep.arrow (Arrow IPC file)."
        ),
    )
    p_sweep.add_argument("slug")
    p_sweep.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=V1,V2,...",
        help="values of a parameter: a list, a JSON array, START..STOP:N (numbers) "
        "or START..STOP (integers)",
    )
    _cluster_options(p_sweep)
    p_sweep.add_argument("-q", "--quiet", action="store_true", help="no results table")
    p_sweep.set_defaults(func=lambda args: _run_guarded(args, cmd_sweep))

    p_opt = sub.add_parser(
        "optimise",
        help="search one parameter's range for where an output meets a target",
        description=(
            "Bracketing k-section search (an ask/tell AdaptiveAlgorithm): evaluates both "
            "ends of --vary, then narrows the interval where the --target is crossed, "
            "--batch points per round, until the target is met within --tol, the "
            "bracket is tiny, or --budget evaluations are spent."
        ),
    )
    p_opt.add_argument("slug")
    p_opt.add_argument(
        "--target", required=True, metavar="OUTPUT<=VALUE", help="e.g. heating_kwh<=3000"
    )
    p_opt.add_argument(
        "--vary", required=True, metavar="NAME=LOW..HIGH", help="e.g. wall_u_w_m2k=0.1..1.0"
    )
    p_opt.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a fixed parameter",
    )
    p_opt.add_argument("--budget", type=int, default=12, help="most evaluations (default 12)")
    p_opt.add_argument(
        "--tol", type=float, help="how close to the target counts as met (default 0.5%%)"
    )
    p_opt.add_argument(
        "--batch", type=int, metavar="K", help="points per round (default: --workers or 2)"
    )
    _cluster_options(p_opt)
    p_opt.set_defaults(func=lambda args: _run_guarded(args, cmd_optimise))

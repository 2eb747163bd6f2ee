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
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from purelms_harness import (
    ManifestError,
    display_unit,
    find_repo_root,
    format_number,
    together,
    utf8,
    whole_seconds,
    wrap,
)

if TYPE_CHECKING:
    from ._optimise import Trial
    from ._service import SweepRow

__all__ = ["add_parsers"]

CAS_ENV = "PURELMS_CAS_DIR"
_console = Console(highlight=False, soft_wrap=True, emoji=False)  # text as written
_errors = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
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
    text = format_number(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _table_width(widths: list[int]) -> int:
    """A rich table's width: each column plus its padding (1 + 1) and borders (n + 1)."""
    return sum(widths) + 3 * len(widths) + 1


def _points(count: int) -> str:
    return f"{count} point" if count == 1 else f"{count} points"


def _print_rows(title: str, table: Any, params: list[str]) -> None:
    """The points of a sweep: one row each when that fits the terminal, else transposed.

    Rows: a column per parameter, the status, whether it came from the cache, and up to
    six scalar outputs, headers and values never wrapped or cut. When those columns are
    wider than the terminal (rich honours ``COLUMNS``), the table is transposed: one row
    per field, one column per point (``#1``, ``#2`` ...), in as many tables as it takes.
    """
    rows = table.to_pylist()
    outputs = _scalar_outputs(table, set(params) | {"parameters"})
    fields = [*params, "status", "cached", *outputs]
    cells = [
        [
            *(_cell(row.get(name)) for name in params),
            str(row["status"]),
            "yes" if row.get("cached") else "",
            *(_cell(row.get(name)) for name in outputs),
        ]
        for row in rows
    ]
    width = max(40, _console.width)
    widths = [
        max([len(field), *(len(line[index]) for line in cells)])
        for index, field in enumerate(fields)
    ]
    if _table_width(widths) <= width:
        view = Table(title=title, title_justify="left")
        for field in fields:
            view.add_column(field, no_wrap=True)
        for line in cells:
            view.add_row(*(Text(cell) for cell in line))
        _console.print(view)
        return
    _print_transposed(title, fields, cells, width)


def _print_transposed(title: str, fields: list[str], cells: list[list[str]], width: int) -> None:
    field_width = max(len(field) for field in fields)
    point_widths = [
        max(len(f"#{index + 1}"), *(len(cell) for cell in line)) for index, line in enumerate(cells)
    ]
    chunks: list[list[int]] = []
    for index, point_width in enumerate(point_widths):
        current = chunks[-1] if chunks else None
        taken = [point_widths[i] for i in current] if current else []
        if current is not None and _table_width([field_width, *taken, point_width]) <= width:
            current.append(index)
        else:
            chunks.append([index])
    for number, chunk in enumerate(chunks, start=1):
        part = f" ({number} of {len(chunks)})" if len(chunks) > 1 else ""
        view = Table(title=f"{title}{part}", title_justify="left")
        view.add_column("", no_wrap=True)
        for index in chunk:
            view.add_column(f"#{index + 1}", no_wrap=True)
        for position, field in enumerate(fields):
            view.add_row(Text(field), *(Text(cells[index][position]) for index in chunk))
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
        _print_rows(f"sweep {args.slug}: {_points(len(outcome.rows))}", outcome.table, params)
    statuses = ", ".join(f"{n} {s}" for s, n in outcome.counts.items())
    _say(
        f"{_points(len(outcome.rows))}: {outcome.ran} ran, {outcome.cached} from cache "
        f"({statuses}) in {outcome.wall_seconds:.1f} s"
    )
    _say(f"wrote {outcome.paths['csv']} and {outcome.paths['arrow']}")
    if not outcome.ok:
        _say(f"sweep: not every point succeeded ({statuses})", console=_errors)
        return 1
    return 0


def _say(text: str, *, console: Console = _console) -> None:
    """One message wrapped by words at the terminal's width (a number keeps its unit)."""
    console.print("\n".join(wrap(text, max(40, console.width))), markup=False)


def cmd_optimise(args: argparse.Namespace) -> int:
    from ._optimise import ThresholdSearch, run_optimise

    root = _root(args)
    out_dir = _out_dir(args, root, "optimise")
    name = args.vary.partition("=")[0].strip()
    unicode = utf8(_console.encoding)
    arrow = "→" if unicode else "->"
    started: list[ThresholdSearch] = []

    def units(text: str) -> str:
        """``text`` with the target's unit as the terminal can show it (``m²``, ``°C``)."""
        unit = started[0].target.unit if started else ""
        return text.replace(f" {unit}", f" {display_unit(unit, unicode)}") if unit else text

    def on_start(search: ThresholdSearch) -> None:
        started.append(search)
        target = search.target
        _say(
            units(
                f"Searching {name} from {format_number(search.vary.low)} to "
                f"{format_number(search.vary.high)} for {together(target.describe())}; it "
                f"stops at a run that meets the target within {target.amount(search.tol)} of "
                f"it (--tol), or after {search.budget} runs, "
                f"{args.batch or args.workers or 2} at a time."
            )
        )

    def on_round(trials: list[Trial]) -> None:
        target = started[0].target
        for trial in trials:
            value = "failed" if trial.value is None else target.amount(trial.value)
            mark = " (meets the target)" if trial.met else ""
            _say(
                units(
                    f"round {trial.round}: {name} = {format_number(trial.x)} {arrow} "
                    f"{target.output} = {value}{mark}"
                )
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
        on_start=on_start,
    )
    search = outcome.search
    target = search.target
    best = search.best()
    _say(
        units(
            f"Stopped: {search.reason} ({len(search.trials)} runs, {outcome.cached} from "
            f"the cache, {outcome.wall_seconds:.1f} s)."
        )
    )
    if search.bracket is not None:
        low, high = search.bracket
        _say(
            units(
                f"{target.output} crosses {target.amount(target.value)} between {name} = "
                f"{format_number(low)} and {format_number(high)}."
            )
        )
    _say(f"wrote {outcome.paths['csv']} and {outcome.paths['arrow']}")
    if best is None or best.value is None:
        _say("optimise: no run succeeded", console=_errors)
        return 1
    verdict = "meets" if best.met else "does NOT meet"
    _say(
        units(
            f"Best: {name} = {format_number(best.x)} {arrow} {target.output} = "
            f"{target.amount(best.value)}, which {verdict} {together(target.describe())}."
        )
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
            "Finds the value of one parameter (--vary) at which an output reaches a target "
            "(--target). It runs the backend at both ends of the range, then again and "
            "again inside the part of the range where the output crosses the target, "
            "--batch runs at a time, until a run is within --tol of the target, the part "
            "left is tiny, or --budget runs are spent. Writes DIR/optimise.csv and "
            "DIR/optimise.arrow."
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
    p_opt.add_argument("--budget", type=int, default=12, help="most runs (default 12)")
    p_opt.add_argument(
        "--tol",
        type=float,
        metavar="AMOUNT",
        help="how close to the target counts as meeting it, in the output's unit "
        "(default: 0.5%% of the target value)",
    )
    p_opt.add_argument(
        "--batch", type=int, metavar="K", help="runs per round (default: --workers or 2)"
    )
    _cluster_options(p_opt)
    p_opt.set_defaults(func=lambda args: _run_guarded(args, cmd_optimise))

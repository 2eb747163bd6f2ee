"""``SimulationService`` on dask.distributed, and parameter sweeps built on it.

``DaskSimulationService`` implements ``modelops_contracts.SimulationService``:
``submit`` sends ``run_task(config, task)`` to the cluster and returns a
``DaskTaskHandle`` (the task and its future), ``submit_batch`` does so for
many, ``gather`` waits and returns one ``SimReturn`` per handle, in order.

* **Keys.** Every submission gets a unique key
  (``purelms-<task_id[:16]>-<random>``), so Dask never merges two
  submissions or hands back a stale result of an earlier client; results are
  matched to tasks through the handle, and rows by ``param_id``/``task_id``.
* **Worker loss.** When a worker dies (killed, out of memory, its machine
  gone), the scheduler reschedules every task that was running or queued on
  it onto the remaining workers (up to ``distributed.scheduler.allowed-failures``
  times, 3 by default, then the task errs with ``KilledWorker``). Whatever
  that setting, a task's backend runs at most ``1 + retries`` times: each
  start claims a numbered run folder first (``_execution``), and a start past
  the limit returns an ``error`` row instead of running. Dask also *recomputes* a
  finished result that was held only by a lost worker, if someone still
  holds its future: so ``stream`` releases each future the moment its result
  is here, and a finished point never runs again. A task that fails for good
  comes back as a result row with status ``error``, typed from the backend's
  manifest like every other row: a task is never lost and never reported
  twice, because each submission yields exactly one ``SimReturn``. A rerun
  task uses a fresh run folder (the interrupted one stays, for inspection).
* **Clusters.** ``dask_client(workers=N)`` starts a ``LocalCluster`` of N
  single-threaded worker *processes* (backends are processes anyway; one at a
  time per worker keeps N = cores meaningful); ``dask_client(scheduler=ADDRESS)``
  connects to a running scheduler instead: the same code on a real cluster.
  Workers must be able to import ``purelms_sweep`` and the backends, and
  see the repository and run folder at the same paths as the client.

``run_tasks`` is the sweep loop: for each task it first asks the
``ResultCache`` for ``(bundle_ref, param_id, seed)``; hits are served from
the CAS without touching the cluster, misses are submitted together and
collected as they complete (``on_row`` drives the progress bar). Results
with status ``success`` or ``failed_simulation`` (deterministic outcomes)
are stored in the CAS; other failures are not, so they are retried next
time. The cache lives on the client's disk: workers return the small result
tables inline and the client stores them.

``run_sweep`` appends every row to ``sweep.csv`` the moment it arrives
(``RowJournal``: flushed and fsynced, in completion order), so a sweep that is
killed leaves every finished row on disk; when the sweep completes, the file
is replaced by the full table in grid order, next to ``sweep.arrow`` and
``sweep.json`` (whose presence says the sweep completed).
"""

from __future__ import annotations

import csv
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyarrow as pa  # type: ignore[import-untyped]
from distributed import Client, Future, LocalCluster, as_completed

from modelops_contracts import SimReturn, SimTask, TableArtifact
from purelms_harness import BackendManifest, ManifestError

from ._bundles import WorkspaceBundles, bundle_ref_of, describe_image, entrypoint_for
from ._cas import CacheKey, FileCAS, ResultCache
from ._execution import EnvironmentConfig, failure_return, run_task
from ._grid import build_grid, parse_axes
from ._table import (
    RESULT_TABLE,
    csv_row,
    read_ipc,
    stack,
    table_to_ipc_file,
    write_csv,
)

__all__ = [
    "CACHEABLE_STATUSES",
    "DaskSimulationService",
    "DaskTaskHandle",
    "RowJournal",
    "RunsOutcome",
    "SchedulerUnreachable",
    "SweepRow",
    "dask_client",
    "make_tasks",
    "run_tasks",
    "sweep_table",
    "write_sweep",
]

CACHEABLE_STATUSES = frozenset({"success", "failed_simulation"})


class SchedulerUnreachable(ConnectionError):
    """``--scheduler ADDRESS`` did not answer."""


@dataclass(frozen=True, slots=True)
class DaskTaskHandle:
    """A submitted task and its Dask future (``TaskHandle``: has ``task_id``)."""

    task: SimTask
    future: Future[SimReturn]

    @property
    def task_id(self) -> str:
        return self.task.task_id


class DaskSimulationService:
    """``modelops_contracts.SimulationService[DaskTaskHandle]`` on a ``distributed.Client``.

    ``retries``: how many more times a task's backend may run after a start whose
    worker was lost (or whose harness raised); at most ``1 + retries`` runs.
    """

    def __init__(self, client: Client, config: EnvironmentConfig, *, retries: int = 1) -> None:
        self.client = client
        self.config = config
        self.retries = retries
        self._bundles = WorkspaceBundles(config.repo_root)

    def submit(self, task: SimTask) -> DaskTaskHandle:
        key = f"purelms-{task.task_id[:16]}-{uuid.uuid4().hex[:12]}"
        future = self.client.submit(
            run_task,
            self.config,
            task,
            key,
            1 + self.retries,
            key=key,
            pure=False,
            retries=self.retries,
        )
        return DaskTaskHandle(task, future)

    def submit_batch(self, tasks: Sequence[SimTask]) -> list[DaskTaskHandle]:
        return [self.submit(task) for task in tasks]

    def _manifest(self, task: SimTask) -> BackendManifest | None:
        try:
            return self._bundles.manifest(task.scenario)
        except ManifestError:
            return None

    def _result_of(self, task: SimTask, future: Future[SimReturn]) -> SimReturn:
        try:
            value = future.result()
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            return failure_return(
                task,
                f"the task did not finish on the cluster: {reason}",
                manifest=self._manifest(task),
            )
        if not isinstance(value, SimReturn) or value.task_id != task.task_id:
            return failure_return(
                task, f"the cluster returned {type(value).__name__}", manifest=self._manifest(task)
            )
        return value

    def result(self, handle: DaskTaskHandle) -> SimReturn:
        """The handle's ``SimReturn``, waiting if needed; a lost task becomes an error row."""
        return self._result_of(handle.task, handle.future)

    def gather(self, handles: Sequence[DaskTaskHandle]) -> list[SimReturn]:
        return [self.result(handle) for handle in handles]

    def stream(self, tasks: Sequence[SimTask]) -> Iterator[tuple[SimTask, SimReturn]]:
        """Submit ``tasks``; yield each with its result as soon as it is done.

        No future is held longer than needed: each is released as soon as its
        result is here, so a worker lost afterwards cannot make Dask run a
        finished task again (see the module docstring).
        """
        by_key: dict[str, SimTask] = {}
        pending = as_completed([], loop=self.client.loop)  # type: ignore[no-untyped-call]
        for task in tasks:
            handle = self.submit(task)
            by_key[str(handle.future.key)] = task
            pending.add(handle.future)  # type: ignore[no-untyped-call]
            del handle  # the iterator holds the pending futures; nothing else may
        for done in pending:
            task = by_key.pop(str(done.key))
            result = self._result_of(task, done)
            done.release()
            yield task, result


@contextmanager
def dask_client(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Client]:
    """A client for ``scheduler``, or for a new ``LocalCluster`` of ``workers`` processes."""
    if scheduler:
        try:
            client = Client(scheduler, set_as_default=False)  # type: ignore[no-untyped-call]
        except OSError as exc:  # includes the connect timeout (distributed.comm.timeouts.connect)
            raise SchedulerUnreachable(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}"
            ) from exc
        try:
            yield client
        finally:
            client.close()  # type: ignore[no-untyped-call]
        return
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers or 2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: several clusters may run at once
        host="127.0.0.1",
    )
    try:
        client = Client(cluster, set_as_default=False)  # type: ignore[no-untyped-call]
        try:
            yield client
        finally:
            client.close()  # type: ignore[no-untyped-call]
    finally:
        cluster.close()


def resolve_bundle(
    bundles: WorkspaceBundles, slug: str, image: str | None = None
) -> tuple[str, dict[str, Any]]:
    """``(bundle_ref, description)`` of ``slug``: its source bundle, or ``image``."""
    if image:
        description = describe_image(image, bundles.manifest(slug))
        return bundle_ref_of(description), description
    return bundles.bundle_ref(slug), bundles.describe(slug)


def make_tasks(
    bundles: WorkspaceBundles,
    slug: str,
    points: Sequence[Mapping[str, Any]],
    seed: int = 0,
    *,
    bundle_ref: str | None = None,
) -> list[SimTask]:
    """One ``SimTask`` per grid point for ``slug``'s backend.

    Pinned to ``bundle_ref`` (an image's ID), by default to the backend as it
    is in this checkout.
    """
    manifest = bundles.manifest(slug)
    entrypoint = entrypoint_for(manifest)
    import_path, scenario = entrypoint.split("/")
    bundle_ref = bundle_ref or bundles.bundle_ref(slug)
    return [
        SimTask.from_components(
            import_path=import_path,
            scenario=scenario,
            bundle_ref=bundle_ref,
            params=point,
            seed=seed,
        )
        for point in points
    ]


@dataclass(frozen=True, slots=True)
class SweepRow:
    """One task's outcome in a sweep."""

    task: SimTask
    result: SimReturn
    cached: bool
    checksum: str  # sha256 of the result table (its CAS name when stored)
    table: Any = field(repr=False)  # pyarrow.Table, one row

    @property
    def status(self) -> str:
        return str(self.table.column("status")[0].as_py())

    @property
    def row(self) -> dict[str, Any]:
        values: dict[str, Any] = self.table.to_pylist()[0]
        return values


def _table_bytes(result: SimReturn, cache: ResultCache | None) -> bytes:
    artifact = result.outputs[RESULT_TABLE]
    if artifact.inline is not None:
        return artifact.inline
    if cache is None:
        raise ValueError(f"result table {artifact.uri} is a reference and there is no CAS")
    data = cache.cas.get(artifact.checksum)
    artifact.verify(data)
    return data


def _row(task: SimTask, result: SimReturn, cached: bool, cache: ResultCache | None) -> SweepRow:
    data = _table_bytes(result, cache)
    artifact = result.outputs[RESULT_TABLE]
    return SweepRow(task, result, cached, artifact.checksum, read_ipc(data))


Connect = Callable[[], AbstractContextManager[DaskSimulationService]]


def run_tasks(
    tasks: Sequence[SimTask],
    *,
    connect: Connect | None,
    cache: ResultCache | None = None,
    use_cache: bool = True,
    on_row: Callable[[SweepRow], None] | None = None,
) -> list[SweepRow]:
    """Run every task (cache first); rows come back in the order of ``tasks``.

    ``connect()`` is entered only when some task is not cached, so a fully
    cached sweep starts no cluster; it may be None when every task is cached.
    """
    rows: dict[str, SweepRow] = {}
    pending: list[SimTask] = []
    seen: set[str] = set()
    for task in tasks:
        if task.task_id in seen:
            raise ValueError(f"task {task.task_id} is listed twice")
        seen.add(task.task_id)
        hit = None
        if cache is not None and use_cache:
            hit = cache.get(CacheKey(task.bundle_ref, task.param_id, task.seed))
        if cache is None or hit is None:
            pending.append(task)
            continue
        checksum, data = hit
        uri = cache.cas.uri_for(checksum)
        artifact = TableArtifact.from_uri(uri, checksum=checksum, size=len(data))
        result = SimReturn.from_task(task, {RESULT_TABLE: artifact}, {"cached": True})
        row = SweepRow(task, result, True, checksum, read_ipc(data))
        rows[task.task_id] = row
        if on_row is not None:
            on_row(row)
    if pending:
        if connect is None:
            raise ValueError(f"{len(pending)} tasks are not cached and there is no service")
        with connect() as service:
            for task, result in service.stream(pending):
                if task.task_id in rows:
                    raise RuntimeError(f"task {task.task_id} produced two results")
                row = _row(task, result, False, cache)
                if cache is not None and row.status in CACHEABLE_STATUSES:
                    key = CacheKey(task.bundle_ref, task.param_id, task.seed)
                    cache.put(key, _table_bytes(result, cache))
                rows[task.task_id] = row
                if on_row is not None:
                    on_row(row)
    missing = [task.task_id for task in tasks if task.task_id not in rows]
    if missing:
        raise RuntimeError(f"{len(missing)} tasks produced no result: {missing[:3]}")
    return [rows[task.task_id] for task in tasks]


def _row_values(row: SweepRow) -> dict[str, Any]:
    """One row as ``sweep_table`` lays it out (``cached``, ``result_sha256`` after the message)."""
    values: dict[str, Any] = {}
    for name, value in row.row.items():
        values[name] = value
        if name == "status_message":
            values["cached"] = row.cached
            values["result_sha256"] = row.checksum
    return values


class RowJournal:
    """Appends each row to a CSV file as it arrives: a killed sweep keeps every finished row.

    The header is the first row's columns (every row of one sweep has the same
    ones); each row is flushed and fsynced before the next is awaited.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None
        self._columns: list[str] = []

    def append(self, row: SweepRow) -> None:
        values = _row_values(row)
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", newline="", encoding="utf-8")
            self._columns = list(values)
            csv.writer(self._handle).writerow(self._columns)
        csv.writer(self._handle).writerow(csv_row(values, self._columns))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def sweep_table(rows: Sequence[SweepRow]) -> Any:
    """All rows as one ``pyarrow.Table``, plus ``cached`` and ``result_sha256`` columns."""
    table = stack([row.table for row in rows])
    if not rows:
        return table
    at = table.schema.get_field_index("status_message") + 1
    table = table.add_column(at, "cached", pa.array([row.cached for row in rows], pa.bool_()))
    return table.add_column(
        at + 1, "result_sha256", pa.array([row.checksum for row in rows], pa.string())
    )


def write_sweep(
    out_dir: Path, table: Any, summary: Mapping[str, Any], stem: str = "sweep"
) -> dict[str, Path]:
    """Write ``<stem>.arrow`` (Arrow IPC file), ``<stem>.csv``, ``<stem>.json`` to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "arrow": out_dir / f"{stem}.arrow",
        "csv": out_dir / f"{stem}.csv",
        "json": out_dir / f"{stem}.json",
    }
    tmp = paths["arrow"].with_suffix(".arrow.tmp")
    tmp.write_bytes(table_to_ipc_file(table))
    tmp.replace(paths["arrow"])
    tmp = paths["csv"].with_suffix(".csv.tmp")
    write_csv(table, tmp)
    tmp.replace(paths["csv"])
    paths["json"].write_text(json.dumps(dict(summary), indent=2, default=str) + "\n")
    return paths


@dataclass
class RunsOutcome:
    """What a batch of runs left (a sweep's or an optimisation's): the rows, in the order
    the points were asked for, their table, the files written and the wall time."""

    rows: list[SweepRow]
    table: Any
    paths: dict[str, Path]
    wall_seconds: float

    @property
    def cached(self) -> int:
        return sum(row.cached for row in self.rows)


@dataclass
class SweepOutcome(RunsOutcome):
    """What ``run_sweep`` did: rows in grid order, the table, the files written."""

    slug: str
    bundle_ref: str

    @property
    def ran(self) -> int:
        return len(self.rows) - self.cached

    @property
    def counts(self) -> dict[str, int]:
        return status_counts(self.rows)

    @property
    def ok(self) -> bool:
        return all(row.status == "success" for row in self.rows)


def status_counts(rows: Sequence[SweepRow]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return dict(sorted(counts.items()))


def environment_config(
    root: Path, out_dir: Path, timeout_seconds: float | None, bundle_ref: str, image: str | None
) -> EnvironmentConfig:
    """How every worker runs a task: run folders under ``out_dir/runs``; with an image,
    the pinned image by its ID (``bundle_ref``), never by a tag that may move."""
    return EnvironmentConfig(
        repo_root=str(Path(root).resolve()),
        run_root=str(out_dir / "runs"),
        timeout_seconds=timeout_seconds,
        image=bundle_ref if image else None,
    )


def connector(
    config: EnvironmentConfig,
    *,
    client: Client | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Connect:
    """How ``run_tasks`` gets a service: an existing client, a scheduler, or a LocalCluster."""
    if client is not None:
        service = DaskSimulationService(client, config)
        return lambda: nullcontext(service)

    @contextmanager
    def connect() -> Iterator[DaskSimulationService]:
        with dask_client(workers=workers, scheduler=scheduler) as new_client:
            yield DaskSimulationService(new_client, config)

    return connect


def run_sweep(
    root: Path,
    slug: str,
    specs: Sequence[str],
    *,
    out_dir: Path,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Client | None = None,
    cas_dir: Path | None = None,
    use_cache: bool = True,
    timeout_seconds: float | None = None,
    image: str | None = None,
    on_start: Callable[[int], None] | None = None,
    on_row: Callable[[SweepRow], None] | None = None,
) -> SweepOutcome:
    """Validate the grid, run it (cache first), write ``sweep.{arrow,csv,json}`` + ``bundle.json``.

    With ``image``, every point runs in that container image and is pinned
    (and cached) by the image's ID. Raises ``GridError`` (a bad ``-p``),
    ``ManifestError`` or ``ContainerError`` (``image``) before anything runs.
    """
    started = time.monotonic()
    bundles = WorkspaceBundles(root)
    manifest = bundles.manifest(slug)
    backend = manifest.load_backend()
    axes = parse_axes(specs, backend)
    points = build_grid(axes, backend)
    bundle_ref, description = resolve_bundle(bundles, slug, image)
    tasks = make_tasks(bundles, slug, points, seed, bundle_ref=bundle_ref)
    if on_start is not None:
        on_start(len(tasks))
    out_dir = out_dir.resolve()
    config = environment_config(root, out_dir, timeout_seconds, bundle_ref, image)
    cache = ResultCache(FileCAS(cas_dir)) if cas_dir is not None else None
    connect = connector(config, client=client, workers=workers, scheduler=scheduler)
    journal = RowJournal(out_dir / "sweep.csv")

    def arrived(row: SweepRow) -> None:
        journal.append(row)
        if on_row is not None:
            on_row(row)

    try:
        rows = run_tasks(tasks, connect=connect, cache=cache, use_cache=use_cache, on_row=arrived)
    finally:
        journal.close()
    table = sweep_table(rows)
    wall = time.monotonic() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bundle.json").write_text(json.dumps(description, indent=2) + "\n")
    summary = {
        "slug": slug,
        "entrypoint": entrypoint_for(manifest),
        "bundle_ref": bundle_ref,
        "image": image,
        "seed": seed,
        "grid": {axis.name: list(axis.values) for axis in axes},
        "points": len(rows),
        "ran": sum(not row.cached for row in rows),
        "cached": sum(row.cached for row in rows),
        "statuses": status_counts(rows),
        "wall_seconds": round(wall, 3),
        "cluster": scheduler or f"LocalCluster({workers or 2} workers)",
        "cas": str(cas_dir) if cas_dir is not None else None,
        "run_root": config.run_root,
    }
    paths = write_sweep(out_dir, table, summary)
    paths["bundle"] = out_dir / "bundle.json"
    return SweepOutcome(
        rows=rows, table=table, paths=paths, wall_seconds=wall, slug=slug, bundle_ref=bundle_ref
    )

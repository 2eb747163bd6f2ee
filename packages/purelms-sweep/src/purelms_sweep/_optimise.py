"""``AdaptiveAlgorithm``: find where one parameter makes an output meet a target.

``purelms optimise energyplus_single_zone --target heating_kwh<=3000
--vary wall_u_w_m2k=0.1..1.0`` asks: over this range of the wall U-value,
where does annual heating cross 3000 kWh, and which value is the closest to
the target while meeting it? ``ThresholdSearch`` answers by a **bracketing
search guided by interpolation** (regula falsi safeguarded by k-section):

1. Evaluate both ends of the range. If the output meets the target at both
   ends, or at neither, there is no crossing inside the range: stop and
   report the end closest to the target (and say which case it is).
2. Otherwise the crossing lies between them. Each round evaluates ``k``
   interior points of the current bracket (``k`` = the batch size ``ask`` is
   given, typically the number of workers): the linear interpolation of
   the crossing between the bracket's ends (aimed at the middle of the
   acceptance band, ``tol/2`` inside the target; Illinois-weighted, so a
   curved response is not approached from one side only), plus ``k - 1``
   evenly spaced points. It then keeps the sub-interval where
   ``output - target`` changes sign. Interpolation makes smooth responses
   converge in a few rounds; the evenly spaced points (with ``k = 1``: every
   other round a midpoint) guarantee the bracket at least halves every round
   or two, however curved or noisy the response.
3. ``finished()`` is true when a point meets the target within ``tol``
   (``|output - target| <= tol`` on the satisfying side), when the bracket is
   narrower than ``xtol``, when the evaluation ``budget`` is spent, or when a
   whole round failed (no information to narrow on).

It needs no derivatives, never leaves the given range, tolerates failed
evaluations (they are skipped; a failed end stops the search) and assumes only
that the output changes sign once across the range (monotonic responses such
as heating vs wall U-value, or any continuous one that crosses once).

Trials carry the output value in ``TrialResult.diagnostics["value"]``; the
loss is ``|value - target|`` (``COMPLETED``), and non-success runs are
``FAILED`` (``TIMEOUT`` for timed_out) with no loss. Operators: ``<=``,
``>=`` and ``=`` (met when within ``tol``).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa  # type: ignore[import-untyped]
from distributed import Client
from pydantic import ValidationError

from modelops_contracts import TrialResult, TrialStatus, UniqueParameterSet
from purelms_harness import format_number, model_outputs, model_parameters
from purelms_runtime import Backend
from purelms_shared import error_lines

from ._bundles import WorkspaceBundles
from ._cas import FileCAS, ResultCache
from ._grid import GridError, build_grid, parse_axes, unknown_name
from ._service import (
    DaskSimulationService,
    RowJournal,
    RunsOutcome,
    SweepRow,
    connector,
    environment_config,
    make_tasks,
    resolve_bundle,
    run_tasks,
    sweep_table,
    write_sweep,
)

__all__ = [
    "OptimiseOutcome",
    "Target",
    "ThresholdSearch",
    "Trial",
    "Vary",
    "parse_target",
    "parse_vary",
    "run_optimise",
    "trial_result",
]

Operator = Literal["<=", ">=", "="]
_TARGET = re.compile(
    r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)\s*(?P<op><=|>=|==|=)\s*(?P<value>[^\s=<>]+)\s*$"
)
_NUMERIC_OUTPUTS = ("number", "integer")


@dataclass(frozen=True, slots=True)
class Target:
    """``output op value``, e.g. ``heating_kwh <= 3000``, and the output's unit (``kWh``)."""

    output: str
    op: Operator
    value: float
    unit: str = ""

    def amount(self, value: float) -> str:
        """``value`` in the output's unit, as people write it: ``2,500 kWh``."""
        return f"{format_number(value)} {self.unit}".strip()

    def describe(self) -> str:
        """``heating_kwh <= 2,500 kWh``."""
        return f"{self.output} {self.op} {self.amount(self.value)}"

    def gap(self, observed: float) -> float:
        """``observed - value``: its sign says on which side of the target a point is."""
        return observed - self.value

    def met(self, observed: float, tol: float) -> bool:
        gap = self.gap(observed)
        if self.op == "<=":
            return gap <= 0
        if self.op == ">=":
            return gap >= 0
        return abs(gap) <= tol

    def __str__(self) -> str:
        return f"{self.output}{self.op}{self.value:g}"


@dataclass(frozen=True, slots=True)
class Vary:
    """The parameter searched over and its range."""

    name: str
    low: float
    high: float


def _number(flag: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise GridError(f"{flag}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise GridError(f"{flag}: {raw!r} is not a finite number")
    return value


def parse_target(spec: str, backend: Backend[Any, Any]) -> Target:
    """``NAME<=VALUE`` / ``NAME>=VALUE`` / ``NAME=VALUE`` over a numeric output."""
    match = _TARGET.match(spec)
    if match is None:
        raise GridError(
            f"--target {spec!r}: expected OUTPUT<=VALUE, OUTPUT>=VALUE or OUTPUT=VALUE "
            "(e.g. heating_kwh<=3000)"
        )
    name = match["name"]
    outputs = model_outputs(backend.outputs_model)
    numeric = [o["name"] for o in outputs if o["type"] in _NUMERIC_OUTPUTS]
    if name not in numeric:
        if any(o["name"] == name for o in outputs):
            raise GridError(
                f"--target {name}: output is not a number; numeric outputs: {', '.join(numeric)}"
            )
        raise unknown_name("--target", name, numeric, "numeric output", backend.slug)
    op: Operator = "=" if match["op"] in ("=", "==") else match["op"]  # type: ignore[assignment]
    unit = next((str(o.get("unit") or "") for o in outputs if o["name"] == name), "")
    return Target(name, op, _number(f"--target {name}", match["value"]), unit)


def _check_point(
    flag: str, backend: Backend[Any, Any], params: Mapping[str, Any], name: str
) -> None:
    try:
        backend.validate_parameters(params)
    except ValidationError as exc:
        line = error_lines(exc)[0]
        named, _, rule = line.partition(": ")
        if named == name:
            raise GridError(f"{flag}: {name}={params[name]!r}: {rule}") from None
        raise GridError(f"{flag}: {line}") from None


def parse_vary(
    spec: str, backend: Backend[Any, Any], fixed: Mapping[str, Any] | None = None
) -> Vary:
    """``NAME=LOW..HIGH`` over a number parameter; both ends must be valid parameters."""
    fixed = dict(fixed or {})
    name, sep, raw = spec.partition("=")
    name = name.strip()
    if not sep or not name or ".." not in raw:
        raise GridError(f"--vary {spec!r}: expected NAME=LOW..HIGH (e.g. wall_u_w_m2k=0.1..1.0)")
    entries = {e["name"]: e for e in model_parameters(backend.parameters_model)}
    if name not in entries:
        raise unknown_name("--vary", name, list(entries), "parameter", backend.slug)
    if entries[name]["type"] != "number":
        numbers = [n for n, e in entries.items() if e["type"] == "number"]
        raise GridError(
            f"--vary {name}: a {entries[name]['type']} parameter cannot be searched; "
            f"number parameters: {', '.join(numbers)}"
        )
    if name in fixed:
        raise GridError(f"--vary {name}: also given with -p; give it once")
    low_raw, _, high_raw = raw.partition("..")
    low = _number(f"--vary {name}", low_raw.strip())
    high = _number(f"--vary {name}", high_raw.strip())
    if not low < high:
        raise GridError(f"--vary {name}={raw}: LOW must be smaller than HIGH")
    for end in (low, high):
        _check_point(f"--vary {name}={raw}", backend, {**fixed, name: end}, name)
    return Vary(name, low, high)


@dataclass(slots=True)
class Trial:
    """One evaluated point of the search."""

    x: float
    param_id: str
    status: TrialStatus
    value: float | None
    met: bool
    round: int


def trial_result(param_id: str, row: Mapping[str, Any], target: Target, tol: float) -> TrialResult:
    """The ``TrialResult`` of one result row (``_sweep_table`` layout) for ``target``."""
    status = str(row.get("status"))
    value = row.get(target.output, row.get(f"output.{target.output}"))
    if status == "success" and isinstance(value, (int, float)) and math.isfinite(value):
        observed = float(value)
        return TrialResult(
            param_id=param_id,
            loss=abs(target.gap(observed)),
            status=TrialStatus.COMPLETED,
            diagnostics={"value": observed, "met": target.met(observed, tol)},
        )
    message = str(row.get("status_message") or "")[:2000]
    return TrialResult(
        param_id=param_id,
        loss=None,
        status=TrialStatus.TIMEOUT if status == "timed_out" else TrialStatus.FAILED,
        diagnostics={"status": status, "message": message},
    )


class ThresholdSearch:
    """Bracketing k-section search for ``target`` over ``vary`` (see the module docstring).

    Implements ``modelops_contracts.AdaptiveAlgorithm``. ``tol`` defaults to
    0.5 % of the target value, ``xtol`` to 0.1 % of the range.
    """

    def __init__(
        self,
        vary: Vary,
        target: Target,
        fixed: Mapping[str, Any] | None = None,
        *,
        budget: int = 12,
        tol: float | None = None,
        xtol: float | None = None,
    ) -> None:
        if budget < 2:
            raise GridError(f"--budget {budget}: needs at least 2 evaluations (both ends)")
        if tol is not None and not tol >= 0:
            raise GridError(f"--tol {tol}: must be >= 0")
        self.vary = vary
        self.target = target
        self.fixed = dict(fixed or {})
        self.budget = budget
        self.tol: float = tol if tol is not None else max(abs(target.value) * 0.005, 1e-9)
        self.xtol: float = xtol if xtol is not None else (vary.high - vary.low) * 1e-3
        self.trials: list[Trial] = []
        #: Why the search stopped; empty while it runs.
        self.reason = ""
        self.bracket: tuple[float, float] | None = None
        self._weighted: dict[float, float] = {}
        self._kept: dict[float, int] = {}
        self._asked: dict[str, float] = {}
        self._round = 0

    # -- AdaptiveAlgorithm -------------------------------------------------------------

    def ask(self, n: int) -> list[UniqueParameterSet]:
        """Up to ``n`` points: the two ends first, then ``n`` interior points per round."""
        if self.finished() or self._asked or n < 1:
            return []
        left = self.budget - len(self.trials)
        if self.bracket is None:
            done = {t.x for t in self.trials}
            xs = [x for x in (self.vary.low, self.vary.high) if x not in done][: min(n, left)]
        else:
            low, high = self.bracket
            xs = sorted({x for x in self._interior(min(n, left)) if low < x < high})
        sets = []
        for x in xs:
            params = UniqueParameterSet.from_dict({**self.fixed, self.vary.name: x})
            self._asked[params.param_id] = x
            sets.append(params)
        if sets:
            self._round += 1
        return sets

    def tell(self, results: Sequence[TrialResult]) -> None:
        """Record the asked points' results (matched by ``param_id``) and narrow the bracket."""
        fresh: list[Trial] = []
        for result in results:
            x = self._asked.pop(result.param_id, None)
            if x is None:
                continue  # not asked, or told twice: ignored rather than counted twice
            value = result.diagnostics.get("value") if result.loss is not None else None
            observed = float(value) if isinstance(value, (int, float)) else None
            trial = Trial(
                x=x,
                param_id=result.param_id,
                status=result.status,
                value=observed,
                met=observed is not None and self.target.met(observed, self.tol),
                round=self._round,
            )
            fresh.append(trial)
            self.trials.append(trial)
        self._asked.clear()  # asked but never told: given up
        self._update(fresh)

    def finished(self) -> bool:
        return bool(self.reason)

    # -- search state ------------------------------------------------------------------

    def _interior(self, k: int) -> list[float]:
        """``k`` points inside the bracket: the interpolated crossing, then evenly spaced."""
        if self.bracket is None:
            return []
        low, high = self.bracket
        width = high - low
        xs: list[float] = []
        guess = self._interpolate()
        if guess is not None and (k > 1 or self._round % 2 == 0):
            xs.append(guess)
        spread = k - len(xs)
        xs += [low + width * i / (spread + 1) for i in range(1, spread + 1)]
        return [_tidy(x) for x in xs]

    def _interpolate(self) -> float | None:
        """Where the line between the bracket's (weighted) ends reaches the aim, kept inside."""
        if self.bracket is None:
            return None
        low, high = self.bracket
        f_low, f_high = self._weighted.get(low), self._weighted.get(high)
        if f_low is None or f_high is None or f_low == f_high:
            return None
        x = low + (high - low) * f_low / (f_low - f_high)
        margin = (high - low) * 0.02
        return min(max(x, low + margin), high - margin)

    def _aim_gap(self, trial: Trial) -> float:
        """``value - aim``, the aim being the middle of the acceptance band."""
        shift = {"<=": -self.tol / 2, ">=": self.tol / 2, "=": 0.0}[self.target.op]
        return self._gap(trial) - shift

    def _set_bracket(self, left: Trial, right: Trial) -> None:
        # Illinois rule: an end kept from the previous bracket twice in a row has its weight
        # halved, so the interpolation does not creep towards a curved response's crossing
        # from one side only.
        previous, kept_before = self._weighted, self._kept
        self._weighted, self._kept = {}, {}
        for end in (left, right):
            if self.bracket is not None and end.x in self.bracket and end.x in previous:
                self._kept[end.x] = kept_before.get(end.x, 0) + 1
                weight = previous[end.x] / 2 if self._kept[end.x] >= 2 else previous[end.x]
                self._weighted[end.x] = weight
            else:
                self._weighted[end.x] = self._aim_gap(end)
        self.bracket = (left.x, right.x)

    def _good(self) -> list[Trial]:
        return sorted((t for t in self.trials if t.value is not None), key=lambda t: t.x)

    def _gap(self, trial: Trial) -> float:
        return self.target.gap(trial.value if trial.value is not None else math.nan)

    def _update(self, fresh: Sequence[Trial]) -> None:
        if self.bracket is None:
            self._update_ends()
        elif fresh and all(t.value is None for t in fresh):
            self.reason = "every run of the last round failed"
        else:
            self._narrow()
        if any(t.met and abs(self._gap(t)) <= self.tol for t in fresh):
            self.reason = (
                f"a run met the target within the tolerance of {self.target.amount(self.tol)}"
            )
        if not self.reason and len(self.trials) >= self.budget:
            self.reason = f"the budget of {self.budget} runs is spent"

    def _update_ends(self) -> None:
        ends = {t.x: t for t in self.trials if t.x in (self.vary.low, self.vary.high)}
        if len(ends) < 2:
            return  # ask(1) evaluates one end at a time
        low, high = ends[self.vary.low], ends[self.vary.high]
        failed = [t for t in (low, high) if t.value is None]
        if failed:
            self.reason = f"the run at {self.vary.name}={failed[0].x:g} failed"
        elif low.met and high.met and self.target.op != "=":
            self.reason = f"the target is met over the whole range of {self.vary.name}"
        elif self._gap(low) * self._gap(high) > 0:
            self.reason = f"the target is not crossed within the range of {self.vary.name}"
        else:
            self._set_bracket(low, high)
            self._check_width()

    def _narrow(self) -> None:
        if self.bracket is None:
            return
        low, high = self.bracket
        inside = [t for t in self._good() if low <= t.x <= high]
        for left, right in itertools.pairwise(inside):
            if self._gap(left) * self._gap(right) <= 0:
                self._set_bracket(left, right)
                break
        self._check_width()

    def _check_width(self) -> None:
        if self.bracket is not None and self.bracket[1] - self.bracket[0] <= self.xtol:
            self.reason = (
                f"the part of the range left to search is narrower than "
                f"{format_number(self.xtol)} in {self.vary.name}"
            )

    # -- answer ------------------------------------------------------------------------

    def best(self) -> Trial | None:
        """The point meeting the target closest to it; else the closest point overall."""
        good = self._good()
        met = [t for t in good if t.met]
        candidates = met or good
        return min(candidates, key=lambda t: abs(self._gap(t))) if candidates else None


def _tidy(x: float) -> float:
    """``x`` to 10 significant digits: readable parameter values, stable ``param_id``s."""
    return float(f"{x:.10g}")


@dataclass
class OptimiseOutcome(RunsOutcome):
    """What ``run_optimise`` did: the search (trials, best, reason), its rows and files."""

    search: ThresholdSearch


def fixed_parameters(specs: Sequence[str], backend: Backend[Any, Any]) -> dict[str, Any]:
    """``-p NAME=VALUE`` (one value each) for an optimisation, coerced by the model."""
    axes = parse_axes(specs, backend)
    for axis in axes:
        if len(axis.values) != 1:
            raise GridError(f"-p {axis.name}: give one value when optimising (a fixed parameter)")
    points = build_grid(axes, backend)
    return dict(points[0]) if points else {}


def run_optimise(
    root: Path,
    slug: str,
    *,
    target: str,
    vary: str,
    fixed: Sequence[str] = (),
    out_dir: Path,
    budget: int = 12,
    tol: float | None = None,
    batch: int | None = None,
    seed: int = 0,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Client | None = None,
    cas_dir: Path | None = None,
    use_cache: bool = True,
    timeout_seconds: float | None = None,
    image: str | None = None,
    on_round: Callable[[list[Trial]], None] | None = None,
    on_start: Callable[[ThresholdSearch], None] | None = None,
) -> OptimiseOutcome:
    """Drive ``ThresholdSearch`` through the simulation service until ``finished()``.

    Each round asks for ``batch`` points (default: the number of workers),
    runs them as one batch (cache first, like a sweep) and tells the
    results. Writes ``optimise.{arrow,csv,json}`` and ``bundle.json``.
    Raises ``GridError``/``ManifestError`` before anything runs.
    """
    started = time.monotonic()
    bundles = WorkspaceBundles(root)
    manifest = bundles.manifest(slug)
    backend = manifest.load_backend()
    fixed_params = fixed_parameters(fixed, backend)
    goal = parse_target(target, backend)
    varied = parse_vary(vary, backend, fixed_params)
    search = ThresholdSearch(varied, goal, fixed_params, budget=budget, tol=tol)
    if on_start is not None:
        on_start(search)
    bundle_ref, description = resolve_bundle(bundles, slug, image)
    out_dir = out_dir.resolve()
    config = environment_config(root, out_dir, timeout_seconds, bundle_ref, image)
    cache = ResultCache(FileCAS(cas_dir)) if cas_dir is not None else None
    base = connector(config, client=client, workers=workers, scheduler=scheduler)
    per_round = batch or workers or 2
    rows: list[SweepRow] = []
    rounds: list[int] = []
    journal = RowJournal(out_dir / "optimise.csv")  # every evaluation on disk as it arrives
    with ExitStack() as stack:
        stack.callback(journal.close)
        services: list[DaskSimulationService] = []

        def connect() -> AbstractContextManager[DaskSimulationService]:
            if not services:  # start the cluster on the first cache miss, keep it after
                services.append(stack.enter_context(base()))
            return nullcontext(services[0])

        while not search.finished():
            asked = search.ask(per_round)
            if not asked:
                search.reason = search.reason or "the search asked for no more points"
                break
            points = [p.to_dict() for p in asked]
            tasks = make_tasks(bundles, slug, points, seed, bundle_ref=bundle_ref)
            round_rows = run_tasks(
                tasks, connect=connect, cache=cache, use_cache=use_cache, on_row=journal.append
            )
            before = len(search.trials)
            search.tell(
                [
                    trial_result(task.param_id, row.row, goal, search.tol)
                    for task, row in zip(tasks, round_rows, strict=True)
                ]
            )
            rows.extend(round_rows)
            rounds.extend([search.trials[-1].round] * len(round_rows))
            if on_round is not None:
                on_round(search.trials[before:])
    table = sweep_table(rows)
    if rows:
        table = table.add_column(0, "round", pa.array(rounds, pa.int64()))
    best = search.best()
    wall = time.monotonic() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bundle.json").write_text(json.dumps(description, indent=2) + "\n")
    summary = {
        "slug": slug,
        "bundle_ref": bundle_ref,
        "image": image,
        "target": str(goal),
        "unit": goal.unit,
        "vary": {"name": varied.name, "low": varied.low, "high": varied.high},
        "fixed": fixed_params,
        "budget": budget,
        "tol": search.tol,
        "xtol": search.xtol,
        "evaluations": len(search.trials),
        "cached": sum(row.cached for row in rows),
        "stopped": search.reason,
        "bracket": list(search.bracket) if search.bracket else None,
        "best": None
        if best is None
        else {"x": best.x, "value": best.value, "met": best.met, "param_id": best.param_id},
        "wall_seconds": round(wall, 3),
    }
    paths = write_sweep(out_dir, table, summary, stem="optimise")
    paths["bundle"] = out_dir / "bundle.json"
    return OptimiseOutcome(rows=rows, table=table, paths=paths, wall_seconds=wall, search=search)

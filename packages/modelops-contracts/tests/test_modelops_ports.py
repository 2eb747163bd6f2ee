"""Ports: in-memory adapters satisfy them structurally and compose end to end."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelops_contracts import (
    CAS,
    AdaptiveAlgorithm,
    BundleRepository,
    ExecutionEnvironment,
    SimReturn,
    SimTask,
    SimulationService,
    TableArtifact,
    TaskHandle,
    TrialResult,
    TrialStatus,
    UniqueParameterSet,
    WireFunction,
)

BUNDLE = "sha256:" + "b" * 64


def toy_model(entrypoint: str, params: Mapping[str, Any], seed: int) -> Mapping[str, bytes]:
    """A WireFunction: deterministic fake 'Arrow' bytes from plain inputs."""
    rng = random.Random(seed)
    value = params["x"] ** 2 + rng.random() * 1e-3
    return {"loss": repr(value).encode(), "echo": entrypoint.encode()}


class InMemoryCAS:
    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def put(self, data: bytes) -> str:
        checksum = hashlib.sha256(data).hexdigest()
        self._blobs[checksum] = bytes(data)
        return checksum

    def get(self, checksum: str) -> bytes:
        return self._blobs[checksum]

    def exists(self, checksum: str) -> bool:
        return checksum in self._blobs


class DirectoryBundles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def ensure_local(self, bundle_ref: str) -> Path:
        path = self.root / bundle_ref.replace(":", "-")
        path.mkdir(parents=True, exist_ok=True)
        return path

    def exists(self, bundle_ref: str) -> bool:
        return (self.root / bundle_ref.replace(":", "-")).is_dir()


class LocalEnvironment:
    """ExecutionEnvironment: runs a WireFunction, big tables go to the CAS."""

    def __init__(self, fn: WireFunction, cas: CAS, bundles: BundleRepository) -> None:
        self.fn, self.cas, self.bundles = fn, cas, bundles
        self.open = True

    def run(self, task: SimTask) -> SimReturn:
        self.bundles.ensure_local(task.bundle_ref)
        raw = self.fn(task.entrypoint, task.params.to_dict(), task.seed)
        outputs: dict[str, TableArtifact] = {}
        for name, data in raw.items():
            if task.outputs is not None and name not in task.outputs:
                continue
            if len(data) > 8:
                checksum = self.cas.put(data)
                outputs[name] = TableArtifact.from_uri(
                    f"cas:{checksum}", checksum=checksum, size=len(data)
                )
            else:
                outputs[name] = TableArtifact.from_bytes(data)
        return SimReturn.from_task(task, outputs, {"env": "local"})

    def health_check(self) -> bool:
        return self.open

    def shutdown(self) -> None:
        self.open = False


@dataclass(frozen=True)
class LocalHandle:
    task_id: str
    result: SimReturn


class LocalService:
    """SimulationService[LocalHandle]: runs eagerly, gathers in handle order."""

    def __init__(self, env: ExecutionEnvironment) -> None:
        self.env = env

    def submit(self, task: SimTask) -> LocalHandle:
        return LocalHandle(task.task_id, self.env.run(task))

    def submit_batch(self, tasks: Sequence[SimTask]) -> list[LocalHandle]:
        return [self.submit(task) for task in tasks]

    def gather(self, handles: Sequence[LocalHandle]) -> list[SimReturn]:
        return [handle.result for handle in handles]


class RandomSearch:
    """AdaptiveAlgorithm: a fixed budget of random points, remembers the best."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.rng = random.Random(0)
        self.best: TrialResult | None = None
        self.told = 0

    def ask(self, n: int) -> list[UniqueParameterSet]:
        n = min(n, self.budget - self.told)
        return [UniqueParameterSet.from_dict({"x": self.rng.uniform(-1, 1)}) for _ in range(n)]

    def tell(self, results: Sequence[TrialResult]) -> None:
        for result in results:
            self.told += 1
            if result.status is TrialStatus.COMPLETED and (
                self.best is None or (result.loss or 0.0) < (self.best.loss or 0.0)
            ):
                self.best = result

    def finished(self) -> bool:
        return self.told >= self.budget


def test_adapters_satisfy_the_ports(tmp_path: Path) -> None:
    cas = InMemoryCAS()
    bundles = DirectoryBundles(tmp_path)
    env = LocalEnvironment(toy_model, cas, bundles)
    # Static conformance (checked by mypy) and runtime conformance.
    typed_service: SimulationService[LocalHandle] = LocalService(env)
    typed_env: ExecutionEnvironment = env
    typed_cas: CAS = cas
    typed_bundles: BundleRepository = bundles
    typed_fn: WireFunction = toy_model
    typed_algorithm: AdaptiveAlgorithm = RandomSearch(3)
    assert isinstance(typed_service, SimulationService)
    assert isinstance(typed_env, ExecutionEnvironment)
    assert isinstance(typed_cas, CAS)
    assert isinstance(typed_bundles, BundleRepository)
    assert isinstance(typed_fn, WireFunction)
    assert isinstance(typed_algorithm, AdaptiveAlgorithm)
    assert isinstance(LocalHandle("0" * 64, SimReturn("0" * 64, "0" * 64, {})), TaskHandle)


@pytest.mark.parametrize(
    "port",
    [
        SimulationService,
        ExecutionEnvironment,
        BundleRepository,
        CAS,
        AdaptiveAlgorithm,
        TaskHandle,
    ],
)
def test_unrelated_objects_do_not_satisfy_ports(port: type) -> None:
    assert not isinstance(object(), port)


def read_table(artifact: TableArtifact, cas: CAS) -> bytes:
    data = artifact.inline if artifact.inline is not None else cas.get(artifact.checksum)
    artifact.verify(data)
    return data


def test_calibration_loop_end_to_end(tmp_path: Path) -> None:
    cas = InMemoryCAS()
    service = LocalService(LocalEnvironment(toy_model, cas, DirectoryBundles(tmp_path)))
    algorithm = RandomSearch(budget=6)
    rounds = 0
    while not algorithm.finished():
        rounds += 1
        asked = algorithm.ask(4)
        tasks = [
            SimTask.from_components(
                import_path="toy.models.Square",
                scenario="default",
                bundle_ref=BUNDLE,
                params=params,
                seed=seed,
                outputs=["loss"],
            )
            for params in asked
            for seed in (1, 2)
        ]
        handles = service.submit_batch(tasks)
        assert [handle.task_id for handle in handles] == [task.task_id for task in tasks]
        returns = service.gather(handles)
        results = []
        for params in asked:
            mine = [ret for ret in returns if ret.param_id == params.param_id]
            assert len(mine) == 2
            losses = [float(read_table(ret.outputs["loss"], cas)) for ret in mine]
            assert all(set(ret.outputs) == {"loss"} for ret in mine)
            results.append(
                TrialResult(
                    param_id=params.param_id,
                    loss=sum(losses) / len(losses),
                    status=TrialStatus.COMPLETED,
                    diagnostics={"seeds": len(losses)},
                )
            )
        algorithm.tell(results)
    assert rounds == 2
    assert algorithm.best is not None


def test_large_outputs_travel_by_reference(tmp_path: Path) -> None:
    cas = InMemoryCAS()
    env = LocalEnvironment(toy_model, cas, DirectoryBundles(tmp_path))
    task = SimTask.from_components(
        import_path="toy.models.Square",
        scenario="default",
        bundle_ref=BUNDLE,
        params={"x": 0.5},
        seed=3,
    )
    ret = env.run(task)
    assert env.health_check()
    echo = ret.outputs["echo"]
    assert not echo.is_inline
    assert echo.uri == f"cas:{echo.checksum}"
    assert cas.exists(echo.checksum)
    echo.verify(cas.get(echo.checksum))
    assert cas.get(echo.checksum) == b"toy.models.Square/default"
    env.shutdown()
    assert not env.health_check()

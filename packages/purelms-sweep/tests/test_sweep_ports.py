"""The modelops ports in purelms-runtime without a cluster: CAS, bundles, execution environment."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from modelops_contracts import (
    CAS,
    BundleRepository,
    ExecutionEnvironment,
    SimReturn,
    SimTask,
    SimulationService,
)
from purelms_harness import find_repo_root
from purelms_sweep._bundles import (
    BundleNotFound,
    WorkspaceBundles,
    bundle_ref_of,
    entrypoint_for,
)
from purelms_sweep._cas import CacheKey, CorruptObject, FileCAS, ResultCache
from purelms_sweep._execution import EnvironmentConfig, HarnessExecutionEnvironment
from purelms_sweep._service import DaskSimulationService
from purelms_sweep._table import RESULT_TABLE, read_ipc

REPO = find_repo_root(Path(__file__))


# -- CAS ---------------------------------------------------------------------------------


def test_file_cas_is_the_cas_port_and_round_trips(tmp_path: Path) -> None:
    cas = FileCAS(tmp_path)
    assert isinstance(cas, CAS)
    checksum = cas.put(b"hello")
    assert checksum == hashlib.sha256(b"hello").hexdigest()
    assert cas.exists(checksum)
    assert cas.get(checksum) == b"hello"
    assert cas.put(b"hello") == checksum  # idempotent
    assert cas.path_for(checksum) == tmp_path / "objects" / checksum[:2] / checksum[2:]
    assert cas.uri_for(checksum) == f"cas:{checksum}"
    missing = "0" * 64
    assert not cas.exists(missing)
    with pytest.raises(KeyError):
        cas.get(missing)
    with pytest.raises(ValueError, match="64 lowercase hex"):
        cas.get("ABC")


def test_file_cas_verifies_on_read_and_moves_a_corrupt_object_aside(tmp_path: Path) -> None:
    cas = FileCAS(tmp_path)
    checksum = cas.put(b"the real bytes")
    cas.path_for(checksum).write_bytes(b"the wrong bytes")
    with pytest.raises(CorruptObject, match=f"CAS object {checksum} is corrupt"):
        cas.get(checksum)
    assert not cas.exists(checksum), "a corrupt object must not keep answering"
    assert len(list((tmp_path / "corrupt").iterdir())) == 1
    assert cas.put(b"the real bytes") == checksum  # the store repairs itself
    assert cas.get(checksum) == b"the real bytes"


def test_file_cas_concurrent_puts_leave_one_whole_object_and_no_temp_files(tmp_path: Path) -> None:
    cas = FileCAS(tmp_path)
    data = os.urandom(1 << 20)
    with ThreadPoolExecutor(8) as pool:
        checksums = set(pool.map(lambda _: FileCAS(tmp_path).put(data), range(16)))
    assert checksums == {hashlib.sha256(data).hexdigest()}
    assert cas.get(checksums.pop()) == data
    files = [p for p in (tmp_path / "objects").rglob("*") if p.is_file()]
    assert len(files) == 1, files


def test_result_cache_keys_on_bundle_param_id_and_seed(tmp_path: Path) -> None:
    cache = ResultCache(FileCAS(tmp_path))
    key = CacheKey("sha256:" + "a" * 64, "b" * 64, 0)
    assert cache.get(key) is None
    checksum = cache.put(key, b"table bytes")
    assert cache.get(key) == (checksum, b"table bytes")
    assert ResultCache(FileCAS(tmp_path)).get(key) == (checksum, b"table bytes")  # persistent
    for other in (
        CacheKey("sha256:" + "c" * 64, "b" * 64, 0),
        CacheKey("sha256:" + "a" * 64, "d" * 64, 0),
        CacheKey("sha256:" + "a" * 64, "b" * 64, 1),
    ):
        assert cache.get(other) is None
    FileCAS(tmp_path).path_for(checksum).unlink()
    assert cache.get(key) is None, "an entry whose object is gone is a miss"


# -- bundles -----------------------------------------------------------------------------


def test_workspace_bundles_is_the_port_and_digests_are_stable(tmp_path: Path) -> None:
    bundles = WorkspaceBundles(REPO)
    assert isinstance(bundles, BundleRepository)
    ref = bundles.bundle_ref("echo")
    assert ref.startswith("sha256:")
    assert len(ref) == 71
    assert WorkspaceBundles(REPO).bundle_ref("echo") == ref
    code = "import purelms_sweep._bundles as b; print(b.WorkspaceBundles('.').bundle_ref('echo'))"
    other_process = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "123"},
    )
    assert other_process.stdout.strip() == ref
    assert bundles.ensure_local(ref) == REPO / "backends" / "echo"
    assert bundles.exists(ref)
    assert bundles.bundle_ref("energyplus_single_zone") != ref
    unknown = "sha256:" + "0" * 64
    assert not bundles.exists(unknown)
    with pytest.raises(BundleNotFound, match="is not a backend of"):
        bundles.ensure_local(unknown)


def test_bundle_description_covers_the_code_that_can_change_a_result() -> None:
    description = WorkspaceBundles(REPO).describe("echo")
    distributions = description["distributions"]
    # The backend, the runtime and the wire contract by their source files ...
    assert "src/purelms_echo/_echo.py" in distributions["purelms-echo"]["files"]
    assert "src/purelms_runtime/_supervisor.py" in distributions["purelms-runtime"]["files"]
    assert "pyproject.toml" in distributions["purelms-shared"]["files"]
    # ... and third-party dependencies by version.
    assert "files" not in distributions["pydantic"]
    assert distributions["pydantic"]["version"]
    assert not any("__pycache__" in f for d in distributions.values() for f in d.get("files", {}))
    # One changed file, one changed digest.
    edited = {**description, "distributions": {**distributions}}
    echo = dict(distributions["purelms-echo"])
    echo["files"] = {**echo["files"], "src/purelms_echo/_echo.py": "0" * 64}
    edited["distributions"]["purelms-echo"] = echo
    assert bundle_ref_of(edited) != bundle_ref_of(description)


# -- execution environment ----------------------------------------------------------------


@pytest.fixture
def environment(tmp_path: Path) -> Iterator[HarnessExecutionEnvironment]:
    env = HarnessExecutionEnvironment(EnvironmentConfig(str(REPO), str(tmp_path / "runs")))
    yield env
    env.shutdown()


def echo_task(env: HarnessExecutionEnvironment, seed: int = 0, **params: object) -> SimTask:
    manifest = env.bundles.manifest("echo")
    import_path, scenario = entrypoint_for(manifest).split("/")
    return SimTask.from_components(
        import_path=import_path,
        scenario=scenario,
        bundle_ref=env.bundles.bundle_ref("echo"),
        params=params,
        seed=seed,
    )


def row_of(result: SimReturn) -> dict[str, Any]:
    data = result.outputs[RESULT_TABLE].inline
    assert data is not None
    rows: list[dict[str, Any]] = read_ipc(data).to_pylist()
    assert len(rows) == 1
    return rows[0]


def test_environment_runs_a_task_through_the_harness(
    environment: HarnessExecutionEnvironment,
) -> None:
    assert isinstance(environment, ExecutionEnvironment)
    assert environment.health_check()
    task = echo_task(environment, seed=7, message="hi", repeat=2)
    assert task.entrypoint == "purelms_echo.backend/echo"
    result = environment.run(task)
    assert (result.task_id, result.param_id) == (task.task_id, task.param_id)
    artifact = result.outputs[RESULT_TABLE]
    artifact.verify()
    assert artifact.inline is not None
    table = read_ipc(artifact.inline)
    assert table.num_rows == 1
    row = table.to_pylist()[0]
    assert row["status"] == "success"
    assert row["status_message"] == ""
    assert row["echoed_parameters"] == '{"message":"hi","repeat":2}'
    # echo's schema is open: its parameters are JSON text columns (text stays text)
    assert (row["message"], row["repeat"], row["seed"]) == ("hi", "2", 7)
    assert row["param_id"] == task.param_id
    run_dir = Path(row["run_dir"])
    assert (run_dir / "output" / "output.json").is_file()
    assert (run_dir / "evidence.json").is_file()
    assert result.metadata["status"] == "success"


def test_failed_runs_are_rows_with_status_and_message(
    environment: HarnessExecutionEnvironment,
) -> None:
    row = row_of(environment.run(echo_task(environment, fail_with="simulation")))
    assert row["status"] == "failed_simulation"
    assert "forced simulation failure" in row["status_message"]
    assert row["echoed_parameters"] is None

    row = row_of(environment.run(echo_task(environment, delay_seconds=999)))
    assert row["status"] == "failed_runtime"
    assert "ECHO.RESERVED: parameters.delay_seconds: must be a number" in row["status_message"]


def test_a_task_pinned_to_other_code_is_refused_not_run(
    environment: HarnessExecutionEnvironment,
) -> None:
    good = echo_task(environment)
    stale = SimTask(
        entrypoint=good.entrypoint, bundle_ref="sha256:" + "1" * 64, params=good.params, seed=0
    )
    row = row_of(environment.run(stale))
    assert row["status"] == "error"
    assert "BundleNotFound" in row["status_message"]
    assert row["run_dir"] == ""


def test_environment_is_unusable_after_shutdown(tmp_path: Path) -> None:
    env = HarnessExecutionEnvironment(EnvironmentConfig(str(REPO), str(tmp_path)))
    env.shutdown()
    assert not env.health_check()
    assert env.run(echo_task(env)).metadata["status"] == "error"


def test_dask_service_satisfies_the_port_by_name() -> None:
    assert issubclass(DaskSimulationService, SimulationService)


def test_sweep_names_are_exported_but_imported_lazily() -> None:
    code = (
        "import sys, purelms_sweep as p\n"
        "assert 'distributed' not in sys.modules and 'pyarrow' not in sys.modules\n"
        "for name in p.__all__: getattr(p, name)\n"
        "assert 'distributed' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_rows_whose_column_types_clash_still_stack_as_json_strings() -> None:
    """A row built without its manifest (parameters as JSON strings) beside typed rows."""
    import pyarrow as pa  # type: ignore[import-untyped]

    from purelms_sweep._table import stack

    typed = pa.table({"status": ["success"], "delay_seconds": pa.array([0.5], pa.float64())})
    untyped = pa.table({"status": ["error"], "delay_seconds": ["0.25"]})
    empty = pa.table({"status": ["error"], "delay_seconds": pa.array([None], pa.float64())})
    table = stack([typed, untyped, empty])
    assert table.schema.field("delay_seconds").type == pa.string()
    assert table.column("delay_seconds").to_pylist() == ["0.5", "0.25", None]
    assert table.column("status").to_pylist() == ["success", "error", "error"]

"""Sweeps and optimisation on a real Dask LocalCluster of 2 worker processes (echo, EnergyPlus)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pyarrow.ipc as pa_ipc  # type: ignore[import-untyped]
import pytest
from distributed import Client

from purelms_harness import find_repo_root
from purelms_harness.cli import main
from purelms_sweep._optimise import OptimiseOutcome, run_optimise
from purelms_sweep._service import dask_client, run_sweep

REPO = find_repo_root(Path(__file__))


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with dask_client(workers=2) as new_client:
        yield new_client


def read_arrow(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = pa_ipc.open_file(path.read_bytes()).read_all().to_pylist()
    return rows


def test_cli_sweep_runs_the_grid_in_parallel_then_serves_it_from_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cas = tmp_path / "cas"
    first, second = tmp_path / "first", tmp_path / "second"
    grid = ["-p", "message=a,b,c", "-p", "repeat=1,2"]
    code = main(
        [
            "--root",
            str(REPO),
            "sweep",
            "echo",
            *grid,
            "--workers",
            "2",
            "--out",
            str(first),
            "--cas",
            str(cas),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "6 points: 6 ran, 0 from cache (6 success)" in captured.out
    assert "6/6" in captured.err  # the progress bar

    rows = read_arrow(first / "sweep.arrow")
    assert [(r["message"], r["repeat"]) for r in rows] == [(m, r) for m in "abc" for r in "12"], (
        "rows come back in grid order, whatever order they completed in"
    )
    assert [r["echoed_parameters"] for r in rows] == [
        f'{{"message":"{m}","repeat":{r}}}' for m in "abc" for r in (1, 2)
    ], "an object output is a canonical JSON string column"
    assert {r["echoed_backend_slug"] for r in rows} == {"echo"}
    assert {r["status"] for r in rows} == {"success"}
    assert len({r["param_id"] for r in rows}) == 6
    assert len({r["worker"] for r in rows}) == 2, "both worker processes ran tasks"
    assert not any(r["cached"] for r in rows)
    with (first / "sweep.csv").open() as handle:
        csv_rows = list(csv.DictReader(handle))
    assert [c["param_id"] for c in csv_rows] == [r["param_id"] for r in rows]
    assert csv_rows[1]["echoed_parameters"] == '{"message":"a","repeat":2}'
    assert len(list((first / "runs").iterdir())) == 6
    assert (first / "bundle.json").is_file()

    code = main(
        ["--root", str(REPO), "sweep", "echo", *grid, "--out", str(second), "--cas", str(cas)]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "6 points: 0 ran, 6 from cache (6 success)" in captured.out
    cached = read_arrow(second / "sweep.arrow")
    assert all(r["cached"] for r in cached)
    assert not (second / "runs").exists(), "a cached sweep runs nothing"
    strip = {"cached"}
    assert [{k: v for k, v in r.items() if k not in strip} for r in cached] == [
        {k: v for k, v in r.items() if k not in strip} for r in rows
    ]


def test_failures_are_rows_and_only_deterministic_outcomes_are_cached(
    client: Client, tmp_path: Path
) -> None:
    cas = tmp_path / "cas"
    specs = ["fail_with=nothing,simulation,runtime"]
    outcome = run_sweep(REPO, "echo", specs, out_dir=tmp_path / "a", client=client, cas_dir=cas)
    assert [r.status for r in outcome.rows] == ["success", "failed_simulation", "failed_runtime"]
    assert "forced runtime failure" in str(outcome.rows[2].row["status_message"])
    assert outcome.rows[1].row["echoed_backend_slug"] is None
    assert not outcome.ok
    again = run_sweep(REPO, "echo", specs, out_dir=tmp_path / "b", client=client, cas_dir=cas)
    assert [r.cached for r in again.rows] == [True, True, False]


def test_cli_exit_code_names_failed_points(
    client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = str(client.scheduler.address)  # type: ignore[union-attr]
    code = main(
        [
            "--root",
            str(REPO),
            "sweep",
            "echo",
            "-p",
            "fail_with=nothing,simulation",
            "--scheduler",
            address,
            "--out",
            str(tmp_path / "o"),
            "--no-store",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "not every point succeeded (1 failed_simulation, 1 success)" in captured.err


def test_energyplus_sweep_on_two_workers(client: Client, tmp_path: Path) -> None:
    outcome = run_sweep(
        REPO,
        "energyplus_single_zone",
        ["wall_u_w_m2k=0.2,0.8"],
        out_dir=tmp_path / "out",
        client=client,
        cas_dir=tmp_path / "cas",
    )
    assert outcome.ok, [r.row["status_message"] for r in outcome.rows]
    low, high = (r.row for r in outcome.rows)
    assert low["wall_u_w_m2k"] == 0.2
    assert isinstance(low["heating_kwh"], float)
    assert isinstance(high["heating_kwh"], float)
    assert high["heating_kwh"] > low["heating_kwh"], "a leakier wall needs more heating"
    assert isinstance(low["monthly_heating_kwh"], list)
    assert len(low["monthly_heating_kwh"]) == 12
    assert str(low["end_uses_kwh"]).startswith("{")  # objects are JSON strings
    assert len({r.row["worker"] for r in outcome.rows}) == 2
    header = (tmp_path / "out" / "sweep.csv").read_text().splitlines()[0].split(",")
    assert {"wall_u_w_m2k", "heating_kwh", "monthly_heating_kwh", "status"} <= set(header)


def test_optimise_energyplus_wall_u_for_a_heating_target(client: Client, tmp_path: Path) -> None:
    def optimise(out: str) -> OptimiseOutcome:
        return run_optimise(
            REPO,
            "energyplus_single_zone",
            target="heating_kwh<=5000",
            vary="wall_u_w_m2k=0.1..1.0",
            out_dir=tmp_path / out,
            tol=150,
            budget=8,
            client=client,
            cas_dir=tmp_path / "cas",
        )

    outcome = optimise("first")
    search = outcome.search
    assert search.finished()
    assert search.reason == "a run met the target within the tolerance of 150 kWh"
    best = search.best()
    assert best is not None
    assert best.met
    assert best.value is not None
    assert 4850 <= best.value <= 5000
    assert 0.1 < best.x < 1.0
    assert len(search.trials) <= 8
    rows = read_arrow(tmp_path / "first" / "optimise.arrow")
    assert len(rows) == len(search.trials)
    assert [row["round"] for row in rows] == [trial.round for trial in search.trials]
    again = optimise("second")
    assert again.cached == len(search.trials), "a repeated search is served from the store"
    assert again.search.best() == best

"""Sweep and optimise output in a real terminal width (issue 20), in real processes.

A sweep table never splits a header or cuts a value: one row per point when that fits
the terminal (``COLUMNS``), else transposed (a row per field, a column per point). The
optimiser speaks plain words and gives its tolerance in the output's unit.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from purelms_harness import find_repo_root

REPO = find_repo_root(Path(__file__))
pytestmark = pytest.mark.timeout(600)
FIELDS = ["wall_u_w_m2k", "status", "cached", "heating_kwh", "cooling_kwh", "peak_heating_time"]


def purelms(*args: str, columns: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "purelms_harness.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": str(columns)},
    )


def fits(text: str, width: int) -> bool:
    """Every line fits, but for one word longer than a line (a path), which is never cut."""
    return "…" not in text and all(
        len(line) <= width or len(line.split()) == 1 for line in text.splitlines()
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A result store holding the two points of the sweep below (run once, really)."""
    cas = tmp_path_factory.mktemp("cas")
    out = tmp_path_factory.mktemp("sweep")
    proc = purelms(
        "sweep",
        "energyplus_single_zone",
        "-p",
        "wall_u_w_m2k=0.2,0.8",
        "--workers",
        "2",
        "--cas",
        str(cas),
        "--out",
        str(out / "first"),
        columns=80,
    )
    assert proc.returncode == 0, proc.stderr
    assert fits(proc.stdout, 80), proc.stdout
    return cas


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_a_sweep_table_never_splits_a_header(store: Path, tmp_path: Path, columns: int) -> None:
    proc = purelms(
        "sweep",
        "energyplus_single_zone",
        "-p",
        "wall_u_w_m2k=0.2,0.8",
        "--cas",
        str(store),
        "--out",
        str(tmp_path / "again"),
        columns=columns,
    )
    assert proc.returncode == 0, proc.stderr
    assert "2 points: 0 ran, 2 from cache (2 success)" in proc.stdout
    assert fits(proc.stdout, columns), proc.stdout
    [header] = [line for line in proc.stdout.splitlines() if line.startswith("┃")]
    if columns >= 200:  # one row per point: every field a whole header
        for field in FIELDS:
            assert re.search(rf"┃ {field} +┃", header), (field, header)
        assert re.search(r"│ 0\.2 +│ success +│ yes +│ 3,\d{3} +│", proc.stdout), proc.stdout
    else:  # transposed: one row per field, a column per point
        assert re.fullmatch(r"┃ +┃ #1 +┃ #2 +┃", header), header
        for field in FIELDS:
            assert re.search(rf"^│ {field} +│", proc.stdout, re.MULTILINE), field
        assert re.search(r"^│ heating_kwh +│ 3,\d{3} +│ 6,\d{3} +│", proc.stdout, re.MULTILINE)


def test_optimise_speaks_plain_words_and_units(store: Path, tmp_path: Path) -> None:
    proc = purelms(
        "optimise",
        "energyplus_single_zone",
        "--target",
        "heating_kwh<=5000",
        "--vary",
        "wall_u_w_m2k=0.2..0.8",
        "--budget",
        "4",
        "--workers",
        "2",
        "--cas",
        str(store),
        "--out",
        str(tmp_path / "opt"),
        columns=80,
    )
    assert proc.returncode in (0, 1), proc.stderr
    text = proc.stdout
    assert fits(text, 80), text
    joined = " ".join(line.strip() for line in text.splitlines())
    assert (
        "for heating_kwh <= 5,000 kWh; it stops at a run that meets the target within 25 kWh "
        "of it (--tol), or after 4 runs, 2 at a time." in joined
    )
    assert re.search(r"round 1: wall_u_w_m2k = 0\.2 → heating_kwh = 3,\d{3} kWh", joined)
    assert re.search(r"Stopped: .+ \(4 runs, 2 from the cache, [\d.]+ s\)\.", joined)
    assert re.search(r"Best: wall_u_w_m2k = [\d.]+ → heating_kwh = [\d,]+ kWh, which", joined)
    assert "AdaptiveAlgorithm" not in text
    assert "ask/tell" not in text


def test_optimise_help_speaks_plain_words() -> None:
    proc = purelms("optimise", "--help", columns=80)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "ask/tell" not in text
    assert "AdaptiveAlgorithm" not in text
    assert "Finds the value of one parameter (--vary) at which an output reaches a target" in text
    assert "in the output's unit" in text

"""What a student sees in the terminal (issue 20), in real ``purelms`` processes.

* Output fits 80 and 120 columns (``COLUMNS``, which rich honours): no line longer than the
  terminal, no slug or parameter name cut, no number separated from its unit.
* Numbers for people: month names on a monthly series, no scientific notation, ``m²``,
  ``°C``, ``W/(m²·K)`` on a UTF-8 terminal and the ASCII spellings on any other; the run's
  inputs above the results; artifacts, hashes and the evidence sha256 only with
  ``--verbose`` (the sha256 is always in ``evidence.sha256``).
* Failures are one line with a hint: did-you-mean for a mistyped backend, parameter or
  choice; an evidence check that says what is missing; no run folder from a run that
  never started.
* Drift is loud: a manifest stale against its models refuses the run with the fix; stale
  TypeScript names warn.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from purelms_harness import (
    BackendManifest,
    CallbackServer,
    RunRequest,
    RunRequestError,
    discover,
    find_repo_root,
    run_local,
    run_managed,
    write_manifest,
)
from purelms_harness._display import display_unit, format_number, value_lines, wrap
from purelms_harness._object_store import ObjectStore

REPO = find_repo_root(Path(__file__))
EPLUS = "energyplus_single_zone"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def purelms(
    *args: str, columns: int = 80, cwd: Path = REPO, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "purelms_harness.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": str(columns), **env},
    )


def assert_fits(text: str, width: int) -> None:
    for line in text.splitlines():
        # only a word longer than a line (a long path) may exceed it: it is never cut
        assert len(line) <= width or len(line.split()) == 1, f"{len(line)} > {width}: {line!r}"
    assert "…" not in text, "something was cut"


def assert_units_stay_with_numbers(text: str, units: set[str]) -> None:
    """No line ends in a number whose unit starts the next line."""
    lines = text.splitlines()
    for line, after in itertools.pairwise(lines):
        word = after.strip().split(" ")[0].rstrip(".,;)") if after.strip() else ""
        assert not (re.search(r"\d$", line) and word in units), (line, after)


# --------------------------------------------------------------------------- pure


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (10930.4, "10,930"),
        (5070.3, "5,070"),
        (189.72, "189.7"),
        (3.8021, "3.802"),
        (0.5157, "0.5157"),
        (20.0, "20"),
        (999.96, "1,000"),
        (-1234.5, "-1,234"),
        (1_000_000.0, "1,000,000"),
        (12, "12"),
        (True, "yes"),
        (2e-05, "2e-05"),
    ],
)
def test_numbers_are_written_as_people_write_them(value: Any, shown: str) -> None:
    assert format_number(value) == shown


@pytest.mark.parametrize(
    ("unit", "utf8", "ascii_"),
    [
        ("W/(m2.K)", "W/(m²·K)", "W/(m2.K)"),
        ("degC", "°C", "degC"),
        ("kWh/m2", "kWh/m²", "kWh/m2"),
        ("m3/h", "m³/h", "m3/h"),
        ("kBtu/ft2", "kBtu/ft²", "kBtu/ft2"),
        ("deg", "°", "deg"),
        ("1/h", "1/h", "1/h"),
    ],
)
def test_units_for_the_terminal(unit: str, utf8: str, ascii_: str) -> None:
    assert display_unit(unit, True) == utf8
    assert display_unit(unit, False) == ascii_


def test_a_monthly_series_has_month_names_and_aligned_numbers() -> None:
    values = [1111.0, 848.2, 614.0, 377.6, 147.2, 25.4, 2.8, 11.3, 65.9, 272.1, 575.9, 1055.0]
    lines = value_lines(values, name="monthly_heating_kwh", label="Monthly heating load")
    assert lines == [
        "Jan 1,111  Feb   848  Mar   614",
        "Apr   378  May   147  Jun    25",
        "Jul     3  Aug    11  Sep    66",
        "Oct   272  Nov   576  Dec 1,055",
    ]
    # not a monthly series: separated by dots, never by commas a thousands separator blurs
    assert value_lines([1111.0, 848.0], name="series") == ["1,111 · 848"]
    assert value_lines([1111.0, 848.0], name="series", unicode=False) == ["1,111; 848"]


def test_wrapping_keeps_a_number_with_its_unit_and_never_cuts_a_word() -> None:
    text = "info MODEL.GROUND: floor ground boundary: weather file ground temperatures at 4 m"
    assert wrap(text, 80) == [
        "info MODEL.GROUND: floor ground boundary: weather file ground temperatures at",
        "  4 m",
    ]
    assert wrap("a energyplus_single_zone_but_longer b", 10) == [
        "a",
        "  energyplus_single_zone_but_longer",
        "  b",
    ]


# --------------------------------------------------------------------------- list


@pytest.mark.parametrize("columns", [80, 120])
def test_list_fits_and_never_cuts_a_slug_or_a_parameter(columns: int) -> None:
    proc = purelms("list", columns=columns)
    assert proc.returncode == 0, proc.stderr
    assert_fits(proc.stdout, columns)
    words = set(re.findall(r"[\w.]+", proc.stdout))
    for slug, manifest in discover(REPO).items():
        assert re.search(rf"^{slug} {re.escape(manifest.version)}: ", proc.stdout, re.M), slug
        for parameter in manifest.parameters:
            assert parameter["name"] in words, parameter["name"]
    assert "wall_u_w_m2k [W/(m²·K)]" in proc.stdout


# --------------------------------------------------------------------------- run


@pytest.fixture(scope="module")
def eplus() -> BackendManifest:
    return discover(REPO)[EPLUS]


def _units(manifest: BackendManifest, unicode: bool) -> set[str]:
    units = {display_unit(o.get("unit", ""), unicode) for o in manifest.outputs}
    units |= {display_unit(p.get("unit", ""), unicode) for p in manifest.parameters}
    return {unit for unit in units if unit}


def test_a_run_at_80_columns_speaks_to_a_student(eplus: BackendManifest, tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = purelms("run", EPLUS, "-q", "--out", str(out), columns=80)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert_fits(text, 80)
    assert_units_stay_with_numbers(text, _units(eplus, True))
    # the inputs first: which climate, in words
    inputs, results = text.index("Inputs"), text.index(f"{EPLUS}: results")
    assert inputs < text.index("Chicago O'Hare Intl AP, IL, USA (TMY3)") < results
    assert re.search(r"\d+ more parameter\(s\) at their defaults", text)
    # numbers for people
    assert not re.search(r"\de[+-]\d", text), "scientific notation"
    for unit in ("°C", "m²", "kWh/m²"):
        assert f" {unit} " in text, unit
    assert "degC" not in text
    assert "m2 " not in text
    for month in MONTHS:
        assert re.search(rf"\b{month} +[\d,.]+\b", text), month
    envelope = json.loads((out / "output" / "output.json").read_text())
    site = envelope["outputs"]["site_energy_kwh"]
    assert f"{site:,.0f}" in text  # e.g. 10,930, never 1.093e+04
    for output in eplus.outputs:
        assert re.search(rf"\({output['name']}\)", text), output["name"]  # never cut
    # developer detail stays out, but in the files
    assert "sha256" not in text
    assert "artifact" not in text
    assert "run folder: " in text
    assert "status: success" in text
    digest = hashlib.sha256((out / "evidence.json").read_bytes()).hexdigest()
    assert (out / "evidence.sha256").read_text() == f"{digest}  evidence.json\n"


def test_a_verbose_run_at_120_columns_in_ascii(eplus: BackendManifest, tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = purelms(
        "run",
        EPLUS,
        "-q",
        "--verbose",
        "-p",
        "climate=tampa",
        "-p",
        "wall_u_w_m2k=0.3",
        "--out",
        str(out),
        columns=120,
        PYTHONIOENCODING="ascii",
    )
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.isascii()
    assert_fits(text, 120)
    assert_units_stay_with_numbers(text, _units(eplus, False))
    assert re.search(
        r"^climate +tampa +Tampa Intl AP, FL, USA \(TMY3\) \(default chicago\)", text, re.M
    )
    assert re.search(r"^wall_u_w_m2k +0\.3 W/\(m2\.K\) +Wall U-value; default 0\.5157", text, re.M)
    assert re.search(r"^height_m +2\.7 m +Height", text, re.M), "--verbose lists every parameter"
    assert "degC" in text
    for name in ("in.idf", "eplusout.sql", "eplusout.err", "eplustbl.htm"):
        assert re.search(
            rf"artifact {re.escape(name)} \([\d,]+ bytes, sha256 [0-9a-f]{{64}}\)", text
        )
    digest = hashlib.sha256((out / "evidence.json").read_bytes()).hexdigest()
    assert f"sha256 {digest}" in text


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["run", "energyplus", "-p", "x=1"], "did you mean 'energyplus_single_zone'?"),
        (["run", EPLUS, "-p", "wal_u_w_m2k=0.3"], "did you mean 'wall_u_w_m2k'?"),
        (["run", EPLUS, "-p", "climate=chicgo"], "did you mean 'chicago'"),
        (["manifest", "ech"], "did you mean 'echo'?"),
    ],
)
def test_a_typo_is_one_line_with_a_did_you_mean(args: list[str], hint: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = purelms(*args, "--out", str(out)) if args[0] == "run" else purelms(*args)
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("purelms: error: ")
    assert hint in line
    assert not out.exists()


def test_evidence_verify_says_what_is_missing(tmp_path: Path) -> None:
    proc = purelms("evidence", "verify", str(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"no evidence.json in {tmp_path}: was this folder made by `purelms run`? "
        "(each run folder under runs/ holds one)"
    )
    missing = tmp_path / "nope"
    proc = purelms("evidence", "verify", str(missing))
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert line == (
        f"purelms: error: evidence verify: no such folder {missing} (give a run folder, runs/...)"
    )


def test_no_run_folder_from_a_backend_that_cannot_start(
    echo_manifest: BackendManifest, server: CallbackServer, tmp_path: Path
) -> None:
    missing = str(tmp_path / "no-such-python")
    with pytest.raises(RunRequestError, match="cannot start"):
        run_local(
            echo_manifest, RunRequest(), server=server, run_dir=tmp_path / "a", python=missing
        )
    assert not (tmp_path / "a").exists()
    with ObjectStore() as store:
        with pytest.raises(RunRequestError, match="cannot start"):
            run_managed(
                echo_manifest, RunRequest(), server=server, store=store, run_dir=tmp_path / "b",
                python=missing,
            )  # fmt: skip
        assert not (tmp_path / "b").exists()
        # a service that never serves (it exits at once) never got its run either
        with pytest.raises(RunRequestError, match="did not start serving"):
            run_managed(
                echo_manifest, RunRequest(), server=server, store=store, run_dir=tmp_path / "c",
                python="/bin/false", service=True,
            )  # fmt: skip
        assert not (tmp_path / "c").exists()


# --------------------------------------------------------------------------- drift

MODULE = """
from purelms_runtime import Backend, Outputs, Parameters, RunContext, output, param


class P(Parameters):
    area: float = param(5.0, label="Area", unit="m2", ge=1, le=20)


class O(Outputs):
    heat_kwh: float = output(label="Heat", unit="kWh")


def run(params: P, ctx: RunContext) -> O:
    return O(heat_kwh=params.area * 100)


backend = Backend(run, slug="drifting", version="0.1.0")

if __name__ == "__main__":
    backend.main()
"""

DECLARATION = """
[project]
name = "purelms-runtime"
[tool.purelms]
module = "drifting_backend"
[tool.purelms.manifest]
name = "Drifting"
description = "A backend whose author keeps editing it."
[tool.purelms.manifest.backend]
credit_cost = 0
trust_tier = "community"
default_timeout_seconds = 30
"""


@pytest.fixture
def drifting(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A repository with one backend whose manifest was generated from its models."""
    root = tmp_path / "repo"
    task = root / "backends" / "drifting"
    (task / "backend").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (task / "backend" / "pyproject.toml").write_text(DECLARATION)
    modules = tmp_path / "modules"
    modules.mkdir()
    source = modules / "drifting_backend.py"
    source.write_text(MODULE)
    spec = importlib.util.spec_from_file_location("drifting_backend", source)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    write_manifest(task, module.backend)
    return root, source, {"PYTHONPATH": str(modules)}


def test_a_stale_manifest_refuses_the_run_with_the_fix(
    drifting: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    root, source, env = drifting
    out = tmp_path / "run"
    fresh = purelms("--root", str(root), "run", "drifting", "-q", "--out", str(out), **env)
    assert fresh.returncode == 0, fresh.stderr
    assert "warning" not in fresh.stderr
    # The author adds a parameter and an output, and runs again without regenerating.
    source.write_text(
        source.read_text()
        .replace("    area: float", '    label: str = param("", label="Label")\n    area: float')
        .replace("    heat_kwh: float", '    note: str = output(label="Note")\n    heat_kwh: float')
        .replace("O(heat_kwh=", 'O(note="", heat_kwh=')
    )
    again = tmp_path / "again"
    proc = purelms("--root", str(root), "run", "drifting", "-q", "--out", str(again), **env)
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert "interactive_task.yaml is stale against the models of drifting_backend: " in line
    assert "(and 1 more difference(s))" in line
    assert line.endswith(
        "regenerate it with `uv run purelms manifest drifting --write`, then run again"
    )
    assert not again.exists()


def test_stale_typescript_names_warn_with_the_fix(
    drifting: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    root, _, env = drifting
    src = root / "backends/drifting/frontend/src"
    src.mkdir(parents=True)
    (src / "types.ts").write_text(
        textwrap.dedent(
            """\
            export interface DriftingParameters {
              /** Area [m2] */
              area?: number;
              glazing?: "single" | "double";
            }
            export interface DriftingOutputs {
              heat_kwh: number;
              series: { [name: string]: number };
            }
            """
        )
    )
    proc = purelms(
        "--root",
        str(root),
        "run",
        "drifting",
        "-q",
        "--out",
        str(tmp_path / "r"),
        columns=2000,
        **env,
    )
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2, proc.stderr
    assert (
        "DriftingParameters has glazing, compared by name with the manifest's parameters; "
        in warnings[0]
    )
    assert "DriftingOutputs has series, compared by name with the output model; " in warnings[1]
    for warning in warnings:
        assert warning.endswith(
            "run `uv run --locked nox -s wire_sync -- --write` (`nox -s wire_sync` checks types)"
        )


def test_the_readme_tables_are_generated_and_checked_with_the_manifest(
    drifting: tuple[Path, Path, dict[str, str]],
) -> None:
    root, source, env = drifting
    readme = root / "backends/drifting/backend/README.md"
    readme.write_text("# drifting\n\nNo tables yet.\n")
    proc = purelms("--root", str(root), "manifest", "drifting", columns=2000, **env)
    assert proc.returncode == 1
    assert "README.md: no generated parameters and outputs tables: put the lines" in proc.stderr
    readme.write_text(
        "# drifting\n\nIntro.\n\n<!-- BEGIN purelms:parameters-and-outputs -->\n"
        "<!-- END purelms:parameters-and-outputs -->\n\nThe author's prose.\n"
    )
    written = purelms("--root", str(root), "manifest", "drifting", "--write", **env)
    assert written.returncode == 0, written.stderr
    text = readme.read_text()
    assert text.startswith("# drifting\n\nIntro.\n\n<!-- BEGIN purelms:parameters-and-outputs -->")
    assert text.endswith("<!-- END purelms:parameters-and-outputs -->\n\nThe author's prose.\n")
    assert "| `area` | Area | m² | 1 – 20 | 5 |" in text
    assert "| `heat_kwh` | Heat | kWh | number | yes |" in text
    assert purelms("--root", str(root), "manifest", "drifting", **env).returncode == 0
    source.write_text(source.read_text().replace("le=20", "le=30"))
    # Same size, and possibly the same second as the bytecode the last command cached:
    # Python would take that bytecode as current (it compares whole seconds and the size),
    # which no author's edit a second later meets. Date the edit as one.
    edited = source.stat()
    os.utime(source, ns=(edited.st_atime_ns, edited.st_mtime_ns + 2_000_000_000))
    stale = purelms("--root", str(root), "manifest", "drifting", columns=2000, **env)
    assert stale.returncode == 1
    assert re.search(r"parameters\[0\]\.max: the YAML says 20\.0, generated: 30\.0", stale.stderr)
    assert (
        "README.md: the parameters and outputs tables are stale (first: '| `area` | Area | m² | "
        "1 – 30 | 5 |'); run `uv run purelms manifest drifting --write`" in stale.stderr
    )


@pytest.mark.parametrize("start", [[], ["--fresh-interpreter"]], ids=["forked", "fresh"])
def test_a_backend_that_cannot_be_imported_is_named_and_its_run_fails(
    drifting: tuple[Path, Path, dict[str, str]], tmp_path: Path, start: list[str]
) -> None:
    """The backend's import fails: a warning names it, and the run goes on as ``python -m``
    does, failing with the import's traceback in the log; the same with or without a
    zygote (where the import happens in the zygote)."""
    root, source, env = drifting
    source.write_text('raise RuntimeError("broken on purpose")\n' + source.read_text())
    out = tmp_path / "run"
    proc = purelms(
        "--root", str(root), "run", "drifting", "-q", *start, "--out", str(out), columns=200, **env
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[0] == (
        "warning: cannot check interactive_task.yaml against the models of drifting_backend "
        "(RuntimeError: broken on purpose)"
    )
    assert any("backend exited with code 1" in line for line in lines[1:]), lines
    assert "RuntimeError: broken on purpose" in (out / "backend.stderr.log").read_text()


def test_a_zygote_that_dies_before_its_report_gives_way_to_python_m(
    drifting: tuple[Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    """The backend's import kills the zygote only (a session leader still holding the
    harness's argv): the harness makes the checks itself and runs ``python -m``."""
    root, source, env = drifting
    source.write_text(
        "import os, sys\n"
        "if os.getsid(0) == os.getpid() and sys.argv[0].endswith('cli.py'):\n"
        "    os._exit(7)\n" + source.read_text()
    )
    out = tmp_path / "run"
    proc = purelms("--root", str(root), "run", "drifting", "-v", "--out", str(out), **env)
    assert proc.returncode == 0, proc.stderr
    assert "backend process: python -m drifting_backend" in proc.stdout
    assert (out / "output" / "output.json").is_file()


def test_text_is_shown_as_written_not_as_emoji(tmp_path: Path) -> None:
    """rich would print ``:fire:`` in a path (or a backend's message) as an emoji."""
    out = tmp_path / ":fire: run"
    proc = purelms("run", "echo", "-q", "-p", "x=1", "--out", str(out), columns=200)
    assert proc.returncode == 0, proc.stderr
    assert f"run folder: {out} (details: --verbose)" in proc.stdout
    assert "\N{FIRE}" not in proc.stdout

"""A backend's prestart is recorded by one run and called first thing by the next."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from purelms_harness._bytecode import OPT_OUT_ENV
from purelms_harness._prestart_hints import record_prestart, start_hinted_engine

MODULE = """
from pathlib import Path

CALLS = Path(__file__).with_name("calls.txt")


def prestart():
    with CALLS.open("a") as handle:
        handle.write("called\\n")


def broken():
    raise RuntimeError("no engine here")
"""


@pytest.fixture
def venv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.delenv(OPT_OUT_ENV, raising=False)
    package = tmp_path / "src"
    package.mkdir()
    (package / "hinted_backend.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(package))
    yield tmp_path / "venv"
    sys.modules.pop("hinted_backend", None)


def _calls(tmp_path: Path) -> int:
    calls = tmp_path / "src" / "calls.txt"
    return calls.read_text().count("called") if calls.exists() else 0


def _hints(venv: Path) -> object:
    return json.loads((venv / "purelms-cache" / "prestart.json").read_text())


def test_a_run_records_the_prestart_and_the_next_calls_it(venv: Path, tmp_path: Path) -> None:
    import hinted_backend

    record_prestart("demo", hinted_backend.prestart)
    assert _hints(venv) == {"demo": "hinted_backend:prestart"}
    start_hinted_engine(["run", "demo", "-p", "x=1"])
    assert _calls(tmp_path) == 1
    start_hinted_engine(["run", "-p", "x=1", "demo"])  # the slug is found wherever it is
    assert _calls(tmp_path) == 2


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "demo", "--image", "ref"],
        ["run", "demo", "--image=ref"],
        ["run", "demo", "--managed"],
        ["run", "demo", "--service"],
        ["run", "demo", "--fresh-interpreter"],
        ["run", "demo", "--help"],
        ["run", "other"],
        ["sweep", "demo"],
        ["run"],
    ],
)
def test_only_a_plain_local_run_of_a_recorded_backend_starts_it(
    venv: Path, tmp_path: Path, argv: list[str]
) -> None:
    import hinted_backend

    record_prestart("demo", hinted_backend.prestart)
    start_hinted_engine(argv)
    assert _calls(tmp_path) == 0


def test_a_backend_without_prestart_is_forgotten(venv: Path, tmp_path: Path) -> None:
    import hinted_backend

    record_prestart("demo", hinted_backend.prestart)
    record_prestart("other", hinted_backend.prestart)
    record_prestart("demo", None)
    assert _hints(venv) == {"other": "hinted_backend:prestart"}
    record_prestart("other", lambda: None)  # not found again by name: not recorded
    assert _hints(venv) == {}


def test_a_failing_or_stale_hint_is_dropped_quietly(
    venv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import hinted_backend

    record_prestart("demo", hinted_backend.broken)
    start_hinted_engine(["run", "demo"])
    (venv / "purelms-cache" / "prestart.json").write_text('{"demo": "no_such_module:prestart"}')
    start_hinted_engine(["run", "demo"])
    (venv / "purelms-cache" / "prestart.json").write_text("not json")
    start_hinted_engine(["run", "demo"])
    assert capsys.readouterr() == ("", "")
    assert _calls(tmp_path) == 0


def test_the_opt_out_turns_hints_off(
    venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hinted_backend

    monkeypatch.setenv(OPT_OUT_ENV, "1")
    record_prestart("demo", hinted_backend.prestart)
    assert not (venv / "purelms-cache" / "prestart.json").exists()
    monkeypatch.delenv(OPT_OUT_ENV)
    record_prestart("demo", hinted_backend.prestart)
    monkeypatch.setenv(OPT_OUT_ENV, "1")
    start_hinted_engine(["run", "demo"])
    assert _calls(tmp_path) == 0

"""Parsed manifests and pyprojects are cached by content: a run reads JSON, never a stale
document."""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from purelms_harness import read_manifest_data
from purelms_harness._bytecode import OPT_OUT_ENV

DOCUMENT = "slug: demo\nparameters:\n  - {name: a, default: 2.5, flag: true, none: null}\n"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    monkeypatch.delenv(OPT_OUT_ENV, raising=False)
    return tmp_path / "venv" / "purelms-cache" / "yaml"


def _in_a_new_process(venv: Path, body: str) -> object:
    """What ``body`` (code ending in ``result = ...``) computes in a new interpreter whose
    environment is ``venv`` (so it reads the cache the test wrote)."""
    code = f"import json, sys\nsys.prefix = {str(venv)!r}\n{body}\nprint(json.dumps(result))\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_document_is_parsed_once_then_read_without_pyyaml(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "interactive_task.yaml"
    path.write_text(DOCUMENT, encoding="utf-8")
    parsed = read_manifest_data(path)
    assert parsed == {
        "slug": "demo",
        "parameters": [{"name": "a", "default": 2.5, "flag": True, "none": None}],
    }
    assert len(list(cache.glob("*.json"))) == 1
    read = _in_a_new_process(
        tmp_path / "venv",
        "from pathlib import Path\n"
        "from purelms_harness import read_manifest_data\n"
        f"result = [read_manifest_data(Path({str(path)!r})), 'yaml' in sys.modules]",
    )
    assert read == [parsed, False]


def test_an_edit_is_read_at_once(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "interactive_task.yaml"
    path.write_text(DOCUMENT, encoding="utf-8")
    read_manifest_data(path)
    path.write_text(DOCUMENT.replace("demo", "edited"), encoding="utf-8")
    assert read_manifest_data(path)["slug"] == "edited"
    assert len(list(cache.glob("*.json"))) == 2


def test_what_json_cannot_hold_exactly_is_parsed_every_time(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "interactive_task.yaml"
    path.write_text("when: 2024-01-31\n1: integer key\nnan: .nan\n", encoding="utf-8")
    first = read_manifest_data(path)
    assert first["when"] == datetime.date(2024, 1, 31)
    assert first[1] == "integer key"
    assert read_manifest_data(path)["when"] == datetime.date(2024, 1, 31)
    assert not list(cache.glob("*.json"))


def test_a_damaged_or_unwritable_cache_costs_only_the_parse(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "interactive_task.yaml"
    path.write_text(DOCUMENT, encoding="utf-8")
    expected = read_manifest_data(path)
    (entry,) = cache.glob("*.json")
    entry.write_text('{"slug": "dem', encoding="utf-8")  # a torn write
    assert read_manifest_data(path) == expected
    assert json.loads(entry.read_text(encoding="utf-8")) == expected  # rewritten whole
    for name in cache.iterdir():
        assert not name.name.endswith(".tmp"), name  # nothing half-written is left
    shutil.rmtree(cache)
    cache.write_text("a file where the cache folder would be")  # unwritable, even for root
    assert read_manifest_data(path) == expected
    monkeypatch.setenv(OPT_OUT_ENV, "1")
    cache.unlink()
    assert read_manifest_data(path) == expected
    assert not cache.exists(), "PURELMS_NO_BYTECODE_CACHE=1 writes no cache either"


def test_malformed_yaml_is_still_one_line_naming_the_line(tmp_path: Path, cache: Path) -> None:
    from purelms_harness import ManifestError

    path = tmp_path / "interactive_task.yaml"
    path.write_text("slug: [unclosed\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"not YAML \(line 2\)"):
        read_manifest_data(path)
    assert not cache.exists() or not list(cache.glob("*.json"))


def test_a_pyproject_is_parsed_once_and_kept_apart_from_yaml(tmp_path: Path, cache: Path) -> None:
    from purelms_harness._document_cache import remember_document
    from purelms_harness._manifest import BackendProject

    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "demo"\n[tool.purelms]\nmodule = "purelms_demo"\n')
    project = BackendProject.load(path)
    assert (project.package, project.module) == ("demo", "purelms_demo")
    assert len(list((cache.parent / "toml").glob("*.json"))) == 1
    read = _in_a_new_process(
        tmp_path / "venv",
        "from pathlib import Path\n"
        "from purelms_harness._manifest import BackendProject\n"
        f"result = [BackendProject.load(Path({str(path)!r})).module, 'tomllib' in sys.modules]",
    )
    assert read == ["purelms_demo", False]
    # One text, two formats, two meanings: a TOML entry never answers a YAML read.
    remember_document("toml", "a = 1\n", {"a": 1})
    same = tmp_path / "same.yaml"
    same.write_text("a = 1\n", encoding="utf-8")
    assert read_manifest_data(same) == "a = 1"

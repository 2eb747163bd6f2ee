"""Same fields, same required fields, same defaults as the published baseline.

The design says every default is the published 0.5.1's default; this is where that is
read from 0.5.1 itself rather than from a hand-written list.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import purelms_shared

TOOLS = Path(__file__).resolve().parents[1] / "tools"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import baseline  # noqa: E402

README = baseline.ROOT / "packages" / "purelms-shared" / "README.md"


def _our_fields(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    fields: dict[str, dict[str, Any]] = {}
    for name, info in model.model_fields.items():
        entry: dict[str, Any] = {"required": info.is_required()}
        if not info.is_required():
            default = info.get_default(call_default_factory=True)
            entry["default"] = json.loads(json.dumps(default, default=str))
        fields[name] = entry
    return fields


@pytest.mark.parametrize("name", baseline.MODEL_NAMES)
def test_fields_required_fields_and_defaults_are_the_baselines(
    oracle: baseline.Oracle, name: str
) -> None:
    ours = _our_fields(getattr(purelms_shared, name))
    theirs = oracle.fields(name)
    assert list(ours) == list(theirs), f"{name}: fields differ from {oracle.version}"
    for field, entry in ours.items():
        assert entry == theirs[field], f"{name}.{field}: ours {entry}, {oracle.version} {theirs}"


def test_every_wire_model_is_compared() -> None:
    exported = {
        name
        for name in purelms_shared.__all__
        if isinstance(getattr(purelms_shared, name), type)
        and issubclass(getattr(purelms_shared, name), BaseModel)
    }
    assert exported == set(baseline.MODEL_NAMES) | set(baseline.NEW_SINCE_BASELINE)
    assert not set(baseline.MODEL_NAMES) & set(baseline.NEW_SINCE_BASELINE)


def test_the_oracle_is_the_published_baseline(oracle: baseline.Oracle) -> None:
    assert oracle.version == baseline.baseline_version() == "0.5.1"
    assert oracle.pydantic == importlib.metadata.version("pydantic")


def test_a_missing_baseline_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(baseline.BASELINE_PYTHON_ENV, raising=False)
    with pytest.raises(baseline.BaselineMissing, match=r"run `nox -s compat`"):
        baseline.Oracle()
    monkeypatch.setenv(baseline.BASELINE_PYTHON_ENV, str(tmp_path / "python"))
    with pytest.raises(baseline.BaselineMissing, match=r"purelms-shared 0\.5\.1 environment"):
        baseline.Oracle()
    # our own python holds our purelms-shared, not the baseline: refused by version
    with pytest.raises(baseline.BaselineMissing, match=r"not the baseline 0\.5\.1"):
        baseline.Oracle(python=sys.executable)


def test_readme_documents_every_difference_and_both_guarantees() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Differences from 0\.5\.1$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, "packages/purelms-shared/README.md has no '## Differences from 0.5.1'"
    section = match.group(1)
    for rule in baseline.DIFFERENCES:
        assert f"`{rule.name}`" in section, f"README does not document {rule.name}"
    assert "accepted and re-serialized identically" in section
    assert "is accepted by 0.5.1" in section

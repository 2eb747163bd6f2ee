"""Packaging: stdlib only, no declared dependencies, curated public API."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import modelops_contracts

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = PACKAGE_ROOT / "src" / "modelops_contracts"

PUBLIC_API = {
    "CAS",
    "DIAGNOSTICS_MAX_BYTES",
    "SEED_MAX",
    "AdaptiveAlgorithm",
    "BundleRepository",
    "ContractError",
    "ExecutionEnvironment",
    "SimReturn",
    "SimTask",
    "SimulationService",
    "TableArtifact",
    "TaskHandle",
    "TrialResult",
    "TrialStatus",
    "UniqueParameterSet",
    "WireFunction",
    "__version__",
    "canonical_json",
}


def _pyproject() -> dict[str, object]:
    with (PACKAGE_ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def test_pyproject_declares_no_dependencies() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    assert project["dependencies"] == []
    assert "optional-dependencies" not in project
    assert project["name"] == "modelops-contracts"
    assert project["version"] == "0.3.0"


def test_version() -> None:
    assert modelops_contracts.__version__ == "0.3.0"


def test_public_api_is_curated() -> None:
    assert set(modelops_contracts.__all__) == PUBLIC_API
    assert len(modelops_contracts.__all__) == len(PUBLIC_API)
    for name in modelops_contracts.__all__:
        assert hasattr(modelops_contracts, name), name
    modules = {path.stem for path in SOURCE_DIR.glob("*.py")}
    assert all(name == "__init__" or name.startswith("_") for name in modules)
    assert (SOURCE_DIR / "py.typed").is_file()


def test_source_imports_only_the_stdlib() -> None:
    offenders = []
    for path in sorted(SOURCE_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "__future__":
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_import_loads_only_stdlib_modules() -> None:
    script = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "import modelops_contracts\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(completed.stdout)
    assert "modelops_contracts" in loaded
    foreign = [
        name
        for name in loaded
        if name.split(".")[0] not in sys.stdlib_module_names
        and name.split(".")[0] != "modelops_contracts"
    ]
    assert foreign == []

"""Every backend's output model as data, read from a repository's own sources.

The manifest declares only the outputs v1 can type (numbers, strings, booleans); a
bundle also reads the undeclared ones (a monthly series, end uses by name), so the
TypeScript ``*Outputs`` type of a backend is checked against its *output model*, which
says all of them.

Two halves, like ``_contract``:

* Run as a script (``python tools/_backend_models.py``) it imports each backend named by
  ``backends/<slug>/backend/pyproject.toml`` (``[tool.purelms] module``) and prints, as
  JSON, ``{slug: {"module": ..., "outputs": [...]}}`` with the outputs in the harness's
  terms (``purelms_harness.model_outputs``: ``array`` and ``object`` kept).
* :func:`load` runs it in a subprocess with ``PYTHONPATH`` pointing at the repository's
  ``packages/*/src`` and ``backends/*/backend/src``, so the models of the repository being
  checked (a temporary copy in the tests) are read, not whatever is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from _workspace import LockstepError


def _dump(root: Path) -> dict[str, Any]:
    from purelms_harness import PROJECT_NAME, BackendProject, model_outputs

    found: dict[str, Any] = {}
    for path in sorted(root.glob(f"backends/*/{PROJECT_NAME.as_posix()}")):
        slug = path.parents[1].name
        project = BackendProject.load(path)
        try:
            backend = project.load_backend()
        except Exception as exc:
            raise SystemExit(
                f"backend {slug}: cannot import {project.module} ({type(exc).__name__}: {exc}); "
                f"its package {project.package} must be installed in the environment that runs "
                "this check (`uv run ...` in the repository)"
            ) from None
        found[slug] = {"module": project.module, "outputs": model_outputs(backend.outputs_model)}
    return found


def load(root: Path) -> dict[str, Any]:
    """``{slug: {"module", "outputs"}}`` for every backend of ``root``."""
    sources = [
        *sorted(str(p) for p in (root / "packages").glob("*/src")),
        *sorted(str(p) for p in (root / "backends").glob("*/backend/src")),
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*sources, *filter(None, [env.get("PYTHONPATH")])])
    result = subprocess.run(
        [sys.executable, __file__, str(root)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise LockstepError(f"cannot read the backends' output models:\n{result.stderr.strip()}")
    data: dict[str, Any] = json.loads(result.stdout)
    return data


if __name__ == "__main__":
    json.dump(_dump(Path(sys.argv[1])), sys.stdout)

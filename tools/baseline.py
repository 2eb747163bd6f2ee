"""Wire compatibility with the published purelms-shared: the baseline, the oracle, the rules.

The published release this package must stay compatible with (the *baseline*) is named
once, in ``packages/purelms-shared/pyproject.toml``::

    [tool.purelms-shared.compat]
    baseline = "0.5.1"

``nox -s compat`` (and ``nox -s bench``) build an environment holding exactly that
release from PyPI, with the pydantic version of ``uv.lock`` (so a difference found is a
difference of the models, not of pydantic), and pass its python in
``$PURELMS_BASELINE_PYTHON``. Both packages import as ``purelms_shared``, so the
baseline runs in its own process: :class:`Oracle` drives ``tools/baseline_oracle.py``
there, over JSON lines, in batches.

:data:`DIFFERENCES` are the documented rules by which we are stricter than the
baseline (the package README lists them, with their reasons, under "Differences from
0.5.1"). A document the baseline accepts and we reject is only allowed when every
problem we report is explained by one of them; the compat tests fail otherwise, naming
the model, the document and both verdicts.
"""

from __future__ import annotations

import base64
import json
import math
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from pydantic import BaseModel, ValidationError

ROOT: Final = Path(__file__).resolve().parent.parent
SHARED_PYPROJECT: Final = ROOT / "packages" / "purelms-shared" / "pyproject.toml"
ORACLE_SCRIPT: Final = Path(__file__).resolve().parent / "baseline_oracle.py"
BASELINE_PYTHON_ENV: Final = "PURELMS_BASELINE_PYTHON"

MODEL_NAMES: Final = (
    "InputFile",
    "ResourceFile",
    "ExecutionContext",
    "OutputArtifact",
    "Message",
    "EvidenceReference",
    "SimulationInputEnvelope",
    "SimulationOutputEnvelope",
    "EvidenceManifest",
    "ProgressCallback",
    "CompleteCallback",
)
"""Every wire model; the baseline exports each under the same name."""

NEW_SINCE_BASELINE: Final = (
    "InteractiveTaskManifest",
    "TaskBackend",
    "TaskDeployment",
    "TaskFrontend",
    "TaskParameter",
    "EnumChoice",
    "TaskOutput",
    "LmsOutcomes",
    "OutcomeRule",
    "ServiceExecutionRequest",
    "ServiceEnvironment",
)
"""Models added after the baseline (0.8.0: the task manifest and the service execution
request, additive documents): the
baseline has nothing to compare them with; their own tests and fixtures cover them."""


class BaselineMissing(Exception):
    """The baseline environment is absent or holds another release."""


def baseline_version() -> str:
    """The published release we stay compatible with (``[tool.purelms-shared.compat]``)."""
    data = tomllib.loads(SHARED_PYPROJECT.read_text(encoding="utf-8"))
    version: str = data["tool"]["purelms-shared"]["compat"]["baseline"]
    return version


def baseline_python() -> str:
    """The python of the baseline environment, from ``$PURELMS_BASELINE_PYTHON``."""
    python = os.environ.get(BASELINE_PYTHON_ENV, "")
    if not python or not Path(python).is_file():
        raise BaselineMissing(
            f"no purelms-shared {baseline_version()} environment: ${BASELINE_PYTHON_ENV} is "
            f"{python or 'unset'}; run `nox -s compat` (it builds the environment)"
        )
    return python


# --------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class Problem:
    """One validation error: where, which pydantic error type, and the offending input."""

    loc: tuple[int | str, ...]
    type: str
    msg: str
    input: Any  # the value itself on our side; its repr from the baseline

    def describe(self) -> str:
        where = ".".join(str(part) for part in self.loc) or "<document>"
        shown = self.input if isinstance(self.input, str) and self.input else repr(self.input)
        return f"{where}: {self.msg} [{self.type}] (got {shown[:80]})"


@dataclass(frozen=True)
class Verdict:
    """How one side read one document: accepted (and what it writes back) or rejected."""

    accepted: bool
    dump: str | None = None
    problems: tuple[Problem, ...] = ()
    rereads: bool = True
    """For an accepted document: whether the same side accepts its own serialization."""

    def describe(self) -> str:
        if self.accepted:
            return f"accepted, written back as {self.dump}"
        return "rejected: " + "; ".join(problem.describe() for problem in self.problems)


def our_verdict(model: type[BaseModel], document: bytes) -> Verdict:
    """Our ``model_validate_json`` verdict on ``document``."""
    return verdict_of(model.model_validate_json, document)


def verdict_of(validate: Callable[[bytes | str], BaseModel], document: bytes) -> Verdict:
    """The verdict of ``validate`` (``model_validate_json`` or a ``parse_*``) on ``document``."""
    try:
        instance = validate(document)
    except ValidationError as exc:
        problems = tuple(
            Problem(tuple(e["loc"]), e["type"], e["msg"], e.get("input"))
            for e in exc.errors(include_url=False)
        )
        return Verdict(accepted=False, problems=problems)
    dump = instance.model_dump_json()
    try:
        validate(dump)
    except ValidationError:
        return Verdict(accepted=True, dump=dump, rereads=False)
    return Verdict(accepted=True, dump=dump)


# --------------------------------------------------------------------------- the oracle


class Oracle:
    """The baseline release in its own process (``tools/baseline_oracle.py``)."""

    def __init__(self, python: str | None = None) -> None:
        self.python = python or baseline_python()
        self._process = subprocess.Popen(
            # -I: isolated, so nothing of this repository (tools/ included) is importable
            [self.python, "-I", str(ORACLE_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        hello = self._ask({"op": "hello"})
        self.version: str = hello["version"]
        self.pydantic: str = hello["pydantic"]
        if self.version != baseline_version():
            self.close()
            raise BaselineMissing(
                f"{self.python} holds purelms-shared {self.version}, not the baseline "
                f"{baseline_version()}; run `nox -s compat` to rebuild it"
            )

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise BaselineMissing(f"the baseline oracle ({self.python}) exited")
        response: dict[str, Any] = json.loads(line)
        if "error" in response:
            raise RuntimeError(f"baseline oracle: {response['error']}")
        return response

    def validate(self, model: str, documents: Sequence[bytes]) -> list[Verdict]:
        """The baseline's ``model_validate_json`` verdict on each document, in one batch."""
        encoded = [base64.b64encode(document).decode("ascii") for document in documents]
        results = self._ask({"op": "validate", "model": model, "documents": encoded})["results"]
        verdicts = []
        for result in results:
            if result["ok"]:
                verdicts.append(Verdict(True, result["dump"], rereads=result["rereads"]))
            else:
                problems = tuple(
                    Problem(tuple(e["loc"]), e["type"], e["msg"], e["input"])
                    for e in result["errors"]
                )
                verdicts.append(Verdict(False, problems=problems))
        return verdicts

    def fields(self, model: str) -> dict[str, dict[str, Any]]:
        """Each field of the baseline's ``model``: required, or its default as JSON."""
        fields: dict[str, dict[str, Any]] = self._ask({"op": "fields", "model": model})["fields"]
        return fields

    def seconds_per_call(self, model: str, document: bytes, number: int, repeat: int) -> float:
        """The baseline's ``model_validate_json`` time on ``document``: best of ``repeat``."""
        request = {
            "op": "time",
            "model": model,
            "document": base64.b64encode(document).decode("ascii"),
            "number": number,
            "repeat": repeat,
        }
        seconds: float = self._ask(request)["seconds"]
        return seconds

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=30)
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> Oracle:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


# --------------------------------------------------------------------------- the rules


def _is_number_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _is_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) > sys.float_info.max
    return False


_NUMBER_ERRORS: Final = frozenset({"int_type", "float_type", "whole_seconds"})


@dataclass(frozen=True)
class Difference:
    """A documented rule by which we reject what the baseline accepts."""

    name: str
    summary: str
    explains: Callable[[Problem], bool] = field(repr=False)


DIFFERENCES: Final = (
    Difference(
        "numeric-text-as-number",
        'a JSON string holding a number ("5", "1.5") where a number is expected',
        lambda p: p.type in _NUMBER_ERRORS and _is_number_text(p.input),
    ),
    Difference(
        "boolean-as-number",
        "true or false where a number is expected",
        lambda p: p.type in _NUMBER_ERRORS and isinstance(p.input, bool),
    ),
    Difference(
        "integral-float-as-integer",
        "a float with no fractional part (5.0, 1e2) for an integer other than timeout_seconds",
        lambda p: (
            p.type == "int_type"
            and isinstance(p.input, float)
            and math.isfinite(p.input)
            and p.input.is_integer()
        ),
    ),
    Difference(
        "non-finite-number",
        "NaN, Infinity, -Infinity or a number beyond a float's range, anywhere",
        lambda p: p.type == "finite_number" or _is_non_finite(p.input),
    ),
    Difference(
        "timestamp-as-datetime",
        "a Unix timestamp (a number, or a string of digits) for a datetime",
        lambda p: p.type == "datetime_string",
    ),
)
"""Every way we are stricter than the baseline; anything else must agree."""


def explain(verdict: Verdict) -> list[str | None]:
    """For each problem of our (rejecting) verdict, the name of the rule that explains it."""
    return [
        next((rule.name for rule in DIFFERENCES if rule.explains(problem)), None)
        for problem in verdict.problems
    ]

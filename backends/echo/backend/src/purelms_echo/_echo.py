"""The echo backend: the smallest real backend, and the runtime's first citizen.

It returns its parameters and slug, adds one info Message and one metric.
Two parameters exist to exercise the platform's non-success paths with a
real backend rather than a mock: ``delay_seconds`` (with progress while it
waits, so timeouts and progress bars can be seen) and ``fail_with`` (forces
failed_simulation or failed_runtime, so every status can be rendered).
"""

from __future__ import annotations

import time
from importlib.metadata import version
from typing import Literal

from pydantic import JsonValue

from purelms_runtime import (
    Backend,
    Outputs,
    Parameters,
    RunContext,
    SimulationFailed,
    output,
    param,
)

__all__ = ["EchoOutputs", "EchoParameters", "backend", "echo"]

SLUG = "echo"


class EchoParameters(Parameters):
    message: str = param("Hello from purelms", label="Message", description="Text to echo back")
    repeat: int = param(
        1, label="Repeat", ge=1, le=10, step=1, description="How often to repeat it"
    )
    delay_seconds: float = param(
        0.0, label="Delay", unit="s", ge=0, le=600, step=0.5, description="Wait before answering"
    )
    fail_with: Literal["nothing", "simulation", "runtime"] = param(
        "nothing", label="Fail with", description="Force a failure status (for testing frontends)"
    )


class EchoOutputs(Outputs):
    slug: str = output(label="Backend slug")
    echoed: str = output(label="Echoed message")
    parameters: dict[str, JsonValue] = output(label="Parameters received")


def echo(params: EchoParameters, ctx: RunContext) -> EchoOutputs:
    steps = max(1, int(params.delay_seconds / 0.1))
    for step in range(steps):
        if params.delay_seconds:
            time.sleep(params.delay_seconds / steps)
        ctx.progress(100 * (step + 1) / steps, step="echoing")
    if params.fail_with == "simulation":
        raise SimulationFailed(
            "forced simulation failure (fail_with=simulation)", code="ECHO.FORCED"
        )
    if params.fail_with == "runtime":
        raise RuntimeError("forced runtime failure (fail_with=runtime)")
    echoed = " ".join([params.message] * params.repeat)
    ctx.info(f"echoed {len(echoed)} characters", code="ECHO.DONE")
    ctx.metric("echoed_characters", len(echoed))
    return EchoOutputs(slug=SLUG, echoed=echoed, parameters=params.model_dump(mode="json"))


backend = Backend(echo, slug=SLUG, version=version("purelms-echo"))

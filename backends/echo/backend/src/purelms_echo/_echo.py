"""The echo backend: the platform's integration fixture.

Its schema is open (the manifest says ``parameters: []``): the platform checks nothing
and echo accepts any parameters object. It answers with

* ``echoed_parameters``: the parameters object exactly as it was received;
* ``echoed_backend_slug``: the backend slug of the input envelope (the runtime refuses
  an envelope addressed to another backend, so it is always ``echo``);

and exactly one info message, code ``ECHO.OK``. Only ``echoed_backend_slug`` is a
declared output (``echoed_parameters`` is an object, which v1 cannot declare: the
platform's own result view drops it, the bundle shows it).

Two parameter names are reserved, to exercise the platform's other paths with a real
backend rather than a mock. They act only when present:

* ``delay_seconds``: a number from 0 to 600; echo waits that long before answering,
  reporting its progress, so timeouts and progress bars can be seen;
* ``fail_with``: ``"simulation"`` ends the run ``failed_simulation`` (code
  ``ECHO.FORCED``), ``"runtime"`` ends it ``failed_runtime``, ``"nothing"`` does nothing.

A reserved name with a bad value ends the run ``failed_runtime`` with code
``ECHO.RESERVED`` and one message naming the parameter and the rule.
"""

from __future__ import annotations

import math
import time
from typing import Final

from pydantic import JsonValue

from purelms_runtime import (
    Backend,
    InputRejected,
    OpenParameters,
    Outputs,
    RunContext,
    SimulationFailed,
    output,
)

__all__ = ["EchoOutputs", "EchoParameters", "backend", "echo"]

SLUG = "echo"
MAX_DELAY_SECONDS: Final = 600.0
FAIL_WITH: Final = ("nothing", "simulation", "runtime")


class EchoParameters(OpenParameters):
    """Any parameters object; ``delay_seconds`` and ``fail_with`` are reserved names."""


class EchoOutputs(Outputs):
    echoed_parameters: dict[str, JsonValue] = output(
        label="Parameters received", description="The parameters object exactly as received."
    )
    echoed_backend_slug: str = output(
        label="Backend slug", description="The backend slug of the input envelope."
    )


def _delay_seconds(received: dict[str, JsonValue]) -> float:
    value = received.get("delay_seconds", 0)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_DELAY_SECONDS
    ):
        raise InputRejected(
            f"parameters.delay_seconds: must be a number of seconds from 0 to "
            f"{MAX_DELAY_SECONDS:g} (got {value!r})",
            code="ECHO.RESERVED",
        )
    return float(value)


def _fail_with(received: dict[str, JsonValue]) -> str:
    value = received.get("fail_with", "nothing")
    if value not in FAIL_WITH or not isinstance(value, str):
        raise InputRejected(
            f"parameters.fail_with: must be one of {', '.join(FAIL_WITH)} (got {value!r})",
            code="ECHO.RESERVED",
        )
    return value


def echo(params: EchoParameters, ctx: RunContext) -> EchoOutputs:
    received = params.received
    delay = _delay_seconds(received)
    fail_with = _fail_with(received)
    steps = max(1, int(delay / 0.1))
    for step in range(steps):
        if delay:
            time.sleep(delay / steps)
        ctx.progress(100 * (step + 1) / steps, step="echoing")
    if fail_with == "simulation":
        raise SimulationFailed(
            "forced simulation failure (fail_with=simulation)", code="ECHO.FORCED"
        )
    if fail_with == "runtime":
        raise RuntimeError("forced runtime failure (fail_with=runtime)")
    ctx.info(f"echoed {len(received)} parameter(s)", code="ECHO.OK")
    return EchoOutputs(echoed_parameters=received, echoed_backend_slug=SLUG)


backend = Backend(echo, slug=SLUG, distribution="purelms-echo")

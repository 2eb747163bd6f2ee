"""Exceptions a backend author raises, and the runtime's own contract errors."""

from __future__ import annotations

from collections.abc import Sequence

from purelms_shared import Message

__all__ = ["ContractViolation", "InputRejected", "SimulationFailed"]


class SimulationFailed(Exception):
    """Raise from a backend's function when the *simulation* failed (status failed_simulation).

    ``text`` becomes an error Message with ``code``; ``messages`` are added
    before it (e.g. the engine's own severe and fatal lines). Any other
    exception is a bug in the backend and maps to failed_runtime instead.
    """

    def __init__(
        self,
        text: str,
        *,
        code: str = "SIMULATION.FAILED",
        messages: Sequence[Message] = (),
    ) -> None:
        super().__init__(text)
        self.text = text
        self.code = code
        self.messages = tuple(messages)


class InputRejected(Exception):
    """Raise when the run's *inputs* are unusable (status failed_runtime, engine never started).

    For rules the parameter model cannot express on its own, such as a weather
    file that is required by one parameter value and forbidden by another. Like
    an out-of-range parameter, it is the request that is wrong, not the
    simulation, so it maps to failed_runtime with ``code`` (default
    ``INPUT.INVALID``) rather than failed_simulation.
    """

    def __init__(self, text: str, *, code: str = "INPUT.INVALID") -> None:
        super().__init__(text)
        self.text = text
        self.code = code


class ContractViolation(Exception):
    """The run cannot honour the wire contract (bad input envelope, undeliverable callback).

    The entrypoint prints it as one line on stderr and exits with ``exit_code``.
    """

    def __init__(self, text: str, *, exit_code: int = 2) -> None:
        super().__init__(text)
        self.text = text
        self.exit_code = exit_code

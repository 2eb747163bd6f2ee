"""purelms echo backend: echoes its parameters. Run with ``python -m purelms_echo``."""

from ._echo import EchoOutputs, EchoParameters, backend, echo

__all__ = ["EchoOutputs", "EchoParameters", "backend", "echo"]

"""The ``purelms`` console script: turn on the bytecode cache, then run the CLI.

A module of its own because the cache must be on before ``cli`` (rich, pydantic, the
contract) is imported; see ``_bytecode``.
"""

from __future__ import annotations

from ._bytecode import enable_bytecode_cache

__all__ = ["main"]


def main() -> None:
    enable_bytecode_cache()
    from .cli import run

    run()

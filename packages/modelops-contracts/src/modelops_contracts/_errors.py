"""One exception type for every broken invariant of the execution contract.

Why a single ``ContractError`` and why a ``ValueError`` subclass: callers
validating untrusted input (a task read from a queue, a result posted by a
worker) want one ``except`` clause, and existing code that already catches
``ValueError`` around parsing keeps working. Wrong *types* (a ``str`` where a
seed belongs) raise ``ContractError`` too, not ``TypeError``: from the caller's
side both are "this value does not satisfy the contract".

Every message has the shape ``Owner.field: rule (got X)`` so that a person can
act on it without reading this package's source; the ``got`` part is a
truncated ``repr`` so that a 10 MB payload never ends up in a log line.
"""

from __future__ import annotations

__all__ = ["ContractError", "contract_error", "shown"]

_MAX_SHOWN_CHARS = 80


class ContractError(ValueError):
    """A value does not satisfy the modelops execution contract."""


def shown(value: object) -> str:
    """A ``repr`` of ``value`` short enough for an error message."""
    try:
        text = repr(value)
    except Exception:  # e.g. an int too long to print: never mask the real error
        text = f"<{type(value).__name__} that cannot be shown>"
    if len(text) > _MAX_SHOWN_CHARS:
        text = text[: _MAX_SHOWN_CHARS - 3] + "..."
    return text


def contract_error(where: str, rule: str, got: object, *, described: bool = False) -> ContractError:
    """``ContractError("where: rule (got <repr>)")``; the caller raises it.

    With ``described=True``, ``got`` is already a description (``"70000 bytes"``)
    and is shown as is instead of through ``repr``.
    """
    return ContractError(f"{where}: {rule} (got {got if described else shown(got)})")

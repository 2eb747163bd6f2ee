"""The harness's own refusals, and how an ``OSError`` is put into one line.

A run that cannot start is refused with one line naming the field (``--timeout``,
``--input-file weather=...``, the run folder) and the rule, never a traceback;
``describe_os_error`` adds the errno's symbolic name (``ENOSPC``, ``EROFS``,
``ENAMETOOLONG``), which is what an operator searches for. The runtime has the
same rule inside an image (``purelms_runtime._files``); the two sides share no
private module, so the three lines live in both.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence

__all__ = ["RunCancelled", "RunRequestError", "closest", "describe_os_error", "did_you_mean"]


class RunRequestError(ValueError):
    """A run refused before its backend started; nothing of it is left on disk."""


class RunCancelled(Exception):
    """Cancelled (a signal) before the backend started; nothing of it is left on disk."""


def describe_os_error(exc: OSError) -> str:
    """``"No space left on device (ENOSPC)"``: the message and the errno's name."""
    name = errno.errorcode.get(exc.errno or 0)
    text = exc.strerror or str(exc)
    return f"{text} ({name})" if name else text


def closest(name: str, known: Sequence[str]) -> str | None:
    """The one known name ``name`` most likely meant: a near miss (difflib, ratio >= 0.7,
    so ``cooling_kwh`` does not suggest ``heating_kwh``), else the only one it begins."""
    import difflib  # only a mistake needs it: not loaded by every `purelms` start

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.7)
    if close:
        return close[0]
    starting = [item for item in known if len(name) >= 3 and item.startswith(name)]
    return starting[0] if len(starting) == 1 else None


def did_you_mean(name: str, known: Sequence[str]) -> str:
    """``"did you mean 'wall_u_w_m2k'? "`` for a near miss among ``known``, else ``""``."""
    found = closest(name, known)
    return f"did you mean {found!r}? " if found else ""

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

__all__ = ["RunCancelled", "RunRequestError", "describe_os_error"]


class RunRequestError(ValueError):
    """A run refused before its backend started; nothing of it is left on disk."""


class RunCancelled(Exception):
    """Cancelled (a signal) before the backend started; nothing of it is left on disk."""


def describe_os_error(exc: OSError) -> str:
    """``"No space left on device (ENOSPC)"``: the message and the errno's name."""
    name = errno.errorcode.get(exc.errno or 0)
    text = exc.strerror or str(exc)
    return f"{text} ({name})" if name else text

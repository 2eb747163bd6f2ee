"""Command-line values checked where they are parsed: one line naming the option and the rule.

``purelms run`` and the sweep commands share these, so ``--timeout`` means the
same thing everywhere: whole seconds greater than 0 (the wire contract's
``timeout_seconds``), where 0, a negative number, ``nan`` or a fraction is
refused rather than read as "the default".
"""

from __future__ import annotations

import argparse
import math
from typing import NoReturn

__all__ = ["OneLineParser", "non_negative_seconds", "port_number", "whole_seconds"]


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (``PROG: error: ...``), exit 2.

    The usage text is one ``--help`` away; a refused option should not bury
    the line that says which option and why under it.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def whole_seconds(text: str) -> int:
    """``--timeout``: whole seconds greater than 0."""
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of seconds greater than 0, got {text!r}"
        )
    return value


def non_negative_seconds(text: str) -> float:
    """``--progress-interval``: a finite number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text!r}")
    return value


def port_number(text: str) -> int:
    """``--port``: a TCP port, 0 (any free port) to 65535."""
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"must be a port number from 0 (any free port) to 65535, got {text!r}"
        )
    return value

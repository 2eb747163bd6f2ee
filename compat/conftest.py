"""Fixtures of the differential tests: the published baseline, running as an oracle.

Without the baseline environment (``$PURELMS_BASELINE_PYTHON``, built by ``nox -s
compat``) every test that needs it fails with the command to run; none is skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import baseline  # noqa: E402


@pytest.fixture(scope="session")
def oracle() -> Iterator[baseline.Oracle]:
    try:
        running = baseline.Oracle()
    except baseline.BaselineMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    with running:
        yield running

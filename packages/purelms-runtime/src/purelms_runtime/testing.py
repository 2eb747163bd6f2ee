"""Public helpers for testing backends the way the platform runs them.

Backend test suites (the template's included) run their backend end to end
through the same harness ``purelms run`` uses: a real loopback callback
server, a real backend process, real output and evidence checks. This module
is the supported way to reach that machinery; the private modules behind it
may move.
"""

from ._callback_server import CallbackServer, ReceivedCallback
from ._evidence import build_evidence, verify_evidence
from ._harness import LocalRunResult, RunRequest, default_run_dir, run_local
from ._manifest import discover, find_repo_root

__all__ = [
    "CallbackServer",
    "LocalRunResult",
    "ReceivedCallback",
    "RunRequest",
    "build_evidence",
    "default_run_dir",
    "discover",
    "find_repo_root",
    "run_local",
    "verify_evidence",
]

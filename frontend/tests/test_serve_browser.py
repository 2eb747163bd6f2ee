"""The energyplus_single_zone bundle in a real browser under `purelms serve`.

Starts ``purelms serve energyplus_single_zone`` on a free port and runs the bundle's
playwright-core script (``backends/energyplus_single_zone/frontend/test/browser.mjs``) in
headless Debian chromium: change parameters, submit, see progress, result cards and the
chart; then a run the backend rejects shows its error. Screenshots go to runs/screenshots/.

``nox -s frontend`` runs it after ``npm ci``; it lives outside the default ``tests``
session's paths because that session installs no node_modules. A missing chromium, node
or node_modules is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from purelms_harness import find_repo_root

REPO = find_repo_root(Path(__file__))
FRONTEND = REPO / "backends" / "energyplus_single_zone" / "frontend"
SCREENSHOTS = REPO / "runs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_energyplus_bundle_in_headless_chromium() -> None:
    node = shutil.which("node")
    assert node, "node is not installed (Node 20 runs the playwright-core script)"
    assert Path(CHROMIUM).is_file(), (
        f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium"
    )
    assert (FRONTEND / "node_modules" / "playwright-core").is_dir(), (
        f"node_modules missing: cd {FRONTEND} && npm ci"
    )
    port = str(_free_port())
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "purelms_harness.cli",
            "serve",
            "energyplus_single_zone",
            "--port",
            port,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert serve.stdout is not None
        line = serve.stdout.readline()  # "serving ... at URL" once the bundle is built
        deadline = time.monotonic() + 120
        while "serving" not in line and time.monotonic() < deadline:
            assert serve.poll() is None, f"purelms serve exited: {line}{serve.stdout.read()}"
            line = serve.stdout.readline()
        assert "serving" in line, line
        for stale in SCREENSHOTS.glob("energyplus_single_zone-*.png"):
            stale.unlink()
        done = subprocess.run(
            [node, "test/browser.mjs"],
            cwd=FRONTEND,
            env={
                **os.environ,
                "PURELMS_SERVE_URL": f"http://127.0.0.1:{port}/",
                "CHROMIUM": CHROMIUM,
                "PURELMS_SCREENSHOT_DIR": str(SCREENSHOTS),
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        print(done.stdout)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "progress seen" in done.stdout
        assert "failure shown: Error PARAMS.INVALID" in done.stdout
        for name in ("success", "failed"):
            shot = SCREENSHOTS / f"energyplus_single_zone-{name}.png"
            assert shot.is_file(), shot
            assert shot.stat().st_size > 10_000, shot
    finally:
        serve.terminate()
        serve.wait(timeout=30)

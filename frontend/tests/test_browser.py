"""The task bundles in a real browser: headless Debian chromium driven by playwright-core.

* ``test_every_bundle_under_the_mount_contract``: every ``backends/*/`` bundle mounted by a
  minimal platform host (``browser/host.html``, only the ``purelms.interactive_mount.v1``
  contract, its api answers scripted) through ``browser/contract.mjs``: exports, form from
  the compiled manifest, every status, restore and resume, a refusal and transport
  failures, ``helpers.ui``, a task no longer available, Layer 2; no request of the bundle's
  own, nothing changed outside its element.
* ``test_energyplus_end_to_end_through_purelms_serve``: ``purelms serve
  energyplus_single_zone`` with ``browser/serve.mjs``: the form's rules, a real run,
  results, chart and outcome, reload and reset, 360 px and 1280 px with screenshots in
  runs/screenshots/.

``nox -s frontend`` runs these after building every bundle and ``npm ci`` in
``frontend/tests/browser``; they live outside the default ``tests`` session's paths because
that session installs no node_modules. A missing chromium, node, node_modules or bundle is a
failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import yaml

from purelms_harness import find_repo_root

REPO = find_repo_root(Path(__file__))
BROWSER = REPO / "frontend" / "tests" / "browser"
SCREENSHOTS = REPO / "runs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SLUGS = sorted(p.parent.name for p in REPO.glob("backends/*/interactive_task.yaml"))


def _node() -> str:
    node = shutil.which("node")
    assert node, "node is not installed (Node 20 runs the playwright-core scripts)"
    assert Path(CHROMIUM).is_file(), (
        f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium"
    )
    assert (BROWSER / "node_modules" / "playwright-core").is_dir(), (
        f"node_modules missing: cd {BROWSER} && npm ci"
    )
    return node


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_bundle_under_the_mount_contract() -> None:
    node = _node()
    for slug in SLUGS:
        task = yaml.safe_load((REPO / "backends" / slug / "interactive_task.yaml").read_text())
        bundle = REPO / "backends" / slug / "frontend" / "dist" / task["frontend"]["bundle"]
        assert bundle.is_file(), (
            f"{bundle} is not built: cd {bundle.parent.parent} && npm run build"
        )
    done = subprocess.run(
        [node, "contract.mjs", str(REPO), *SLUGS],
        cwd=BROWSER,
        env={**os.environ, "CHROMIUM": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert not [line for line in lines if line.startswith("FAIL")]
    for slug in SLUGS:
        ok = [line for line in lines if line.startswith(f"ok {slug}: ")]
        assert len(ok) >= 8, f"{slug}: only {len(ok)} scenarios passed"
    assert any(line.startswith("ok energyplus_single_zone: Layer 2:") for line in lines)


def test_energyplus_end_to_end_through_purelms_serve() -> None:
    node = _node()
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
            [node, "serve.mjs"],
            cwd=BROWSER,
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
        for expected in (
            "window area maximum follows the facade",
            "night setback inputs are disabled",
            "success: ",
            "reload: last run restored",
            "360 px: no horizontal scroll",
        ):
            assert expected in done.stdout, expected
        for width in (360, 1280):
            shot = SCREENSHOTS / f"energyplus_single_zone-{width}.png"
            assert shot.is_file(), shot
            assert shot.stat().st_size > 20_000, shot
    finally:
        serve.terminate()
        serve.wait(timeout=30)

"""A local Debian 12 + python3 base image, for machines that cannot pull ``python:3.11-slim``.

``debootstrap --variant=minbase --include=python3 bookworm`` into a scratch
folder, pruned of what no container needs (apt lists and caches, manuals,
translations, documentation other than the copyright notices), then imported
into the engine's local storage as ``localhost/purelms-base:bookworm``. It is
built once and reused: the image carries a label with the digest of this
recipe, and a base whose label differs is rebuilt. Debian 12's python3 is
CPython 3.11, the workspace's Python, with its standard library already
compiled to bytecode.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from purelms_harness import ContainerEngine

__all__ = ["LOCAL_BASE", "RECIPE_LABEL", "ensure_local_base", "recipe_digest"]

LOCAL_BASE = "localhost/purelms-base:bookworm"
RECIPE_LABEL = "io.purelms.base.recipe"
MIRROR_ENV = "PURELMS_DEBIAN_MIRROR"
_SUITE = "bookworm"
_INCLUDE = ["python3"]
#: Removed from the bootstrapped tree (globs relative to its root).
_PRUNE = [
    "var/lib/apt/lists/*",
    "var/cache/apt/*",
    "var/cache/debconf/*-old",
    "var/log/*",
    "usr/share/man/*",
    "usr/share/info/*",
    "usr/share/locale/*",
    "usr/share/lintian",
    "usr/share/linda",
    # glibc's iconv modules: CPython's codecs are its own, and no engine we ship uses iconv.
    "usr/lib/x86_64-linux-gnu/gconv",
    # The standard library's test support and pydoc's offline topic texts.
    "usr/lib/python3.*/test",
    "usr/lib/python3.*/pydoc_data/topics.py",
    "usr/lib/python3.*/pydoc_data/__pycache__/topics.*.pyc",
    "etc/hostname",
    "etc/resolv.conf",
]
#: Later ``apt-get install`` steps (libx11-6 for EnergyPlus) stay as lean.
_DPKG_EXCLUDES = """\
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
"""
_APT_CONF = 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n'
_CHANGES = ["ENV LANG=C.UTF-8", 'CMD ["python3"]']


def recipe_digest() -> str:
    """Digest of everything that decides the base's content; a change rebuilds it."""
    recipe = [_SUITE, _INCLUDE, _PRUNE, _DPKG_EXCLUDES, _APT_CONF, _CHANGES, "v1"]
    return hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:16]


def _prune(rootfs: Path) -> None:
    for pattern in _PRUNE:
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    doc = rootfs / "usr/share/doc"
    for path in sorted(doc.rglob("*"), reverse=True):
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        elif path.name != "copyright":
            path.unlink()
    (rootfs / "etc/dpkg/dpkg.cfg.d/purelms-slim").write_text(_DPKG_EXCLUDES)
    (rootfs / "etc/apt/apt.conf.d/90purelms-slim").write_text(_APT_CONF)


def build_local_base(engine: ContainerEngine, ref: str = LOCAL_BASE) -> None:
    """debootstrap, prune and import the base as ``ref`` (needs root and network to Debian)."""
    if shutil.which("debootstrap") is None:
        raise RuntimeError(
            "cannot build the local base: debootstrap is not installed "
            "(apt-get install debootstrap)"
        )
    if os.geteuid() != 0:
        raise RuntimeError("cannot build the local base: debootstrap needs root")
    mirror = os.environ.get(MIRROR_ENV, "http://deb.debian.org/debian")
    with tempfile.TemporaryDirectory(prefix="purelms-base-") as scratch:
        rootfs = Path(scratch) / "rootfs"
        command = [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(_INCLUDE)}",
            _SUITE,
            str(rootfs),
            mirror,
        ]
        print(f"images: building the local base {ref} with {' '.join(command)}", flush=True)
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise RuntimeError(f"debootstrap failed ({proc.returncode}):\n{tail}")
        _prune(rootfs)
        tarball = Path(scratch) / "rootfs.tar"
        subprocess.run(
            ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-cf", str(tarball), "."],
            check=True,
        )
        changes = [*_CHANGES, f"LABEL {RECIPE_LABEL}={recipe_digest()}"]
        flag = "--change" if engine.is_podman else "-c"
        args = [arg for change in changes for arg in (flag, change)]
        engine.run("import", *args, str(tarball), ref, timeout=900)


def ensure_local_base(engine: ContainerEngine, ref: str = LOCAL_BASE) -> str:
    """``ref``, built now unless an image of the current recipe is already there."""
    if engine.image_exists(ref) and engine.image_labels(ref).get(RECIPE_LABEL) == recipe_digest():
        return ref
    build_local_base(engine, ref)
    return ref

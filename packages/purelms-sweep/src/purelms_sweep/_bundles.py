"""Backend bundles: a backend version identified by one sha256.

``modelops_contracts.SimTask.bundle_ref`` pins *which code* runs a task. For a
released backend that is the sha256 of its wheel or of its image; in this
workspace the backends are installed editable and no wheel exists, so the
digest is defined over what a wheel would be built from, deterministically:

    bundle_ref = "sha256:" + sha256(canonical JSON of the bundle description)

and the **bundle description** (``WorkspaceBundles.describe(slug)``, written
next to every sweep as ``bundle.json``) is::

    {"format": "purelms-source-bundle/1",
     "slug": ..., "version": ..., "module": ...,
     "manifest": <sha256 of interactive_task.yaml>,
     "distributions": {
        "<workspace member>": {"version": ..., "files": {<relative path>: <sha256>}},
        "<any other distribution>": {"version": ...}}}

``distributions`` is the backend's whole runtime dependency closure (its
``Requires-Dist``, recursively, extras ignored): workspace members installed
from a local folder contribute the sha256 of ``pyproject.toml`` and of every
file under ``src/`` (caches excluded), other distributions their installed
version. So the digest changes exactly when something that can change a
result changes: the backend's code or manifest, the runtime or wire contract
it runs under (including uncommitted edits), or a dependency's version
(pydantic, the EnergyPlus wheel).

Why not build the wheel with ``uv build`` and hash it: a sweep would pay a
build of every workspace member before its first task, the wheel's bytes
depend on the build backend's version and on archive details that say
nothing about behaviour, and hashing the wheel alone would miss an edit to
``purelms-runtime`` or ``purelms-shared``, which the wheel only names by a
version range. Cached results must never outlive the code that made them.

A backend run from its **container image** (``--image REF``) is pinned by the
image's digest instead: ``bundle_ref`` is the image ID (``sha256:`` of the
image config, the same under docker and podman and across save/load; see
``_container.ContainerEngine.image_id``), and ``describe_image`` records the
reference, ID and labels. Workers start the container by that ID, not by
the tag, so a tag rebuilt or moved mid-sweep cannot change the code a task
runs. An image whose ``io.purelms.interactive-task.slug`` label names another backend
is refused.

``WorkspaceBundles`` implements ``modelops_contracts.BundleRepository``:
``ensure_local(bundle_ref)`` returns the backend's project folder when
``bundle_ref`` is the digest of a backend of this checkout *as it is now*;
a task pinned to any other version is refused (``BundleNotFound``), never
run with different code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from purelms_harness import BackendManifest, ManifestError, discover

__all__ = [
    "BUNDLE_FORMAT",
    "IMAGE_FORMAT",
    "BundleNotFound",
    "WorkspaceBundles",
    "describe_image",
    "entrypoint_for",
]

BUNDLE_FORMAT = "purelms-source-bundle/1"
IMAGE_FORMAT = "purelms-image/1"
SLUG_LABEL = "io.purelms.interactive-task.slug"
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_SKIPPED_PARTS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})


class BundleNotFound(KeyError):
    """A ``bundle_ref`` that no backend of this checkout has (any more)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "bundle not found"


def entrypoint_for(manifest: BackendManifest) -> str:
    """The ``SimTask.entrypoint`` of a backend: ``<module>.backend/<slug>``.

    ``<module>.backend`` is the ``purelms_runtime.Backend`` object that
    ``python -m <module>`` runs (the grammar's ``module.path.Class`` part names
    that object); the scenario is the backend's slug.
    """
    return f"{manifest.module}.backend/{manifest.slug}"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(dist: metadata.Distribution) -> list[str]:
    names = []
    for requirement in dist.requires or []:
        _, _, marker = requirement.partition(";")
        if "extra" in marker:
            continue  # an optional extra of that distribution, not part of the closure
        match = _REQUIREMENT_NAME.match(requirement)
        if match:
            names.append(_normalise(match.group(1)))
    return names


def _local_folder(dist: metadata.Distribution) -> Path | None:
    """The project folder of a distribution installed from a local directory."""
    raw = dist.read_text("direct_url.json")
    if not raw:
        return None
    try:
        info = json.loads(raw)
    except ValueError:
        return None
    url = info.get("url", "") if isinstance(info, dict) else ""
    if "dir_info" not in info or not url.startswith("file://"):
        return None
    folder = Path(unquote(urlparse(url).path))
    return folder if folder.is_dir() else None


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _source_files(folder: Path) -> Iterator[Path]:
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        yield pyproject
    src = folder / "src"
    for path in sorted(src.rglob("*")) if src.is_dir() else []:
        relative = path.relative_to(folder)
        if any(part in _SKIPPED_PARTS or part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix not in (".pyc", ".pyo"):
            yield path


def _distribution_entry(dist: metadata.Distribution) -> dict[str, Any]:
    entry: dict[str, Any] = {"version": dist.version}
    folder = _local_folder(dist)
    if folder is not None:
        entry["files"] = {
            path.relative_to(folder).as_posix(): _sha256_file(path)
            for path in _source_files(folder)
        }
    return entry


def _distribution_for(manifest: BackendManifest) -> metadata.Distribution:
    """The installed distribution of a backend: its package, or the one holding its code."""
    package = manifest.package
    if package:
        try:
            return metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise ManifestError(
                f"{manifest.path}: the backend's package {package!r} is not installed"
            ) from None
    spec = importlib.util.find_spec(manifest.module.split(".", 1)[0])
    origin = Path(spec.origin).resolve() if spec and spec.origin else None
    if origin is not None:
        for dist in metadata.distributions():
            folder = _local_folder(dist)
            if folder is not None and origin.is_relative_to(folder.resolve()):
                return dist
    top = manifest.module.split(".", 1)[0]
    names = metadata.packages_distributions().get(top, [])
    if not names:
        raise ManifestError(
            f"backend module {manifest.module!r} belongs to no installed distribution"
        )
    return metadata.distribution(names[0])


def _closure(root: metadata.Distribution) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    pending = [root]
    while pending:
        dist = pending.pop()
        name = _normalise(dist.metadata["Name"])
        if name in entries:
            continue
        entries[name] = _distribution_entry(dist)
        for requirement in _requirement_names(dist):
            if requirement in entries:
                continue
            try:
                pending.append(metadata.distribution(requirement))
            except metadata.PackageNotFoundError:
                entries[requirement] = {"version": None}
    return dict(sorted(entries.items()))


def describe_bundle(manifest: BackendManifest) -> dict[str, Any]:
    """The bundle description of ``manifest``'s backend (see the module docstring)."""
    dist = _distribution_for(manifest)
    return {
        "format": BUNDLE_FORMAT,
        "slug": manifest.slug,
        "version": manifest.version,
        "module": manifest.module,
        "manifest": _sha256_file(manifest.path),
        "distributions": _closure(dist),
    }


def describe_image(image: str, manifest: BackendManifest) -> dict[str, Any]:
    """The bundle description of ``image``; its ``image_id`` is the task's ``bundle_ref``.

    Raises ``_container.ContainerError`` (no engine, no such image) or
    ``ManifestError`` (the image is another backend's).
    """
    from purelms_harness import detect_engine

    engine = detect_engine()
    labels = engine.image_labels(image)
    slug = labels.get(SLUG_LABEL)
    if slug is not None and slug != manifest.slug:
        raise ManifestError(
            f"image {image} is backend {slug!r} ({SLUG_LABEL}), not {manifest.slug!r}"
        )
    return {
        "format": IMAGE_FORMAT,
        "slug": manifest.slug,
        "image": image,
        "image_id": engine.image_id(image),
        "engine": engine.name,
        "labels": dict(sorted(labels.items())),
    }


def bundle_ref_of(description: dict[str, Any]) -> str:
    """``sha256:<hex>`` of a bundle description (an image's is its image ID)."""
    if description.get("format") == IMAGE_FORMAT:
        return str(description["image_id"])
    canonical = json.dumps(description, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


class WorkspaceBundles:
    """``modelops_contracts.BundleRepository`` over the backends of one checkout.

    Digests are computed on first use and then kept for the lifetime of the
    object: one sweep sees one version of the code.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._manifests: dict[str, BackendManifest] | None = None
        self._descriptions: dict[str, dict[str, Any]] = {}
        self._refs: dict[str, str] = {}

    @property
    def manifests(self) -> dict[str, BackendManifest]:
        if self._manifests is None:
            self._manifests = discover(self.root)
        return self._manifests

    def manifest(self, slug: str) -> BackendManifest:
        try:
            return self.manifests[slug]
        except KeyError:
            known = ", ".join(sorted(self.manifests)) or "none"
            raise ManifestError(f"unknown backend {slug!r}; known backends: {known}") from None

    def describe(self, slug: str) -> dict[str, Any]:
        if slug not in self._descriptions:
            self._descriptions[slug] = describe_bundle(self.manifest(slug))
        return self._descriptions[slug]

    def bundle_ref(self, slug: str) -> str:
        """``sha256:<hex>`` of ``slug``'s backend as it is in this checkout now."""
        if slug not in self._refs:
            self._refs[slug] = bundle_ref_of(self.describe(slug))
        return self._refs[slug]

    def slug_for(self, bundle_ref: str) -> str:
        """The slug whose current digest is ``bundle_ref``; ``BundleNotFound`` otherwise."""
        for slug in self.manifests:
            if self.bundle_ref(slug) == bundle_ref:
                return slug
        current = ", ".join(f"{slug} = {self.bundle_ref(slug)}" for slug in self.manifests)
        raise BundleNotFound(
            f"bundle {bundle_ref} is not a backend of {self.root} as it is now "
            f"(current bundles: {current or 'none'}); the code it pins is not available here"
        )

    def ensure_local(self, bundle_ref: str) -> Path:
        """The backend project folder holding ``bundle_ref``'s code."""
        manifest = self.manifest(self.slug_for(bundle_ref))
        return manifest.directory

    def exists(self, bundle_ref: str) -> bool:
        try:
            self.slug_for(bundle_ref)
        except BundleNotFound:
            return False
        return True

"""``purelms manifest check [FILE ...]``: every installer rule, one line per problem.

A FILE is a manifest (``interactive_task.yaml``) or a task folder holding one; the
slug must equal the name of the folder the manifest is in, as the platform's installer
requires. Every other rule is :class:`purelms_shared.InteractiveTaskManifest`'s.

Without FILE: every ``backends/*/interactive_task.yaml`` of the repository, and the
copier template's manifest rendered with the template's default answers (for a task
folder named ``new_task``), so a template change that would scaffold an uninstallable
task is caught before anyone scaffolds one. The template is rendered here with Jinja
(``copier.yml``'s question defaults and its ``_envops``), not with copier, because only
one file is needed and copier needs a committed template.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ._manifest import MANIFEST_NAME, ManifestError, read_manifest_data, task_problems

__all__ = [
    "TEMPLATE_FOLDER_NAME",
    "ManifestCheck",
    "check_manifest",
    "default_manifest_files",
    "render_template_manifest",
]

TEMPLATE_FOLDER_NAME = "new_task"
_COPIER_CONFIG = "copier.yml"
_TEMPLATE_MANIFEST = f"{MANIFEST_NAME}.jinja"


@dataclass(frozen=True)
class ManifestCheck:
    """The verdict on one manifest file."""

    path: Path
    slug: str | None
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_manifest(path: Path) -> ManifestCheck:
    """Validate one manifest (or the manifest in a task folder) as the installer does."""
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        data = read_manifest_data(path)
    except ManifestError as exc:
        return ManifestCheck(path, None, [str(exc).removeprefix(f"{path}: ")])
    manifest, problems = task_problems(data, path.resolve().parent.name)
    return ManifestCheck(path, manifest.slug if manifest else None, problems)


def _template_answers(config: dict[str, Any], folder_name: str) -> dict[str, Any]:
    """copier.yml's question defaults, rendered in order as copier renders them."""
    import jinja2  # only to render the template (not on every `purelms` start)
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    answers: dict[str, Any] = {"_folder_name": folder_name}
    for name, question in config.items():
        if name.startswith("_") or not isinstance(question, dict):
            continue
        default = question.get("default")
        if isinstance(default, str):
            default = env.from_string(default).render(**answers)
            if question.get("type") == "int":
                default = int(default)
        answers[name] = default
    return answers


def render_template_manifest(root: Path, into: Path) -> Path | None:
    """The template's manifest rendered into ``into/new_task/``; None without a template."""
    config_path = root / _COPIER_CONFIG
    if not config_path.is_file():
        return None
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    subdirectory = root / str(config.get("_subdirectory", "."))
    source = subdirectory / _TEMPLATE_MANIFEST
    if not source.is_file():
        return None
    import jinja2  # only to render the template (not on every `purelms` start)
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, **config.get("_envops", {}))
    text = env.from_string(source.read_text(encoding="utf-8")).render(
        **_template_answers(config, TEMPLATE_FOLDER_NAME)
    )
    target = into / TEMPLATE_FOLDER_NAME / MANIFEST_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def default_manifest_files(root: Path) -> list[Path]:
    """Every ``backends/*/interactive_task.yaml`` of the repository at ``root``."""
    return sorted((root / "backends").glob(f"*/{MANIFEST_NAME}"))

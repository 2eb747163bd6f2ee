"""Scaffold a new backend from the copier template, ready to test, run and build.

Usage (through nox; ``--root`` points the tool at another checkout, e.g. in tests)::

    nox -s new_backend -- <slug> [--name "..."] [--description "..."] [--author "..."]
                                 [--version X.Y.Z] [--timeout SECONDS]
    nox -s update_backend -- <slug> [--vcs-ref REF]
    python tools/new_backend.py --register <slug>    # after a plain `copier copy`

``new``: checks the slug (lowercase identifier, not reserved, ``backends/<slug>`` not there
yet) and the template (committed, its purelms-shared floor current) before writing
anything; renders ``templates/_template`` into ``backends/<slug>/`` with copier; adds the
backend to the root pyproject (dev group, ``[tool.uv.sources]``, ruff's first-party
modules) and re-locks. The backend then passes its own tests, runs under
``purelms run <slug>``, and is found by ``lockstep_check``, ``wire_sync``,
``lockstep_bump`` and ``nox -s images`` without being registered anywhere else.

``--update``: merges template changes made since the backend was scaffolded (or last
updated) into it with ``copier update``; the backend's own edits stay. A clash is left as
inline conflict markers and named; the exit code is then 1. See ``tools/_template.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from _template import TemplateError, answers_for, register, scaffold, update
from _workspace import LockstepError, shown

ROOT: Final = Path(__file__).resolve().parents[1]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="new_backend", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("slug", help="lowercase identifier: backends/<slug>, purelms_<slug>")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--register",
        action="store_true",
        help="only add an existing backends/<slug> to the root pyproject and re-lock",
    )
    mode.add_argument(
        "--update",
        action="store_true",
        help="merge later template changes into backends/<slug> (copier update)",
    )
    parser.add_argument("--name", help="display name (default: from the slug)")
    parser.add_argument("--description", help="one-line description")
    parser.add_argument("--author", help="author or team for the package metadata")
    parser.add_argument("--version", help="first version, X.Y.Z (default 0.1.0)")
    parser.add_argument("--timeout", type=int, help="default run timeout in seconds (60)")
    parser.add_argument("--vcs-ref", help="with --update: the template commit (default HEAD)")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    return parser


def _new(root: Path, args: argparse.Namespace) -> int:
    answers = answers_for(
        args.slug,
        name=args.name,
        description=args.description,
        author=args.author,
        version=args.version,
        timeout_seconds=args.timeout,
    )
    files = scaffold(root, answers)
    slug = args.slug
    print(f"new_backend: created backends/{slug}/ and registered it:")
    for path in files:
        print(f"  {shown(path, root)}")
    print(
        "next:\n"
        f"  uv run --locked pytest backends/{slug}\n"
        f"  uv run --locked purelms run {slug}\n"
        f"  edit backends/{slug}/backend/src/purelms_{slug}/_{slug}.py, then\n"
        f"  uv run purelms manifest {slug} --write && uv run --locked nox -s wire_sync -- --write"
    )
    return 0


def _update(root: Path, args: argparse.Namespace) -> int:
    result = update(root, args.slug, ref=args.vcs_ref)
    if not result.changed:
        print(f"update_backend: backends/{args.slug} already has the template's latest changes")
        return 0
    print(f"update_backend: {len(result.changed)} file(s) changed (review with `git diff`):")
    for name in result.changed:
        print(f"  {name}")
    if result.relocked:
        print("update_backend: uv.lock re-locked (the backend's dependencies changed)")
    if result.conflicts:
        print(
            "update_backend: the template change clashes with the backend's own edits in:\n"
            + "".join(f"  {name}\n" for name in result.conflicts)
            + "resolve the <<<<<<< before updating / >>>>>>> after updating blocks, then commit",
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root: Path = args.root.resolve()
    started = time.monotonic()
    try:
        if args.register:
            changed = register(root, args.slug)
            print(f"new_backend: registered backends/{args.slug} ({len(changed)} file(s) changed)")
            code = 0
        elif args.update:
            code = _update(root, args)
        else:
            code = _new(root, args)
    except (TemplateError, LockstepError) as exc:
        tool = "update_backend" if args.update else "new_backend"
        print(f"{tool}: {exc}", file=sys.stderr)
        return 1
    print(f"({time.monotonic() - started:.1f} s)")
    return code


if __name__ == "__main__":
    sys.exit(main())

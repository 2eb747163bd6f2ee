"""Write the committed JSON Schema files of the purelms wire contract.

The files in ``packages/purelms-shared/src/purelms_shared/schemas/`` are generated
from the pydantic models (``purelms_shared.schema_documents()``) and committed,
because the TypeScript mirror is generated from them. Run through nox::

    nox -s schemas              # rewrite the files
    nox -s schemas -- --check   # exit 1, listing stale files, if they drifted

A ``*.json`` file in that directory that no model produces any more is stale too:
without ``--check`` it is deleted, so a removed document cannot linger.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from purelms_shared import schema_documents

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT / "packages" / "purelms-shared" / "src" / "purelms_shared" / "schemas"


def stale_files(directory: Path, documents: dict[str, str]) -> list[Path]:
    """Files under ``directory`` that differ from ``documents``, are missing, or are orphans."""
    stale = [
        directory / name
        for name, text in documents.items()
        if not (directory / name).is_file()
        or (directory / name).read_text(encoding="utf-8") != text
    ]
    orphans = [path for path in directory.glob("*.json") if path.name not in documents]
    return sorted([*stale, *orphans])


def write_files(directory: Path, documents: dict[str, str]) -> list[Path]:
    """Bring ``directory`` in line with ``documents``; return the paths written or deleted."""
    changed = stale_files(directory, documents)
    directory.mkdir(parents=True, exist_ok=True)
    for path in changed:
        if path.name in documents:
            # newline="\n": the committed bytes must not depend on the platform.
            path.write_text(documents[path.name], encoding="utf-8", newline="\n")
        else:
            path.unlink()
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and list the stale files if any schema file is out of date",
    )
    parser.add_argument(
        "--directory",
        type=Path,
        default=SCHEMA_DIR,
        help="where the schema files live (default: the purelms_shared package)",
    )
    args = parser.parse_args(argv)
    directory: Path = args.directory
    documents = schema_documents()

    if args.check:
        stale = stale_files(directory, documents)
        if stale:
            print("Stale JSON Schema files (the wire models changed):", file=sys.stderr)
            for path in stale:
                print(f"  {_shown(path)}", file=sys.stderr)
            print("Regenerate them: run `nox -s schemas`", file=sys.stderr)
            return 1
        print(f"{len(documents)} schema files are up to date in {_shown(directory)}")
        return 0

    changed = write_files(directory, documents)
    for path in changed:
        print(f"{'wrote' if path.name in documents else 'deleted'} {_shown(path)}")
    print(f"{len(documents)} schema files in {_shown(directory)} ({len(changed)} changed)")
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())

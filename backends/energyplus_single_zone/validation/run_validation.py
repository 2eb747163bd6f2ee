"""``nox -s validation [-- CASE ... --strict --workers N]``: the ASHRAE 140 envelope cases.

Runs every case of ``ashrae140/`` (or the named ones) through the backend with the
real EnergyPlus, in parallel on the available cores, prints a Markdown table (case,
output, ours, range, EnergyPlus reference, verdict) and, after a full run, writes it
into the backend's README between its markers. Exits 1 when an output leaves its
range other than where NREL's EnergyPlus leaves it too (``--strict``: any output
outside its range), or when a case fails to run. The verdict rules are in
``purelms_energyplus_single_zone._validation``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from purelms_energyplus_single_zone._validation import (
    judge,
    load_suite,
    markdown_table,
    replace_readme_table,
    run_suite,
    summary,
)

HERE = Path(__file__).resolve().parent
SUITE = HERE / "ashrae140"
README = HERE.parent / "backend" / "README.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="case names (600, 900FF, ...); default: all")
    parser.add_argument("--strict", action="store_true", help="fail on any output off its range")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the README")
    args = parser.parse_args(argv)

    try:
        suite = load_suite(SUITE)
    except ValueError as exc:
        parser.error(" ".join(str(exc).split()))
    if args.cases:
        try:
            suite = suite.select(args.cases)
        except KeyError as exc:
            parser.error(str(exc.args[0]))
    started = time.monotonic()
    results = run_suite(suite, workers=args.workers)
    seconds = time.monotonic() - started
    rows = [row for case in suite.cases for row in judge(case, results[case.name])]
    table = markdown_table(rows)
    line = summary(rows)
    print(table)
    print(line)
    print(f"{len(suite.cases)} annual runs in {seconds:.1f} s with {args.workers} workers.")
    if not args.cases and not args.no_readme:
        README.write_text(
            replace_readme_table(README.read_text(encoding="utf-8"), f"{table}\n{line}\n"),
            encoding="utf-8",
        )
        print(f"table written to {README.relative_to(HERE.parents[2])}")
    failing = [row for row in rows if not row.passes(strict=args.strict)]
    for row in failing:
        print(f"FAIL: case {row.case} {row.quantity}: {row.verdict.value} {row.note}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())

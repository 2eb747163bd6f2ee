"""Lockstep: purelms-shared's version, every consumer's floor pin, uv.lock and the
TypeScript consumers move together, in one command, and drift fails loudly.

Why: every wire model is strict (``extra="forbid"``), so a consumer one version behind
rejects what a newer producer sends. An additive contract change is therefore only
safe when every consumer's floor (``purelms-shared>=X.Y.Z``) moves with it, and uv does
not enforce a workspace member's floor on another member, so this tool does.

Usage (through nox; ``--root`` points the tool at another checkout, e.g. in tests)::

    nox -s lockstep_bump -- <X.Y.Z | major | minor | patch> [--also PATH ...]
    nox -s lockstep_check              # default session: CI runs it
    nox -s lockstep_check -- --fix     # set every floor/marker to the current version
    nox -s minimums                    # each consumer's tests against exactly its floor

``bump`` counts ``major``/``minor``/``patch`` from the *committed* version (``git show
HEAD:...``), so running it again after a failure never bumps twice: a bump already
written but not committed is said so, and every place is brought to that version again
(an explicit ``X.Y.Z`` is accepted the same way). It writes nothing when it refuses: a
version not higher than the committed one, an unparsable consumer, a missing external
checkout, a ceiling such as ``<0.7`` that would exclude the new version. It then:

1. sets ``[project] version`` of ``packages/purelms-shared/pyproject.toml``;
2. raises the floor of every consumer found by ``_workspace.discover`` (workspace
   members, the copier template, ``--also`` paths and ``lockstep.toml``'s ``also``),
   editing TOML with tomlkit so comments and layout survive (a ``.jinja`` template,
   which is not TOML until rendered, is edited as text);
3. regenerates the JSON Schema files, the TypeScript module and every TypeScript
   consumer's marker and wire block (``wire_sync.write``);
4. re-locks ``uv.lock`` (``uv lock``);
5. runs ``check`` and the wire-sync checks, and prints every file it changed and the
   next step: the tests (``nox -s tests``), a separate step, so a failing test never
   leaves the question whether the bump must run again (it need not).

``check`` fails, naming file and line, when a floor differs from purelms-shared's
version (or is missing), when ``uv.lock`` is stale (``uv lock --check``) or records
another purelms-shared version, when the TypeScript module or a consumer was synced to
another contract version, and when the contract changed (its fingerprint, see
``_contract``) while the version stayed the same.

``minimums`` proves the floors true: for each distinct floor it builds a fresh virtual
environment holding exactly ``purelms-shared==<floor>`` with the consumers, and runs each
consumer's own tests in it. Older purelms-shared versions are not published anywhere,
so "exactly the floor" can only be the workspace source: every workspace member is
built from its folder into a wheel and installed (not editable) under the constraint
``purelms-shared==<floor>``, third-party packages at the versions of ``uv.lock``. The
install succeeds only when the source *is* the floor (which ``check`` also demands) and
no consumer's requirement excludes it; the tests then run against built packages, not
the editable workspace.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import tomlkit
from tomlkit.items import String, StringType

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import wire_sync
from _typescript import ensure_toolchain
from _workspace import (
    LOCKFILE,
    MARKER_RE,
    SHARED_PYPROJECT,
    LockstepError,
    PyConsumer,
    discover,
    names_shared,
    parse_version,
    requirement_arrays,
    shared_version,
    shown,
    with_floor,
    workspace_members,
)

ROOT: Final = Path(__file__).resolve().parents[1]
FIX_SYNC: Final = "nox -s lockstep_check -- --fix"
FIX_BUMP: Final = wire_sync.FIX_BUMP
NEXT_TESTS: Final = "uv run --locked nox -s tests"
Problem = wire_sync.Problem


def _uv() -> str:
    found = shutil.which("uv")
    if found:
        return found
    try:
        import uv  # type: ignore[import-not-found]
    except ImportError:
        raise LockstepError("uv is not on PATH (`python -m pip install uv`)") from None
    return str(uv.find_uv_bin())


# --------------------------------------------------------------------------- versions


def next_version(current: str, target: str) -> str:
    """The version ``target`` (``X.Y.Z``, ``major``, ``minor``, ``patch``) names after ``current``.

    Refuses (LockstepError) a version that is not higher than ``current``.
    """
    major, minor, patch = parse_version(current)
    if target == "major":
        return f"{major + 1}.0.0"
    if target == "minor":
        return f"{major}.{minor + 1}.0"
    if target == "patch":
        return f"{major}.{minor}.{patch + 1}"
    try:
        wanted = parse_version(target)
    except LockstepError:
        raise LockstepError(f"{target!r} is neither X.Y.Z nor one of major, minor, patch") from None
    if wanted <= (major, minor, patch):
        raise LockstepError(
            f"refusing {target}: purelms-shared is already {current}, and a bump must go "
            f"higher (try `nox -s lockstep_bump -- {major}.{minor + 1}.0` or `-- minor`); "
            "nothing was written"
        )
    return target


# --------------------------------------------------------------------------- TOML edits


def _set_string(array: list[object], index: int, value: str) -> None:
    old = array[index]
    literal = isinstance(old, String) and old.type in (StringType.SLL, StringType.MLL)
    array[index] = tomlkit.string(value, literal=literal)


def floors_text(consumer: PyConsumer, version: str) -> str:
    """The consumer's file text with every purelms-shared floor set to ``version``."""
    text = consumer.path.read_text(encoding="utf-8")
    if consumer.templated:
        lines = text.splitlines(keepends=True)
        for floor in consumer.floors:
            index = floor.line - 1
            lines[index] = lines[index].replace(floor.requirement, floor.with_floor(version), 1)
        return "".join(lines)
    doc = tomlkit.parse(text)
    for _, array in requirement_arrays(doc):
        for index, item in enumerate(array):
            if isinstance(item, str) and names_shared(item):
                _set_string(array, index, with_floor(str(item), version))
    return tomlkit.dumps(doc)


def version_text(root: Path, version: str) -> str:
    """purelms-shared's pyproject text with ``[project] version`` set to ``version``."""
    doc = tomlkit.parse((root / SHARED_PYPROJECT).read_text(encoding="utf-8"))
    doc["project"]["version"] = version
    return tomlkit.dumps(doc)


def _run(command: list[str], root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)


def relock(root: Path) -> None:
    result = _run([_uv(), "lock", "--quiet"], root)
    if result.returncode != 0:
        raise LockstepError(f"`uv lock` failed in {root}:\n{result.stderr.strip()}")


# --------------------------------------------------------------------------- check


def _lock_problems(root: Path, version: str) -> list[Problem]:
    lock = root / LOCKFILE
    if not lock.is_file():
        return [Problem(lock, 0, "missing", "uv lock")]
    problems = []
    text = lock.read_text(encoding="utf-8")
    match = re.search(r'^name = "purelms-shared"\nversion = "([^"]+)"', text, re.MULTILINE)
    if match and match[1] != version:
        line = text.count("\n", 0, match.start()) + 2
        problems.append(
            Problem(lock, line, f"records purelms-shared {match[1]}, not {version}", FIX_SYNC)
        )
    result = _run([_uv(), "lock", "--check", "--offline", "--quiet"], root)
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()
        problems.append(
            Problem(
                lock,
                0,
                "is stale: "
                + (detail[-1].removeprefix("error: ") if detail else "uv lock --check"),
                f"uv lock (or `{FIX_SYNC}`)",
            )
        )
    return problems


def _floor_problems(root: Path, consumers: Sequence[PyConsumer], version: str) -> list[Problem]:
    problems = []
    for consumer in consumers:
        for floor in consumer.floors:
            where = f"[{floor.where}] " if floor.where != "text" else ""
            if floor.floor is None:
                message = f"{where}{floor.requirement!r} has no floor; it must be >={version}"
            elif floor.floor != version:
                message = (
                    f"{where}floor {floor.requirement!r} differs from purelms-shared {version}"
                )
            elif not floor.satisfied_by_floor:
                message = f"{where}{floor.requirement!r} excludes its own floor {version}"
            else:
                continue
            problems.append(Problem(floor.path, floor.line, message, FIX_SYNC))
    return problems


def _typescript_problems(state: wire_sync.State) -> list[Problem]:
    """Module and consumers against the version and the contract's fingerprint."""
    problems: list[Problem] = []
    version, live = state.version, state.contract.fingerprint
    if state.changed_without_bump:
        recorded = state.recorded[1] if state.recorded else "?"
        problems.append(
            Problem(
                state.root / SHARED_PYPROJECT,
                0,
                f"the contract changed (fingerprint {recorded} -> {live}) but purelms-shared "
                f"is still {version}: a changed contract needs a new version",
                FIX_BUMP,
            )
        )
        problems += [
            Problem(p.path, p.line, p.message, FIX_BUMP) for p in wire_sync.check_schemas(state)
        ]
    files = [(state.module_path, "the generated module")] + [
        (consumer.path, "TypeScript consumer") for consumer in state.consumers
    ]
    for path, what in files:
        if not path.is_file():
            problems.append(Problem(path, 0, f"{what} is missing", FIX_SYNC))
            continue
        text = path.read_text(encoding="utf-8")
        match = MARKER_RE.search(text)
        if match is None:
            problems.append(Problem(path, 1, f"{what} has no contract marker line", FIX_SYNC))
            continue
        line = text.count("\n", 0, match.start()) + 1
        if match["version"] != version:
            problems.append(
                Problem(
                    path,
                    line,
                    f"{what} synced to contract {match['version']}, purelms-shared is {version}",
                    state.fix if state.changed_without_bump else FIX_SYNC,
                )
            )
        elif match["fingerprint"] != live:
            problems.append(
                Problem(
                    path,
                    line,
                    f"{what} synced to contract fingerprint {match['fingerprint']}, "
                    f"the models are at {live}",
                    state.fix if state.changed_without_bump else FIX_SYNC,
                )
            )
    return problems


def check(root: Path, also: tuple[Path, ...] = ()) -> list[Problem]:
    version = shared_version(root)
    consumers = discover(root, also)
    for missing in consumers.missing_external:
        print(f"lockstep: note: external checkout {missing} is not here; not checked")
    state = wire_sync.State(root, also)
    return [
        *_floor_problems(root, consumers.python, version),
        *_lock_problems(root, version),
        *_typescript_problems(state),
    ]


# --------------------------------------------------------------------------- write


@dataclass
class _Writer:
    root: Path
    changed: list[Path]

    def put(self, path: Path, text: str) -> None:
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            self.changed.append(path)


def _apply(root: Path, version: str, also: tuple[Path, ...], *, bump: bool) -> list[Path]:
    """Write ``version`` everywhere: floors, TypeScript, uv.lock. Planned before written."""
    consumers = discover(root, also)
    if consumers.missing_external:
        listed = ", ".join(str(path) for path in consumers.missing_external)
        raise LockstepError(
            f"external checkout(s) not found: {listed} (from --also or lockstep.toml); "
            "check them out or drop them; nothing was written"
        )
    planned: dict[Path, str] = {}
    if bump:
        planned[root / SHARED_PYPROJECT] = version_text(root, version)
    for consumer in consumers.python:
        for floor in consumer.floors:
            if not floor.allows(version):
                raise LockstepError(
                    f"{shown(floor.path, root)}:{floor.line}: {floor.requirement!r} would "
                    f"exclude {version} even with its floor raised; edit it by hand first; "
                    "nothing was written"
                )
        planned[consumer.path] = floors_text(consumer, version)
    _uv()
    ensure_toolchain(root)  # node, npm and the generator, before anything is written
    state = wire_sync.State(root, also)
    if not bump and state.changed_without_bump:
        raise LockstepError(
            f"the contract changed since purelms-shared {version} was released to the "
            f"consumers; that needs a new version: run `{FIX_BUMP}`; nothing was written"
        )

    writer = _Writer(root, [])
    for path, text in planned.items():
        writer.put(path, text)
    writer.changed += wire_sync.write(
        root, version=version, own_types=False, extra_consumers=also, allow_contract_change=bump
    )
    lock = root / LOCKFILE
    before = lock.read_bytes() if lock.is_file() else b""
    relock(root)
    if lock.read_bytes() != before:
        writer.changed.append(lock)
    for consumer in consumers.python:
        if consumer.kind == "external" and (consumer.path.parent / "uv.lock").is_file():
            print(
                f"lockstep: note: re-lock {consumer.path.parent} once purelms-shared {version} "
                "is available to it (not done here)"
            )
    return sorted(set(writer.changed))


def committed_version(root: Path) -> str | None:
    """purelms-shared's version as the last commit (``HEAD``) records it, else None.

    None when ``root`` is not a git checkout, git is missing or the file is not committed.
    """
    git = shutil.which("git")
    if git is None:
        return None
    result = _run([git, "show", f"HEAD:{SHARED_PYPROJECT.as_posix()}"], root)
    if result.returncode != 0:
        return None
    try:
        version = tomllib.loads(result.stdout).get("project", {}).get("version")
    except tomllib.TOMLDecodeError:
        return None
    return version if isinstance(version, str) else None


@dataclass(frozen=True)
class BumpPlan:
    """Where a bump starts from and where it goes (see :func:`plan_bump`)."""

    current: str
    """purelms-shared's version in the working tree."""
    base: str
    """The version a part (``minor``...) counts from: the committed one when known."""
    version: str
    """The version every place is brought to."""

    @property
    def already_written(self) -> bool:
        """The working tree holds ``version`` already: a bump written, not yet committed."""
        return self.current == self.version and self.base != self.current

    def describe(self) -> str:
        if self.already_written:
            return (
                f"purelms-shared {self.version} is already written here but not committed "
                f"(the bump from {self.base}); nothing is bumped twice: every place is "
                f"brought to {self.version} again"
            )
        if self.base != self.current:
            return (
                f"purelms-shared {self.base} -> {self.version} (replacing the uncommitted "
                f"{self.current} in the working tree)"
            )
        return f"purelms-shared {self.current} -> {self.version}"


def plan_bump(root: Path, target: str) -> BumpPlan:
    """The version ``target`` names, counted from the *committed* version.

    Rerunning a bump after a failure (its tests failed, the session was interrupted)
    therefore never bumps twice: ``minor`` from a committed 0.8.0 is 0.9.0 however often it
    runs, and ``0.9.0`` is accepted while the working tree already holds it. Without git
    (or with purelms-shared's pyproject not committed) the working tree's version counts.
    """
    current = shared_version(root)
    base = committed_version(root) or current
    return BumpPlan(current=current, base=base, version=next_version(base, target))


def bump(root: Path, target: str, also: tuple[Path, ...] = ()) -> tuple[str, list[Path]]:
    """Bump purelms-shared to ``target``; return the new version and the files changed."""
    plan = plan_bump(root, target)
    return plan.version, _apply(root, plan.version, also, bump=True)


def sync(root: Path, also: tuple[Path, ...] = ()) -> list[Path]:
    """Bring every floor, the lock and the TypeScript consumers to the current version."""
    return _apply(root, shared_version(root), also, bump=False)


def _report(problems: list[Problem], root: Path, what: str) -> int:
    for problem in problems:
        print(problem.render(root), file=sys.stderr)
    if problems:
        print(f"{what}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


# --------------------------------------------------------------------------- minimums


def _members_with_floors(root: Path) -> list[PyConsumer]:
    return [consumer for consumer in discover(root).python if consumer.kind == "member"]


def minimums(root: Path, only: Sequence[str] = ()) -> int:
    """Run each consumer's tests against exactly its purelms-shared floor (see module doc)."""
    uv = _uv()
    version = shared_version(root)
    consumers = _members_with_floors(root)
    if only:
        consumers = [c for c in consumers if c.path.parent.name in only or _name(c) in only]
    groups: dict[str, list[PyConsumer]] = {}
    for consumer in consumers:
        floors = {floor.floor or "none" for floor in consumer.floors}
        if len(floors) != 1:
            print(f"{shown(consumer.path, root)}: floors disagree: {sorted(floors)}")
            return 1
        groups.setdefault(floors.pop(), []).append(consumer)
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="purelms-minimums-") as tmp:
        work = Path(tmp)
        members = workspace_members(root)
        constraints = work / "constraints.txt"
        _checked(
            [
                uv,
                "export",
                "--frozen",
                "--quiet",
                "--no-hashes",
                "--all-packages",
                "--all-extras",
                "--all-groups",
                "--no-emit-workspace",
                "--no-header",
                "--output-file",
                str(constraints),
            ],
            root,
        )
        dev = _third_party_dev_requirements(root)
        for floor, group in groups.items():
            venv = work / f"venv-{floor}"
            _checked([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], root)
            python = venv / "bin" / "python"
            pin = work / f"pin-{floor}.txt"
            pin.write_text(f"purelms-shared=={floor}\n")
            requirements = [_member_requirement(member) for member in members]
            print(f"minimums: purelms-shared=={floor} for {', '.join(_name(c) for c in group)}")
            result = _run(
                [
                    uv,
                    "pip",
                    "install",
                    "--quiet",
                    "--python",
                    str(python),
                    "--constraint",
                    str(constraints),
                    "--constraint",
                    str(pin),
                    *requirements,
                    *dev,
                ],
                root,
            )
            if result.returncode != 0:
                failures.append(
                    f"purelms-shared=={floor} cannot be installed (the workspace source is "
                    f"{version}; older versions are not published, so a floor can only be "
                    f"proven when it equals the source: run `{FIX_SYNC}`):\n"
                    f"{result.stderr.strip()}"
                )
                continue
            for consumer in group:
                tests = consumer.path.parent / "tests"
                if not tests.is_dir():
                    print(f"minimums: {_name(consumer)}: no tests/ folder")
                    continue
                started = time.monotonic()
                run = subprocess.run(
                    [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
                    cwd=root,
                    check=False,
                )
                took = time.monotonic() - started
                status = "passed" if run.returncode == 0 else "FAILED"
                print(
                    f"minimums: {_name(consumer)} against purelms-shared=={floor}: "
                    f"{status} in {took:.1f} s"
                )
                if run.returncode != 0:
                    failures.append(
                        f"{_name(consumer)}: its tests fail against purelms-shared=={floor}"
                    )
    for failure in failures:
        print(f"minimums: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _name(consumer: PyConsumer) -> str:
    data = tomllib.loads(consumer.path.read_text(encoding="utf-8"))
    return str(data.get("project", {}).get("name", consumer.path.parent.name))


def _checked(command: list[str], root: Path) -> None:
    result = _run(command, root)
    if result.returncode != 0:
        raise LockstepError(f"`{' '.join(command[:3])} ...` failed:\n{result.stderr.strip()}")


def _member_requirement(member: Path) -> str:
    """``name[extras] @ file:///folder``: the member built from its folder, every extra on.

    Not editable: uv builds a wheel of it (so its packaging is exercised too), and the
    install still records the source folder, as a workspace install does.
    """
    data = tomllib.loads((member / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    extras = sorted(project.get("optional-dependencies", {}))
    suffix = f"[{','.join(extras)}]" if extras else ""
    return f"{project['name']}{suffix} @ {member.resolve().as_uri()}"


def _third_party_dev_requirements(root: Path) -> list[str]:
    """The root dev group minus the workspace's own packages (pytest, hypothesis...)."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    sources = set(data.get("tool", {}).get("uv", {}).get("sources", {}))
    requirements = []
    for item in data.get("dependency-groups", {}).get("dev", []):
        if not isinstance(item, str):
            continue
        name = re.split(r"[\[<>=!~;\s]", item, maxsplit=1)[0]
        if name not in sources:
            requirements.append(item)
    return requirements


# --------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    commands = parser.add_subparsers(dest="command", required=True)
    bump_parser = commands.add_parser("bump", help="set a new purelms-shared version everywhere")
    bump_parser.add_argument("target", help="X.Y.Z, major, minor or patch")
    check_parser = commands.add_parser("check", help="fail on any lockstep drift")
    check_parser.add_argument(
        "--fix", action="store_true", help="bring everything to the current version"
    )
    for sub in (bump_parser, check_parser):
        sub.add_argument(
            "--also",
            type=Path,
            action="append",
            default=[],
            help="an external checkout (or file) to move too; repeatable",
        )
    minimums_parser = commands.add_parser("minimums", help="test consumers at their floors")
    minimums_parser.add_argument("only", nargs="*", help="consumer names (default: all)")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    started = time.monotonic()
    try:
        if args.command == "minimums":
            return minimums(root, args.only)
        also = tuple(path.resolve() for path in args.also)
        if args.command == "bump" or args.fix:
            if args.command == "bump":
                plan = plan_bump(root, args.target)
                print(f"lockstep: {plan.describe()}")
                _, changed = bump(root, args.target, also)
            else:
                changed = sync(root, also)
            failed = _report(
                check(root, also) + wire_sync.check_all(wire_sync.State(root, also)),
                root,
                "lockstep",
            )
            print(f"lockstep: {len(changed)} file(s) changed:")
            for path in changed:
                print(f"  {shown(path, root)}")
            if failed:
                print("lockstep: the checks above fail after the update", file=sys.stderr)
            elif args.command == "bump":
                print(
                    f"lockstep: next, the tests: `{NEXT_TESTS}`; then commit. Running the "
                    "bump again before the commit bumps nothing twice."
                )
            return failed
        problems = check(root, also)
    except LockstepError as exc:
        print(f"lockstep: {exc}", file=sys.stderr)
        return 1
    if _report(problems, root, "lockstep check"):
        return 1
    print(
        f"lockstep check: purelms-shared {shared_version(root)}; floors, uv.lock and "
        f"TypeScript consumers agree ({time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

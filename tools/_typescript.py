"""The Node toolchain (json-schema-to-typescript, tsc) and light TypeScript text handling.

The toolchain lives in ``packages/purelms-shared/typescript/``: ``package.json`` pins
``json-schema-to-typescript`` and ``typescript`` exactly, ``package-lock.json`` is
committed, and ``.npmrc`` keeps npm quiet (no audit, fund or update notices). It is
installed with ``npm ci`` into its git-ignored ``node_modules``, once per lockfile:
a stamp in ``node_modules`` records the sha256 of the ``package-lock.json`` it was
installed from, so later runs skip npm entirely.

The text helpers understand exactly the TypeScript this repository writes: top-level
``export type`` / ``export interface`` declarations (as prettier formats the generated
module) and the ``export`` forms a consumer uses. Anything subtler is left to ``tsc``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from _workspace import TS_DIR, LockstepError

STAMP: Final = ".purelms-lock-sha256"
_NPM_ENV: Final = {
    "npm_config_audit": "false",
    "npm_config_fund": "false",
    "npm_config_update_notifier": "false",
    "npm_config_loglevel": "error",
}


def _env() -> dict[str, str]:
    import os

    return {**os.environ, **_NPM_ENV}


def toolchain_dir(root: Path) -> Path:
    return root / TS_DIR


def ensure_toolchain(root: Path) -> Path:
    """``node_modules`` of the toolchain, installed with ``npm ci`` if it is not current."""
    directory = toolchain_dir(root)
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise LockstepError(
            "node and npm are needed (the TypeScript generator and tsc run on Node 20+); "
            "install Node.js, then rerun"
        )
    lock = directory / "package-lock.json"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    modules = directory / "node_modules"
    stamp = modules / STAMP
    if stamp.is_file() and stamp.read_text().strip() == digest:
        return modules
    with open(directory / ".npm-ci.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if stamp.is_file() and stamp.read_text().strip() == digest:
            return modules
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=directory,
            capture_output=True,
            text=True,
            env=_env(),
            check=False,
        )
        if result.returncode != 0:
            raise LockstepError(
                f"`npm ci` failed in {directory}:\n{result.stdout}{result.stderr}".rstrip()
            )
        stamp.write_text(digest + "\n")
    return modules


def generate(root: Path, schema: dict[str, Any], banner: str) -> str:
    """TypeScript for ``schema`` from json-schema-to-typescript (``generate.mjs``)."""
    directory = toolchain_dir(root)
    ensure_toolchain(root)
    result = subprocess.run(
        ["node", "generate.mjs"],
        cwd=directory,
        input=json.dumps({"schema": schema, "bannerComment": banner}),
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    if result.returncode != 0:
        raise LockstepError(f"json-schema-to-typescript failed:\n{result.stderr}".rstrip())
    return result.stdout


@dataclass(frozen=True)
class Diagnostic:
    path: Path
    line: int
    text: str


_DIAGNOSTIC: Final = re.compile(r"^(?P<path>.+?)\((?P<line>\d+),(?P<col>\d+)\): (?P<text>.*)$")


def tsc(root: Path, project: Path) -> list[Diagnostic]:
    """Errors of ``tsc --noEmit -p project``; a diagnostic keeps its indented continuation."""
    modules = ensure_toolchain(root)
    result = subprocess.run(
        [
            "node",
            str(modules / "typescript" / "bin" / "tsc"),
            "-p",
            str(project),
            "--pretty",
            "false",
        ],
        cwd=project.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    diagnostics: list[Diagnostic] = []
    for line in result.stdout.splitlines():
        match = _DIAGNOSTIC.match(line)
        if match:
            path = Path(match["path"])
            if not path.is_absolute():
                path = (project.parent / path).resolve()
            diagnostics.append(Diagnostic(path, int(match["line"]), match["text"]))
        elif diagnostics and line.startswith(" "):
            last = diagnostics[-1]
            diagnostics[-1] = Diagnostic(last.path, last.line, f"{last.text}\n{line}")
        elif line.strip():
            diagnostics.append(Diagnostic(project, 0, line))
    if result.returncode != 0 and not diagnostics:
        raise LockstepError(f"tsc failed:\n{result.stdout}{result.stderr}".rstrip())
    return diagnostics


# --------------------------------------------------------------------------- text


def strip_comments(text: str) -> str:
    """``text`` with ``//`` and ``/* */`` comments blanked (strings are respected)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            end = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, end))
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class Declaration:
    name: str
    kind: str
    """``interface`` or ``type``."""
    text: str
    """The declaration with its leading JSDoc comment, without trailing blank lines."""


_DECLARATION_HEAD: Final = re.compile(r"^export (?:declare )?(interface|type) (\w+)")


def declarations(module: str) -> list[Declaration]:
    """Top-level declarations of prettier-formatted generated TypeScript, in order."""
    found: list[Declaration] = []
    pending: list[str] = []
    current: list[str] | None = None
    head: re.Match[str] | None = None

    def close() -> None:
        if current is not None and head is not None:
            text = "\n".join(current).rstrip()
            found.append(Declaration(name=head[2], kind=head[1], text=text))

    in_comment = False
    for line in module.splitlines():
        if in_comment:
            pending.append(line)
            in_comment = "*/" not in line
            continue
        if line.startswith("/*"):
            close()
            current, head = None, None
            pending = [line]
            in_comment = "*/" not in line
            continue
        match = _DECLARATION_HEAD.match(line)
        if match:
            close()
            current, head = [*pending, line], match
            pending = []
        elif current is not None:
            current.append(line)
    close()
    return found


def referenced_names(declaration: Declaration, names: set[str]) -> set[str]:
    """The names in ``names`` that ``declaration``'s code (not its comments) mentions."""
    code = strip_comments(declaration.text)
    code = re.sub(r"\"(?:[^\"\\]|\\.)*\"", '""', code)
    return {word for word in re.findall(r"\b[A-Za-z_]\w*\b", code) if word in names} - {
        declaration.name
    }


_EXPORT_DECL: Final = re.compile(
    r"^[ \t]*export\s+(?:declare\s+)?(?:interface|type|enum|const\s+enum|class)\s+(\w+)",
    re.MULTILINE,
)
_EXPORT_LIST: Final = re.compile(r"^[ \t]*export\s+(?:type\s+)?\{([^}]*)\}", re.MULTILINE)


def exported_names(text: str) -> list[str]:
    """Names a TypeScript module exports (declarations and ``export { A, B as C }`` lists)."""
    code = strip_comments(text)
    names = [match[1] for match in _EXPORT_DECL.finditer(code)]
    for match in _EXPORT_LIST.finditer(code):
        for item in match[1].split(","):
            item = item.strip().removeprefix("type ").strip()
            if item:
                names.append(item.split(" as ")[-1].strip())
    return list(dict.fromkeys(names))


_TYPE_ALIAS: Final = re.compile(r"^[ \t]*export\s+type\s+(\w+)\s*=\s*([^;]*);", re.MULTILINE)
_STRING: Final = re.compile(r"""^\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*$""")


@dataclass(frozen=True)
class StringUnion:
    name: str
    line: int
    values: list[str] | None
    """The literal values, or None when the alias is not a union of string literals."""


def string_unions(text: str) -> dict[str, StringUnion]:
    """Every ``export type X = "a" | "b";`` of ``text``, with its line number."""
    code = strip_comments(text)
    unions: dict[str, StringUnion] = {}
    for match in _TYPE_ALIAS.finditer(code):
        line = (
            code.count("\n", 0, match.start())
            + 1
            + (match[0][: match[0].find("export")].count("\n"))
        )
        parts = [part for part in match[2].split("|") if part.strip()]
        values: list[str] | None = []
        for part in parts:
            literal = _STRING.match(part)
            if literal is None:
                values = None
                break
            assert values is not None
            raw = literal[1] if literal[1] is not None else literal[2]
            values.append(json.loads(f'"{raw}"') if literal[1] is not None else raw)
        unions[match[1]] = StringUnion(match[1], line, values)
    return unions


def line_of(text: str, pattern: str) -> int:
    """1-based line of the first match of regex ``pattern`` in ``text`` (0 if none)."""
    match = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 0

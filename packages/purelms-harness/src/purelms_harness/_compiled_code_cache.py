"""Code the standard library compiles while the harness imports, cached like bytecode.

Why: the import system caches every module's bytecode, but two standard-library
modules compile source text of their own while pydantic, rich and the contract
import, and nothing caches that. ``dataclasses`` writes and execs the source of
each dataclass's ``__init__``, ``__repr__``, ``__eq__``... (pydantic, annotated-types
and rich define about 60 dataclasses: some 250 functions), and ``typing`` compiles the
text of every forward reference, which pydantic builds for each string annotation it
evaluates (about 900). Before ``purelms run echo`` forked its backend that was about 40
ms of compiling (counted by a wrapper round both), the same texts on every run, and the
backend compiled some 60 more (the runtime's dataclasses). Cached, the run took 0.87-0.88
of its time (25 interleaved pairs, twice) and about 57 ms less CPU time (issue 19).

So the console script caches them the way the bytecode cache does: code objects,
marshalled into one file beside the other caches
(``<venv>/purelms-cache/compiled-<tag>.marshal``, ``PURELMS_NO_BYTECODE_CACHE=1`` turns
it off), keyed by the exact source text and compile mode. The file name carries the
interpreter's cache tag and bytecode magic number, so another Python never reads it.

Why the answer cannot change: a code object is a pure function of its source text,
file name, mode and compiler flags. The cache compiles with the file name both modules
use (``<string>``) and inherits no ``__future__`` flags, exactly as their own calls do
(neither module has a ``__future__`` import; ``install`` checks it and stays out
otherwise). It is consulted only through those two modules' own names for ``exec``
and ``compile``; every other caller gets the builtins untouched.

A cache that cannot be read (missing, truncated, from another build) is started afresh;
one that cannot be written costs the compiling and nothing else, as with bytecode.
It is written only by a process that learnt something, at a point of the harness's
choosing: the command when it is done, and a forked backend (``_zygote``) once it has
imported the runtime and the author's models, which the harness never imports itself.
A write merges with what the file holds by then, so neither loses the other's texts.
"""

from __future__ import annotations
import __future__ as future_statements

import builtins
import dataclasses
import importlib.util
import marshal
import os
import sys
import typing
from pathlib import Path
from types import CodeType
from typing import Any, Final

from ._bytecode import DATA_CACHE_DIR_NAME, OPT_OUT_ENV, write_cache_file

__all__ = ["CompiledCodeCache", "cache_path", "install", "save_learnt"]

_FILENAME: Final = "<string>"
_MAX_ENTRIES: Final = 3_000
"""Past this a write keeps only the texts its process used. A run of ``purelms run echo``
uses about 600 (their file loads in about 1 ms); the bound keeps the load of a cache that
many backends and versions filled near 5 ms, under what it saves."""
_FUTURE_FLAGS: Final = sum(
    feature.compiler_flag
    for feature in (
        getattr(future_statements, name) for name in future_statements.all_feature_names
    )
    if feature.getMandatoryRelease() is None or feature.getMandatoryRelease() > sys.version_info
)
"""The flags of the ``from __future__`` imports that change what this Python compiles
(``annotations``; the others are the default now, and some share bits with ordinary
code flags)."""


def cache_path() -> Path:
    """This interpreter's cache file, under the environment."""
    tag = f"{sys.implementation.cache_tag}-{importlib.util.MAGIC_NUMBER.hex()}"
    return Path(sys.prefix) / DATA_CACHE_DIR_NAME / f"compiled-{tag}.marshal"


class CompiledCodeCache:
    """Code objects by ``(mode, source)``, loaded from and saved to ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._code: dict[tuple[str, str], CodeType] = _load(path)
        self._used: set[tuple[str, str]] = set()
        self.learnt = 0
        """Texts compiled in this process that the file did not hold."""

    def code(self, source: str, mode: str) -> CodeType:
        """``compile(source, "<string>", mode)`` as a module without ``__future__`` flags."""
        key = (mode, source)
        code = self._code.get(key)
        if type(code) is not CodeType:  # not cached (or not code: a file not of ours)
            code = builtins.compile(source, _FILENAME, mode, 0, True)  # may raise: not kept
            self._code[key] = code
            self.learnt += 1
        self._used.add(key)
        return code

    def compile(
        self,
        source: Any,
        filename: Any,
        mode: str,
        flags: int = 0,
        dont_inherit: bool = False,
        optimize: int = -1,
    ) -> Any:
        """``typing``'s ``compile``: cached for a text, the builtin for anything else.

        Never with this module's own ``__future__`` flags: ``typing`` has none to pass on.
        """
        if type(source) is str and filename == _FILENAME and not flags and optimize == -1:
            return self.code(source, mode)
        return builtins.compile(source, filename, mode, flags, True, optimize)

    def exec(self, source: Any, namespace: Any = None, local_namespace: Any = None, /) -> None:
        """``dataclasses``'s ``exec``: a text runs as its cached code."""
        if type(source) is str:
            source = self.code(source, "exec")
        builtins.exec(source, namespace, local_namespace)

    def save(self) -> None:
        """Write what this process learnt (merged with the file), if anything; never raises."""
        if not self.learnt:
            return
        code = _load(self.path)
        code.update(self._code)
        if len(code) > _MAX_ENTRIES:
            code = {key: self._code[key] for key in self._used}
        write_cache_file(self.path, marshal.dumps(code))
        self.learnt = 0


def _load(path: Path) -> dict[tuple[str, str], CodeType]:
    try:
        code = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if type(code) is not dict:
        return {}
    return code


def _compiles_plainly(*functions: Any) -> bool:
    """Whether each function's module compiles text without ``__future__`` flags."""
    return all(not function.__code__.co_flags & _FUTURE_FLAGS for function in functions)


def install() -> CompiledCodeCache | None:
    """Route ``dataclasses``'s and ``typing``'s compiling through the cache; the cache.

    None (nothing changed) when the user opted out of the harness's caches, or when
    this Python's ``dataclasses`` or ``typing`` compiles in a way the cache would not
    reproduce.
    """
    if os.environ.get(OPT_OUT_ENV):
        return None
    if not _compiles_plainly(dataclasses.dataclass, typing.ForwardRef.__init__):
        return None
    global _installed
    cache = _installed = CompiledCodeCache(cache_path())
    setattr(dataclasses, "exec", cache.exec)  # noqa: B010 (module globals, shadowing builtins)
    setattr(typing, "compile", cache.compile)  # noqa: B010
    return cache


_installed: CompiledCodeCache | None = None


def save_learnt() -> None:
    """Save what the installed cache learnt in this process (nothing when none is)."""
    if _installed is not None:
        _installed.save()

"""The cache of code ``dataclasses`` and ``typing`` compile at run time: same code, kept
across processes (the harness's and its forked backend's), never in the way."""

from __future__ import annotations

import dataclasses
import json
import marshal
import os
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

from purelms_harness import _compiled_code_cache as compiled_code_cache
from purelms_harness import find_repo_root
from purelms_harness._bytecode import OPT_OUT_ENV
from purelms_harness._compiled_code_cache import CompiledCodeCache, _compiles_plainly

REPO = find_repo_root(Path(__file__))
CACHE_GLOB = "purelms-cache/compiled-*.marshal"

# In a new interpreter that believes its environment is argv[1]: install the cache, import
# what the harness imports, report what was learnt and whether the hooks are in place.
_PROBE = """
import dataclasses, json, sys, typing
sys.prefix = sys.argv[1]
from purelms_harness import _compiled_code_cache as cache
installed = cache.install()
import purelms_shared
purelms_shared.SimulationInputEnvelope.model_rebuild()
learnt = installed.learnt if installed else None
cache.save_learnt()
print(json.dumps({
    "installed": installed is not None,
    "learnt": learnt,
    "hooked": hasattr(dataclasses, "exec") and hasattr(typing, "compile"),
}))
"""


def _python(code: str, *args: str, **env: str) -> str:
    """What ``python -c code args...`` prints; it must succeed. The caches are on
    (the user's opt-out is dropped) unless ``env`` sets it."""
    environ = {k: v for k, v in os.environ.items() if k != OPT_OUT_ENV}
    environ.update(env)
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _probe(prefix: Path, **env: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_python(_PROBE, str(prefix), **env))
    return result


@pytest.fixture
def hooked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CompiledCodeCache:
    """A cache at a temporary path, routed into ``dataclasses`` and ``typing`` here."""
    cache = CompiledCodeCache(tmp_path / "compiled.marshal")
    monkeypatch.setattr(dataclasses, "exec", cache.exec, raising=False)
    monkeypatch.setattr(typing, "compile", cache.compile, raising=False)
    return cache


def _point_class() -> type[Any]:
    return dataclasses.make_dataclass(
        "Point",
        [("x", int), ("y", "list[int] | None", dataclasses.field(default=None))],
        frozen=True,
        order=True,
    )


def test_a_second_process_compiles_nothing_the_first_one_compiled(tmp_path: Path) -> None:
    first = _probe(tmp_path)
    assert first == {"installed": True, "learnt": first["learnt"], "hooked": True}
    assert first["learnt"] > 100  # pydantic's, annotated-types', the contract's
    [path] = tmp_path.glob(CACHE_GLOB)
    written = path.stat().st_mtime_ns
    second = _probe(tmp_path)
    assert second == {"installed": True, "learnt": 0, "hooked": True}
    assert path.stat().st_mtime_ns == written  # nothing learnt, nothing written


def test_the_users_opt_out_leaves_python_as_it_is(tmp_path: Path) -> None:
    assert _probe(tmp_path, **{OPT_OUT_ENV: "1"}) == {
        "installed": False,
        "learnt": None,
        "hooked": False,
    }
    assert not list(tmp_path.glob(CACHE_GLOB))


def test_cached_code_is_the_code_python_compiles(hooked: CompiledCodeCache, tmp_path: Path) -> None:
    cached = _point_class()
    assert hooked.learnt > 0
    hooked.save()
    again = CompiledCodeCache(hooked.path)
    for mode, source in marshal.loads(hooked.path.read_bytes()):
        assert again.code(source, mode) == compile(source, "<string>", mode, dont_inherit=True)
    assert again.learnt == 0

    # Against a class built by the builtins, in a module without __future__ imports: the
    # generated __init__ keeps real types as annotations (this test module's
    # ``from __future__ import annotations`` must not leak into code compiled for it).
    namespace: dict[str, Any] = {"dataclasses": dataclasses}
    exec("Plain = dataclasses.make_dataclass('Point', [('x', int)], frozen=True)", namespace)
    assert cached.__init__.__annotations__["x"] is int
    assert namespace["Plain"].__init__.__annotations__ == {"x": int, "return": None}
    point = cached(1, [2])
    assert repr(point) == "Point(x=1, y=[2])"
    assert point == cached(1, [2])
    assert point < cached(2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 3
    assert typing.get_type_hints(cached) == {"x": int, "y": list[int] | None}


def test_a_syntax_error_is_raised_as_typing_raises_it_and_not_cached(
    hooked: CompiledCodeCache,
) -> None:
    with pytest.raises(SyntaxError, match="Forward reference must be an expression"):
        typing.ForwardRef("not an expression")
    assert hooked.learnt == 0


def test_a_file_that_is_not_a_cache_is_started_afresh_and_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "compiled.marshal"
    source = "def __create_fn__():\n pass\n"
    for content in (
        b"\x00 not marshal at all",
        marshal.dumps(["a", "list"]),
        marshal.dumps({("exec", source): "not code"}),
        marshal.dumps({("exec", source): compile("1", "<string>", "eval")})[:-3],
    ):
        path.write_bytes(content)
        cache = CompiledCodeCache(path)
        assert cache.code(source, "exec") == compile(source, "<string>", "exec", dont_inherit=True)
        assert cache.learnt == 1
        cache.save()
        assert CompiledCodeCache(path).code(source, "exec") is not None
        assert set(marshal.loads(path.read_bytes())) == {("exec", source)}


def test_two_processes_that_learn_keep_each_others_texts(tmp_path: Path) -> None:
    path = tmp_path / "compiled.marshal"
    harness, backend = CompiledCodeCache(path), CompiledCodeCache(path)
    harness.code("x + 1", "eval")
    backend.code("y + 2", "eval")
    backend.save()
    harness.save()
    assert set(marshal.loads(path.read_bytes())) == {("eval", "x + 1"), ("eval", "y + 2")}


def test_a_full_cache_keeps_what_its_last_writer_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled_code_cache, "_MAX_ENTRIES", 3)
    path = tmp_path / "compiled.marshal"
    old = CompiledCodeCache(path)
    for text in ("a", "b", "c"):
        old.code(text, "eval")
    old.save()
    new = CompiledCodeCache(path)
    new.code("a", "eval")  # a hit
    new.code("d", "eval")  # learnt: four texts are one too many
    with pytest.raises(SyntaxError):
        new.code("not an expression", "eval")  # neither kept nor counted as used
    new.save()
    assert set(marshal.loads(path.read_bytes())) == {("eval", "a"), ("eval", "d")}


def test_a_cache_that_cannot_be_written_costs_nothing_but_the_compiling(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    cache = CompiledCodeCache(blocker / "compiled.marshal")
    assert cache.code("x", "eval") == compile("x", "<string>", "eval", dont_inherit=True)
    cache.save()  # mkdir fails: no exception, nothing written
    assert blocker.read_text() == "not a folder"
    assert list(tmp_path.iterdir()) == [blocker]


def test_the_cache_stays_out_where_it_would_compile_differently() -> None:
    assert _compiles_plainly(dataclasses.dataclass, typing.ForwardRef.__init__)
    assert not _compiles_plainly(CompiledCodeCache.save)  # a module with annotations' flag


def test_purelms_run_caches_what_its_forked_backend_compiled(tmp_path: Path) -> None:
    """The zygote writes the runtime's texts (the harness never imports the runtime's
    dataclasses); a second run finds everything and writes nothing."""
    prefix = tmp_path / "venv"
    code = (
        "import sys\n"
        f"sys.prefix = {str(prefix)!r}\n"
        "sys.argv = ['purelms', '--root', sys.argv[1], 'run', 'echo', '--quiet', '--out', "
        "sys.argv[2]]\n"
        "from purelms_harness._entry import main\n"
        "main()\n"
    )
    for run in ("first", "second"):
        assert "status: success" in _python(code, str(REPO), str(tmp_path / run))
        [path] = prefix.glob(CACHE_GLOB)
        if run == "first":
            written = path.stat().st_mtime_ns
            texts = "".join(source for _, source in marshal.loads(path.read_bytes()))
            assert "_type_output_verify_url" in texts  # purelms_runtime._config.ManagedIO
    assert path.stat().st_mtime_ns == written

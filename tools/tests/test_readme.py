"""The root README as a new user follows it literally (issue 20).

Its first lines are the two commands (the main job, every test); every ``nox -s`` session it
names exists; every file it tells a reader to use (an ``--input-file``, a link) is in the
repository, so the custom-weather example runs as written; every backend README it links
holds the generated parameters and outputs tables.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_first_lines_are_the_two_commands() -> None:
    block = README.split("```bash\n", 1)[1].split("```", 1)[0]
    assert block.splitlines() == [
        "python3 -m pip install uv && uv run --locked purelms run energyplus_single_zone   "
        "# the main job",
        "python3 -m pip install uv && uv run --locked nox                                   "
        "# every test",
    ]
    assert README.index("```bash") < README.index("\n## ")


def test_every_nox_session_it_names_exists() -> None:
    noxfile = (REPO / "noxfile.py").read_text(encoding="utf-8")
    defined = set(re.findall(r"^def (\w+)\(session: nox\.Session\)", noxfile, re.MULTILINE))
    named = set(re.findall(r"nox -s ([a-z_]+(?: [a-z_]+)*)", README))
    sessions = {name for group in named for name in group.split()}
    assert sessions, "the README names no session"
    assert sessions <= defined, sessions - defined
    for needed in ("lockstep_check", "lockstep_bump", "tests", "images", "new_backend", "bench"):
        assert needed in sessions, needed


def test_every_file_it_points_to_is_in_the_repository() -> None:
    files = re.findall(r"--input-file \w+=([\w./-]+)", README)
    assert "backends/energyplus_single_zone/validation/ashrae140/DRYCOLDTMY.epw" in files
    links = re.findall(r"\]\(((?!https?:|#)[^)#]+)(?:#[^)]*)?\)", README)
    for name in [*files, *links]:
        assert (REPO / name).exists(), name


def test_the_backend_readmes_it_links_hold_the_generated_tables() -> None:
    for readme in re.findall(
        r"\]\((backends/\w+/backend/README\.md)#parameters-and-outputs\)", README
    ):
        text = (REPO / readme).read_text(encoding="utf-8")
        assert "## Parameters and outputs" in text, readme
        assert "<!-- BEGIN purelms:parameters-and-outputs -->" in text, readme

"""SimTask: the documented examples, the entrypoint grammar, bundle_ref, seeds, outputs."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import keyword
import pickle
import re
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from modelops_contracts import SEED_MAX, ContractError, SimTask, UniqueParameterSet

BUNDLE = "sha256:" + "a" * 64
PARAMS = UniqueParameterSet.from_dict({"R0": 2.5})

IDENTIFIERS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
    lambda name: not keyword.iskeyword(name)
)
IMPORT_PATHS = st.lists(IDENTIFIERS, min_size=2, max_size=4).map(".".join)
SCENARIOS = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
OUTPUT_NAMES = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}", fullmatch=True)
HEX = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)

# The task of the documented from_components example; its id is pinned so
# that a change of the task canonical form is caught.
GOLDEN_TASK_ID = "5bf84f63a3dd1160fb872358d5d43b87b5412f5565d0e7c3ad9ac7f0c947e4ac"


def make(**overrides: Any) -> SimTask:
    fields: dict[str, Any] = {
        "entrypoint": "covid.models.SEIR/baseline",
        "bundle_ref": BUNDLE,
        "params": PARAMS,
        "seed": 42,
    }
    fields.update(overrides)
    return SimTask(**fields)


def test_example_from_components() -> None:
    task = SimTask.from_components(
        import_path="covid.models.SEIR",
        scenario="baseline",
        bundle_ref="sha256:" + "a" * 64,
        params={"R0": 2.5, "incubation_days": 5},
        seed=42,
        outputs=["infections", "deaths"],
    )
    assert task.entrypoint == "covid.models.SEIR/baseline"
    assert task.import_path == "covid.models.SEIR"
    assert task.scenario == "baseline"
    assert task.bundle_ref == BUNDLE
    assert task.params == UniqueParameterSet.from_dict({"incubation_days": 5, "R0": 2.5})
    assert task.param_id == task.params.param_id
    assert task.seed == 42
    assert task.outputs == ("deaths", "infections")
    assert task.task_id == GOLDEN_TASK_ID


def test_golden_task_id_follows_the_documented_form() -> None:
    document = (
        '{"bundle_ref":"sha256:' + "a" * 64 + '","entrypoint":"covid.models.SEIR/baseline",'
        '"outputs":["deaths","infections"],'
        '"param_id":"da97a170c1df6cffa1e0c1a5c1e8125dd5494a5b20d22014de55427aebb7f0b7",'
        '"seed":42}'
    )
    assert hashlib.sha256(document.encode()).hexdigest() == GOLDEN_TASK_ID


def test_example_constructor() -> None:
    task = SimTask(
        entrypoint="covid.models.SEIR/baseline",
        bundle_ref="sha256:" + "a" * 64,
        params=UniqueParameterSet.from_dict({"R0": 2.5}),
        seed=42,
    )
    assert task.outputs is None
    assert task.params.params == {"R0": 2.5}
    assert task == make()
    assert hash(task) == hash(make())
    assert len(task.task_id) == 64


def test_from_components_accepts_a_parameter_set() -> None:
    task = SimTask.from_components(
        import_path="a.B", scenario="s", bundle_ref=BUNDLE, params=PARAMS, seed=0
    )
    assert task.params is PARAMS


# --- entrypoint grammar -----------------------------------------------------


@pytest.mark.parametrize(
    "entrypoint",
    ["a.B/x", "covid.models.SEIR/baseline", "_p.q_1.R2/high-R0_v2", "pkg.Model/0", "m.C/-"],
)
def test_valid_entrypoints(entrypoint: str) -> None:
    assert make(entrypoint=entrypoint).entrypoint == entrypoint


@pytest.mark.parametrize(
    ("entrypoint", "message"),
    [
        ("covid.models.SEIR/baseline@sha256:" + "a" * 64, "digest or version suffix"),
        ("covid.models.SEIR@sha256:" + "a" * 64 + "/baseline", "digest or version suffix"),
        ("covid.models.SEIR/baseline:v2", "digest or version suffix"),
        ("covid.models:SEIR/baseline", "digest or version suffix"),
        ("covid.models.SEIR", "exactly one '/'"),
        ("covid.models.SEIR/base/line", "exactly one '/'"),
        ("SEIR/baseline", r"at least one '\.'"),
        ("covid..SEIR/baseline", "'' is not an ASCII Python identifier"),
        ("covid.models.SEIR./baseline", "'' is not an ASCII Python identifier"),
        ("covid.1models.SEIR/baseline", "'1models' is not an ASCII Python identifier"),
        ("covid.mödels.SEIR/baseline", "is not an ASCII Python identifier"),
        ("covid.class.SEIR/baseline", "'class' is a Python keyword"),
        ("covid.models.SEIR/", "scenario name of letters"),
        ("covid.models.SEIR/base line", "scenario name of letters"),
        ("covid.models.SEIR/baseline\n", "scenario name of letters"),
        ("covid.models.SEIR/base.line", "scenario name of letters"),
        (" covid.models.SEIR/baseline", "is not an ASCII Python identifier"),
        ("", "exactly one '/'"),
        (42, "must be 'module.path.Class/scenario'"),
    ],
)
def test_invalid_entrypoints(entrypoint: Any, message: str) -> None:
    with pytest.raises(ContractError, match=rf"^SimTask\.entrypoint.*{message}"):
        make(entrypoint=entrypoint)


# Property tests run without a per-example deadline: timing on a shared, loaded
# machine is not part of the contract.
@settings(deadline=None)
@given(IMPORT_PATHS, SCENARIOS)
def test_entrypoint_grammar_accepts(import_path: str, scenario: str) -> None:
    task = SimTask.from_components(
        import_path=import_path, scenario=scenario, bundle_ref=BUNDLE, params={}, seed=1
    )
    assert task.entrypoint == f"{import_path}/{scenario}"
    assert (task.import_path, task.scenario) == (import_path, scenario)


@settings(deadline=None)
@given(IMPORT_PATHS, SCENARIOS, st.sampled_from(["@sha256:", ":", "@"]), st.text(max_size=70))
def test_entrypoint_grammar_rejects_digest_suffixes(
    import_path: str, scenario: str, marker: str, tail: str
) -> None:
    with pytest.raises(ContractError, match="digest or version suffix"):
        make(entrypoint=f"{import_path}/{scenario}{marker}{tail}")


@settings(deadline=None)
@given(IMPORT_PATHS, SCENARIOS, st.characters(exclude_categories=["Cs"]), st.data())
def test_entrypoint_grammar_rejects_foreign_characters(
    import_path: str, scenario: str, char: str, data: st.DataObject
) -> None:
    # Any character outside [A-Za-z0-9_-] and '.' breaks the grammar wherever it
    # lands ('/' included: there must be exactly one). Dots are covered by the
    # reference-regex property below.
    assume(not (char.isascii() and (char.isalnum() or char in "_-.")))
    entrypoint = f"{import_path}/{scenario}"
    position = data.draw(st.integers(0, len(entrypoint)))
    with pytest.raises(ContractError, match=r"^SimTask\.entrypoint"):
        make(entrypoint=entrypoint[:position] + char + entrypoint[position:])


REFERENCE_ENTRYPOINT = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+/[A-Za-z0-9_-]+", re.ASCII
)


@settings(deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(alphabet="ab_1.:/@-", max_size=20),
        st.from_regex(REFERENCE_ENTRYPOINT, fullmatch=True),
    )
)
def test_entrypoint_grammar_matches_reference_regex(text: str) -> None:
    import_path = text.split("/", 1)[0]
    keyword_free = not any(keyword.iskeyword(part) for part in import_path.split("."))
    expected = REFERENCE_ENTRYPOINT.fullmatch(text) is not None and keyword_free
    try:
        make(entrypoint=text)
    except ContractError:
        accepted = False
    else:
        accepted = True
    assert accepted == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"import_path": "SEIR"}, r"import_path: must have a module and a class"),
        ({"import_path": "a.b@sha256:x"}, r"import_path: 'b@sha256:x' is not an ASCII"),
        ({"scenario": "base@sha256:x"}, r"scenario: must be a scenario name"),
        ({"scenario": ""}, r"scenario: must be a scenario name"),
    ],
)
def test_from_components_names_the_broken_component(kwargs: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {
        "import_path": "covid.models.SEIR",
        "scenario": "baseline",
        "bundle_ref": BUNDLE,
        "params": {},
        "seed": 1,
    }
    fields.update(kwargs)
    with pytest.raises(ContractError, match=message):
        SimTask.from_components(**fields)


# --- bundle_ref ---------------------------------------------------------------


@settings(deadline=None)
@given(HEX)
def test_bundle_ref_accepts_sha256(digest: str) -> None:
    assert make(bundle_ref=f"sha256:{digest}").bundle_ref == f"sha256:{digest}"


@pytest.mark.parametrize(
    "bundle_ref",
    [
        "a" * 64,
        "sha256:" + "A" * 64,
        "sha256:" + "a" * 63,
        "sha256:" + "a" * 65,
        "sha256:" + "g" * 64,
        "sha512:" + "a" * 64,
        "SHA256:" + "a" * 64,
        "sha256:" + "a" * 64 + "\n",
        " sha256:" + "a" * 64,
        b"sha256:" + b"a" * 64,
        None,
    ],
)
def test_bundle_ref_rejects(bundle_ref: Any) -> None:
    with pytest.raises(ContractError, match=r"^SimTask\.bundle_ref: must be 'sha256:' \+ 64"):
        make(bundle_ref=bundle_ref)


@settings(deadline=None)
@given(st.text(max_size=80))
def test_bundle_ref_property(text: str) -> None:
    valid = (
        len(text) == 71
        and text.startswith("sha256:")
        and all(c in "0123456789abcdef" for c in text[7:])
    )
    try:
        make(bundle_ref=text)
    except ContractError:
        assert not valid
    else:
        assert valid


# --- seeds --------------------------------------------------------------------


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=SEED_MAX))
def test_seed_in_range_is_accepted(seed: int) -> None:
    assert make(seed=seed).seed == seed


@settings(deadline=None)
@given(st.integers().filter(lambda n: not 0 <= n <= SEED_MAX))
def test_seed_out_of_range_is_rejected(seed: int) -> None:
    with pytest.raises(ContractError, match=r"^SimTask\.seed: must be in 0\.\.2\*\*64-1"):
        make(seed=seed)


def test_seed_bounds() -> None:
    assert SEED_MAX == 2**64 - 1
    assert make(seed=0).seed == 0
    assert make(seed=2**64 - 1).seed == 2**64 - 1
    with pytest.raises(ContractError, match="must be in"):
        make(seed=2**64)
    with pytest.raises(ContractError, match="must be in"):
        make(seed=-1)


@pytest.mark.parametrize("seed", [True, False])
def test_bool_seed_is_rejected(seed: bool) -> None:
    with pytest.raises(ContractError, match="must be an integer, not a bool"):
        make(seed=seed)


@pytest.mark.parametrize("seed", [42.0, "42", None, 1 + 0j])
def test_non_integer_seed_is_rejected(seed: Any) -> None:
    with pytest.raises(ContractError, match=r"must be an integer in 0\.\.2\*\*64-1"):
        make(seed=seed)


def test_index_like_seed_becomes_int() -> None:
    class Index:
        def __index__(self) -> int:
            return 7

    task = make(seed=Index())
    assert task.seed == 7
    assert type(task.seed) is int


# --- params and outputs -------------------------------------------------------


def test_params_must_be_a_parameter_set() -> None:
    with pytest.raises(ContractError, match=r"SimTask\.params: must be a UniqueParameterSet"):
        make(params={"R0": 2.5})


def test_outputs_become_a_sorted_tuple() -> None:
    task = make(outputs=["infections", "deaths"])
    assert task.outputs == ("deaths", "infections")
    assert type(task.outputs) is tuple
    assert task == make(outputs=("deaths", "infections"))
    assert task.task_id == make(outputs=["deaths", "infections"]).task_id


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ([], r"^SimTask\.outputs: must be None \(all outputs\) or name at least one output"),
        (["a", "b", "a"], r"^SimTask\.outputs: names must be unique; repeated: \['a'\]"),
        ("deaths", r"^SimTask\.outputs: must be None or a sequence"),
        ({"a": 1}, r"^SimTask\.outputs: must be None or a sequence"),
        ([""], r"^SimTask\.outputs\[0\]: must be an output name"),
        (["ok", "has space"], r"^SimTask\.outputs\[1\]: must be an output name"),
        ([".hidden"], r"^SimTask\.outputs\[0\]: must be an output name"),
        (["-x"], r"^SimTask\.outputs\[0\]: must be an output name"),
        (["a/b"], r"^SimTask\.outputs\[0\]: must be an output name"),
        ([1], r"^SimTask\.outputs\[0\]: must be an output name"),
    ],
)
def test_invalid_outputs(outputs: Any, message: str) -> None:
    with pytest.raises(ContractError, match=message):
        make(outputs=outputs)


def test_outputs_via_from_components_are_checked() -> None:
    with pytest.raises(ContractError, match="must be None or a sequence"):
        SimTask.from_components(
            import_path="a.B",
            scenario="s",
            bundle_ref=BUNDLE,
            params={},
            seed=1,
            outputs="deaths",
        )


# --- ids and immutability -------------------------------------------------------


@settings(deadline=None)
@given(
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=5),
    st.integers(0, SEED_MAX),
    st.one_of(st.none(), st.lists(OUTPUT_NAMES, min_size=1, max_size=4, unique=True)),
)
def test_task_id_is_a_function_of_content(
    params: dict[str, int], seed: int, outputs: list[str] | None
) -> None:
    def build() -> SimTask:
        return SimTask.from_components(
            import_path="m.C",
            scenario="s",
            bundle_ref=BUNDLE,
            params=dict(reversed(list(params.items()))),
            seed=seed,
            outputs=None if outputs is None else list(reversed(outputs)),
        )

    first = SimTask.from_components(
        import_path="m.C", scenario="s", bundle_ref=BUNDLE, params=params, seed=seed,
        outputs=outputs,
    )  # fmt: skip
    assert first.task_id == build().task_id
    assert first == build()
    assert pickle.loads(pickle.dumps(first)) == first
    assert pickle.loads(pickle.dumps(first)).task_id == first.task_id
    other_seed = (seed + 1) % (SEED_MAX + 1)
    assert dataclasses.replace(first, seed=other_seed).task_id != first.task_id


def test_task_id_depends_on_every_field() -> None:
    base = make(outputs=["a"])
    variants = [
        dataclasses.replace(base, entrypoint="covid.models.SEIR/other"),
        dataclasses.replace(base, bundle_ref="sha256:" + "b" * 64),
        dataclasses.replace(base, params=UniqueParameterSet.from_dict({"R0": 2.6})),
        dataclasses.replace(base, seed=43),
        dataclasses.replace(base, outputs=("b",)),
        dataclasses.replace(base, outputs=None),
    ]
    ids = {base.task_id, *(variant.task_id for variant in variants)}
    assert len(ids) == len(variants) + 1


def test_task_is_immutable() -> None:
    task = make(outputs=["deaths"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.seed = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.outputs = ("x",)  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        task.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        task.params.params["R0"] = 3.0  # type: ignore[index]
    assert copy.deepcopy(task) == task


def test_replace_revalidates() -> None:
    with pytest.raises(ContractError, match="seed"):
        dataclasses.replace(make(), seed=-5)

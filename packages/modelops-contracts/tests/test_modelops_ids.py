"""UniqueParameterSet, param_id and the canonical JSON form."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import pickle
import random
import subprocess
import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelops_contracts import ContractError, UniqueParameterSet, canonical_json

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=16,
)
PARAMS = st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=6)

# The documented example (README.md, _ids.py). If this changes, every stored
# id changes: that is a breaking change of the package, not a test update.
GOLDEN_PARAMS = {"R0": 2.5, "incubation_days": 5}
GOLDEN_CANONICAL = b'{"R0":2.5,"incubation_days":5}'
GOLDEN_PARAM_ID = "da97a170c1df6cffa1e0c1a5c1e8125dd5494a5b20d22014de55427aebb7f0b7"


def oracle_id(params: Mapping[str, Any]) -> str:
    """The id as the docs define it, computed independently of the package."""
    text = json.dumps(
        params, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reordered(value: Any, rnd: random.Random) -> Any:
    """``value`` with every dict rebuilt in a shuffled key order."""
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {key: reordered(value[key], rnd) for key in keys}
    if isinstance(value, list):
        return [reordered(item, rnd) for item in value]
    return value


def test_golden_param_id() -> None:
    params = UniqueParameterSet.from_dict(GOLDEN_PARAMS)
    assert params.canonical_json() == GOLDEN_CANONICAL
    assert params.param_id == GOLDEN_PARAM_ID
    assert params.param_id == hashlib.sha256(GOLDEN_CANONICAL).hexdigest()


def test_example_from_dict_param_id() -> None:
    param_id = UniqueParameterSet.from_dict({"R0": 2.5, "incubation_days": 5}).param_id
    assert param_id == GOLDEN_PARAM_ID
    assert len(param_id) == 64


def test_canonical_form_details() -> None:
    assert canonical_json({"b": 1, "a": {"d": [1, 2], "c": None}}) == (
        b'{"a":{"c":null,"d":[1,2]},"b":1}'
    )
    assert canonical_json({"name": "Zürich €"}) == '{"name":"Zürich €"}'.encode()
    assert canonical_json({"x": -0.0}) == b'{"x":-0.0}'
    assert canonical_json({"x": 1e-7}) == b'{"x":1e-07}'
    assert canonical_json({}) == b"{}"


def test_integral_float_and_int_are_different_ids() -> None:
    # Documented decision: JSON keeps 5 and 5.0 apart, so do the ids.
    as_int = UniqueParameterSet.from_dict({"days": 5})
    as_float = UniqueParameterSet.from_dict({"days": 5.0})
    assert as_int.canonical_json() == b'{"days":5}'
    assert as_float.canonical_json() == b'{"days":5.0}'
    assert as_int.param_id != as_float.param_id
    assert as_int != as_float
    assert isinstance(as_int.params["days"], int)
    assert isinstance(as_float.params["days"], float)


def test_bool_and_int_are_different_ids() -> None:
    assert (
        UniqueParameterSet.from_dict({"x": True}).param_id
        != UniqueParameterSet.from_dict({"x": 1}).param_id
    )


def test_zero_and_negative_zero_are_different_ids() -> None:
    assert (
        UniqueParameterSet.from_dict({"x": 0.0}).param_id
        != UniqueParameterSet.from_dict({"x": -0.0}).param_id
    )


def test_list_and_tuple_are_the_same_id() -> None:
    assert (
        UniqueParameterSet.from_dict({"x": [1, 2]}).param_id
        == UniqueParameterSet.from_dict({"x": (1, 2)}).param_id
    )


def test_subclasses_are_normalised_to_builtins() -> None:
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    class Name(str):
        pass

    params = UniqueParameterSet.from_dict({"level": Level.HIGH, "name": Name("a")})
    assert type(params.params["level"]) is int
    assert type(params.params["name"]) is str
    assert params.param_id == UniqueParameterSet.from_dict({"level": 3, "name": "a"}).param_id


def test_empty_parameter_set_is_allowed() -> None:
    assert UniqueParameterSet.from_dict({}).param_id == hashlib.sha256(b"{}").hexdigest()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"x": float("nan")}, r"UniqueParameterSet\.params\.x: non-finite float"),
        ({"x": float("inf")}, r"non-finite float is not JSON"),
        ({"x": [1.0, float("-inf")]}, r"params\.x\[1\]: non-finite float"),
        ({"x": {"y": float("nan")}}, r"params\.x\.y: non-finite float"),
        ({1: "a"}, r"mapping keys must be str"),
        ({"x": {2: "a"}}, r"params\.x: mapping keys must be str"),
        ({"x": b"raw"}, r"bytes is not a JSON value"),
        ({"x": {1, 2}}, r"set is not a JSON value"),
        ({"x": object()}, r"object is not a JSON value"),
        ({"x": "\ud800"}, r"not valid Unicode"),
        ({"\udfff": 1}, r"not valid Unicode"),
        ({"x": 10**5000}, r"cannot be written as JSON"),
    ],
)
def test_non_json_params_are_rejected(params: Any, message: str) -> None:
    with pytest.raises(ContractError, match=message):
        UniqueParameterSet.from_dict(params)


def test_params_must_be_a_mapping() -> None:
    with pytest.raises(ContractError, match="must be a mapping with str keys"):
        UniqueParameterSet.from_dict([("a", 1)])  # type: ignore[arg-type]


def test_contract_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        UniqueParameterSet.from_dict({"x": float("nan")})


def test_param_id_is_not_an_init_argument() -> None:
    with pytest.raises(TypeError):
        UniqueParameterSet(params={}, param_id="0" * 64)  # type: ignore[call-arg]


def test_to_dict_is_a_mutable_deep_copy() -> None:
    params = UniqueParameterSet.from_dict({"a": {"b": [1, {"c": 2}]}})
    plain = params.to_dict()
    assert plain == {"a": {"b": [1, {"c": 2}]}}
    assert type(plain["a"]["b"]) is list
    plain["a"]["b"].append(3)
    assert params.params["a"]["b"] == (1, MappingProxyType({"c": 2}))


def test_error_messages_truncate_huge_values() -> None:
    with pytest.raises(ContractError) as info:
        UniqueParameterSet.from_dict({"x": b"y" * 10_000})
    assert len(str(info.value)) < 300


# Property tests run without a per-example deadline: timing on a shared, loaded
# machine is not part of the contract.
@settings(deadline=None)
@given(PARAMS)
def test_param_id_matches_the_documented_formula(params: dict[str, Any]) -> None:
    ups = UniqueParameterSet.from_dict(params)
    assert ups.param_id == oracle_id(params)
    assert ups.canonical_json() == canonical_json(params)


@settings(deadline=None)
@given(PARAMS, st.randoms(use_true_random=False))
def test_param_id_ignores_key_order(params: dict[str, Any], rnd: random.Random) -> None:
    shuffled = reordered(params, rnd)
    assert UniqueParameterSet.from_dict(shuffled).param_id == (
        UniqueParameterSet.from_dict(params).param_id
    )
    assert UniqueParameterSet.from_dict(shuffled) == UniqueParameterSet.from_dict(params)
    assert hash(UniqueParameterSet.from_dict(shuffled)) == hash(
        UniqueParameterSet.from_dict(params)
    )


@settings(deadline=None)
@given(PARAMS)
def test_param_id_survives_round_trips(params: dict[str, Any]) -> None:
    ups = UniqueParameterSet.from_dict(params)
    assert UniqueParameterSet.from_dict(ups.to_dict()).param_id == ups.param_id
    assert UniqueParameterSet.from_dict(ups.params).param_id == ups.param_id
    assert UniqueParameterSet.from_dict(json.loads(ups.canonical_json())).param_id == (ups.param_id)
    assert pickle.loads(pickle.dumps(ups)).param_id == ups.param_id


@settings(deadline=None)
@given(PARAMS, st.text(max_size=10), JSON_VALUES)
def test_param_id_changes_with_content(params: dict[str, Any], key: str, value: Any) -> None:
    changed = dict(params)
    changed[key] = value
    same = canonical_json(changed) == canonical_json(params)
    assert (UniqueParameterSet.from_dict(changed).param_id == oracle_id(params)) == same


# Param sets evaluated in fresh interpreters with different hash seeds. The
# literal is shared verbatim with the subprocess.
CROSS_PROCESS_PARAMS = """[
    {"R0": 2.5, "incubation_days": 5},
    {"incubation_days": 5, "R0": 2.5},
    {"days": 5.0},
    {"z": 1, "y": 2, "x": 3, "w": 4, "v": 5, "u": 6, "t": 7, "s": 8},
    {"nested": {"b": [1, 2, {"d": None, "c": True}], "a": "Zürich"}, "e": -0.0},
    {"k" + str(i): i * 0.1 for i in range(40)},
    {},
]"""

CHILD_SCRIPT = """
import json, sys
from modelops_contracts import SimTask, UniqueParameterSet
sets = eval(sys.argv[1])
ids = [UniqueParameterSet.from_dict(p).param_id for p in sets]
task = SimTask.from_components(
    import_path="covid.models.SEIR", scenario="baseline", bundle_ref="sha256:" + "a" * 64,
    params=sets[0], seed=42, outputs=["infections", "deaths"],
)
print(json.dumps({"param_ids": ids, "task_id": task.task_id}))
"""


@pytest.mark.parametrize("hash_seed", ["0", "1", "4242", "random"])
def test_ids_are_stable_across_processes(hash_seed: str) -> None:
    from modelops_contracts import SimTask

    sets = [dict(p) for p in eval(CROSS_PROCESS_PARAMS)]  # literal defined above
    expected_ids = [UniqueParameterSet.from_dict(p).param_id for p in sets]
    expected_task = SimTask.from_components(
        import_path="covid.models.SEIR",
        scenario="baseline",
        bundle_ref="sha256:" + "a" * 64,
        params=sets[0],
        seed=42,
        outputs=["infections", "deaths"],
    ).task_id
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    completed = subprocess.run(
        [sys.executable, "-c", CHILD_SCRIPT, CROSS_PROCESS_PARAMS],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    child = json.loads(completed.stdout)
    assert child["param_ids"] == expected_ids
    assert child["task_id"] == expected_task
    assert expected_ids[0] == expected_ids[1] == GOLDEN_PARAM_ID
    assert len(set(expected_ids)) == len(expected_ids) - 1


def test_cross_process_literal_is_plain_data() -> None:
    # Guard for the eval above: the shared literal stays a literal-ish expression.
    tree = ast.parse(CROSS_PROCESS_PARAMS, mode="eval")
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert names <= {"str", "range", "i"}

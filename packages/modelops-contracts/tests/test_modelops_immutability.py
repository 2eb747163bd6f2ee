"""Deep immutability of every value type of the contract."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelops_contracts import (
    SimReturn,
    SimTask,
    TableArtifact,
    TrialResult,
    TrialStatus,
    UniqueParameterSet,
)

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=16,
)
OBJECTS = st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=5)
TABLE = TableArtifact.from_bytes(b"table")
PARAM_ID = "0" * 64


def walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, MappingProxyType):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, tuple):
        for item in value:
            yield from walk(item)


def assert_deeply_frozen(value: Any) -> None:
    for node in walk(value):
        assert not isinstance(node, (dict, list, set, bytearray)), node
        if isinstance(node, MappingProxyType):
            with pytest.raises(TypeError):
                node["__new__"] = 1  # type: ignore[index]
            with pytest.raises(AttributeError):
                node.clear()  # type: ignore[attr-defined]


# Property tests run without a per-example deadline: timing on a shared, loaded
# machine is not part of the contract.
@settings(deadline=None)
@given(OBJECTS)
def test_parameter_sets_are_deeply_frozen_copies(params: dict[str, Any]) -> None:
    original = copy.deepcopy(params)
    ups = UniqueParameterSet.from_dict(params)
    assert isinstance(ups.params, MappingProxyType)
    assert_deeply_frozen(ups.params)
    param_id = ups.param_id
    # Mutating the caller's data afterwards changes nothing.
    params["__added__"] = [1]
    for value in params.values():
        if isinstance(value, list):
            value.append("mutated")
        elif isinstance(value, dict):
            value["mutated"] = True
    assert ups.to_dict() == original
    assert ups.param_id == param_id == UniqueParameterSet.from_dict(original).param_id


@settings(deadline=None)
@given(OBJECTS)
def test_results_are_deeply_frozen(diagnostics: dict[str, Any]) -> None:
    result = TrialResult(
        param_id=PARAM_ID,
        loss=1.0,
        status=TrialStatus.COMPLETED,
        diagnostics=diagnostics,
        outputs={"t": TABLE},
    )
    assert_deeply_frozen(result.diagnostics)
    assert isinstance(result.outputs, MappingProxyType)
    ret = SimReturn(task_id=PARAM_ID, param_id=PARAM_ID, outputs={"t": TABLE}, metadata=diagnostics)
    assert_deeply_frozen(ret.metadata)
    assert isinstance(ret.outputs, MappingProxyType)


def test_nested_example() -> None:
    source: dict[str, Any] = {"grid": [[1, 2], [3, 4]], "opts": {"mode": "fast", "tags": ["a"]}}
    ups = UniqueParameterSet.from_dict(source)
    assert ups.params["grid"] == ((1, 2), (3, 4))
    assert isinstance(ups.params["opts"], MappingProxyType)
    assert ups.params["opts"]["tags"] == ("a",)
    with pytest.raises(TypeError):
        ups.params["opts"]["mode"] = "slow"  # type: ignore[index]
    with pytest.raises(AttributeError):
        ups.params["opts"]["tags"].append("b")
    source["opts"]["tags"].append("b")
    assert ups.params["opts"]["tags"] == ("a",)


def test_outputs_mapping_is_a_copy() -> None:
    outputs = {"t": TABLE}
    ret = SimReturn(task_id=PARAM_ID, param_id=PARAM_ID, outputs=outputs)
    outputs["u"] = TABLE
    assert set(ret.outputs) == {"t"}


@pytest.mark.parametrize(
    ("instance", "field"),
    [
        (UniqueParameterSet.from_dict({"a": 1}), "params"),
        (UniqueParameterSet.from_dict({"a": 1}), "param_id"),
        (
            SimTask(
                entrypoint="m.C/s",
                bundle_ref="sha256:" + "a" * 64,
                params=UniqueParameterSet.from_dict({}),
                seed=1,
            ),
            "entrypoint",
        ),
        (TrialResult(param_id=PARAM_ID, loss=None, status=TrialStatus.FAILED), "loss"),
        (SimReturn(task_id=PARAM_ID, param_id=PARAM_ID, outputs={}), "metadata"),
        (TABLE, "size"),
    ],
)
def test_assigning_any_field_raises(instance: Any, field: str) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(instance, field, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(instance, field)


@pytest.mark.parametrize(
    "cls", [UniqueParameterSet, SimTask, TableArtifact, TrialResult, SimReturn]
)
def test_every_type_is_a_frozen_slotted_dataclass(cls: type) -> None:
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert "__slots__" in cls.__dict__

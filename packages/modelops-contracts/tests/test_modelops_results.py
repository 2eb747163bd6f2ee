"""TrialResult, TrialStatus and SimReturn: loss rules, diagnostics, outputs."""

from __future__ import annotations

import dataclasses
import math
import pickle
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelops_contracts import (
    DIAGNOSTICS_MAX_BYTES,
    ContractError,
    SimReturn,
    SimTask,
    TableArtifact,
    TrialResult,
    TrialStatus,
    UniqueParameterSet,
    canonical_json,
)

PARAM_ID = UniqueParameterSet.from_dict({"R0": 2.5}).param_id
TASK = SimTask.from_components(
    import_path="covid.models.SEIR",
    scenario="baseline",
    bundle_ref="sha256:" + "a" * 64,
    params={"R0": 2.5},
    seed=42,
    outputs=["infections", "deaths"],
)
TABLE = TableArtifact.from_bytes(b"ARROW1\x00\x00fake-ipc-payload")
NOT_COMPLETED = st.sampled_from([TrialStatus.FAILED, TrialStatus.TIMEOUT])

# Canonical JSON of {"blob": ""} is 11 bytes; "x" is 1 byte in UTF-8, "é" 2, "€" 3.
BLOB_OVERHEAD = len(b'{"blob":""}')


def test_example_trial_result() -> None:
    result = TrialResult(
        param_id=PARAM_ID,
        loss=0.234,
        status=TrialStatus.COMPLETED,
        diagnostics={"val_accuracy": 0.95},
    )
    assert result.loss == 0.234
    assert result.status is TrialStatus.COMPLETED
    assert result.diagnostics == {"val_accuracy": 0.95}
    assert result.outputs is None


def test_trial_status_values() -> None:
    assert [status.name for status in TrialStatus] == ["COMPLETED", "FAILED", "TIMEOUT"]
    assert TrialStatus.COMPLETED.value == "completed"
    assert isinstance(TrialStatus.COMPLETED, str)
    assert TrialStatus("timeout") is TrialStatus.TIMEOUT


def test_status_accepts_its_string_value() -> None:
    result = TrialResult(param_id=PARAM_ID, loss=None, status="failed")  # type: ignore[arg-type]
    assert result.status is TrialStatus.FAILED


@pytest.mark.parametrize("status", ["COMPLETED", "done", 1, None])
def test_unknown_status_is_rejected(status: Any) -> None:
    with pytest.raises(
        ContractError, match=r"^TrialResult\.status: must be a TrialStatus or one of 'completed'"
    ):
        TrialResult(param_id=PARAM_ID, loss=1.0, status=status)


@pytest.mark.parametrize("param_id", ["", "A" * 64, "a" * 63, "sha256:" + "a" * 64, None])
def test_param_id_must_be_sha256_hex(param_id: Any) -> None:
    with pytest.raises(ContractError, match=r"^TrialResult\.param_id: must be a sha256 digest"):
        TrialResult(param_id=param_id, loss=1.0, status=TrialStatus.COMPLETED)


# --- loss rules ---------------------------------------------------------------


# Property tests run without a per-example deadline: timing on a shared, loaded
# machine is not part of the contract.
@settings(deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**20), 10**20))
def test_completed_accepts_any_finite_loss(loss: float) -> None:
    result = TrialResult(param_id=PARAM_ID, loss=loss, status=TrialStatus.COMPLETED)
    assert result.loss == float(loss)
    assert type(result.loss) is float


@settings(deadline=None)
@given(st.sampled_from([math.nan, math.inf, -math.inf]))
def test_completed_rejects_non_finite_loss(loss: float) -> None:
    with pytest.raises(
        ContractError, match=r"^TrialResult\.loss: a COMPLETED trial needs a finite"
    ):
        TrialResult(param_id=PARAM_ID, loss=loss, status=TrialStatus.COMPLETED)


@settings(deadline=None)
@given(st.floats())
def test_completed_loss_property(loss: float) -> None:
    try:
        TrialResult(param_id=PARAM_ID, loss=loss, status=TrialStatus.COMPLETED)
    except ContractError:
        assert not math.isfinite(loss)
    else:
        assert math.isfinite(loss)


def test_completed_rejects_missing_loss() -> None:
    with pytest.raises(ContractError, match="a COMPLETED trial needs a finite loss"):
        TrialResult(param_id=PARAM_ID, loss=None, status=TrialStatus.COMPLETED)


@settings(deadline=None)
@given(NOT_COMPLETED, st.none() | st.floats())
def test_failed_and_timeout_accept_none_or_any_float(status: TrialStatus, loss: float) -> None:
    result = TrialResult(param_id=PARAM_ID, loss=loss, status=status)
    if loss is None:
        assert result.loss is None
    elif math.isnan(loss):
        assert result.loss is not None
        assert math.isnan(result.loss)
    else:
        assert result.loss == loss


@pytest.mark.parametrize("status", list(TrialStatus))
@pytest.mark.parametrize("loss", [True, "0.1", [0.1], 1 + 2j])
def test_non_real_loss_is_rejected(status: TrialStatus, loss: Any) -> None:
    with pytest.raises(ContractError, match=r"^TrialResult\.loss: must be a real number"):
        TrialResult(param_id=PARAM_ID, loss=loss, status=status)


def test_other_reals_become_float() -> None:
    result = TrialResult(param_id=PARAM_ID, loss=Fraction(1, 4), status=TrialStatus.COMPLETED)  # type: ignore[arg-type]
    assert result.loss == 0.25
    assert type(result.loss) is float


# --- diagnostics ----------------------------------------------------------------


@settings(deadline=None)
@given(st.integers(0, DIAGNOSTICS_MAX_BYTES // 3 + 10), st.sampled_from(["x", "é", "€"]))
def test_diagnostics_size_limit_in_utf8_bytes(count: int, char: str) -> None:
    diagnostics = {"blob": char * count}
    size = BLOB_OVERHEAD + count * len(char.encode())
    assert size == len(canonical_json(diagnostics))
    if size < DIAGNOSTICS_MAX_BYTES:
        result = TrialResult(param_id=PARAM_ID, loss=None, status="failed", diagnostics=diagnostics)  # type: ignore[arg-type]
        assert result.diagnostics["blob"] == char * count
    else:
        with pytest.raises(ContractError, match=r"^TrialResult\.diagnostics: must be < 64 KiB"):
            TrialResult(param_id=PARAM_ID, loss=None, status="failed", diagnostics=diagnostics)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("extra", "accepted"),
    [(-1, True), (0, False), (1, False), (10_000, False)],
)
def test_diagnostics_size_boundary(extra: int, accepted: bool) -> None:
    count = DIAGNOSTICS_MAX_BYTES - BLOB_OVERHEAD + extra
    diagnostics = {"blob": "x" * count}
    assert len(canonical_json(diagnostics)) == DIAGNOSTICS_MAX_BYTES + extra
    if accepted:
        TrialResult(
            param_id=PARAM_ID, loss=0.0, status=TrialStatus.COMPLETED, diagnostics=diagnostics
        )
    else:
        with pytest.raises(ContractError, match=r"\(got \d+ bytes\)"):
            TrialResult(
                param_id=PARAM_ID, loss=0.0, status=TrialStatus.COMPLETED, diagnostics=diagnostics
            )


@pytest.mark.parametrize(
    ("diagnostics", "message"),
    [
        ({"val": math.nan}, r"^TrialResult\.diagnostics\.val: non-finite float"),
        ({"val": [1, math.inf]}, r"^TrialResult\.diagnostics\.val\[1\]: non-finite float"),
        ({"arr": b"\x00"}, r"bytes is not a JSON value"),
        ({1: "a"}, r"^TrialResult\.diagnostics: mapping keys must be str"),
        ([("a", 1)], r"^TrialResult\.diagnostics: must be a mapping"),
        ({"x": object()}, r"object is not a JSON value"),
    ],
)
def test_diagnostics_must_be_json(diagnostics: Any, message: str) -> None:
    with pytest.raises(ContractError, match=message):
        TrialResult(
            param_id=PARAM_ID, loss=1.0, status=TrialStatus.COMPLETED, diagnostics=diagnostics
        )


def test_diagnostics_default_to_empty() -> None:
    assert TrialResult(param_id=PARAM_ID, loss=None, status=TrialStatus.TIMEOUT).diagnostics == {}


# --- outputs on trial results and SimReturn ------------------------------------


def test_trial_result_outputs() -> None:
    result = TrialResult(
        param_id=PARAM_ID, loss=1.0, status=TrialStatus.COMPLETED, outputs={"deaths": TABLE}
    )
    assert result.outputs is not None
    assert result.outputs["deaths"] is TABLE
    with pytest.raises(TypeError):
        result.outputs["x"] = TABLE  # type: ignore[index]


def test_sim_return_from_task() -> None:
    ret = SimReturn.from_task(TASK, {"deaths": TABLE, "infections": TABLE}, {"host": "n1"})
    assert ret.task_id == TASK.task_id
    assert ret.param_id == TASK.param_id == PARAM_ID
    assert set(ret.outputs) == {"deaths", "infections"}
    assert ret.metadata == {"host": "n1"}
    assert SimReturn.from_task(TASK, {}).metadata == {}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"task_id": "x"}, r"^SimReturn\.task_id: must be a sha256 digest"),
        ({"param_id": "A" * 64}, r"^SimReturn\.param_id: must be a sha256 digest"),
        ({"outputs": [TABLE]}, r"^SimReturn\.outputs: must be a mapping"),
        (
            {"outputs": {"deaths": b"raw"}},
            r"^SimReturn\.outputs\['deaths'\]: must be a TableArtifact",
        ),
        ({"outputs": {"bad name": TABLE}}, r"^SimReturn\.outputs key: must be an output name"),
        ({"metadata": {"t": math.inf}}, r"^SimReturn\.metadata\.t: non-finite float"),
        ({"metadata": None}, r"^SimReturn\.metadata: must be a mapping"),
    ],
)
def test_sim_return_invariants(kwargs: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {
        "task_id": TASK.task_id,
        "param_id": TASK.param_id,
        "outputs": {"deaths": TABLE},
    }
    fields.update(kwargs)
    with pytest.raises(ContractError, match=message):
        SimReturn(**fields)


def test_trial_result_output_invariants() -> None:
    with pytest.raises(
        ContractError, match=r"^TrialResult\.outputs\['a'\]: must be a TableArtifact"
    ):
        TrialResult(param_id=PARAM_ID, loss=1.0, status="completed", outputs={"a": 1})  # type: ignore[arg-type,dict-item]


def test_results_pickle_round_trip() -> None:
    result = TrialResult(
        param_id=PARAM_ID,
        loss=math.nan,
        status=TrialStatus.FAILED,
        diagnostics={"trace": ["a", {"b": 1}]},
        outputs={"deaths": TABLE},
    )
    copied = pickle.loads(pickle.dumps(result))
    assert copied.param_id == result.param_id
    assert copied.loss is not None
    assert math.isnan(copied.loss)
    assert copied.diagnostics == result.diagnostics
    assert copied.outputs == result.outputs
    ret = SimReturn.from_task(TASK, {"deaths": TABLE}, {"n": [1, 2]})
    assert pickle.loads(pickle.dumps(ret)) == ret


def test_replace_revalidates_results() -> None:
    result = TrialResult(param_id=PARAM_ID, loss=None, status=TrialStatus.FAILED)
    with pytest.raises(ContractError, match="needs a finite loss"):
        dataclasses.replace(result, status=TrialStatus.COMPLETED)
    assert dataclasses.replace(result, status=TrialStatus.COMPLETED, loss=0.5).loss == 0.5

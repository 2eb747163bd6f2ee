"""TableArtifact: inline xor reference, checksum and size checked."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from modelops_contracts import ContractError, TableArtifact

PAYLOAD = b"ARROW1\x00\x00" + bytes(range(256))
CHECKSUM = hashlib.sha256(PAYLOAD).hexdigest()
URI = "gs://bucket/tables/" + CHECKSUM
HEX = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


def test_from_bytes() -> None:
    artifact = TableArtifact.from_bytes(PAYLOAD)
    assert artifact.checksum == CHECKSUM
    assert artifact.size == len(PAYLOAD)
    assert artifact.inline == PAYLOAD
    assert artifact.uri is None
    assert artifact.is_inline
    artifact.verify()
    artifact.verify(PAYLOAD)
    assert "ARROW1" not in repr(artifact)  # payload stays out of logs


def test_constructor_inline() -> None:
    artifact = TableArtifact(checksum=CHECKSUM, size=len(PAYLOAD), inline=PAYLOAD)
    assert artifact == TableArtifact.from_bytes(PAYLOAD)


def test_mutable_buffers_are_copied_to_bytes() -> None:
    buffer = bytearray(PAYLOAD)
    artifact = TableArtifact.from_bytes(buffer)
    buffer[0] = 0
    assert type(artifact.inline) is bytes
    assert artifact.inline == PAYLOAD
    artifact.verify()
    via_view = TableArtifact(checksum=CHECKSUM, size=len(PAYLOAD), inline=memoryview(PAYLOAD))  # type: ignore[arg-type]
    assert type(via_view.inline) is bytes


@pytest.mark.parametrize(
    "uri",
    [URI, "file:///tmp/t.arrow", "https://h/x?y=1", "s3://b/k", "cas:" + CHECKSUM],
)
def test_reference(uri: str) -> None:
    artifact = TableArtifact.from_uri(uri, checksum=CHECKSUM, size=len(PAYLOAD))
    assert not artifact.is_inline
    assert artifact.inline is None
    artifact.verify(PAYLOAD)
    with pytest.raises(ContractError, match="a reference artifact has no bytes to check"):
        artifact.verify()
    with pytest.raises(ContractError, match="bytes do not match checksum"):
        artifact.verify(PAYLOAD[:-1] + b"\x01")
    with pytest.raises(
        ContractError, match=r"byte length does not match size=264 \(got 263 bytes\)"
    ):
        artifact.verify(PAYLOAD[:-1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, r"^TableArtifact: needs inline bytes or a uri \(exactly one\) \(got neither\)"),
        ({"inline": PAYLOAD, "uri": URI}, r"^TableArtifact: inline bytes and uri are exclusive"),
        ({"inline": PAYLOAD, "checksum": "0" * 64}, r"^TableArtifact\.inline: bytes do not match"),
        ({"inline": PAYLOAD, "size": 1}, r"^TableArtifact\.inline: byte length does not match"),
        ({"inline": "text"}, r"^TableArtifact\.inline: must be bytes"),
        ({"uri": URI, "checksum": "X" * 64}, r"^TableArtifact\.checksum: must be a sha256 digest"),
        ({"uri": URI, "checksum": "sha256:" + CHECKSUM}, r"^TableArtifact\.checksum: must be a"),
        ({"uri": URI, "size": -1}, r"^TableArtifact\.size: must be an int >= 0"),
        ({"uri": URI, "size": True}, r"^TableArtifact\.size: must be an int >= 0"),
        ({"uri": URI, "size": 1.0}, r"^TableArtifact\.size: must be an int >= 0"),
        ({"uri": ""}, r"^TableArtifact\.uri: must be an absolute URI"),
        ({"uri": "tables/x.arrow"}, r"^TableArtifact\.uri: must be an absolute URI"),
        ({"uri": "gs://b/with space"}, r"^TableArtifact\.uri: must be an absolute URI"),
        ({"uri": b"gs://b/k"}, r"^TableArtifact\.uri: must be an absolute URI"),
    ],
)
def test_invariants(kwargs: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {"checksum": CHECKSUM, "size": len(PAYLOAD)}
    fields.update(kwargs)
    with pytest.raises(ContractError, match=message):
        TableArtifact(**fields)


def test_from_bytes_rejects_text() -> None:
    with pytest.raises(ContractError, match="data must be bytes"):
        TableArtifact.from_bytes("not bytes")  # type: ignore[arg-type]


# Property tests run without a per-example deadline: timing on a shared, loaded
# machine is not part of the contract.
@settings(deadline=None)
@given(st.binary(max_size=512))
def test_checksum_property(data: bytes) -> None:
    artifact = TableArtifact.from_bytes(data)
    assert artifact.checksum == hashlib.sha256(data).hexdigest()
    assert artifact.size == len(data)
    artifact.verify()
    artifact.verify(data)
    assert pickle.loads(pickle.dumps(artifact)) == artifact


@settings(deadline=None)
@given(st.binary(max_size=256), HEX)
def test_wrong_checksum_is_rejected(data: bytes, checksum: str) -> None:
    assume(checksum != hashlib.sha256(data).hexdigest())
    with pytest.raises(ContractError, match="bytes do not match checksum"):
        TableArtifact(checksum=checksum, size=len(data), inline=data)


@settings(deadline=None)
@given(st.binary(min_size=1, max_size=256), st.data())
def test_corrupted_bytes_fail_verification(data: bytes, draw: st.DataObject) -> None:
    artifact = TableArtifact.from_bytes(data)
    position = draw.draw(st.integers(0, len(data) - 1))
    flip = draw.draw(st.integers(1, 255))
    corrupted = bytearray(data)
    corrupted[position] ^= flip
    with pytest.raises(ContractError, match="bytes do not match checksum"):
        artifact.verify(bytes(corrupted))
    with pytest.raises(ContractError, match="bytes do not match checksum"):
        TableArtifact(checksum=artifact.checksum, size=len(data), inline=bytes(corrupted))


def test_artifact_is_immutable() -> None:
    artifact = TableArtifact.from_bytes(PAYLOAD)
    with pytest.raises(dataclasses.FrozenInstanceError):
        artifact.inline = b"other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        artifact.checksum = "0" * 64  # type: ignore[misc]
    assert hash(artifact) == hash(TableArtifact.from_bytes(PAYLOAD))

"""The codec round-trips every contract bit-exactly and rejects anything else with a ContractError."""

from __future__ import annotations

import contextlib

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentrt.contracts import (
    MESSAGE_TYPES,
    SCHEMA_VERSION,
    Codec,
    Contract,
    ContractError,
    Goal,
    TaskResult,
    decode,
    decode_as,
    encode,
)
from tests.strategies import contracts_of

ANY_CONTRACT = st.one_of([contracts_of(t) for t in MESSAGE_TYPES])
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("model", MESSAGE_TYPES, ids=lambda t: t.__name__)
def test_every_kind_round_trips_bit_exactly(model: type[Contract]) -> None:
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(contracts_of(model))
    def check(message: Contract) -> None:
        data = encode(message)
        back = decode(data)
        assert type(back) is model
        assert back == message
        assert encode(back) == data

    check()


def test_unknown_version_is_named() -> None:
    good = msgpack.unpackb(encode(Goal(text="do the thing", tenant="t", user="u")), timestamp=3)
    bad = msgpack.packb([SCHEMA_VERSION + 1, good[1]], datetime=True)
    with pytest.raises(ContractError) as info:
        decode(bad)
    assert info.value.detail("what") == "version"


def test_unknown_kind_is_named() -> None:
    with pytest.raises(ContractError, match="unknown message kind 'launch_missiles'") as info:
        decode(msgpack.packb([SCHEMA_VERSION, {"kind": "launch_missiles"}]))
    assert info.value.detail("what") == "kind"


def test_invalid_field_is_named() -> None:
    payload = {"kind": "goal", "text": "ok goal", "tenant": "../etc", "user": "u"}
    with pytest.raises(ContractError) as info:
        decode(msgpack.packb([SCHEMA_VERSION, payload]))
    assert info.value.detail("field") == "goal.tenant"


def test_extra_field_is_rejected() -> None:
    payload = {"kind": "run_query", "tenant": "acme", "admin": True}
    with pytest.raises(ContractError, match="admin"):
        decode(msgpack.packb([SCHEMA_VERSION, payload]))


def test_truncated_bytes_are_rejected() -> None:
    data = encode(Goal(text="prepare the weekly sales summary", tenant="acme", user="ann"))
    for cut in range(len(data)):
        with pytest.raises(ContractError):
            decode(data[:cut])


def test_oversize_payload_is_rejected_both_ways() -> None:
    small = Codec(max_bytes=200)
    goal = Goal(text="x" * 500, tenant="acme", user="ann")
    with pytest.raises(ContractError) as info:
        small.encode(goal)
    assert info.value.detail("what") == "oversize"
    with pytest.raises(ContractError):
        small.decode(encode(goal))


def test_decode_as_checks_the_type() -> None:
    data = encode(Goal(text="prepare the weekly sales summary", tenant="acme", user="ann"))
    with pytest.raises(ContractError, match="expected TaskResult"):
        decode_as(data, TaskResult)


def test_pickle_is_not_accepted() -> None:
    import pickle

    with pytest.raises(ContractError):
        decode(pickle.dumps(Goal(text="prepare the weekly sales summary", tenant="acme", user="ann")))


def test_unencodable_values_raise_contract_error() -> None:
    from agentrt.contracts import ToolCall

    with pytest.raises(ContractError):
        encode(ToolCall(id="c1", tool="t", arguments={"n": 2**70}))


def test_non_contracts_are_not_encoded() -> None:
    with pytest.raises(ContractError):
        encode({"kind": "goal"})  # type: ignore[arg-type]


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes_only_ever_raise_contract_error(data: bytes) -> None:
    with contextlib.suppress(ContractError):
        decode(data)


@FUZZ
@given(ANY_CONTRACT, st.data())
def test_mutated_messages_only_ever_raise_contract_error(message: Contract, data: st.DataObject) -> None:
    raw = bytearray(encode(message))
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        pos = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[pos] ^= data.draw(st.integers(1, 255))
        elif op == "insert":
            raw.insert(pos, data.draw(st.integers(0, 255)))
        elif raw:
            del raw[pos]
    try:
        back = decode(bytes(raw))
    except ContractError:
        return
    assert isinstance(back, Contract)


@FUZZ
@given(
    st.recursive(
        st.none() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=5) | st.binary(max_size=5),
        lambda x: st.lists(x, max_size=4) | st.dictionaries(st.text(max_size=5), x, max_size=4),
    )
)
def test_well_formed_msgpack_of_any_shape_only_raises_contract_error(value: object) -> None:
    for envelope in (value, [SCHEMA_VERSION, value]):
        with contextlib.suppress(ContractError):
            decode(msgpack.packb(envelope))

"""Per-call constants made cheap: call ids from a pooled OS generator, timestamps formatted
once per second, one canonical encoder built once; each fast path against the slow one."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.clock import iso, iso_now
from gateway.jsondoc import canonical
from gateway.model import new_call_id


def test_call_ids_are_128_bit_hex_and_unique() -> None:
    ids = [new_call_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_a_forked_worker_does_not_repeat_its_parents_ids() -> None:
    new_call_id()  # the pool now holds ids the child would inherit
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report its next ids and leave without running pytest's teardown
        os.write(w, "".join(new_call_id() for _ in range(10)).encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    child = os.read(r, 1000).decode()
    os.close(r)
    mine = [new_call_id() for _ in range(10)]
    theirs = [child[i : i + 32] for i in range(0, 320, 32)]
    assert not set(mine) & set(theirs)


def test_timestamps_formatted_once_per_second_stay_exact() -> None:
    assert iso(1.25) == "1970-01-01T00:00:01.250000Z"
    assert iso(1.999999) == "1970-01-01T00:00:01.999999Z"
    assert iso(2.0) == "1970-01-01T00:00:02.000000Z"
    assert iso(1.5) == "1970-01-01T00:00:01.500000Z"  # going back a second is formatted again
    now = time.time()
    assert iso_now() == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)) or int(time.time()) != int(now)


def _reference(obj: Any) -> bytes:
    """The canonical encoding as written before the encoder was built once (and as documented)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec=None, exclude_categories=()), max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=6), inner, max_size=5),
    max_leaves=30,
)


def _outcome(encode: Any, obj: Any) -> Any:
    """What ``encode(obj)`` gives: its text, or the error's type and message."""
    try:
        return encode(obj)
    except (TypeError, ValueError) as e:
        return (type(e), str(e))


@settings(max_examples=400, deadline=None)
@given(_json)
def test_canonical_gives_the_bytes_and_errors_of_json_dumps(obj: Any) -> None:
    assert _outcome(canonical, obj) == _outcome(_reference, obj)  # errors: NaN / infinities, lone surrogates


def test_canonical_refuses_what_json_cannot_hold() -> None:
    for bad in ({"a": object()}, {(1, 2): 1}, {1: 2, "1": 3}):
        with pytest.raises(TypeError):
            canonical(bad)
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(RecursionError):  # no circular-reference table: the nesting bound ends it
        canonical(cycle)


def test_a_schemas_validator_is_built_once_and_finds_what_a_fresh_one_finds() -> None:
    import jsonschema

    from gateway.inspect.runner import _validator, schema_findings

    schema = {
        "type": "object",
        "properties": {"q": {"type": "string", "maxLength": 5}, "n": {"type": "integer"}},
        "additionalProperties": False,
    }
    other = {"type": "object", "required": ["x"]}
    assert _validator(schema) is _validator(schema)
    assert _validator(other) is not _validator(schema)
    assert _validator(dict(schema)) is not _validator(schema)  # keyed by the object, not its id alone
    for args in ({"q": "ok", "n": 1}, {"q": "too long", "n": "x", "extra": 1}, [], {"x": 1}):
        for s in (schema, other):
            fresh = jsonschema.Draft202012Validator(s)
            want = sorted((list(e.absolute_path), e.validator) for e in fresh.iter_errors(args))
            got = schema_findings(args, s)
            assert len(got) == len(want)
            assert {f.kind for f in got} == {
                "unknown_argument" if v == "additionalProperties" else f"schema_{v}" for _, v in want
            }
    assert {f.kind for f in schema_findings({"q": "too long", "extra": 1}, schema)} == {
        "schema_maxLength",
        "unknown_argument",
    }


@settings(max_examples=200, deadline=None)
@given(_json)
def test_the_policy_input_encoder_gives_what_json_dumps_gives(obj: Any) -> None:
    from gateway.policy.embedded import _encode_input

    def reference(o: Any) -> str:
        return json.dumps(o, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    assert _outcome(_encode_input, obj) == _outcome(reference, obj)

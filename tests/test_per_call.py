"""Per-call constants made cheap: call ids from a pooled OS generator, timestamps formatted
once per second, one canonical encoder built once; each fast path against the slow one."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import enum
import json
import math
import os
import random
import struct
import sys
import time
import uuid
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.clock import iso, iso_now
from gateway.jsondoc import FAST_NODES, canonical, orjson_agrees
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


# ---- orjson where it provably writes the C encoder's bytes (gateway/jsondoc.py)


def _c_reference(obj: Any, sort_keys: bool = True) -> bytes:
    return json.dumps(obj, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def test_orjson_escapes_every_code_point_as_the_c_encoder_does() -> None:
    """Exhaustive: each code point but the surrogates, as a value, in a key, all of them in
    one string, and every key of a plane sorted (code-point order against orjson's)."""
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for i in range(0, len(chars), 4096):
        chunk = chars[i : i + 4096]
        for doc in (chunk, {c: 1 for c in reversed(chunk)}, "".join(chunk)):
            assert orjson_agrees(doc) or len(chunk) > FAST_NODES
            assert orjson.dumps(doc, option=orjson.OPT_SORT_KEYS) == _c_reference(doc)
    keys = {c: 0 for c in chars[::97]}
    assert orjson.dumps(keys, option=orjson.OPT_SORT_KEYS) == _c_reference(keys)


def test_orjson_writes_the_floats_it_is_given_as_repr_does() -> None:
    """Every float ``orjson_agrees`` lets through: decade boundaries and their neighbours
    over the whole exponent range, short decimals, and random bit patterns."""
    rnd = random.Random(13)
    xs: list[float] = [0.0, -0.0, 1e-4, 5e-324, sys.float_info.max, 2.0**53, 1e15, 1e16, 1e17, 1e21, 1e22]
    for e in range(-330, 310):
        for m in ("1", "9.999999999999999", "5", "1.5", "2.5"):
            x = float(f"{m}e{e}")
            xs += [x, math.nextafter(x, math.inf), math.nextafter(x, -math.inf)]
    xs += [round(rnd.uniform(0, 1e6), rnd.randint(0, 6)) for _ in range(20_000)]
    xs += [struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(100_000)]
    passed = 0
    for x in xs + [-x for x in xs]:
        if orjson_agrees(x):
            passed += 1
            assert orjson.dumps(x) == repr(x).encode() == _c_reference(x), x
    assert passed > 100_000  # most of them took the fast path
    for x in (1e-5, 9.99e-5, 1e-6, 1.5e-7, -1e-5, math.nan, math.inf, -math.inf):
        assert not orjson_agrees(x)  # orjson writes these otherwise (or as null)


def test_orjson_is_not_used_for_what_it_writes_differently() -> None:
    class Tag(enum.Enum):
        A = 1

    @dataclasses.dataclass
    class Point:
        x: int

    class Text(str):
        pass

    cycle: list[Any] = []
    cycle.append(cycle)
    for odd in (
        uuid.uuid4(),
        Tag.A,
        Point(1),
        datetime.datetime(2026, 1, 1),
        Text("a"),
        (1, 2),
        {"a": [1.0, {"b": math.nan}]},
        {"t": 1e-5},
        collections.OrderedDict(a=1),
        cycle,
        list(range(FAST_NODES + 1)),
    ):
        assert not orjson_agrees(odd), odd
    assert orjson_agrees({"a": [1, "x", None, True, 0.5, {"b": 2.0}]})


_records = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=1e-4, max_value=1e300)
    | st.text(st.characters(codec=None, exclude_categories=()), max_size=20),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=6), inner, max_size=6),
    max_leaves=60,
)


@settings(max_examples=600, deadline=None)
@given(_records)
def test_the_fast_path_gives_the_c_encoders_bytes_and_errors(obj: Any) -> None:
    """Differential: canonical() and the unsorted policy-input encoder, orjson path or not,
    against json.dumps; and orjson itself wherever ``orjson_agrees``."""
    from gateway.policy.embedded import _encode_input

    assert _outcome(canonical, obj) == _outcome(_reference, obj)
    unsorted = {"separators": (",", ":"), "ensure_ascii": False, "allow_nan": False}
    assert _outcome(_encode_input, obj) == _outcome(lambda o: json.dumps(o, **unsorted), obj)
    if orjson_agrees(obj):
        try:
            fast = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            return  # the caller falls back to the C encoder
        assert fast == _reference(obj)

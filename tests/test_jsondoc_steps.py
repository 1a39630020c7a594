"""JSON work in steps (issue 13): the same results as in one go, in bounded pieces.

``jsondoc.compact_steps`` must give exactly ``json.dumps``'s bytes (what the agent or the
server gets is what was inspected); the nesting check in steps the same answer as
``depth``; the credential search slice by slice must find a needle across a cut.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway import jsondoc
from gateway.mcp import jsonrpc
from gateway.mcp.jsonrpc import Malformed
from gateway.stages import scrub

LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
DOCS = st.recursive(
    LEAVES,
    lambda c: st.lists(c, max_size=20) | st.dictionaries(st.text(max_size=6), c, max_size=20),
    max_leaves=200,
)


@settings(max_examples=400, deadline=None)
@given(DOCS, st.integers(1, 60))
def test_compact_steps_gives_json_dumps_bytes(doc: Any, step: int) -> None:
    want = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    assert jsondoc.run(jsondoc.compact_steps(doc, step)) == want == jsonrpc.dumps(doc)
    ascii_want = json.dumps(doc, separators=(",", ":")).encode()
    assert jsondoc.run(jsondoc.compact_steps(doc, step, ensure_ascii=True)) == ascii_want


def test_compact_steps_raises_what_json_dumps_raises() -> None:
    for bad in ({"a": "\ud800"}, [1, {"x": ["\udfff"]}]):  # a lone surrogate: no UTF-8
        with pytest.raises(UnicodeEncodeError):
            jsonrpc.dumps(bad)
        with pytest.raises(UnicodeEncodeError):
            jsondoc.run(jsondoc.compact_steps(bad, 4))
    with pytest.raises(TypeError):
        jsondoc.run(jsondoc.compact_steps({"a": object()}, 4))


def test_a_long_string_and_a_long_list_are_encoded_in_bounded_pieces() -> None:
    step = 1000
    doc = {"result": {"content": [{"type": "text", "text": 'a"b\\c\n' * 20_000}]}, "items": list(range(50_000))}
    steps = jsondoc.compact_steps(doc, step)
    made = 0
    longest = 0
    while True:
        before = made
        try:
            next(steps)
        except StopIteration as stop:
            out = stop.value
            break
        # what one step wrote: the output has grown by the pieces made since the last yield
        made = sum(len(p) for p in steps.gi_frame.f_locals["out"])  # type: ignore[union-attr]
        longest = max(longest, made - before)
    assert out == jsonrpc.dumps(doc)
    assert len(out) > 100 * step
    assert longest <= 3 * step  # a slice's escapes at most double it; a run is sized to ~step


@settings(max_examples=150, deadline=None)
@given(DOCS, st.integers(1, 5))
def test_the_nesting_check_in_steps_answers_as_depth(doc: Any, step: int) -> None:
    for limit in (None, 0, 1, 3):
        assert jsondoc.run(jsondoc.depth_steps(doc, limit, step)) == jsondoc.depth(doc, limit)


async def test_a_large_message_too_deep_is_refused_in_steps_too() -> None:
    deep = "[" * 70 + "]" * 70
    big = json.dumps({"pad": "x" * (jsonrpc.LARGE + 10), "deep": json.loads(deep)})
    with pytest.raises(Malformed) as err:
        await jsonrpc.loads_async(big)
    assert err.value.code == "request.too_deep"
    ok = json.dumps({"pad": "x" * (jsonrpc.LARGE + 10), "items": [{"a": [1]}] * 5000})
    assert await jsonrpc.loads_async(ok) == json.loads(ok)
    with pytest.raises(Malformed):
        await jsonrpc.loads_async(ok[:-1])


def test_the_credential_search_finds_a_needle_across_a_slice_cut() -> None:
    needle = b"sk-live-0123456789"
    for cut in range(1, len(needle)):  # the needle split at every place by the slice border
        raw = b'{"t":"' + b"x" * (scrub.SEARCH_SLICE - 6 - cut) + needle + b"y" * 1000 + b'"}'
        assert raw.index(needle) + cut == scrub.SEARCH_SLICE
        doc = json.loads(raw)
        clean, n = scrub.scrub_json(raw, doc, [needle])
        assert n == 1 and needle.decode() not in clean["t"]
    raw = b'{"t":"' + b"x" * (3 * scrub.SEARCH_SLICE) + b'"}'
    assert scrub.scrub_json(raw, json.loads(raw), [needle]) == (json.loads(raw), 0)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, 2, {"b": "c"}]}',
        "[" * 300 + "]" * 300,  # too deep for the default bound
        "[" * 3000 + "]" * 3000,  # past the decoder's recursion limit
        '{"a": NaN}',  # not portable
        '{"a": "\\ud800"}',  # a lone surrogate
        '{"a": 1e999}',
        '{"a": ',  # not JSON
    ],
)
def test_loads_in_steps_gives_what_loads_gives(text: str) -> None:
    def outcome(fn: Any) -> Any:
        try:
            return ("ok", fn())
        except ValueError as e:
            return (type(e).__name__, str(e))

    for data in (text, text.encode()):
        want = outcome(lambda: jsondoc.loads(data))  # noqa: B023
        assert outcome(lambda: jsondoc.run(jsondoc.loads_steps(data))) == want  # noqa: B023

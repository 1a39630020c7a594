"""JSON nested far deeper than the interpreter's recursion limit is a clear refusal
everywhere JSON comes from outside — never a RecursionError, never a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway import jsondoc
from gateway.adapters.http import MAX_JSON_DEPTH
from tests.conftest import SIGNING_KEY, Gateway, GatewayFactory, Upstream


def nested(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "1" + "]" * depth
    if kind == "object":
        return '{"a":' * depth + "1" + "}" * depth
    return '[{"a":' * depth + "1" + "}]" * depth


@pytest.mark.parametrize("depth", [65, 1000, 5000, 200_000])
@pytest.mark.parametrize("kind", ["array", "object", "mixed"])
def test_loads_refuses_deep_documents_without_recursion_error(depth: int, kind: str) -> None:
    with pytest.raises(jsondoc.TooDeep):
        jsondoc.loads(nested(depth, kind), MAX_JSON_DEPTH)
    with pytest.raises(jsondoc.TooDeep):
        jsondoc.loads(nested(depth, kind).encode(), MAX_JSON_DEPTH)


def test_loads_accepts_wide_and_shallow_documents() -> None:
    wide = json.dumps([[i, {"a": [i]}] for i in range(5000)])
    assert len(jsondoc.loads(wide, 4)) == 5000
    assert jsondoc.loads(nested(64, "array"), 64) is not None
    assert jsondoc.loads('"[[[[[[[[[[["', 2) == "[[[[[[[[[[["  # brackets in strings are not nesting


@pytest.mark.parametrize("depth", [1000, 100_000])
@pytest.mark.parametrize("kind", ["array", "object", "mixed"])
async def test_deep_http_body_is_400_too_deep_and_recorded(
    gateway: Gateway, upstream: Upstream, depth: int, kind: str
) -> None:
    r = await gateway.agent.post(
        "/tools/echo/x", data=nested(depth, kind), headers={**gateway.auth(), "Content-Type": "application/json"}
    )
    assert r.status == 400
    assert (await r.json())["code"] == "request.too_deep"
    assert upstream.seen == []
    assert [rec["code"] for rec in gateway.records()] == ["request.too_deep"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("part", ["header", "payload"])
async def test_deep_jwt_is_401_not_500(gateway: Gateway, part: str) -> None:
    deep = nested(1500, "array").encode()  # the header line stays under aiohttp's 16 KiB
    claims = {"iss": "callgate-test", "aud": "callgate", "sub": "demo", "exp": int(time.time()) + 60}
    header = deep if part == "header" else json.dumps({"alg": "HS256", "typ": "JWT"}).encode()
    payload = deep if part == "payload" else json.dumps(claims).encode()
    signing_input = f"{b64(header)}.{b64(payload)}"
    sig = hmac.new(SIGNING_KEY.encode(), signing_input.encode(), hashlib.sha256).digest()
    r = await gateway.agent.get("/tools/echo/x", headers={"Authorization": f"Bearer {signing_input}.{b64(sig)}"})
    assert r.status == 401, await r.text()
    assert (await r.json())["code"].startswith("auth.")


async def test_deep_tool_output_is_inspected_without_recursion_error(
    make_gateway: GatewayFactory, upstream: Upstream
) -> None:
    gw = await make_gateway()
    r = await gw.agent.get("/tools/echo/canned/deep", headers=gw.auth())
    assert r.status == 200
    assert (await r.read()).startswith(b"[[[[")
    assert gw.records()[-1]["status"] == 200


async def test_deep_admin_body_is_400(gateway: Gateway) -> None:
    r = await gateway.admin.put(
        "/admin/killswitch",
        data=nested(100_000, "object"),
        headers={**gateway.admin_auth, "Content-Type": "application/json"},
    )
    assert r.status == 400


@pytest.mark.parametrize(
    "body",
    [
        b'{"amount": NaN}',
        b'{"amount": Infinity}',
        b'{"amount": [-Infinity]}',
        b'{"amount": 1e999}',
        b'{"memo": "\\ud800"}',  # a lone surrogate escape
        b'{"\\udc00": 1}',  # in a key
        b'{"memo": "ok \\ud83d"}',  # half of a pair
        b'{"memo": "\xed\xa0\x80"}',  # a surrogate as (CESU-8) bytes
    ],
)
async def test_json_no_consumer_can_represent_is_400_and_recorded(
    gateway: Gateway, upstream: Upstream, body: bytes
) -> None:
    r = await gateway.agent.post(
        "/tools/echo/x", data=body, headers={**gateway.auth(), "Content-Type": "application/json"}
    )
    assert r.status == 400
    assert (await r.json())["code"] == "request.invalid_json"
    assert upstream.seen == []
    assert [rec["code"] for rec in gateway.records()] == ["request.invalid_json"]


async def test_a_surrogate_pair_escape_is_text(gateway: Gateway, upstream: Upstream) -> None:
    r = await gateway.agent.post(
        "/tools/echo/x",
        data=b'{"memo": "\\ud83d\\ude00"}',
        headers={**gateway.auth(), "Content-Type": "application/json"},
    )
    assert r.status == 200
    assert len(upstream.seen) == 1


def _reference_depth(v: object) -> int:
    """The plain recursive definition (small values only)."""
    if isinstance(v, dict):
        return 1 + max((_reference_depth(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((_reference_depth(x) for x in v), default=0)
    return 0


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=2), kids, max_size=4),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(_json_values, st.integers(min_value=0, max_value=6))
def test_depth_is_the_nesting_depth_and_stops_past_its_limit(value: object, limit: int) -> None:
    want = _reference_depth(value)
    assert jsondoc.depth(value) == want
    assert jsondoc.depth(value, limit) == min(want, limit + 1)

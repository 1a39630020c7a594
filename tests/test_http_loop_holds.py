"""Issue 13 for HTTP tool calls: a large JSON body holds the loop no longer than its parse.

As for MCP (``test_mcp_loop_holds.py``, whose measurement this uses): the parse is one
C call; the nesting check after it runs in steps with the loop serving others between.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator

import pytest

from bench.inspect import payload
from gateway import jsondoc
from gateway.adapters.http import MAX_JSON_DEPTH
from tests.conftest import ROOT, GatewayFactory, serving
from tests.test_mcp_loop_holds import Holds, cpu_of, frozen_heap

__all__ = ["frozen_heap"]  # the fixture, used here too


@pytest.fixture(scope="module")
def bench_upstream() -> Iterator[str]:
    argv = [sys.executable, "-m", "bench.upstream", "--port"]
    with serving(lambda port: [*argv, str(port)], "the benchmark's upstream", cwd=ROOT) as port:
        yield f"http://127.0.0.1:{port}"


async def test_a_1mib_json_body_holds_the_loop_no_longer_than_its_parse(
    make_gateway: GatewayFactory, bench_upstream: str
) -> None:
    gw = await make_gateway(tools={"echo": {"upstream": f"{bench_upstream}/echo", "body_limit": "2MiB"}})
    args = {"q": "what is the weather in Lisbon", **payload(1024)}  # ~11,000 small objects, 22,000 strings
    raw = json.dumps(args).encode()
    headers = {"Content-Type": "application/json", **gw.auth()}
    warm = await gw.agent.post("/tools/echo/search", data=b'{"q": "warm"}', headers=headers)
    assert warm.status == 200, await warm.text()
    parse = cpu_of(lambda: jsondoc.loads(raw, 1 << 30))  # (a bound no document reaches: the parse alone)
    doc = json.loads(raw)
    check = cpu_of(lambda: jsondoc.depth(doc, MAX_JSON_DEPTH))
    longest = []  # per call: noise (a collection, another thread) only ever adds, so the least of three
    for _ in range(3):
        with Holds() as holds:
            holds.on = True
            resp = await gw.agent.post("/tools/echo/search", data=io.BytesIO(raw), headers=headers)
            body = await resp.read()
            holds.on = False
        longest.append(holds.longest)
        # (denied: 22,000 strings are over the inspection's 10,000, a finding policy refuses; the
        # body was parsed, as every body is, before inspection and policy)
        assert resp.status == 403 and b"too_much_text" in body, body[:300]
    assert min(longest) < parse + 0.5 * check, (
        f"the loop was held {min(longest) * 1000:.1f} ms at once (parse {parse * 1000:.1f} ms, "
        f"nesting check {check * 1000:.1f}; {holds.what})"
    )

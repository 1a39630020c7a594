"""An upstream that echoes what it was sent never hands the tool's credential to the agent."""

from __future__ import annotations

import json

import pytest

from gateway.stages.scrub import MASK, ScrubbedStream, scrub_bytes, spellings
from tests.conftest import BANK_KEY, ECHO_KEY, Gateway, GatewayFactory, Upstream


def scrubs(gw: Gateway, where: str) -> float:
    return gw.metric("callgate_credential_scrubs_total", {"where": where}) or 0.0


async def test_echoed_request_headers_are_scrubbed_from_a_buffered_body(gateway: Gateway, upstream: Upstream) -> None:
    r = await gateway.agent.get("/tools/echo/anything", headers=gateway.auth())
    assert r.status == 200
    text = await r.text()
    assert upstream.last.headers["Authorization"] == f"Bearer {ECHO_KEY}"  # the upstream did get it
    assert ECHO_KEY not in text
    assert json.loads(text)["headers"]["Authorization"] == MASK.decode()
    rec = gateway.records()[-1]
    assert [(f["detector"], f["kind"], f["path"]) for f in rec["output_findings"]] == [
        ("credential_scrub", "credential_echo", "body")
    ]
    assert scrubs(gateway, "body") == 1


@pytest.mark.parametrize("size", [1, 3, 7, 1000])
async def test_streamed_body_and_headers_are_scrubbed_across_chunk_borders(
    make_gateway: GatewayFactory, upstream: Upstream, size: int
) -> None:
    gw = await make_gateway(tools={"echo": {"inspect": {"output": False}}})
    r = await gw.agent.get(f"/tools/echo/leak?size={size}", headers=gw.auth())
    assert r.status == 200
    body = await r.read()
    assert ECHO_KEY.encode() not in body and ECHO_KEY[1:].encode() not in body
    assert body == b"you sent '" + MASK + b"'; again: " + MASK + b"."
    assert ECHO_KEY not in r.headers["X-Reflected"] and r.headers["X-Reflected"] == "key=" + MASK.decode()
    rec = gw.records()[-1]
    assert {f["path"] for f in rec["output_findings"]} == {"headers/X-Reflected", "body"}
    assert rec["status"] == 200
    assert scrubs(gw, "header") == 1 and scrubs(gw, "body") == 2


async def test_a_credential_without_scheme_is_scrubbed_too(gateway: Gateway, upstream: Upstream) -> None:
    tok = gateway.auth(scopes=["tool:writer:write"])
    r = await gateway.agent.post("/tools/writer/leak?header=X-Api-Key&size=2", headers=tok)
    assert r.status == 200, await r.text()
    body = await r.read()
    assert upstream.last.headers["X-Api-Key"] == ECHO_KEY
    assert ECHO_KEY.encode() not in body and BANK_KEY.encode() not in body
    assert body.count(MASK) == 2


async def test_a_compressed_answer_that_cannot_be_scrubbed_is_refused(
    make_gateway: GatewayFactory, upstream: Upstream
) -> None:
    gw = await make_gateway(tools={"echo": {"inspect": {"output": False}}})
    r = await gw.agent.get("/tools/echo/leak?gzip=1", headers={**gw.auth(), "Accept-Encoding": "gzip"})
    assert r.status == 502
    assert (await r.json())["code"] == "output.unscrubbable"
    # the gateway asked for an uncompressed answer in place of the agent's Accept-Encoding
    assert upstream.last.headers["Accept-Encoding"] == "identity"
    assert gw.records()[-1]["code"] == "output.unscrubbable"


def test_spellings_cover_json_and_percent_encodings() -> None:
    needles = spellings('s3cr"et/+', 'Bearer s3cr"et/+')
    assert b'Bearer s3cr"et/+' in needles and b's3cr\\"et/+' in needles and b"s3cr%22et%2F%2B" in needles
    assert needles == sorted(needles, key=len, reverse=True)
    assert spellings("abc", "abc") == []  # too short to scrub without mangling ordinary text


async def test_scrubbed_stream_never_splits_or_leaks_any_chunking() -> None:
    secret = b"0123456789abcdef"
    text = b"x" * 5 + secret + b"yy" + secret + secret + b"z"

    class Chunks:
        def __init__(self, size: int) -> None:
            self.size = size

        async def iter_any(self):  # type: ignore[no-untyped-def]
            for i in range(0, len(text), self.size):
                yield text[i : i + self.size]

    expected, n = scrub_bytes(text, [secret])
    assert n == 3
    for size in range(1, len(text) + 1):
        hits: list[int] = []
        out = b"".join([c async for c in ScrubbedStream(Chunks(size), [secret], hits.append).iter_any()])
        assert out == expected, size
        assert sum(hits) == 3, size

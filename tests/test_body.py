"""The one capped reader (``gateway/body.py``): refuses over the cap, truncates only when asked.

Read from a real aiohttp server answering in chunks without a Content-Length."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.body import TooLarge, read_capped

CHUNK = b"0123456789" * 100  # 1000 bytes a chunk


async def chunked(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    for _ in range(int(request.query["n"])):
        await resp.write(CHUNK)
    await resp.write_eof()
    return resp


@pytest.fixture
async def url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/", chunked)
    server = TestServer(app)
    await server.start_server()
    try:
        yield str(server.make_url("/"))
    finally:
        await server.close()


async def read(url: str, n: int, limit: int, truncate: bool = False) -> bytes:
    async with aiohttp.ClientSession() as s, s.get(url, params={"n": str(n)}) as resp:
        assert resp.content_length is None  # chunked: no length to check up front
        return await read_capped(resp.content, limit, truncate=truncate)


async def test_a_body_within_the_cap_is_read_whole(url: str) -> None:
    assert await read(url, 5, 5000) == CHUNK * 5
    assert await read(url, 0, 0) == b""


async def test_a_body_over_the_cap_is_refused_not_cut(url: str) -> None:
    with pytest.raises(TooLarge) as e:
        await read(url, 5, 4999)
    assert e.value.limit == 4999


async def test_a_prefix_only_when_the_caller_asks(url: str) -> None:
    got = await read(url, 50, 2500, truncate=True)
    assert got == (CHUNK * 3)[:2500]
    assert await read(url, 2, 2500, truncate=True) == CHUNK * 2  # shorter than the cap: all of it

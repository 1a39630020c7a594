"""Slow clients: connections that never finish their headers are closed, and a body that
never finishes is 408, both within the configured timeouts and counted in metrics.

The listener is the one ``callgate serve`` uses (``GuardedRunner``), on a free port;
clients are raw sockets that stop sending halfway.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from gateway.app import create_agent_app
from gateway.config import Settings
from gateway.identity import mint_dev_token
from gateway.runtime import Runtime
from gateway.server import ClientLimits, GuardedRunner
from tests.conftest import Upstream, settings_dict

HEADER_TIMEOUT = 0.5
BODY_TIMEOUT = 0.5


@dataclass
class Listener:
    rt: Runtime
    port: int
    settings: Settings

    def metric(self, phase: str) -> float:
        v = self.rt.metrics.registry.get_sample_value("callgate_slow_clients_total", {"phase": phase})
        return v or 0.0

    def token(self) -> str:
        return mint_dev_token(self.settings, agent="demo", tenant="acme", scopes=["tool:echo"])


@pytest.fixture
async def listener(tmp_path: Path, upstream: Upstream) -> AsyncIterator[Listener]:
    settings = Settings.model_validate(
        settings_dict(
            tmp_path,
            upstream.url,
            server={"header_timeout_s": HEADER_TIMEOUT, "body_timeout_s": BODY_TIMEOUT},
        )
    )
    rt = Runtime(settings)
    runner = GuardedRunner(create_agent_app(rt), ClientLimits.of(settings.server, rt.metrics), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield Listener(rt, port, settings)
    finally:
        await runner.cleanup()
        gc.collect()


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sent until it closed the connection; fails if it stays open longer."""
    data = b""
    async with asyncio.timeout(seconds):
        while chunk := await reader.read(65536):
            data += chunk
    return data


async def test_connections_that_never_finish_headers_are_closed(listener: Listener) -> None:
    conns = []
    t0 = time.monotonic()
    for i in range(20):
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        if i % 2:
            writer.write(b"GET /tools/echo/x HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # and then nothing
        conns.append((reader, writer))  # half of them send nothing at all
    results = await asyncio.gather(*(closed_within(r, HEADER_TIMEOUT + 2.0) for r, _ in conns))
    elapsed = time.monotonic() - t0
    assert all(res == b"" for res in results)  # closed without an answer: there was no request
    assert elapsed < HEADER_TIMEOUT + 2.0
    assert listener.metric("headers") == 20
    for _, w in conns:
        w.close()


async def test_trickled_headers_do_not_reset_the_deadline(listener: Listener) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    t0 = time.monotonic()
    closed = asyncio.create_task(closed_within(reader, HEADER_TIMEOUT + 2.0))
    try:
        for b in b"GET /tools/echo/x HTTP/1.1\r\nHost: x\r\n":
            if closed.done():
                break
            writer.write(bytes([b]))
            await writer.drain()
            await asyncio.sleep(0.05)
    except ConnectionError:
        pass
    assert await closed == b""
    assert time.monotonic() - t0 < HEADER_TIMEOUT + 1.0
    assert listener.metric("headers") == 1
    writer.close()


async def test_a_body_that_never_finishes_is_408_and_recorded(listener: Listener, upstream: Upstream) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    t0 = time.monotonic()
    writer.write(
        b"POST /tools/echo/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {listener.token()}\r\nContent-Length: 100\r\n\r\n".encode()
        + b'{"q": "only part'
    )
    await writer.drain()
    answer = await closed_within(reader, BODY_TIMEOUT + 3.0)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"request.body_timeout" in answer
    assert time.monotonic() - t0 < BODY_TIMEOUT + 3.0
    assert listener.metric("body") == 1
    assert upstream.seen == []
    writer.close()
    recs = [line for line in listener.settings.decision_log.path.read_text().splitlines() if '"kind":"call"' in line]
    assert len(recs) == 1 and "request.body_timeout" in recs[0]


async def test_prompt_clients_are_unaffected(listener: Listener, upstream: Upstream) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    for _ in range(2):  # keep-alive: the second request's headers get their own deadline
        await asyncio.sleep(HEADER_TIMEOUT * 0.6)
        writer.write(
            b"GET /tools/echo/x HTTP/1.1\r\nHost: x\r\n" + f"Authorization: Bearer {listener.token()}\r\n\r\n".encode()
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200 ")
        length = int(next(h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")))
        await reader.readexactly(length)
    assert listener.metric("headers") == 0 and listener.metric("body") == 0
    assert len(upstream.seen) == 2
    writer.close()


async def test_a_partial_request_pipelined_behind_a_complete_one_is_closed(
    listener: Listener, upstream: Upstream
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    t0 = time.monotonic()
    full = b"GET /tools/echo/x HTTP/1.1\r\nHost: x\r\n" + f"Authorization: Bearer {listener.token()}\r\n\r\n".encode()
    writer.write(full + b"GET /tools/echo/y HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # one segment
    await writer.drain()
    answer = await closed_within(reader, HEADER_TIMEOUT + 3.0)
    assert answer.startswith(b"HTTP/1.1 200 ")  # the complete request was served
    assert answer.count(b"HTTP/1.1 ") == 1
    assert time.monotonic() - t0 < HEADER_TIMEOUT + 3.0
    assert listener.metric("headers") == 1
    assert len(upstream.seen) == 1
    writer.close()


async def test_a_slow_admin_body_is_408(tmp_path: Path, upstream: Upstream) -> None:
    from gateway.app import create_admin_app
    from tests.conftest import ADMIN_TOKEN

    settings = Settings.model_validate(
        settings_dict(tmp_path, upstream.url, server={"header_timeout_s": 5, "body_timeout_s": BODY_TIMEOUT})
    )
    rt = Runtime(settings)
    agent = GuardedRunner(create_agent_app(rt), ClientLimits.of(settings.server, rt.metrics))
    admin = GuardedRunner(create_admin_app(rt), ClientLimits.of(settings.server, rt.metrics))
    await agent.setup()  # opens the runtime (the agent app's cleanup_ctx)
    await admin.setup()
    site = web.TCPSite(admin, "127.0.0.1", 0)
    await site.start()
    try:
        assert site._server is not None
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"PUT /admin/killswitch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {ADMIN_TOKEN}\r\nContent-Length: 100\r\n\r\n".encode()
            + b'{"scope": "glo'
        )
        await writer.drain()
        answer = await closed_within(reader, BODY_TIMEOUT + 3.0)
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert b"request.body_timeout" in answer
        writer.close()
    finally:
        await admin.cleanup()
        await agent.cleanup()
        gc.collect()

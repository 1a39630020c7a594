"""`make bench`'s parts run: the load generators against the bench upstream, directly and
through the bare proxy, for a fraction of a second (the benchmark itself is not a test)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bench import upstream
from bench.__main__ import cases
from bench.bare_proxy import make_app
from bench.loadgen import build_request, closed_loop, open_loop


def upstream_app() -> web.Application:
    app = web.Application(client_max_size=8 << 20)
    app.router.add_route("*", "/{tail:.*}", upstream.handle)
    return app


def spec(port: int, path: str, body: bytes, **extra: Any) -> dict[str, Any]:
    req = build_request("POST", "127.0.0.1", port, path, {"Content-Type": "application/json"}, body)
    return {"host": "127.0.0.1", "port": port, "request": req.decode("latin-1"), **extra}


async def test_load_generators_through_the_bare_proxy() -> None:
    up = TestServer(upstream_app(), host="127.0.0.1")
    await up.start_server()
    bare = TestServer(make_app(f"http://127.0.0.1:{up.port}/echo", "http://127.0.0.1:9/mcp", "Bearer x"))
    await bare.start_server()
    try:
        body = json.dumps({"q": "x"}).encode()
        direct = await closed_loop(spec(up.port, "/echo/search", body, seconds=0.3, conns=4))
        assert direct.count > 10 and direct.statuses == {"200": direct.count} and direct.errors == 0
        through = await closed_loop(spec(bare.port, "/tools/echo/out/64", body, seconds=0.3, conns=4))
        assert through.count > 2 and set(through.statuses) == {"200"}
        paced = await open_loop(spec(bare.port, "/tools/echo/search", body, seconds=0.4, rate=50))
        assert paced.sent == 20 and paced.ok == 20 and paced.p50_ms > 0
    finally:
        await bare.close()
        await up.close()


def test_every_case_has_a_request_body() -> None:
    labels = [(c.path, c.label) for c in cases(None)]
    assert ("http", "args 256 KiB") in labels and ("mcp", "output 1024 KiB") in labels
    assert all(c.body and c.rate > 0 for c in cases(None))

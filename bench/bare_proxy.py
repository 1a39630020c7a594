"""The limit callgate is measured against: a bare aiohttp pass-through proxy.

It does what any Python reverse proxy must (accept, read the body, forward it with
the tool's credential, read the answer, send it back) and nothing callgate adds: no
identity, inspection, policy, admission or record. ``/tools/<tool>/<rest>`` goes to
``--http <base>/<rest>`` and ``/mcp/<server>`` to ``--mcp <url>``.
"""

from __future__ import annotations

import argparse

import aiohttp
from aiohttp import web

SESSION = web.AppKey("session", aiohttp.ClientSession)
DROP = frozenset({"host", "content-length", "authorization", "connection", "transfer-encoding"})


def make_app(http_base: str, mcp_url: str, credential: str) -> web.Application:
    async def forward(request: web.Request, url: str) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in DROP}
        headers["Authorization"] = credential
        async with request.app[SESSION].request(request.method, url, data=body, headers=headers) as r:
            data = await r.read()
            return web.Response(status=r.status, body=data, content_type=r.content_type)

    async def tool(request: web.Request) -> web.Response:
        return await forward(request, f"{http_base}/{request.match_info['rest']}")

    async def mcp(request: web.Request) -> web.Response:
        return await forward(request, mcp_url)

    async def session(app: web.Application):  # type: ignore[no-untyped-def]
        app[SESSION] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256), auto_decompress=False)
        yield
        await app[SESSION].close()

    app = web.Application(client_max_size=8 << 20)
    app.cleanup_ctx.append(session)
    app.router.add_route("*", "/tools/{tool}/{rest:.*}", tool)
    app.router.add_post("/mcp/{server}", mcp)
    return app


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--http", required=True, help="base URL of the HTTP tool")
    p.add_argument("--mcp", required=True, help="URL of the MCP server")
    p.add_argument("--credential", default="Bearer bench-tool-key")
    a = p.parse_args()
    app = make_app(a.http.rstrip("/"), a.mcp, a.credential)
    # On the loop ``callgate serve`` runs on (uvloop when installed), so the ratio compares
    # the work each does, not two event loops.
    loop = None
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:  # pragma: no cover - uvloop is a dependency where it builds
        pass
    web.run_app(app, host="127.0.0.1", port=a.port, access_log=None, print=None, backlog=1024, loop=loop)


if __name__ == "__main__":
    main()

"""Example upstream for the quick start and the benchmark: echoes what it received.

Every path answers with JSON naming the method, path, query, headers and body it
got, plus ``seq``, the number of requests this process has served — so you can see
that the tool's own credential arrived, that the agent's token did not, and (with
idempotency keys) whether a call really reached the tool.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from aiohttp import web

SEQ = web.AppKey("seq", list[int])


async def echo(request: web.Request) -> web.Response:
    counter = request.app[SEQ]
    counter[0] += 1
    raw = await request.read()
    body: Any
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode("utf-8", errors="replace")
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "headers": dict(request.headers),
            "body": body,
            "seq": counter[0],
        }
    )


def create_app() -> web.Application:
    app = web.Application()
    app[SEQ] = [0]
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


def main() -> None:
    p = argparse.ArgumentParser(description="callgate example upstream: echoes each request as JSON")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9901)
    a = p.parse_args()
    web.run_app(create_app(), host=a.host, port=a.port, access_log=None, print=None)


if __name__ == "__main__":
    main()

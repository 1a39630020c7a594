"""A minimal upstream for the benchmark: answers every request with a small JSON body."""

from __future__ import annotations

import argparse

from aiohttp import web

BODY = b'{"ok":true,"items":[1,2,3],"note":"benchmark upstream"}'


async def handle(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=BODY, content_type="application/json")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=a.port, access_log=None, print=None, backlog=1024)


if __name__ == "__main__":
    main()

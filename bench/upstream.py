"""A minimal upstream for the benchmark: answers every request with a JSON body.

``/echo/out/<kib>`` answers with a realistic JSON body of about that many KiB (the
payload `bench/inspect.py` measures detectors on); any other path with a small one.
"""

from __future__ import annotations

import argparse
import json

from aiohttp import web

from bench.inspect import payload

BODY = b'{"ok":true,"items":[1,2,3],"note":"benchmark upstream"}'
_SIZED: dict[int, bytes] = {}


def sized(kib: int) -> bytes:
    """A realistic JSON answer of about ``kib`` KiB (built once per size)."""
    if kib not in _SIZED:
        _SIZED[kib] = json.dumps(payload(kib)).encode()
    return _SIZED[kib]


async def handle(request: web.Request) -> web.Response:
    await request.read()
    tail = request.match_info["tail"]
    body = BODY
    if "/out/" in f"/{tail}":
        body = sized(min(4096, int(tail.rsplit("/", 1)[1] or 1)))
    return web.Response(body=body, content_type="application/json")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    app = web.Application(client_max_size=8 << 20)
    app.router.add_route("*", "/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=a.port, access_log=None, print=None, backlog=1024)


if __name__ == "__main__":
    main()

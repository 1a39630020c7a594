"""A minimal MCP (streamable HTTP, JSON answers, stateless) upstream for the benchmark.

It answers ``tools/call`` of ``echo`` with a short result (or one of ``out_kib`` KiB, or of
``prose_kib`` KiB of plain prose), as fast as aiohttp
can, so the benchmark measures what callgate adds rather than the SDK server's own
cost (the SDK's server is measured separately).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from aiohttp import web

from bench.upstream import sized

PROSE = "The committee reviewed the proposal and agreed to revisit the budget next quarter. "


def prose(kib: int) -> str:
    return (PROSE * (kib * 1024 // len(PROSE) + 1))[: kib * 1024]


TOOLS = [{"name": "echo", "description": "Echo the text back.", "inputSchema": {"type": "object"}}]


async def handle(request: web.Request) -> web.Response:
    msg: Any = json.loads(await request.read())
    if not isinstance(msg, dict) or "id" not in msg:
        return web.Response(status=202)
    method = msg.get("method")
    result: dict[str, Any]
    if method == "tools/call":
        args = (msg.get("params") or {}).get("arguments") or {}
        out_kib, prose_kib = args.get("out_kib"), args.get("prose_kib")
        if isinstance(out_kib, int) and out_kib > 0:  # a realistic answer of that size
            result = {"content": [{"type": "text", "text": sized(min(4096, out_kib)).decode()}], "isError": False}
        elif isinstance(prose_kib, int) and prose_kib > 0:  # plain prose of that size (tests)
            result = {"content": [{"type": "text", "text": prose(min(4096, prose_kib))}], "isError": False}
        else:
            result = {"content": [{"type": "text", "text": str(args.get("text", ""))[:200]}], "isError": False}
    elif method == "tools/list":
        result = {"tools": TOOLS}
    elif method == "initialize":
        result = {
            "protocolVersion": "2025-06-18",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "bench", "version": "1"},
        }
    else:
        result = {}
    return web.json_response({"jsonrpc": "2.0", "id": msg["id"], "result": result})


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    app = web.Application(client_max_size=8 << 20)
    app.router.add_post("/mcp", handle)
    web.run_app(app, host="127.0.0.1", port=a.port, access_log=None, print=None, backlog=1024)


if __name__ == "__main__":
    main()

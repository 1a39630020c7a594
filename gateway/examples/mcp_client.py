"""Connect the ``mcp`` SDK's client to an MCP server through callgate (the README's quick start).

TOKEN=$(.venv/bin/callgate token --config deploy/quickstart.yaml --agent demo --tenant acme --scope 'tool:demo.*')
.venv/bin/python -m gateway.examples.mcp_client --token "$TOKEN"
"""

from __future__ import annotations

import argparse
import asyncio

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError


async def run(url: str, token: str) -> None:
    async with (
        create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = await session.list_tools()
        print("tools this agent may call:", sorted(t.name for t in tools.tools))
        result = await session.call_tool("echo", {"text": "hello through callgate"})
        print("echo ->", result.content)
        try:
            # add is a write; tool:demo.* grants reads only. A refusal is a tool result with
            # isError, whose text the model reads; _meta.callgate has the codes for programs.
            denied = await session.call_tool("add", {"a": 1, "b": 2})
            meta = (denied.meta or {}).get("callgate", {})
            print("add ->", meta.get("code"), [r["code"] for r in meta.get("reasons", [])])
            print(denied.content[0].text if denied.content else "")  # type: ignore[union-attr]
        except MCPError as e:  # protocol-level failures stay JSON-RPC errors
            print("add ->", e.error.message, e.error.data)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8080/mcp/demo")
    p.add_argument("--token", required=True, help="an agent token (callgate token ...)")
    a = p.parse_args()
    asyncio.run(run(a.url, a.token))


if __name__ == "__main__":
    main()

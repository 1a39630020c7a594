"""Run context over MCP: without ``X-Agent-Run``, the MCP session is the run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

from tests.conftest import Gateway, GatewayFactory, McpUpstream

SCOPES = ["tool:demo.*", "tool:demo.add:external_send"]


@asynccontextmanager
async def session(gw: Gateway, headers: dict[str, str] | None = None) -> AsyncIterator[ClientSession]:
    url = str(gw.agent.make_url("/mcp/demo"))
    token = gw.token(scopes=SCOPES)
    async with (
        create_mcp_http_client(headers={"Authorization": f"Bearer {token}", **(headers or {})}) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as s,
    ):
        await s.initialize()
        yield s


async def refusal(s: ClientSession, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """How a refused or held call comes back: a JSON-RPC error today; once the approval
    flow is merged, a held call is an ``isError`` result with ``_meta.callgate``."""
    try:
        result = await s.call_tool(name, args)
    except MCPError as e:
        data = e.error.data
        assert isinstance(data, dict)
        return data
    meta: Any = result.meta.get("callgate") if result.meta else None
    assert result.is_error and isinstance(meta, dict), result
    return meta


@pytest.fixture
async def gw(make_gateway: GatewayFactory, mcp_upstream: McpUpstream, store: Any) -> Gateway:
    return await make_gateway(
        store=store,
        mcp_servers={
            "demo": {
                "upstream": mcp_upstream.url,
                "credentials": {"key": {"header": "Authorization", "value": {"env": "CG_TEST_ECHO_KEY"}}},
                "tool_effects": {"add": "external_send"},
                "trust": "trusted",
                "tool_trust": {"echo": "untrusted"},
            }
        },
    )


async def test_mcp_session_is_the_run(gw: Gateway) -> None:
    async with session(gw) as s:
        assert not (await s.call_tool("add", {"a": 1, "b": 2})).is_error  # trusted so far
        assert not (await s.call_tool("echo", {"text": "from the web"})).is_error  # untrusted output read
        data = await refusal(s, "add", {"a": 1, "b": 2})
    assert data["code"] in ("approval.required", "approval.pending")
    assert "untrusted content (from demo.echo)" in data["reasons"][0]["message"]
    # a new session is a new run
    async with session(gw) as s:
        assert not (await s.call_tool("add", {"a": 1, "b": 2})).is_error
    runs = [r["run"] for r in gw.records() if r["action"] == "tools/call"]  # every MCP message has a record
    assert [r["tainted"] for r in runs] == [False, False, True, False]  # as each decision saw it
    assert runs[1]["read"] == {"trust": "untrusted", "taints": True, "findings": 0, "destinations": 0}
    assert runs[0]["id"].startswith("mcp:") and runs[0]["id"] == runs[2]["id"] != runs[3]["id"]


async def test_x_agent_run_spans_sessions(gw: Gateway) -> None:
    async with session(gw, {"X-Agent-Run": "task-7"}) as s:
        await s.call_tool("echo", {"text": "from the web"})
    async with session(gw, {"X-Agent-Run": "task-7"}) as s:
        assert (await refusal(s, "add", {"a": 1, "b": 2}))["code"] in ("approval.required", "approval.pending")
    assert [r["run"]["id"] for r in gw.records() if r["action"] == "tools/call"] == ["task-7", "task-7"]


async def test_destinations_in_a_whole_mcp_answer_join_the_run(make_gateway: GatewayFactory, upstream: Any) -> None:
    from tests.conftest import serve_mcp

    with serve_mcp("--stateless") as up:  # JSON answers, sent whole
        gw = await make_gateway(
            mcp_servers={
                "demo": {
                    "upstream": up.url,
                    "credentials": {"key": {"header": "Authorization", "value": {"env": "CG_TEST_ECHO_KEY"}}},
                    "tool_trust": {"echo": "untrusted"},
                    "trust": "trusted",
                }
            },
            tools={"mailer": {"upstream": f"{upstream.url}/mailer", "effect": "external_send", "trust": "trusted"}},
        )
        async with session(gw, {"X-Agent-Run": "mixed"}) as s:
            assert not (await s.call_tool("echo", {"text": "wire it via https://Drop.Example/pay"})).is_error
    rec = [r for r in gw.records() if r["action"] == "tools/call"][-1]["run"]
    assert rec["read"]["destinations"] == 1 and rec["settled"] is True
    # the same run over HTTP: sending to that host is denied
    token = gw.token(scopes=["tool:mailer:external_send"])
    r = await gw.agent.post(
        "/tools/mailer/send",
        json={"to": "https://drop.example/"},
        headers={"Authorization": f"Bearer {token}", "X-Agent-Run": "mixed"},
    )
    doc = await r.json()
    assert r.status == 403 and "run.destination_untrusted" in {x["code"] for x in doc["reasons"]}

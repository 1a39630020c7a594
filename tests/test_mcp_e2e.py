"""MCP through callgate: the SDK's streamable-HTTP client against a real SDK server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import TextContent

from tests.conftest import ECHO_KEY, Gateway, GatewayFactory, McpUpstream

ALL_TOOLS = {"echo", "add", "fetch_note", "count", "whoami"}


def mcp_config(url: str, **over: Any) -> dict[str, Any]:
    return {
        "demo": {
            "upstream": url,
            "credentials": {"key": {"header": "Authorization", "value": {"env": "CG_TEST_ECHO_KEY"}}},
            "tool_effects": {"add": "write"},
            **over,
        }
    }


@asynccontextmanager
async def mcp_client(gw: Gateway, token: str, server: str = "demo") -> AsyncIterator[ClientSession]:
    url = str(gw.agent.make_url(f"/mcp/{server}"))
    async with (
        create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def text_of(result: Any) -> str:
    item = result.content[0]
    assert isinstance(item, TextContent)
    return item.text


@pytest.fixture
async def mcp_gateway(make_gateway: GatewayFactory, mcp_upstream: McpUpstream) -> Gateway:
    return await make_gateway(mcp_servers=mcp_config(mcp_upstream.url))


async def test_tools_list_is_filtered_by_policy(mcp_gateway: Gateway) -> None:
    async with mcp_client(mcp_gateway, mcp_gateway.token(scopes=["tool:demo.*"])) as s:
        names = {t.name for t in (await s.list_tools()).tools}
    assert names == ALL_TOOLS - {"add"}  # add is a write; tool:demo.* grants reads only
    async with mcp_client(mcp_gateway, mcp_gateway.token(scopes=["tool:demo.echo", "tool:demo.add:write"])) as s:
        names = {t.name for t in (await s.list_tools()).tools}
    assert names == {"echo", "add"}


async def test_call_allowed_goes_through_pipeline_with_tool_credential(mcp_gateway: Gateway) -> None:
    token = mcp_gateway.token(scopes=["tool:demo.*", "tool:demo.add:write"])
    async with mcp_client(mcp_gateway, token) as s:
        r = await s.call_tool("add", {"a": 2, "b": 40})
        assert not r.is_error and text_of(r) == "42"
        who = await s.call_tool("whoami", {})
    assert text_of(who) == f"Bearer {ECHO_KEY}"  # the tool's credential, never the agent's token
    calls = mcp_gateway.records("call")
    assert [c["tool"] for c in calls] == ["demo.add", "demo.whoami"]
    rec = calls[0]
    assert rec["protocol"] == "mcp" and rec["action"] == "tools/call"
    assert rec["outcome"] == "allowed" and rec["agent"] == "demo" and rec["forwarded"] is True
    assert rec["decision"]["credential"] == "key"
    assert [i["id"] for i in mcp_gateway.records("intent")] == [c["id"] for c in calls]
    assert token not in mcp_gateway.settings.decision_log.path.read_text()


async def test_call_denied_is_a_readable_jsonrpc_error(mcp_gateway: Gateway) -> None:
    async with mcp_client(mcp_gateway, mcp_gateway.token(scopes=["tool:demo.*"])) as s:
        with pytest.raises(MCPError) as info:
            await s.call_tool("add", {"a": 1, "b": 2})
    err = info.value.error
    assert err.code == -32001
    assert "policy.denied" in err.message
    data = err.data
    assert isinstance(data, dict)
    assert data["code"] == "policy.denied" and data["status"] == 403
    assert data["reasons"][0]["code"] == "scope.effect_missing"
    assert "demo.add" in data["reasons"][0]["message"]
    (rec,) = mcp_gateway.records("call")
    assert rec["id"] == data["call_id"] and rec["outcome"] == "denied" and rec["forwarded"] is False
    assert mcp_gateway.records("intent") == []

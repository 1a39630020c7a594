"""Denials as agents see them: the mcp SDK's client (every protocol it speaks) and fastmcp's."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_types.methods import validate_server_result
from mcp_types.version import KNOWN_PROTOCOL_VERSIONS

from gateway.errors import ApprovalPending, Forbidden, Reason
from gateway.mcp.mediator import denied_result
from tests.conftest import Gateway, GatewayFactory, McpUpstream
from tests.test_mcp_e2e import mcp_config


@pytest.mark.parametrize("version", KNOWN_PROTOCOL_VERSIONS)
def test_denied_result_validates_under_every_protocol_version(version: str) -> None:
    err = Forbidden("denied by policy", reasons=[Reason.of("scope.missing", "no scope grants tool 'demo.add'")])
    validate_server_result("tools/call", version, denied_result(err, "c1"))
    # a held call renders the same way: the approval and how to retry in _meta.callgate
    approval = {"id": "apr_1", "expires_at": "2026-11-28T00:15:00Z", "location": "/approvals/apr_1"}
    pending = ApprovalPending("waiting for a human", approval=approval, retry="retry with the approval id")
    doc = denied_result(pending, "c2")
    validate_server_result("tools/call", version, doc)
    meta = doc["_meta"]["callgate"]
    assert meta["approval"]["id"] == "apr_1" and meta["code"] == "approval.pending"
    assert doc["content"][0]["text"].endswith("retry with the approval id")


@pytest.fixture
async def sdk_gateway(make_gateway: GatewayFactory, mcp_upstream: McpUpstream) -> Gateway:
    return await make_gateway(mcp_servers=mcp_config(mcp_upstream.url))


def callgate_meta(result: Any) -> dict[str, Any]:
    meta = (result.meta or {}).get("callgate")
    assert isinstance(meta, dict), result
    return meta


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_sdk_client_reads_denials_on_every_protocol(sdk_gateway: Gateway, mode: str) -> None:
    from mcp.client.client import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    token = sdk_gateway.token(scopes=["tool:demo.*"])
    url = str(sdk_gateway.agent.make_url("/mcp/demo"))
    async with (
        create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,  # type: ignore[arg-type]
    ):
        names = {t.name for t in (await client.list_tools()).tools}
        assert "echo" in names and "add" not in names
        ok = await client.call_tool("echo", {"text": "hi"})
        denied = await client.call_tool("add", {"a": 1, "b": 2})
        blocked = await client.call_tool("fetch_note", {"name": "injected"})
        version = client.protocol_version
    assert not ok.is_error
    assert denied.is_error and callgate_meta(denied)["code"] == "policy.denied"
    assert "scope.effect_missing" in denied.content[0].text  # type: ignore[union-attr]
    assert blocked.is_error and callgate_meta(blocked)["reasons"][0]["code"] == "output.injection"
    # auto: the SDK's default, the 2026-07-28 envelope (results carry resultType); legacy: initialize
    assert version == ("2026-07-28" if mode == "auto" else "2025-11-25")
    actions = {r["action"] for r in sdk_gateway.records("call")}
    assert ("server/discover" in actions) == (mode == "auto") and ("initialize" in actions) == (mode == "legacy")


async def test_fastmcp_client_reads_denials(sdk_gateway: Gateway) -> None:
    from fastmcp import Client
    from fastmcp.client.transports import StreamableHttpTransport

    token = sdk_gateway.token(scopes=["tool:demo.*"])
    transport = StreamableHttpTransport(str(sdk_gateway.agent.make_url("/mcp/demo")), auth=token)
    async with Client(transport) as client:
        names = {t.name for t in await client.list_tools()}
        assert "echo" in names and "add" not in names
        ok = await client.call_tool("echo", {"text": "hi"})
        denied = await client.call_tool("add", {"a": 1, "b": 2}, raise_on_error=False)
    assert not ok.is_error
    assert denied.is_error and "policy.denied" in denied.content[0].text  # type: ignore[union-attr]
    assert callgate_meta(denied)["reasons"][0]["code"] == "scope.effect_missing"

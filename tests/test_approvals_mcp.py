"""Approvals and draft mode over MCP, with the real SDK client and server: ``_meta.callgate.approval``
and ``_meta.callgate.mode`` reach the pipeline; a held call is a readable ``isError`` tool result."""

from __future__ import annotations

from typing import Any

from gateway.approvals.mcp_glue import callgate_meta
from tests.conftest import ADMIN_TOKEN, GatewayFactory, McpUpstream
from tests.test_mcp_e2e import mcp_client, mcp_config, text_of

SCOPES = ["tool:demo.*", "tool:demo.add:payment"]


async def test_mcp_call_held_approved_and_run_once(make_gateway: GatewayFactory, mcp_upstream: McpUpstream) -> None:
    gw = await make_gateway(mcp_servers=mcp_config(mcp_upstream.url, tool_effects={"add": "payment"}))
    async with mcp_client(gw, gw.token(scopes=SCOPES)) as s:
        held = await s.call_tool("add", {"a": 2, "b": 40})
        assert held.is_error
        meta: Any = held.meta["callgate"] if held.meta else None
        assert meta["code"] == "approval.pending"
        aid = meta["approval"]["id"]
        assert f'_meta.callgate.approval = "{aid}"' in text_of(held)

        r = await gw.admin.post(
            f"/admin/approvals/{aid}/approve",
            json={},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Operator": "alice"},
        )
        assert r.status == 200

        # refusals are tool results the model can read (issue 9), with the code in _meta.callgate
        other = await s.call_tool("add", {"a": 2, "b": 41}, meta={"callgate": {"approval": aid}})
        assert other.is_error and other.meta is not None
        assert other.meta["callgate"]["code"] == "approval.mismatch"
        assert "approval.mismatch" in text_of(other)
        draft = await s.call_tool("add", {"a": 2, "b": 40}, meta={"callgate": {"approval": aid, "mode": "draft"}})
        shown: Any = draft.meta["callgate"]["draft"] if draft.meta else None
        assert draft.is_error and shown["forwarded"] is False and shown["approval"]["id"] == aid
        assert ["Authorization", "***"] in shown["upstream_request"]["headers"]
        ran = await s.call_tool("add", {"a": 2, "b": 40}, meta={"callgate": {"approval": aid}})
        assert not ran.is_error and text_of(ran) == "42"
        again = await s.call_tool("add", {"a": 2, "b": 40}, meta={"callgate": {"approval": aid}})
        assert again.is_error and again.meta is not None and again.meta["callgate"]["code"] == "approval.used"
    # every MCP message has its record; these are the tools/call ones
    outcomes = [(c["tool"], c["outcome"], c.get("code")) for c in gw.records() if c.get("action") == "tools/call"]
    assert outcomes == [
        ("demo.add", "pending", "approval.pending"),
        ("demo.add", "denied", "approval.mismatch"),
        ("demo.add", "draft", None),
        ("demo.add", "allowed", None),
        ("demo.add", "denied", "approval.used"),
    ]
    assert [r["event"] for r in gw.records("approval")] == ["requested", "granted", "used"]


def test_callgate_meta_parsing() -> None:
    assert callgate_meta({}) == (None, "live")
    assert callgate_meta({"callgate": {"approval": "apr_x", "mode": "draft"}}) == ("apr_x", "draft")
    assert callgate_meta({"callgate": {"approval": 5, "mode": 3}}) == (None, "invalid")
    assert callgate_meta({"callgate": "nope"}) == (None, "live")

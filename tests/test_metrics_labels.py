"""Agents cannot create series: metric labels come only from configuration."""

from __future__ import annotations

import uuid
from typing import Any

from gateway.metrics import MetricLabels
from tests.conftest import Gateway, GatewayFactory, Upstream


def series(gw: Gateway) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    return {(s.name, tuple(sorted(s.labels.items()))) for m in gw.rt.metrics.registry.collect() for s in m.samples}


def label_values(gw: Gateway) -> set[str]:
    return {v for _, labels in series(gw) for _, v in labels}


async def test_random_tool_names_and_agent_ids_create_no_series(
    make_gateway: GatewayFactory, upstream: Upstream
) -> None:
    gw = await make_gateway(
        agents=None,  # any agent id and tenant: the worst case for cardinality
        limits={
            "quotas": [
                {"name": "per-agent", "per": "agent", "window": "day", "limit": 1000},
                {"name": "per-tenant", "per": "tenant", "window": "day", "limit": 1000},
            ]
        },
    )

    async def call(tool: str, agent: str, tenant: str) -> int:
        r = await gw.agent.get(f"/tools/{tool}/x", headers=gw.auth(agent=agent, tenant=tenant))
        return r.status

    # warm-up: one call of each shape (allowed, unknown tool, upstream failure path untouched)
    assert await call("echo", "warm-agent", "warm-tenant") == 200
    assert await call("no-such-tool", "warm-agent", "warm-tenant") == 404
    before = series(gw)
    for _ in range(300):
        assert await call(f"t-{uuid.uuid4().hex}", "warm-agent", "warm-tenant") == 404
    for i in range(100):
        assert await call("echo", f"agent-{i}-{uuid.uuid4().hex[:8]}", f"tenant-{i}") == 200
    after = series(gw)
    assert after - before == set()
    values = label_values(gw)
    assert not any(v.startswith(("t-", "agent-", "tenant-")) for v in values)
    # per-agent figures are in the records instead
    recs = gw.records()
    assert len({r["agent"] for r in recs}) == 101
    assert recs[-1]["usage"]["quota"]["per-agent"]["subject"].startswith("agent-99-")


async def test_quota_gauges_keep_configured_tenants_and_a_high_water_mark_for_the_rest(
    make_gateway: GatewayFactory, upstream: Upstream
) -> None:
    gw = await make_gateway(
        limits={"quotas": [{"name": "q", "per": "agent", "window": "day", "limit": 100}]},
        tools={"echo": {"cost": 5}},
        agents={"demo": {"tenants": ["acme"]}, "other": {"tenants": ["acme"]}},
    )
    for _ in range(3):
        assert (await gw.agent.get("/tools/echo/x", headers=gw.auth(agent="demo"))).status == 200
    assert (await gw.agent.get("/tools/echo/x", headers=gw.auth(agent="other"))).status == 200
    # demo spent 15, other 5: the shared (agent) gauge shows the highest spend this window
    assert gw.metric("callgate_quota_spent", {"quota": "q", "subject": "(agent)"}) == 15
    assert gw.metric("callgate_quota_limit", {"quota": "q", "subject": "(agent)"}) == 100
    assert gw.metric("callgate_quota_spent", {"quota": "q", "subject": "demo"}) is None


async def test_kill_switch_gauge_counts_scopes_without_agent_labels(gateway: Gateway) -> None:
    for i in range(20):
        r = await gateway.admin.put(
            "/admin/killswitch", json={"scope": f"agent:a{i}", "reason": "x"}, headers=gateway.admin_auth
        )
        assert r.status == 200
    assert gateway.metric("callgate_killswitch_engaged", {"scope": "agent:(agent)"}) == 20
    assert not any(v.startswith("agent:a") for v in label_values(gateway))
    for i in range(20):
        r = await gateway.admin.delete("/admin/killswitch", json={"scope": f"agent:a{i}"}, headers=gateway.admin_auth)
        assert r.status == 200
    assert gateway.metric("callgate_killswitch_engaged", {"scope": "agent:(agent)"}) == 0


def test_label_mapping() -> None:
    names = MetricLabels(tools=["echo"], mcp_servers=["docs"], tenants=["acme"])
    got: dict[str, Any] = {
        "tool": [names.tool(x) for x in ["echo", "docs.search", "nope", "docs", None, "nope.search"]],
        "tenant": [names.tenant(x) for x in ["acme", "evil", None]],
        "scope": [
            names.scope(x)
            for x in ["global", "tool:echo", "tool:ec*", "tool:zz*", "tenant:acme", "tenant:x", "agent:a"]
        ],
    }
    assert got == {
        # "docs": the MCP server's own operations (initialize, lists, prompts, ...), issue 9
        "tool": ["echo", "docs.*", "(other)", "docs", "(unknown)", "(other)"],
        "tenant": ["acme", "(other)", "(other)"],
        "scope": ["global", "tool:echo", "tool:ec*", "tool:(other)", "tenant:acme", "tenant:(other)", "agent:(agent)"],
    }

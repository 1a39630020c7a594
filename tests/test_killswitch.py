"""Kill switch per scope through the admin API, recorded in the decision log."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from gateway.store.redis import RedisKillSwitch
from tests.conftest import Gateway, GatewayFactory, RedisServer, Upstream


@pytest.fixture
async def gateway(make_gateway: GatewayFactory, store: Any) -> Gateway:
    """The kill-switch suite runs on both stores."""
    return await make_gateway(store=store)


async def engage(gw: Gateway, scope: str, reason: str = "incident 7") -> dict[str, object]:
    r = await gw.admin.put("/admin/killswitch", json={"scope": scope, "reason": reason}, headers=gw.admin_auth)
    assert r.status == 200, await r.text()
    body: dict[str, object] = await r.json()
    return body


@pytest.mark.parametrize(
    ("scope", "hit", "miss"),
    [
        ("global", {}, None),
        ("tenant:acme", {}, {"agent": "other", "tenant": "initech"}),
        ("agent:demo", {}, {"agent": "other", "tenant": "initech"}),
        ("tool:echo", {}, None),
        ("tool:ec*", {}, None),
    ],
)
async def test_scope_blocks_matching_calls(
    gateway: Gateway, upstream: Upstream, scope: str, hit: dict[str, str], miss: dict[str, str] | None
) -> None:
    body = await engage(gateway, scope)
    assert body["recorded"] is True
    r = await gateway.agent.get("/tools/echo/x", headers=gateway.auth(**hit))
    assert r.status == 503
    problem = await r.json()
    assert problem["code"] == "killswitch.engaged"
    assert problem["reasons"][0]["scope"] == scope
    assert "incident 7" in problem["detail"]
    assert upstream.seen == []
    if miss is not None:
        r = await gateway.agent.get("/tools/echo/x", headers=gateway.auth(**miss))
        assert r.status == 200
    # agents never become labels (gateway/metrics.py, label policy)
    label = "agent:(agent)" if scope.startswith("agent:") else scope
    assert gateway.metric("callgate_killswitch_engaged", {"scope": label}) == 1

    r = await gateway.admin.delete("/admin/killswitch", json={"scope": scope}, headers=gateway.admin_auth)
    assert r.status == 200
    assert (await r.json())["released"]["scope"] == scope
    assert gateway.metric("callgate_killswitch_engaged", {"scope": label}) == 0
    r = await gateway.agent.get("/tools/echo/x", headers=gateway.auth(**hit))
    assert r.status == 200

    admin = gateway.records("admin")
    assert [(a["action"], a["scope"], a["operator"]) for a in admin] == [
        ("killswitch.engage", scope, "admin-token:alice"),
        ("killswitch.release", scope, "admin-token:alice"),
    ]
    assert admin[0]["reason"] == "incident 7"


async def test_tool_switch_leaves_other_tools(gateway: Gateway) -> None:
    await engage(gateway, "tool:writer")
    r = await gateway.agent.get("/tools/echo/x", headers=gateway.auth())
    assert r.status == 200


async def test_list(gateway: Gateway) -> None:
    await engage(gateway, "tenant:acme", "noisy")
    await engage(gateway, "global", "all stop")
    r = await gateway.admin.get("/admin/killswitch", headers=gateway.admin_auth)
    engaged = (await r.json())["engaged"]
    assert [(e["scope"], e["reason"], e["operator"]) for e in engaged] == [
        ("global", "all stop", "admin-token:alice"),
        ("tenant:acme", "noisy", "admin-token:alice"),
    ]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "Basic YTpi"}],
)
async def test_admin_needs_auth(gateway: Gateway, headers: dict[str, str]) -> None:
    r = await gateway.admin.put("/admin/killswitch", json={"scope": "global", "reason": "x"}, headers=headers)
    assert r.status == 401
    assert r.content_type == "application/problem+json"
    assert gateway.rt.killswitch.match("acme", "demo", "echo") is None


async def test_admin_jwt(gateway: Gateway) -> None:
    ok = {"Authorization": f"Bearer {gateway.token(agent='ops-bob', scopes=['callgate:admin'])}"}
    r = await gateway.admin.put("/admin/killswitch", json={"scope": "global", "reason": "jwt"}, headers=ok)
    assert r.status == 200
    assert gateway.records("admin")[-1]["operator"] == "jwt:ops-bob"
    no_scope = {"Authorization": f"Bearer {gateway.token(agent='ops-bob', scopes=['tool:echo'])}"}
    r = await gateway.admin.delete("/admin/killswitch", json={"scope": "global"}, headers=no_scope)
    assert r.status == 403
    assert gateway.rt.killswitch.match(None, None, "echo") is not None


@pytest.mark.parametrize(
    "body",
    [{"scope": "everything", "reason": "x"}, {"scope": "global"}, {"scope": "global", "reason": " "}, {"reason": "x"}],
)
async def test_bad_requests(gateway: Gateway, body: dict[str, str]) -> None:
    r = await gateway.admin.put("/admin/killswitch", json=body, headers=gateway.admin_auth)
    assert r.status == 400
    assert (await r.json())["code"] == "request.invalid"


async def test_open_endpoints_need_no_auth(gateway: Gateway) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await gateway.admin.get(path)).status == 200


async def test_change_reaches_other_replica_within_a_second(
    make_gateway: GatewayFactory, tmp_path: Path, redis_server: RedisServer
) -> None:
    redis_server.command("FLUSHALL")
    store = {"url": redis_server.url}
    a = await make_gateway(store=store)
    b = await make_gateway(store=store, decision_log={"path": str(tmp_path / "b.jsonl")})

    async def until(gw: Gateway, status: int) -> float:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3:
            r = await gw.agent.get("/tools/echo/x", headers=gw.auth())
            if r.status == status:
                return time.monotonic() - t0
            await asyncio.sleep(0.01)
        raise AssertionError(f"status {status} not seen in 3 s")

    assert (await b.agent.get("/tools/echo/x", headers=b.auth())).status == 200
    await engage(a, "tool:echo")
    assert await until(b, 503) < 1.0
    r = await b.admin.delete("/admin/killswitch", json={"scope": "tool:echo"}, headers=b.admin_auth)
    assert (await r.json())["released"]["scope"] == "tool:echo"
    assert await until(a, 200) < 1.0
    # a replica started later loads the engaged switches at start-up
    await engage(a, "global")
    c = await make_gateway(store=store, decision_log={"path": str(tmp_path / "c.jsonl")})
    assert (await c.agent.get("/tools/echo/x", headers=c.auth())).status == 503


async def test_an_unreadable_entry_in_redis_engages_its_scope_and_hides_no_other(
    make_gateway: GatewayFactory, redis_server: RedisServer
) -> None:
    """Fail closed per entry: a value that does not parse engages its own scope, and a
    switch engaged after it still reaches this replica."""
    redis_server.command("FLUSHALL")
    gw = await make_gateway(store={"url": redis_server.url})
    assert (await gw.agent.get("/tools/echo/x", headers=gw.auth())).status == 200
    ks = gw.rt.stores.killswitch
    assert isinstance(ks, RedisKillSwitch)
    redis_server.command("HSET", ks.key, "tool:echo", "{not-json")
    redis_server.command("PUBLISH", ks.channel, "tool:echo")
    deadline = time.monotonic() + 3
    while (await gw.agent.get("/tools/echo/x", headers=gw.auth())).status != 503:
        assert time.monotonic() < deadline, "the unreadable entry did not engage its scope"
        await asyncio.sleep(0.05)
    # another replica engages a switch: this one's follower still takes it in
    entry = '{"scope":"tenant:initech","reason":"r","operator":"o","since":1.0}'
    with redis.Redis.from_url(redis_server.url) as client:  # the inline protocol would split the JSON
        client.hset(ks.key, "tenant:initech", entry)
        client.publish(ks.channel, "tenant:initech")
    while ks.match("initech", "demo", "other") is None:
        assert time.monotonic() < deadline + 3, "a switch engaged after the unreadable entry was not seen"
        await asyncio.sleep(0.05)
    unreadable = ks.match("acme", "demo", "echo")
    assert unreadable is not None and unreadable.scope == "tool:echo" and "unreadable" in unreadable.reason


async def test_a_switch_changed_here_holds_against_a_read_in_flight(
    make_gateway: GatewayFactory, redis_server: RedisServer
) -> None:
    """Engage (or release) answered: this replica acts on it from then on, even when a read of
    the switches that started before the change lands after it. Reads run back to back, as a
    busy follower's would; after each read lands, the switch last engaged here must be in force
    and the one last released must not."""
    redis_server.command("FLUSHALL")
    # What is tested is the order of a change and a read, not Redis's speed: each operation may
    # take up to 2 s (the default 100 ms bound was overrun on a loaded 2-core machine, where two
    # readers parsing 130 KB answers back to back keep the loop busy)
    gw = await make_gateway(store={"url": redis_server.url, "timeout_ms": 2000})
    ks = gw.rt.stores.killswitch
    assert isinstance(ks, RedisKillSwitch)
    # many switches: a read's answer (~130 KB) arrives in pieces, so the loop runs a change's
    # answer in between, as under load (and across replicas) it does
    with redis.Redis.from_url(redis_server.url) as client:
        client.hset(
            ks.key,
            mapping={
                f"agent:idle-{i}": f'{{"scope":"agent:idle-{i}","reason":"{"r" * 80}","operator":"o","since":1.0}}'
                for i in range(1000)
            },
        )
    await ks.refresh()
    stop = asyncio.Event()
    engaged: str | None = None  # answered engaged, not yet asked to release
    released: str | None = None  # answered released
    reads = 0
    wrong: list[str] = []

    async def reader() -> None:
        nonlocal reads
        while not stop.is_set():
            await ks.refresh()
            reads += 1
            if engaged is not None and ks.match("acme", "demo", engaged) is None:
                wrong.append(f"engaged {engaged} undone by a read")
            if released is not None and ks.match("acme", "demo", released) is not None:
                wrong.append(f"released {released} back in force after a read")

    readers = [asyncio.create_task(reader()) for _ in range(2)]
    try:
        for i in range(100):
            await ks.engage(f"tool:t{i}", "race", "test")
            engaged = f"t{i}"
            await asyncio.sleep(0.005)
            engaged = None
            await ks.release(f"tool:t{i}")
            released = f"t{i}"
            await asyncio.sleep(0.005)
            released = None
    finally:
        stop.set()
        await asyncio.gather(*readers)
    assert wrong == []
    assert reads >= 100  # the reads did overlap the changes

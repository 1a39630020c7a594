"""Two gateway replicas sharing one real Redis; Redis failing under them."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.conftest import Gateway, GatewayFactory, RedisServer, Upstream, free_port
from tests.test_admission import auth, key, quota, rate


async def replicas(make_gateway: GatewayFactory, tmp_path: Path, url: str, **over: Any) -> tuple[Gateway, Gateway]:
    # generous: exactness is under test here, not latency (the store timeout has its own tests);
    # 200 concurrent calls, both replicas, the upstream and the clients share one event loop
    store = {"url": url, "timeout_ms": 5000}
    a = await make_gateway(store=store, **over)
    b = await make_gateway(store=store, decision_log={"path": str(tmp_path / "b.jsonl")}, **over)
    return a, b


async def spread(gws: tuple[Gateway, Gateway], n: int, path: str, headers: dict[str, str]) -> list[int]:
    async def one(i: int) -> int:
        r = await gws[i % 2].agent.get(path, headers=headers)
        await r.read()
        return r.status

    return list(await asyncio.gather(*(one(i) for i in range(n))))


@pytest.fixture
def shared(redis_server: RedisServer) -> str:
    redis_server.command("FLUSHALL")
    return redis_server.url


async def test_rate_limit_exact_across_replicas(
    make_gateway: GatewayFactory, tmp_path: Path, upstream: Upstream, shared: str
) -> None:
    gws = await replicas(make_gateway, tmp_path, shared, limits={"rate": [rate(burst=50)]})
    got = await spread(gws, 200, "/tools/echo/x", auth(gws[0]))
    assert got.count(200) == 50 and got.count(429) == 150, [x for x in got if x not in (200, 429)]
    assert len(upstream.seen) == 50


async def test_budget_never_overspent_across_replicas(
    make_gateway: GatewayFactory, tmp_path: Path, upstream: Upstream, shared: str
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    gws = await replicas(
        make_gateway, tmp_path, shared, limits=quota(100), tools={"broken": {"upstream": dead}, "echo": {"cost": 1}}
    )
    h = auth(gws[0])

    async def one(i: int) -> int:
        path = "/tools/broken/x" if i % 3 == 0 else "/tools/echo/x"
        r = await gws[i % 2].agent.get(path, headers=h)
        await r.read()
        return r.status

    got = await asyncio.gather(*(one(i) for i in range(300)))
    ok = got.count(200)
    assert got.count(502) > 0 and got.count(429) > 0
    assert ok + got.count(502) + got.count(429) == 300
    client = aioredis.Redis.from_url(shared)
    try:
        keys = await client.keys("*quota:q:*")
        assert len(keys) == 1
        spent = float(await client.get(keys[0]) or 0)
    finally:
        await client.aclose()
    assert spent <= 100
    assert spent == ok == len(upstream.seen)
    charged = [r["usage"].get("charged") for g in gws for r in g.records() if r["outcome"] == "allowed"]
    assert sum(charged) == ok


async def test_one_key_executes_once_across_replicas(
    make_gateway: GatewayFactory, tmp_path: Path, upstream: Upstream, shared: str
) -> None:
    gws = await replicas(make_gateway, tmp_path, shared, tools={"echo": {"upstream": f"{upstream.url}/"}})
    got = await spread(gws, 50, "/tools/echo/slow?delay=0.1", auth(gws[0]) | key())
    assert len(upstream.seen) == 1
    assert set(got) <= {200, 409}
    # afterwards, both replicas replay the one stored answer
    for gw in gws:
        r = await gw.agent.get("/tools/echo/slow?delay=0.1", headers=auth(gws[0]) | key())
        assert r.status == 200 and r.headers["Idempotent-Replayed"] == "true"
    assert len(upstream.seen) == 1


# ------------------------------------------------------------------ Redis failing


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    if server.proc is not None:
        server.proc.send_signal(signal.SIGCONT)
    server.stop()


async def timed(gw: Gateway, extra: dict[str, str] | None = None) -> tuple[int, float, dict[str, Any]]:
    t0 = time.monotonic()
    r = await gw.agent.get("/tools/echo/x", headers=auth(gw) | (extra or {}))
    body = await r.json()
    return r.status, time.monotonic() - t0, body


async def test_redis_down_gives_fast_503_and_recovers(make_gateway: GatewayFactory, own_redis: RedisServer) -> None:
    gw = await make_gateway(store={"url": own_redis.url}, limits={"rate": [rate(burst=1000)]})
    status, _, _ = await timed(gw)
    assert status == 200

    own_redis.stop()  # refused connections
    status, dt, body = await timed(gw)
    assert status == 503 and body["code"] == "store.unavailable"
    assert dt < 0.5

    own_redis.start()  # same port, empty
    status, _, _ = await timed(gw)
    assert status == 200

    assert own_redis.proc is not None
    own_redis.proc.send_signal(signal.SIGSTOP)  # accepts nothing, answers nothing: a hang
    try:
        status, dt, body = await timed(gw)
        assert status == 503 and body["code"] == "store.unavailable"
        assert dt < 0.5  # default timeout 100 ms
    finally:
        own_redis.proc.send_signal(signal.SIGCONT)
    for _ in range(20):  # the timed-out connection is dropped; a new one is made
        status, _, _ = await timed(gw)
        if status == 200:
            break
        await asyncio.sleep(0.05)
    assert status == 200
    assert gw.metric("callgate_store_errors_total", {"op": "admit"}) == 2
    assert [r["code"] for r in gw.records()].count("store.unavailable") == 2


async def test_fail_open_applies_to_rate_limits_only(make_gateway: GatewayFactory, own_redis: RedisServer) -> None:
    gw = await make_gateway(store={"url": own_redis.url}, limits={"rate": [rate(burst=1)], "fail_open": True})
    assert gw.metric("callgate_fail_open", {"check": "rate_limit"}) == 1
    own_redis.stop()
    status, _, _ = await timed(gw)
    assert status == 200
    rec = gw.records()[-1]
    assert rec["fail_open"] == ["rate_limit"]
    assert gw.metric("callgate_fail_open_calls_total", {"check": "rate_limit"}) == 1
    # a call that needs the store for an idempotency key is not let through
    status, _, body = await timed(gw, key())
    assert status == 503 and body["code"] == "store.unavailable"


async def test_settlement_failure_keeps_the_reservation(
    make_gateway: GatewayFactory, upstream: Upstream, own_redis: RedisServer
) -> None:
    gw = await make_gateway(
        store={"url": own_redis.url},
        limits=quota(10),
        tools={"echo": {"upstream": f"{upstream.url}/", "cost_header": "X-Cost", "max_cost": 4}},
    )
    call = asyncio.ensure_future(gw.agent.get("/tools/echo/slow?delay=0.4&cost=1", headers=auth(gw)))
    await asyncio.sleep(0.2)
    assert own_redis.proc is not None
    own_redis.proc.send_signal(signal.SIGSTOP)  # Redis hangs after admission, before settlement
    try:
        r = await call
        assert r.status == 200  # the agent still gets the tool's answer
    finally:
        own_redis.proc.send_signal(signal.SIGCONT)
    rec = gw.records()[-1]
    assert rec["usage"]["settled"] is False
    assert gw.metric("callgate_store_errors_total", {"op": "settle"}) == 1
    # never overspent: the maximum stays reserved (4), or Redis, resumed, runs the settlement the
    # gateway had already sent and gave up on (1, the actual cost; the scripts are loaded at start)
    client = aioredis.Redis.from_url(own_redis.url)
    try:
        (k,) = await client.keys("*quota:q:*")
        assert float(await client.get(k) or 0) in (1.0, 4.0)
    finally:
        await client.aclose()

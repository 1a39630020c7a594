"""Resource lifetimes (issue 14): a start that fails partway unwinds what it opened.

Real Redis, a real signed decision log forged on disk so that opening it fails
after the upstream session, the Redis pool and the kill-switch follower are open.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from gateway.audit.checkpoint import keygen
from gateway.audit.log import LogCheckFailed
from gateway.runtime import Runtime
from gateway.store.redis import RedisKillSwitch
from tests.conftest import GatewayFactory, RedisServer


def clients(redis: RedisServer) -> int:
    """Connections Redis sees, less the one asking."""
    return redis.command("CLIENT", "LIST").count(b"id=") - 1


def redis_follower(rt: Runtime) -> asyncio.Task[None] | None:
    """The kill-switch follower's task, once started."""
    assert isinstance(rt.killswitch, RedisKillSwitch)
    return rt.killswitch._task


async def test_a_start_failing_after_redis_connected_leaves_nothing_open(
    make_gateway: GatewayFactory, tmp_path: Path, redis_server: RedisServer
) -> None:
    key = tmp_path / "keys" / "checkpoint.pem"
    keygen(key)
    redis_server.command("FLUSHALL")
    over = {
        "store": {"url": redis_server.url, "timeout_ms": 1000, "warm_connections": 4},
        "decision_log": {"checkpoints": {"key": {"file": str(key)}, "every_records": 2}},
    }
    gw = await make_gateway(**over)
    for _ in range(3):
        assert (await gw.agent.get("/tools/echo/x", headers=gw.auth())).status == 200
    await gw.agent.close()
    await gw.admin.close()
    idle = clients(redis_server)
    path = gw.settings.decision_log.path
    recs = [json.loads(x) for x in path.read_bytes().splitlines()]
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in recs[:-2]))  # cut the tail

    rt = Runtime(gw.settings)
    with pytest.raises(LogCheckFailed):
        await rt.start()
    # it got as far as Redis: the pool was warmed and the kill-switch follower ran
    follower = redis_follower(rt)
    assert rt.stores.driver is not None and follower is not None
    assert rt._http is not None and rt._http.closed
    assert follower.done()
    assert clients(redis_server) == idle, redis_server.command("CLIENT", "LIST")
    assert not rt.ready


async def test_close_goes_on_past_a_failing_close(make_gateway: GatewayFactory, redis_server: RedisServer) -> None:
    redis_server.command("FLUSHALL")
    gw = await make_gateway(store={"url": redis_server.url, "timeout_ms": 1000})
    await gw.agent.close()
    await gw.admin.close()
    idle = clients(redis_server)
    rt = Runtime(gw.settings)
    await rt.start()
    assert clients(redis_server) > idle

    async def broken() -> None:
        raise OSError("notifier socket already gone")

    rt.notifier.close = broken  # type: ignore[method-assign]  # a fault injected into one close
    await rt.close()  # does not raise: the failure is logged
    assert rt._http is not None and rt._http.closed
    assert clients(redis_server) == idle


async def test_a_start_failing_at_its_last_step_unwinds_everything(
    make_gateway: GatewayFactory, redis_server: RedisServer
) -> None:
    redis_server.command("FLUSHALL")
    gw = await make_gateway(store={"url": redis_server.url, "timeout_ms": 1000, "warm_connections": 4})
    await gw.agent.close()
    await gw.admin.close()
    idle = clients(redis_server)
    rt = Runtime(gw.settings)

    def broken() -> None:
        raise RuntimeError("approval sweeper cannot start")

    rt.approvals.start = broken  # type: ignore[method-assign]  # a fault injected into the last step
    with pytest.raises(RuntimeError, match="sweeper"):
        await rt.start()
    assert rt._http is not None and rt._http.closed
    follower = redis_follower(rt)
    assert follower is not None and follower.done()
    assert clients(redis_server) == idle, redis_server.command("CLIENT", "LIST")
    assert not rt.log.writable


async def test_every_redis_store_shares_one_pool(make_gateway: GatewayFactory, redis_server: RedisServer) -> None:
    """Admission, runs, approvals, kill switches and the checkpoint copy all go through one
    driver: however many stores the calls touch, Redis sees no more connections from this
    gateway than its pool's ``max_connections``."""
    redis_server.command("FLUSHALL")
    before = clients(redis_server)
    gw = await make_gateway(
        store={"url": redis_server.url, "timeout_ms": 1000, "max_connections": 3, "warm_connections": 3}
    )
    assert clients(redis_server) == before + 3  # warmed: the pool's connections, the follower's among them
    headers = gw.auth() | {"X-Agent-Run": "run-1", "Idempotency-Key": "k-1"}
    assert (await gw.agent.get("/tools/echo/x", headers=headers)).status == 200  # admission, idempotency, runs
    held = await gw.agent.post(
        "/tools/transfer/send", json={"amount": 5}, headers=gw.auth(scopes=["tool:transfer:payment"])
    )
    assert held.status == 202  # an approval, stored
    engaged = await gw.admin.put(
        "/admin/killswitch", json={"scope": "tool:writer", "reason": "test"}, headers=gw.admin_auth
    )
    assert engaged.status == 200, await engaged.text()
    assert (await gw.admin.get("/admin/approvals?state=pending", headers=gw.admin_auth)).status == 200
    assert clients(redis_server) - before <= 3, redis_server.command("CLIENT", "LIST")
    await gw.agent.close()
    await gw.admin.close()
    assert clients(redis_server) == before, redis_server.command("CLIENT", "LIST")

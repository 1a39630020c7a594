"""Resource lifetimes (issue 14): a start that fails partway unwinds what it opened.

Real Redis, a real signed decision log forged on disk so that opening it fails
after the upstream session, the Redis pool and the kill-switch follower are open.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.audit.checkpoint import keygen
from gateway.audit.log import LogCheckFailed
from gateway.runtime import Runtime
from tests.conftest import GatewayFactory, RedisServer


def clients(redis: RedisServer) -> int:
    """Connections Redis sees, less the one asking."""
    return redis.command("CLIENT", "LIST").count(b"id=") - 1


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
    assert rt._redis is not None and rt._redis_ks is not None and rt._redis_ks._task is not None
    assert rt._http is not None and rt._http.closed
    assert rt._redis_ks._task.done()
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
    assert rt._redis_ks is not None and rt._redis_ks._task is not None and rt._redis_ks._task.done()
    assert clients(redis_server) == idle, redis_server.command("CLIENT", "LIST")
    assert not rt.log.writable

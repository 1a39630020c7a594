"""The approval store's rules, one suite over both implementations (memory, and the suite's real Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.config import RedisStoreConfig
from gateway.store.approvals import Approval, ApprovalStore, MemoryApprovals, RedisApprovals, new_approval_id
from gateway.store.redis import RedisDriver


@pytest.fixture(params=["memory", "redis"])
async def approvals(request: pytest.FixtureRequest) -> AsyncIterator[ApprovalStore]:
    if request.param == "memory":
        yield MemoryApprovals()
        return
    server: Any = request.getfixturevalue("redis_server")
    server.command("FLUSHALL")
    driver = RedisDriver(RedisStoreConfig(url=server.url, key_prefix="t:cg:", timeout_ms=2000))
    try:
        yield RedisApprovals(driver)
    finally:
        await driver.close()


def approval(ttl: float = 60.0, required: int = 1, obo: str | None = "carol") -> Approval:
    now = time.time()
    return Approval(
        id=new_approval_id(),
        state="pending",
        created_at=now,
        expires_at=now + ttl,
        required=required,
        binding={"agent": "bot", "tenant": "acme", "on_behalf_of": obo, "tool": "pay", "args_digest": "sha256:x"},
        summary={"call_id": "c1", "findings": [], "reasons": []},
    )


async def test_lifecycle_and_single_use(approvals: ApprovalStore) -> None:
    a = approval(required=2)
    assert await approvals.create(a, 10, 60)
    got = await approvals.get(a.id)
    assert got is not None and got.state == "pending" and got.binding == a.binding and got.summary["findings"] == []
    assert (await approvals.consume(a.id, "x"))[0] == "not_granted"
    assert (await approvals.decide(a.id, "carol", True, ""))[0] == "self"
    assert (await approvals.decide(a.id, "bot", True, ""))[0] == "self"
    result, after = await approvals.decide(a.id, "alice", True, "ok")
    assert result == "ok" and after is not None and after.state == "pending"
    assert (await approvals.decide(a.id, "alice", True, ""))[0] == "duplicate"
    result, after = await approvals.decide(a.id, "bob", True, "")
    assert (
        result == "ok"
        and after is not None
        and after.state == "granted"
        and [x.name for x in after.approvers] == ["alice", "bob"]
    )
    assert (await approvals.decide(a.id, "dave", False, "late"))[0] == "not_pending"

    outcomes = await asyncio.gather(*(approvals.consume(a.id, f"call-{i}") for i in range(50)))
    winners = [i for i, (r, _) in enumerate(outcomes) if r == "ok"]
    assert len(winners) == 1
    assert {r for r, _ in outcomes} == {"ok", "not_granted"}
    # Only the consuming call can release it.
    assert await approvals.release(a.id, "someone-else") is None
    released = await approvals.release(a.id, f"call-{winners[0]}")
    assert released is not None and released.state == "granted" and released.used_by is None
    assert (await approvals.consume(a.id, "again"))[0] == "ok"
    assert (await approvals.get(a.id)).used_by == "again"  # type: ignore[union-attr]


async def test_denial_and_unknown(approvals: ApprovalStore) -> None:
    a = approval()
    await approvals.create(a, 10, 60)
    result, after = await approvals.decide(a.id, "alice", False, "no")
    assert result == "ok" and after is not None and after.state == "denied"
    assert after.denial is not None and after.denial.name == "alice" and after.denial.reason == "no"
    assert (await approvals.consume(a.id, "c"))[0] == "not_granted"
    assert (await approvals.decide(new_approval_id(), "alice", True, ""))[0] == "unknown"
    assert (await approvals.consume(new_approval_id(), "c"))[0] == "unknown"
    assert await approvals.get(new_approval_id()) is None


async def test_expiry_is_reported_once(approvals: ApprovalStore) -> None:
    pending, granted = approval(ttl=1.0), approval(ttl=1.0)
    for a in (pending, granted):
        await approvals.create(a, 10, 60)
    await approvals.decide(granted.id, "alice", True, "")
    assert await approvals.pending_count() == 1
    await asyncio.sleep(1.2)
    assert (await approvals.get(pending.id)).state == "expired"  # type: ignore[union-attr]
    assert (await approvals.decide(pending.id, "alice", True, ""))[0] == "expired"
    assert (await approvals.consume(granted.id, "c"))[0] == "expired"
    first = await approvals.expire_due(100)
    assert {a.id for a in first} == {pending.id, granted.id}
    assert await approvals.expire_due(100) == []
    assert await approvals.pending_count() == 0


async def test_max_pending_and_listing(approvals: ApprovalStore) -> None:
    made = [approval() for _ in range(3)]
    assert [await approvals.create(a, 2, 60) for a in made] == [True, True, False]
    await approvals.decide(made[0].id, "alice", False, "no")
    assert await approvals.create(made[2], 2, 60)  # a decision frees a place
    pending = await approvals.query("pending", 10)
    assert {a.id for a in pending} == {made[1].id, made[2].id}
    everything = await approvals.query(None, 10)
    assert {a.id for a in everything} == {a.id for a in made}
    assert [a.id for a in await approvals.query("denied", 10)] == [made[0].id]


async def test_every_redis_approval_key_shares_one_cluster_slot(redis_server: Any) -> None:
    """The scripts touch an approval and the indexes together: in a Redis Cluster they must
    share one slot (the indexes once lacked the hash tag)."""
    from redis.crc import key_slot

    redis_server.command("FLUSHALL")
    driver = RedisDriver(RedisStoreConfig(url=redis_server.url, key_prefix="t:cg:", timeout_ms=2000))
    try:
        store = RedisApprovals(driver)
        a, b = approval(), approval()
        assert await store.create(a, 10, 60) and await store.create(b, 10, 60)
        assert (await store.decide(a.id, "alice", True, ""))[0] == "ok"
        keys = {k.decode() for k in await driver.redis.keys("t:cg:*")}
    finally:
        await driver.close()
    assert len(keys) >= 4  # two approvals and the indexes
    assert len({key_slot(k.encode()) for k in keys}) == 1, keys

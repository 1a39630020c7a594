"""Rate limits, cost quotas and idempotency keys — the same behaviour on both stores."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.conftest import Gateway, GatewayFactory, Upstream, free_port

SCOPES = ["tool:echo", "tool:broken", "tool:writer:write"]


def rate(name: str = "r", burst: int = 3, per: list[str] | None = None, **kw: Any) -> dict[str, Any]:
    return {"name": name, "per": ["agent", "tool"] if per is None else per, "rate": 0.001, "burst": burst, **kw}


def auth(gw: Gateway, **kw: Any) -> dict[str, str]:
    return gw.auth(scopes=SCOPES, **kw)


async def statuses(
    gw: Gateway, n: int, path: str = "/tools/echo/x", extra: dict[str, str] | None = None, **kw: Any
) -> list[int]:
    headers = auth(gw) | (extra or {})

    async def one() -> int:
        r = await gw.agent.get(path, headers=headers, **kw)
        await r.read()
        return r.status

    return sorted(await asyncio.gather(*(one() for _ in range(n))))


# ------------------------------------------------------------------ rate limits


async def test_rate_limit_refuses_with_headers(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store, limits={"rate": [rate(burst=3)]})
    assert await statuses(gw, 3) == [200, 200, 200]
    r = await gw.agent.get("/tools/echo/x", headers=auth(gw))
    assert r.status == 429
    problem = await r.json()
    assert problem["code"] == "rate.limited"
    assert problem["reasons"][0]["rule"] == "r"
    assert 990 <= int(r.headers["Retry-After"]) <= 1000
    assert r.headers["RateLimit-Policy"] == '"r";q=3;w=3000'
    assert r.headers["RateLimit"] == f'"r";r=0;t={r.headers["Retry-After"]}'
    assert len(upstream.seen) == 3
    # another agent has its own bucket
    r = await gw.agent.get("/tools/echo/x", headers=auth(gw, agent="other", tenant="initech"))
    assert r.status == 200
    assert gw.metric("callgate_rate_limited_total", {"rule": "r"}) == 1
    recs = gw.records()
    assert sorted(x["usage"]["rate"]["r"]["remaining"] for x in recs[:3]) == [0, 1, 2]
    assert recs[3]["code"] == "rate.limited"


async def test_concurrent_calls_admit_exactly_the_limit(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    gw = await make_gateway(store=store, limits={"rate": [rate(burst=20)]})
    got = await statuses(gw, 60)
    assert got.count(200) == 20 and got.count(429) == 40
    assert len(upstream.seen) == 20


async def test_several_rules_and_tool_globs(make_gateway: GatewayFactory, store: Any) -> None:
    gw = await make_gateway(
        store=store,
        limits={
            "rate": [
                rate("tenant-wide", burst=4, per=["tenant"]),
                rate("writer-only", burst=1, per=["agent"], tools=["wri*"]),
            ]
        },
    )
    r = await gw.agent.post("/tools/writer/x", json={}, headers=auth(gw))
    assert r.status == 200
    r = await gw.agent.post("/tools/writer/x", json={}, headers=auth(gw))
    assert r.status == 429
    assert (await r.json())["reasons"][0]["rule"] == "writer-only"
    # the refused call took no token from the tenant-wide bucket: 4 - 1 = 3 left
    assert await statuses(gw, 4) == [200, 200, 200, 429]


async def test_cost_weighted_rule(make_gateway: GatewayFactory, store: Any) -> None:
    gw = await make_gateway(
        store=store, limits={"rate": [rate(burst=10, cost_weighted=True)]}, tools={"echo": {"cost": 4}}
    )
    assert await statuses(gw, 3) == [200, 200, 429]


# ------------------------------------------------------------------ quotas


def quota(limit: float, per: str = "tenant", window: str = "day") -> dict[str, Any]:
    return {"quotas": [{"name": "q", "per": per, "window": window, "limit": limit}], "timezone": "Europe/Paris"}


async def test_quota_charges_and_refuses(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store, limits=quota(10), tools={"echo": {"cost": 3}})
    for _ in range(3):
        assert (await gw.agent.get("/tools/echo/x", headers=auth(gw))).status == 200
    r = await gw.agent.get("/tools/echo/x", headers=auth(gw))
    assert r.status == 429
    problem = await r.json()
    assert problem["code"] == "quota.exhausted"
    assert problem["reset"].endswith("+01:00") or problem["reset"].endswith("+02:00")  # Paris midnight
    assert "T00:00:00" in problem["reset"]
    assert int(r.headers["Retry-After"]) <= 86400
    assert len(upstream.seen) == 3
    recs = gw.records()
    assert [r["usage"]["quota"]["q"]["spent"] for r in recs[:3]] == [3, 6, 9]
    assert recs[0]["usage"]["charged"] == 3
    assert recs[0]["usage"]["quota"]["q"]["limit"] == 10
    assert gw.metric("callgate_quota_spent", {"quota": "q", "subject": "acme"}) == 9
    assert gw.metric("callgate_quota_limit", {"quota": "q", "subject": "acme"}) == 10
    # per tenant: another tenant has its own budget
    r = await gw.agent.get("/tools/echo/x", headers=auth(gw, agent="other", tenant="initech"))
    assert r.status == 200


async def test_quota_settles_actual_cost_from_upstream(make_gateway: GatewayFactory, store: Any) -> None:
    gw = await make_gateway(
        store=store, limits=quota(10, per="agent"), tools={"echo": {"cost_header": "X-Cost", "max_cost": 5}}
    )
    r = await gw.agent.get("/tools/echo/x?cost=1", headers=auth(gw))
    assert r.status == 200
    r = await gw.agent.get("/tools/echo/x?cost=900", headers=auth(gw))  # capped at max_cost
    assert r.status == 200
    # spent 6; a third call reserves 5 -> 11 > 10
    r = await gw.agent.get("/tools/echo/x?cost=1", headers=auth(gw))
    assert r.status == 429
    recs = gw.records()
    assert [x["usage"].get("charged") for x in recs[:2]] == [1, 5]
    assert recs[1]["usage"]["quota"]["q"]["spent"] == 6


async def test_quota_cost_from_json_field_and_policy_cost(make_gateway: GatewayFactory, store: Any) -> None:
    gw = await make_gateway(store=store, limits=quota(4), tools={"echo": {"cost_field": "cost", "max_cost": 4}})
    r = await gw.agent.get("/tools/echo/x?cost=2.5", headers=auth(gw))
    assert r.status == 200
    assert gw.records()[0]["usage"]["charged"] == 2.5


async def test_quota_refunded_when_upstream_fails(make_gateway: GatewayFactory, store: Any) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    gw = await make_gateway(
        store=store, limits=quota(2), tools={"broken": {"upstream": dead, "cost": 2}, "echo": {"cost": 2}}
    )
    for _ in range(3):
        r = await gw.agent.get("/tools/broken/x", headers=auth(gw))
        assert r.status == 502
    r = await gw.agent.get("/tools/echo/x", headers=auth(gw))
    assert r.status == 200
    recs = gw.records()
    assert recs[0]["usage"]["charged"] == 0
    assert recs[3]["usage"]["quota"]["q"]["spent"] == 2


# ------------------------------------------------------------------ idempotency


def key(k: str = "k-1") -> dict[str, str]:
    return {"Idempotency-Key": k}


async def test_idempotent_replay(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store, limits=quota(100), tools={"writer": {"cost": 7}})
    h = auth(gw) | key()
    r1 = await gw.agent.post("/tools/writer/orders", json={"a": 1, "b": 2}, headers=h)
    assert r1.status == 200
    body1 = await r1.read()
    # same request, keys in another order: same canonical body
    r2 = await gw.agent.post("/tools/writer/orders", data=b'{"b": 2, "a": 1}', headers=h)
    assert r2.status == 200
    assert await r2.read() == body1
    assert r2.headers["Idempotent-Replayed"] == "true"
    assert r2.headers["Content-Type"].startswith("application/json")
    assert "Idempotent-Replayed" not in r1.headers
    assert len(upstream.seen) == 1
    recs = gw.records()
    assert recs[1]["outcome"] == "replayed" and recs[1]["replay"] is True and recs[1]["forwarded"] is False
    assert recs[1]["idempotency"] == {"key": "k-1", "takeover_of": None}
    assert "charged" not in recs[1]["usage"]
    assert len(gw.records("intent")) == 1
    # no charge for the replay: a fresh call sees 7 spent
    r = await gw.agent.post("/tools/writer/orders", json={}, headers=auth(gw))
    assert r.status == 200
    assert gw.records()[2]["usage"]["quota"]["q"]["spent"] == 14
    assert gw.metric("callgate_idempotent_replays_total") == 1


async def test_key_reused_with_other_request(make_gateway: GatewayFactory, store: Any) -> None:
    gw = await make_gateway(store=store)
    h = auth(gw) | key()
    r = await gw.agent.post("/tools/writer/orders", json={"a": 1}, headers=h)
    assert r.status == 200
    r = await gw.agent.post("/tools/writer/orders", json={"a": 2}, headers=h)
    assert r.status == 422
    assert (await r.json())["code"] == "idempotency.key_mismatch"
    r = await gw.agent.post("/tools/writer/other", json={"a": 1}, headers=h)
    assert r.status == 422
    # scoped to agent and tool: the same key elsewhere is a new key
    r = await gw.agent.post("/tools/writer/orders", json={"a": 2}, headers=auth(gw, agent="other", tenant="x") | key())
    assert r.status == 200


async def test_key_in_flight_conflicts(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store, tools={"echo": {"upstream": f"{upstream.url}/"}})
    h = auth(gw) | key()
    first = asyncio.ensure_future(gw.agent.get("/tools/echo/slow?delay=0.5", headers=h))
    await asyncio.sleep(0.2)
    r = await gw.agent.get("/tools/echo/slow?delay=0.5", headers=h)
    assert r.status == 409
    assert (await r.json())["code"] == "idempotency.in_flight"
    r1 = await first
    assert r1.status == 200
    r = await gw.agent.get("/tools/echo/slow?delay=0.5", headers=h)
    assert r.status == 200 and r.headers["Idempotent-Replayed"] == "true"
    assert len(upstream.seen) == 1


async def test_concurrent_calls_with_one_key_execute_once(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    gw = await make_gateway(store=store, tools={"echo": {"upstream": f"{upstream.url}/"}})
    got = await statuses(gw, 50, "/tools/echo/slow?delay=0.05", extra=key())
    assert len(upstream.seen) == 1
    assert set(got) <= {200, 409} and got.count(200) >= 1


async def test_call_that_may_have_run_keeps_its_key(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    # A timeout after the request reached the tool: the outcome is unknown, so a retry with
    # the same key must not run the tool a second time.
    gw = await make_gateway(store=store, tools={"echo": {"upstream": f"{upstream.url}/", "timeouts": {"read_s": 0.2}}})
    h = auth(gw) | key("pay-1")
    assert (await gw.agent.get("/tools/echo/slow?delay=1", headers=h)).status == 504
    r = await gw.agent.get("/tools/echo/slow?delay=1", headers=h)
    assert r.status == 409
    assert (await r.json())["code"] == "idempotency.not_replayable"
    assert len(upstream.seen) == 1


async def test_failed_call_releases_key(make_gateway: GatewayFactory, store: Any) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    gw = await make_gateway(store=store, tools={"broken": {"upstream": dead}})
    h = auth(gw) | key()
    assert (await gw.agent.get("/tools/broken/x", headers=h)).status == 502
    assert (await gw.agent.get("/tools/broken/x", headers=h)).status == 502  # not 409: the key was released


async def test_unkept_response_is_not_replayed(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store, limits={"idempotency": {"max_body": 10}})
    h = auth(gw) | key()
    assert (await gw.agent.get("/tools/echo/x", headers=h)).status == 200
    r = await gw.agent.get("/tools/echo/x", headers=h)
    assert r.status == 409
    assert (await r.json())["code"] == "idempotency.not_replayable"
    assert len(upstream.seen) == 1


async def test_key_required_for_configured_effects(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    gw = await make_gateway(store=store, limits={"idempotency": {"require_for": ["write", "payment"]}})
    r = await gw.agent.post("/tools/writer/x", json={}, headers=auth(gw))
    assert r.status == 400
    assert (await r.json())["code"] == "idempotency.key_required"
    assert upstream.seen == []
    assert (await gw.agent.post("/tools/writer/x", json={}, headers=auth(gw) | key())).status == 200
    assert (await gw.agent.get("/tools/echo/x", headers=auth(gw))).status == 200


async def test_expired_lease_is_taken_over_and_recorded(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    """A call whose gateway stops answering past the lease no longer blocks the key; the retry says so."""
    gw = await make_gateway(
        store=store, limits={"idempotency": {"lease_s": 0.2}}, tools={"echo": {"upstream": f"{upstream.url}/"}}
    )
    h = auth(gw) | key()
    first = asyncio.ensure_future(gw.agent.get("/tools/echo/slow?delay=0.8", headers=h))
    await asyncio.sleep(0.4)
    r = await gw.agent.get("/tools/echo/slow?delay=0.8", headers=h)
    assert r.status == 200
    assert "Idempotent-Replayed" not in r.headers
    assert (await first).status == 200
    recs = {x["id"]: x for x in gw.records()}
    intents = gw.records("intent")
    first_id, second_id = intents[0]["id"], intents[1]["id"]
    assert recs[second_id]["idempotency"]["takeover_of"] == first_id
    assert len(upstream.seen) == 2
    # the late first call does not overwrite what the taker stored
    r = await gw.agent.get("/tools/echo/slow?delay=0.8", headers=h)
    assert r.headers["Idempotent-Replayed"] == "true"
    assert (await r.json())["seq"] == 2


async def test_no_rules_no_store_call(make_gateway: GatewayFactory, tmp_path: Path, store: Any) -> None:
    gw = await make_gateway(store=store)
    r = await gw.agent.get("/tools/echo/x", headers=auth(gw))
    assert r.status == 200
    assert "admission" not in gw.records()[0]["timings_ms"]


# ------------------------------------------------------------------ policy tightens a limit

TIGHT_POLICY = """package callgate

import rego.v1

decision := {"allow": true, "reasons": [], "rate_limit": limit}

limit := {"rate": 0.001, "burst": 2} if input.agent.id == "demo"

limit := null if input.agent.id != "demo"

output_decision := {"allow": true, "reasons": []}
"""


async def test_policy_tightens_a_limit(make_gateway: GatewayFactory, tmp_path: Path, store: Any) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "tight.rego").write_text(TIGHT_POLICY)
    gw = await make_gateway(store=store, policy={"paths": [str(policies)]}, limits={"rate": [rate(burst=5)]})
    assert await statuses(gw, 3) == [200, 200, 429]
    r = await gw.agent.get("/tools/echo/x", headers=auth(gw))
    assert r.headers["RateLimit-Policy"] == '"policy";q=2;w=2000'
    # the configured rule still holds for an agent the policy does not tighten
    other = auth(gw, agent="other", tenant="initech")
    got = [(await gw.agent.get("/tools/echo/x", headers=other)).status for _ in range(6)]
    assert got == [200] * 5 + [429]


async def test_malformed_policy_limit_fails_closed(make_gateway: GatewayFactory, tmp_path: Path, store: Any) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "tight.rego").write_text(TIGHT_POLICY.replace('"burst": 2', '"burst": "lots"'))
    gw = await make_gateway(store=store, policy={"paths": [str(policies)]})
    r = await gw.agent.get("/tools/echo/x", headers=auth(gw))
    assert r.status == 503
    assert (await r.json())["code"] == "policy.unavailable"


USAGE_POLICY = """package callgate

import rego.v1

low if input.usage.rate.r.remaining < 2

allow := false if low

allow := true if not low

reasons := [{"code": "usage.low", "message": "few tokens left"}] if low

reasons := [] if not low

decision := {"allow": allow, "reasons": reasons}

output_decision := {"allow": true, "reasons": []}
"""


async def test_policy_sees_usage(make_gateway: GatewayFactory, tmp_path: Path, store: Any) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "usage.rego").write_text(USAGE_POLICY)
    gw = await make_gateway(store=store, policy={"paths": [str(policies)]}, limits={"rate": [rate(burst=5)]})
    got = [(await gw.agent.get("/tools/echo/x", headers=auth(gw))).status for _ in range(5)]
    assert got == [200, 200, 200, 200, 403]
    assert gw.records()[-1]["reasons"][0]["code"] == "usage.low"


async def test_calls_without_tenant_share_one_tenant_budget(make_gateway: GatewayFactory, store: Any) -> None:
    gw = await make_gateway(
        store=store, limits=quota(2), tools={"echo": {"cost": 1}}, agents={"third": {"tenants": []}}
    )
    a = auth(gw, agent="other", tenant=None)
    b = auth(gw, agent="third", tenant=None)
    assert (await gw.agent.get("/tools/echo/x", headers=a)).status == 200
    assert (await gw.agent.get("/tools/echo/x", headers=b)).status == 200
    r = await gw.agent.get("/tools/echo/x", headers=a)
    assert r.status == 429
    assert gw.records()[0]["usage"]["quota"]["q"]["subject"] == "(none)"

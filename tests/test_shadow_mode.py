"""Shadow mode (policy.enforce: false): would-be denials are recorded and counted, calls proceed."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import GatewayFactory, Upstream
from tests.test_http_e2e import write_policy


async def test_shadow_denial_recorded_not_enforced(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(policy={"enforce": False})
    r = await gw.agent.post("/tools/writer/x", json={}, headers=gw.auth(scopes=["tool:echo"]))
    assert r.status == 200
    assert len(upstream.seen) == 1
    rec = gw.records()[-1]
    assert rec["outcome"] == "allowed"
    assert [s["code"] for s in rec["shadow"]] == ["policy.denied"]
    assert "scope.missing" in {x["code"] for x in rec["shadow"][0]["reasons"]}
    assert rec["decision"]["allow"] is False
    assert gw.metric("callgate_shadow_denials_total", {"check": "policy", "code": "policy.denied"}) == 1
    assert gw.metric("callgate_shadow_mode", {"check": "policy"}) == 1
    # an allowed call leaves no shadow entry
    r = await gw.agent.get("/tools/echo/x", headers=gw.auth())
    assert r.status == 200
    assert gw.records()[-1]["shadow"] == []


async def test_shadow_mode_lets_policy_errors_through_visibly(
    make_gateway: GatewayFactory, tmp_path: Path, upstream: Upstream
) -> None:
    d = write_policy(tmp_path, 'decision := {"allow": "yes"}\n')
    gw = await make_gateway(policy={"paths": [str(d)], "enforce": False})
    r = await gw.agent.get("/tools/echo/x", headers=gw.auth())
    assert r.status == 200
    rec = gw.records()[-1]
    assert rec["fail_open"] == ["policy"]
    assert rec["shadow"][0]["code"] == "policy.unavailable"
    assert gw.metric("callgate_fail_open", {"check": "policy"}) == 1
    assert gw.metric("callgate_fail_open_calls_total", {"check": "policy"}) == 1
    # the tool's default credential is still the only one sent
    assert upstream.last.headers["Authorization"].endswith("echo-upstream-secret")


async def test_enforcing_is_the_default(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.post("/tools/writer/x", json={}, headers=gw.auth(scopes=["tool:echo"]))
    assert r.status == 403
    assert upstream.seen == []
    assert gw.metric("callgate_shadow_mode", {"check": "policy"}) == 0
    assert gw.records()[-1]["shadow"] == []


async def test_shadow_mode_records_output_blocks_and_still_redacts(
    make_gateway: GatewayFactory, upstream: Upstream
) -> None:
    gw = await make_gateway(policy={"enforce": False})
    r = await gw.agent.get("/tools/echo/canned/injected", headers=gw.auth())
    assert r.status == 200  # would have been 502 output.blocked
    assert "ignore" in (await r.text()).lower()
    rec = gw.records()[-1]
    assert rec["outcome"] == "allowed"
    assert [(s["check"], s["code"]) for s in rec["shadow"]] == [("output_policy", "output.blocked")]
    assert rec["output_decision"]["allow"] is False  # what the policy said
    assert gw.metric("callgate_shadow_denials_total", {"check": "output_policy", "code": "output.blocked"}) == 1
    assert gw.metric("callgate_shadow_mode", {"check": "output_policy"}) == 1
    # redaction is not a denial: it still applies in shadow mode
    r = await gw.agent.get("/tools/echo/canned/secret", headers=gw.auth())
    assert r.status == 200
    assert (await r.json())["aws_key"] == "[REDACTED:aws_access_key]"

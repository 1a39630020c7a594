"""Approvals end to end: held calls, binding, expiry, denial, separation of duties, N approvers,
execute-once (also across two replicas sharing the suite's real Redis), draft mode, wait_s, webhook.

Everything is real: the gateway's two listeners, the recording upstream, Redis, the policy pack.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import sys
from asyncio.subprocess import PIPE
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import ADMIN_TOKEN, BANK_KEY, ROOT, Gateway, GatewayFactory, Upstream

PAY = ["tool:transfer:payment"]
ARGS = {"to": "DE89", "amount": 5}


async def hold(gw: Gateway, args: Any = ARGS, **auth: Any) -> dict[str, Any]:
    r = await gw.agent.post("/tools/transfer/send", json=args, headers=gw.auth(scopes=PAY, **auth))
    body = await r.json()
    assert r.status == 202, body
    assert body["code"] == "approval.pending"
    assert r.headers["Location"] == f"/approvals/{body['id']}"
    return body


async def decide(gw: Gateway, aid: str, verdict: str, who: str = "alice", reason: str = "ok") -> tuple[int, Any]:
    r = await gw.admin.post(
        f"/admin/approvals/{aid}/{verdict}",
        json={"reason": reason},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Operator": who},
    )
    return r.status, await r.json()


async def retry(gw: Gateway, aid: str, args: Any = ARGS, path: str = "send", **kw: Any) -> tuple[int, Any, Any]:
    headers = {**gw.auth(scopes=PAY, **kw.pop("auth", {})), "X-Callgate-Approval": aid, **kw.pop("headers", {})}
    r = await gw.agent.post(f"/tools/transfer/{path}", json=args, headers=headers)
    return r.status, await r.json(), r.headers


def events(gw: Gateway, aid: str) -> list[str]:
    return [r["event"] for r in gw.records("approval") if r["approval"] == aid]


async def test_held_call_runs_once_after_approval(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store)
    held = await hold(gw)
    aid = held["id"]
    assert upstream.seen == []
    assert held["expires_at"] > held["approval"]["created_at"]
    assert f"X-Callgate-Approval: {aid}" in held["retry"]

    # The agent can poll its own approval; another agent cannot see it.
    r = await gw.agent.get(f"/approvals/{aid}", headers=gw.auth(scopes=PAY))
    assert r.status == 200 and (await r.json())["state"] == "pending"
    r = await gw.agent.get(f"/approvals/{aid}", headers=gw.auth(agent="other", tenant=None, scopes=PAY))
    assert r.status == 404 and (await r.json())["code"] == "approval.unknown"

    # Not yet granted: the retry is refused and nothing is forwarded.
    status, body, _ = await retry(gw, aid)
    assert (status, body["code"]) == (409, "approval.not_granted")

    status, body = await decide(gw, aid, "approve")
    assert status == 200 and body["state"] == "granted" and body["approvers"][0]["name"] == "alice"

    status, body, headers = await retry(gw, aid)
    assert status == 200, body
    assert len(upstream.seen) == 1
    seen = upstream.last
    assert seen.headers["X-Api-Key"] == BANK_KEY
    assert not any(k.lower().startswith("x-callgate-") and k != "X-Callgate-Call-Id" for k in seen.headers)
    used_by = headers["X-Callgate-Call-Id"]

    # A second retry with the same id is refused: the approval ran once.
    status, body, _ = await retry(gw, aid)
    assert (status, body["code"]) == (409, "approval.used")
    assert len(upstream.seen) == 1

    r = await gw.agent.get(f"/approvals/{aid}", headers=gw.auth(scopes=PAY))
    assert (await r.json())["state"] == "used" and (await r.json())["used_by"] == used_by

    assert events(gw, aid) == ["requested", "granted", "used"]
    used = next(r for r in gw.records("approval") if r["approval"] == aid and r["event"] == "used")
    assert used["used_by"] == used_by and used["call_id"] == held["call_id"]
    calls = {r["id"]: r for r in gw.records()}
    assert calls[held["call_id"]]["outcome"] == "pending" and calls[held["call_id"]]["approval"] == aid
    assert calls[used_by]["outcome"] == "allowed" and calls[used_by]["approval"] == aid
    assert gw.metric("callgate_approval_outcomes_total", {"outcome": "used"}) == 1
    assert gw.metric("callgate_approval_decision_seconds_count", {"outcome": "granted"}) == 1


async def test_binding_mismatch(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store)
    aid = (await hold(gw))["id"]
    assert (await decide(gw, aid, "approve"))[0] == 200

    status, body, _ = await retry(gw, aid, args={"to": "DE89", "amount": 5000})
    assert (status, body["code"]) == (403, "approval.mismatch")
    assert body["differs"] == ["args_digest"] and body["title"] == "Approval does not cover this call"
    status, body, _ = await retry(gw, aid, path="other")
    assert (status, body["code"]) == (403, "approval.mismatch") and body["differs"] == ["action"]
    status, body, _ = await retry(gw, aid, path="send?to=elsewhere")  # the query string is part of the arguments
    assert (status, body["code"]) == (403, "approval.mismatch") and body["differs"] == ["args_digest"]
    status, body, _ = await retry(gw, aid, headers={"Idempotency-Key": "k1"})
    assert (status, body["code"]) == (403, "approval.mismatch") and body["differs"] == ["idempotency_key"]
    status, body, _ = await retry(gw, aid, auth={"on_behalf_of": "mallory"})
    assert (status, body["code"]) == (403, "approval.mismatch") and body["differs"] == ["on_behalf_of"]
    # Another agent presenting the id learns nothing about it.
    status, body, _ = await retry(gw, aid, auth={"agent": "other", "tenant": None})
    assert (status, body["code"]) == (404, "approval.unknown")
    status, body, _ = await retry(gw, aid, auth={"tenant": None})  # the same agent, outside the tenant
    assert (status, body["code"]) == (404, "approval.unknown")
    r = await gw.agent.get(f"/approvals/{aid}")
    assert r.status == 401
    status, body, _ = await retry(gw, "apr_not-an-id")
    assert (status, body["code"]) == (400, "approval.invalid")
    assert upstream.seen == []
    assert gw.metric("callgate_approval_outcomes_total", {"outcome": "mismatch"}) == 5
    refused = [c for c in gw.records() if c["code"] == "approval.mismatch"]
    assert len(refused) == 5 and {c["approval"] for c in refused} == {aid}  # each refusal names the approval

    # The same arguments with their keys in another order are the same call: still granted, runs once.
    status, body, _ = await retry(gw, aid, args={"amount": 5, "to": "DE89"})
    assert status == 200, body
    assert len(upstream.seen) == 1


async def test_policy_change_voids_the_binding(
    make_gateway: GatewayFactory, upstream: Upstream, tmp_path: Path
) -> None:
    """An approval was given under one policy revision; after a reload the retry no longer matches."""
    pol = tmp_path / "pol"
    shutil.copytree(ROOT / "policies", pol)
    gw = await make_gateway(policy={"paths": [str(pol)]})
    aid = (await hold(gw))["id"]
    await decide(gw, aid, "approve")
    rego = pol / "callgate.rego"
    rego.write_text(rego.read_text() + "\n# a later revision\n")
    r = await gw.admin.post("/admin/policies/reload", headers=gw.admin_auth)
    assert r.status == 200
    status, body, _ = await retry(gw, aid)
    assert (status, body["code"]) == (403, "approval.mismatch") and body["differs"] == ["policy_revision"]
    assert upstream.seen == []


async def test_expiry(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store, tools={"transfer": {"approval_ttl_s": 1.5}})
    held = await hold(gw)
    aid = held["id"]
    granted = (await hold(gw, args={"to": "X", "amount": 1}))["id"]
    assert (await decide(gw, granted, "approve"))[0] == 200
    await asyncio.sleep(1.7)

    status, body = await decide(gw, aid, "approve")
    assert (status, body["code"]) == (409, "approval.expired")
    status, body, _ = await retry(gw, aid)
    assert (status, body["code"]) == (403, "approval.expired")
    status, body, _ = await retry(gw, granted, args={"to": "X", "amount": 1})
    assert (status, body["code"]) == (403, "approval.expired")
    assert upstream.seen == []

    expired = await gw.rt.approvals.sweep_once()
    assert {a.id for a in expired} == {aid, granted}
    assert await gw.rt.approvals.sweep_once() == []  # recorded once
    assert events(gw, aid) == ["requested", "expired"]
    assert events(gw, granted) == ["requested", "granted", "expired"]
    assert gw.metric("callgate_approvals_pending") == 0


async def test_denial(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store)
    aid = (await hold(gw))["id"]
    status, body = await decide(gw, aid, "deny", reason="  ")
    assert (status, body["code"]) == (400, "request.invalid")
    status, body = await decide(gw, aid, "deny", who="bob", reason="not this vendor")
    assert status == 200 and body["state"] == "denied" and body["denial"] == {"by": "bob", "reason": "not this vendor"}

    status, body, _ = await retry(gw, aid)
    assert (status, body["code"]) == (403, "approval.denied")
    assert "not this vendor" in body["detail"]
    status, body = await decide(gw, aid, "approve")
    assert (status, body["code"]) == (409, "approval.not_pending")
    assert upstream.seen == []
    denied = next(r for r in gw.records("approval") if r["event"] == "denied")
    assert denied["operator"] == "admin-token:bob" and denied["reason"] == "not this vendor"


async def test_self_approval_refused(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store)
    aid = (await hold(gw, on_behalf_of="carol"))["id"]
    for who in ("carol", "demo"):  # the principal the agent acts for, and the agent itself
        status, body = await decide(gw, aid, "approve", who=who)
        assert (status, body["code"]) == (403, "approval.self")
    # A JWT approver is its agent id; carol's own token with the approver scope is refused too.
    carol = gw.token(agent="carol", tenant=None, scopes=["callgate:approve"])
    r = await gw.admin.post(f"/admin/approvals/{aid}/approve", json={}, headers={"Authorization": f"Bearer {carol}"})
    assert r.status == 403 and (await r.json())["code"] == "approval.self"
    # An anonymous admin token cannot approve: approvers are named.
    r = await gw.admin.post(
        f"/admin/approvals/{aid}/approve", json={}, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert r.status == 401 and (await r.json())["code"] == "approval.approver_required"
    # A token without the scope is refused.
    plain = gw.token(agent="dave", tenant=None, scopes=["tool:echo"])
    r = await gw.admin.get("/admin/approvals", headers={"Authorization": f"Bearer {plain}"})
    assert r.status == 403
    bob = gw.token(agent="bob", tenant=None, scopes=["callgate:approve"])
    r = await gw.admin.post(f"/admin/approvals/{aid}/approve", json={}, headers={"Authorization": f"Bearer {bob}"})
    assert r.status == 200 and (await r.json())["state"] == "granted"
    status, body, _ = await retry(gw, aid, auth={"on_behalf_of": "carol"})
    assert status == 200, body
    assert gw.metric("callgate_approval_outcomes_total", {"outcome": "refused"}) == 3


async def test_two_approver_policy(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store, tools={"transfer": {"risk": "critical"}})
    held = await hold(gw)
    aid = held["id"]
    assert held["approval"]["approvals_required"] == 2
    status, body = await decide(gw, aid, "approve", who="alice")
    assert status == 200 and body["state"] == "pending" and len(body["approvers"]) == 1
    status, body = await decide(gw, aid, "approve", who="alice")
    assert (status, body["code"]) == (409, "approval.duplicate")
    status, body, _ = await retry(gw, aid)
    assert (status, body["code"]) == (409, "approval.not_granted")
    status, body = await decide(gw, aid, "approve", who="bob")
    assert status == 200 and body["state"] == "granted"
    assert [a["name"] for a in body["approvers"]] == ["alice", "bob"]
    status, body, _ = await retry(gw, aid)
    assert status == 200, body
    assert len(upstream.seen) == 1
    assert events(gw, aid) == ["requested", "approved", "granted", "used"]


async def test_policy_sees_input_approval(make_gateway: GatewayFactory, tmp_path: Path, upstream: Upstream) -> None:
    """A policy can require a particular approver: input.approval carries who approved."""
    rego = tmp_path / "p" / "strict.rego"
    rego.parent.mkdir()
    rego.write_text(
        "package callgate\nimport rego.v1\n"
        'default decision := {"allow": false, "reasons": [{"code": "x", "message": "x"}]}\n'
        'decision := {"allow": true, "reasons": [], "require_approval": true} if not input.approval\n'
        'decision := {"allow": true, "reasons": [], "require_approval": false} if "boss" in input.approval.approvers\n'
        'decision := {"allow": true, "reasons": [], "require_approval": true} if {\n'
        '  input.approval\n  not "boss" in input.approval.approvers\n}\n'
        'output_decision := {"allow": true, "reasons": [], "redact": []}\n'
    )
    gw = await make_gateway(policy={"paths": [str(rego.parent)]})
    a1 = (await hold(gw))["id"]
    await decide(gw, a1, "approve", who="alice")
    status, body, _ = await retry(gw, a1)
    assert (status, body["code"]) == (403, "approval.insufficient")
    # Refused by policy before it was consumed: the approval is still granted, not burnt.
    assert (await gw.rt.approvals.load(a1)).state == "granted"  # type: ignore[union-attr]
    a2 = (await hold(gw, args={"to": "Y", "amount": 1}))["id"]
    await decide(gw, a2, "approve", who="boss")
    status, body, _ = await retry(gw, a2, args={"to": "Y", "amount": 1})
    assert status == 200, body


@pytest.mark.timeout(120)
async def test_single_use_under_50_concurrent_retries_on_two_replicas(
    make_gateway: GatewayFactory, upstream: Upstream, redis_server: Any, tmp_path: Path
) -> None:
    redis_server.command("FLUSHALL")
    store = {"url": redis_server.url, "timeout_ms": 2000}
    a = await make_gateway(store=store)
    b = await make_gateway(store=store, decision_log={"path": str(tmp_path / "replica-b.jsonl")})
    aid = (await hold(a))["id"]
    assert (await decide(b, aid, "approve"))[0] == 200  # decided on the other replica

    async def one(i: int) -> tuple[int, str]:
        gw = a if i % 2 else b
        r = await gw.agent.post(
            "/tools/transfer/send", json=ARGS, headers={**gw.auth(scopes=PAY), "X-Callgate-Approval": aid}
        )
        body = await r.json()
        return r.status, body.get("code", "ok") if isinstance(body, dict) else "ok"

    results = await asyncio.gather(*(one(i) for i in range(50)))
    ok = [r for r in results if r[0] == 200]
    assert len(ok) == 1, results
    assert sorted({r for r in results if r[0] != 200}) == [(409, "approval.used")]
    assert len(upstream.seen) == 1  # the upstream saw the payment exactly once
    used = [r for gw in (a, b) for r in gw.records("approval") if r["event"] == "used"]
    assert len(used) == 1


async def test_failure_before_the_upstream_releases_the_approval(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    """Connection refused proves the tool never got the call: the approval goes back to granted."""
    from tests.conftest import free_port

    gw = await make_gateway(store=store, tools={"transfer": {"upstream": f"http://127.0.0.1:{free_port()}/t"}})
    aid = (await hold(gw))["id"]
    await decide(gw, aid, "approve")
    status, body, _ = await retry(gw, aid)
    assert (status, body["code"]) == (502, "upstream.unreachable")
    assert (await gw.rt.approvals.load(aid)).state == "granted"  # type: ignore[union-attr]
    assert events(gw, aid) == ["requested", "granted", "used", "released"]


async def test_idempotency_key_replays_after_use(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store)
    r = await gw.agent.post(
        "/tools/transfer/send", json=ARGS, headers={**gw.auth(scopes=PAY), "Idempotency-Key": "pay-1"}
    )
    aid = (await r.json())["id"]
    await decide(gw, aid, "approve")
    first = await retry(gw, aid, headers={"Idempotency-Key": "pay-1"})
    assert first[0] == 200
    again = await retry(gw, aid, headers={"Idempotency-Key": "pay-1"})
    assert again[0] == 200 and again[2]["Idempotent-Replayed"] == "true"
    assert again[1] == first[1]
    assert len(upstream.seen) == 1


async def test_draft_forwards_nothing(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store)
    headers = {**gw.auth(), "X-Callgate-Mode": "draft", "X-Agent-Intent": "look it up"}
    r = await gw.agent.post("/tools/echo/search?x=1", json={"q": "hi"}, headers=headers)
    assert r.status == 200 and r.headers["X-Callgate-Mode"] == "draft"
    text = await r.text()
    draft = json.loads(text)
    assert draft["forwarded"] is False and draft["decision"]["allow"] is True
    req = draft["upstream_request"]
    assert req["method"] == "POST" and req["url"].endswith("/echo/search?x=1")
    assert ["Authorization", "***"] in req["headers"]
    assert "echo-upstream-secret" not in text and "Bearer ey" not in text  # tool secret and agent token masked
    assert json.loads(req["body"]["text"]) == {"q": "hi"}

    # A draft of a call that needs approval answers with the pending approval it created.
    r = await gw.agent.post(
        "/tools/transfer/send", json=ARGS, headers={**gw.auth(scopes=PAY), "X-Callgate-Mode": "draft"}
    )
    draft = await r.json()
    assert r.status == 200 and draft["approval"]["state"] == "pending"
    assert BANK_KEY not in json.dumps(draft)
    aid = draft["approval"]["id"]
    await decide(gw, aid, "approve")
    # A draft of the approved call does not use the approval.
    r = await gw.agent.post(
        "/tools/transfer/send",
        json=ARGS,
        headers={**gw.auth(scopes=PAY), "X-Callgate-Mode": "draft", "X-Callgate-Approval": aid},
    )
    assert r.status == 200 and (await r.json())["approval"]["id"] == aid
    assert (await gw.rt.approvals.load(aid)).state == "granted"  # type: ignore[union-attr]

    r = await gw.agent.post("/tools/echo/x", json={}, headers={**gw.auth(), "X-Callgate-Mode": "dry"})
    assert r.status == 400 and (await r.json())["code"] == "request.invalid_mode"

    assert upstream.seen == []  # the upstream saw zero requests
    assert gw.records("intent") == []
    drafts = [c for c in gw.records() if c.get("mode") == "draft"]
    assert len(drafts) == 3 and {c["outcome"] for c in drafts} == {"draft"}

    # Draft, then send: the approval the draft created runs the live call once.
    status, body, _ = await retry(gw, aid)
    assert status == 200, body
    assert len(upstream.seen) == 1


async def test_wait_s_runs_the_held_call_once_approved(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(approvals={"wait_s": 10})
    call = asyncio.create_task(gw.agent.post("/tools/transfer/send", json=ARGS, headers=gw.auth(scopes=PAY)))
    for _ in range(100):
        r = await gw.admin.get("/admin/approvals?state=pending", headers=gw.admin_auth)
        items = (await r.json())["approvals"]
        if items:
            break
        await asyncio.sleep(0.05)
    assert not call.done()
    await decide(gw, items[0]["id"], "approve")
    resp = await asyncio.wait_for(call, 10)
    assert resp.status == 200
    assert len(upstream.seen) == 1
    assert [c["outcome"] for c in gw.records()] == ["pending", "allowed"]


async def test_wait_s_answers_202_when_nobody_decides(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(approvals={"wait_s": 0.5})
    r = await gw.agent.post("/tools/transfer/send", json=ARGS, headers=gw.auth(scopes=PAY))
    assert r.status == 202
    assert upstream.seen == []


async def test_webhook_notifies_and_never_blocks(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    got: list[dict[str, Any]] = []
    arrived = asyncio.Event()
    release = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        if request.path == "/fail":
            return web.Response(status=500)
        await release.wait()  # the receiver answers only after the agent got its 202
        got.append(await request.json())
        arrived.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/{tail:.*}", hook)
    server = TestServer(app)
    await server.start_server()
    try:
        gw = await make_gateway(approvals={"notify_url": str(server.make_url("/hook"))})
        aid = (await hold(gw))["id"]  # answered while the webhook is still waiting: never blocked
        release.set()
        await asyncio.wait_for(arrived.wait(), 5)
        assert got[0]["event"] == "approval.requested" and got[0]["approval"]["id"] == aid
        assert got[0]["approval"]["agent"] == "demo" and got[0]["approval"]["reasons"][0]["code"] == "approval.required"
        assert gw.metric("callgate_approval_notifications_total", {"result": "sent"}) == 1

        bad = await make_gateway(
            approvals={"notify_url": str(server.make_url("/fail")), "notify_retries": 1},
            decision_log={"path": str(Path(gw.settings.decision_log.path).with_name("b.jsonl"))},
        )
        await hold(bad)
        for _ in range(60):
            if bad.metric("callgate_approval_notifications_total", {"result": "failed"}):
                break
            await asyncio.sleep(0.05)
        assert bad.metric("callgate_approval_notifications_total", {"result": "failed"}) == 1
    finally:
        await server.close()


async def test_too_many_pending_is_429(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store, approvals={"max_pending": 2})
    for i in range(2):
        await hold(gw, args={"to": "X", "amount": i})
    r = await gw.agent.post("/tools/transfer/send", json=ARGS, headers=gw.auth(scopes=PAY))
    assert r.status == 429 and (await r.json())["code"] == "approval.too_many"


async def test_admin_list_and_show(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await make_gateway(store=store)
    held = await hold(gw)
    r = await gw.admin.get("/admin/approvals", headers=gw.admin_auth)
    items = (await r.json())["approvals"]
    assert [a["id"] for a in items] == [held["id"]]
    r = await gw.admin.get(f"/admin/approvals/{held['id']}", headers=gw.admin_auth)
    shown = await r.json()
    assert shown["binding"]["tool"] == "transfer" and shown["binding"]["action"] == "POST /send"
    assert shown["summary"]["args"]["digest"].startswith("sha256:")
    assert shown["summary"]["reasons"][0]["code"] == "approval.required"
    r = await gw.admin.get("/admin/approvals?state=bogus", headers=gw.admin_auth)
    assert r.status == 400
    r = await gw.admin.get("/admin/approvals")
    assert r.status == 401
    assert gw.metric("callgate_approvals_pending") == 1


async def cli(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway.cli", "approvals", *args, cwd=ROOT, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_cli_approvals(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    """`callgate approvals list|show|approve|deny` against the gateway's admin API."""
    gw = await make_gateway()
    base = ["--admin-url", str(gw.admin.make_url("")).rstrip("/"), "--token", ADMIN_TOKEN]
    aid = (await hold(gw))["id"]
    other = (await hold(gw, args={"to": "Z", "amount": 2}))["id"]
    code, out, _ = await cli("list", *base)
    assert code == 0 and {a["id"] for a in json.loads(out)["approvals"]} == {aid, other}
    code, out, _ = await cli("show", aid, *base)
    assert code == 0 and json.loads(out)["state"] == "pending"
    code, out, err = await cli("deny", other, *base, "--operator", "alice")
    assert code == 2 and "--reason" in err
    code, out, _ = await cli("deny", other, *base, "--operator", "alice", "--reason", "no")
    assert code == 0 and json.loads(out)["state"] == "denied"
    code, out, _ = await cli("approve", aid, *base, "--operator", "demo")  # the agent itself
    assert code == 1 and json.loads(out)["code"] == "approval.self"
    code, out, _ = await cli("approve", aid, *base, "--operator", "alice", "--reason", "invoice 42")
    assert code == 0 and json.loads(out)["state"] == "granted"
    status, body, _ = await retry(gw, aid)
    assert status == 200, body


async def test_store_down_fails_closed(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    """Redis gone: a call needing approval is 503 (never forwarded, never allowed), a retry too,
    and deciding is 503; once Redis is back the granted approval still runs once."""
    from tests.conftest import RedisServer

    server = RedisServer()
    server.start()
    try:
        gw = await make_gateway(store={"url": server.url, "timeout_ms": 500})
        aid = (await hold(gw))["id"]
        await decide(gw, aid, "approve")
        server.proc.send_signal(signal.SIGSTOP)  # type: ignore[union-attr]
        try:
            r = await gw.agent.post("/tools/transfer/send", json={"x": 1}, headers=gw.auth(scopes=PAY))
            assert r.status == 503 and (await r.json())["code"] == "store.unavailable"
            status, body, _ = await retry(gw, aid)
            assert (status, body["code"]) == (503, "store.unavailable")
            status, body = await decide(gw, aid, "deny", reason="x")
            assert (status, body["code"]) == (503, "store.unavailable")
        finally:
            server.proc.send_signal(signal.SIGCONT)  # type: ignore[union-attr]
        assert upstream.seen == []
        status, body, _ = await retry(gw, aid)
        assert status == 200, body
        assert len(upstream.seen) == 1
    finally:
        server.stop()


async def test_shadow_mode_holds_nothing(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    """policy.enforce: false records the hold it would have made and lets the call through."""
    gw = await make_gateway(policy={"enforce": False})
    r = await gw.agent.post("/tools/transfer/send", json=ARGS, headers=gw.auth(scopes=PAY))
    assert r.status == 200
    assert len(upstream.seen) == 1
    rec = gw.records()[-1]
    assert [s["code"] for s in rec["shadow"]] == ["approval.required"]
    assert gw.records("approval") == [] and await gw.rt.approvals.store.query(None, 10) == []


async def test_tainted_run_is_held_and_runs_once_approved(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    """The run-context rule (policies/run.rego) asks for approval once a run read untrusted output;
    the approval flow satisfies it like any other approval reason."""
    gw = await make_gateway(tools={"writer": {"effect": "delete"}})
    run = {"X-Agent-Run": "run-7"}
    r = await gw.agent.post("/tools/echo/read", json={"q": "page"}, headers={**gw.auth(), **run})
    assert r.status == 200
    headers = {**gw.auth(scopes=["tool:writer:delete"]), **run}
    r = await gw.agent.post("/tools/writer/rm", json={"id": 3}, headers=headers)
    body = await r.json()
    assert r.status == 202 and "untrusted" in body["reasons"][0]["message"]
    await decide(gw, body["id"], "approve")
    r = await gw.agent.post("/tools/writer/rm", json={"id": 3}, headers={**headers, "X-Callgate-Approval": body["id"]})
    assert r.status == 200, await r.text()
    assert [s.path for s in upstream.seen] == ["/echo/read", "/writer/rm"]

"""An HTTP tool call through callgate, end to end, against a real upstream server."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import time
from pathlib import Path

import aiohttp
import pytest

from gateway.audit.verify import verify_log
from tests.conftest import BANK_KEY, ECHO_KEY, Gateway, GatewayFactory, Upstream

PROBLEM = "application/problem+json"


def assert_problem(body: dict[str, object], status: int, code: str) -> None:
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["reasons"], list) and body["reasons"]
    assert isinstance(body["call_id"], str) and len(body["call_id"]) == 32


async def test_allowed_call_reaches_upstream_with_tool_credential_only(gateway: Gateway, upstream: Upstream) -> None:
    token = gateway.token()
    r = await gateway.agent.post(
        "/tools/echo/anything/deeper?x=1&y=two",
        data=json.dumps({"q": "hi", "n": 3}),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Cookie": "session=agent-cookie",
            "X-Agent-Intent": "look something up",
            "X-Agent-Run": "run-42",
            "X-Forwarded-For": "6.6.6.6",
        },
    )
    assert r.status == 200
    body = await r.json()
    seen = upstream.last
    assert seen.method == "POST"
    assert seen.path == "/echo/anything/deeper"
    assert seen.query == "x=1&y=two"
    assert json.loads(seen.body) == {"q": "hi", "n": 3}
    assert seen.headers["Authorization"] == f"Bearer {ECHO_KEY}"
    assert token not in json.dumps(seen.headers)
    assert "Cookie" not in seen.headers
    assert seen.headers["X-Forwarded-For"] == "127.0.0.1"
    assert seen.headers["X-Forwarded-Proto"] == "http"
    assert seen.headers["Forwarded"].startswith("for=127.0.0.1;proto=http;host=")
    assert body["seq"] == 1 and body["path"] == "/echo/anything/deeper"
    assert r.headers["X-Upstream"] == "yes"
    assert "Set-Cookie" not in r.headers
    call_id = r.headers["X-Callgate-Call-Id"]
    assert seen.headers["X-Callgate-Call-Id"] == call_id

    intents = gateway.records("intent")
    calls = gateway.records("call")
    assert [c["id"] for c in calls] == [call_id]
    assert [i["id"] for i in intents] == [call_id]
    rec = calls[0]
    assert rec["outcome"] == "allowed" and rec["status"] == 200 and rec["code"] is None
    assert rec["agent"] == "demo" and rec["tenant"] == "acme"
    assert rec["intent"] == "look something up" and rec["run_id"] == "run-42"
    assert rec["args"]["fields"] == {"q": "hi"}
    sent = json.dumps({"q": "hi", "n": 3}).encode()
    assert rec["args"]["digest"] == "sha256:" + hashlib.sha256(sent).hexdigest() == intents[0]["args"]["digest"]
    assert rec["args"]["bytes"] == len(sent) == intents[0]["args"]["bytes"]
    assert "n" not in rec["args"]["fields"]
    assert rec["decision"]["allow"] is True and rec["decision"]["credential"] == "echo-key"
    assert rec["policy_revision"].startswith("sha256:")
    assert rec["upstream"]["status"] == 200
    assert set(rec["timings_ms"]) >= {"identity", "policy", "upstream", "total"}
    # the log never holds the agent's token or the tool's secret
    log_text = gateway.settings.decision_log.path.read_text()
    assert token not in log_text and ECHO_KEY not in log_text


async def test_hop_by_hop_and_connection_named_headers_are_dropped(gateway: Gateway, upstream: Upstream) -> None:
    r = await gateway.agent.get(
        "/tools/echo/h",
        headers={**gateway.auth(), "Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "1", "X-Keep": "2"},
    )
    assert r.status == 200
    assert "X-Secret-Hop" not in upstream.last.headers
    assert upstream.last.headers["X-Keep"] == "2"


async def test_payment_tool_held_with_machine_readable_reasons(gateway: Gateway, upstream: Upstream) -> None:
    r = await gateway.agent.post(
        "/tools/transfer/send", json={"to": "x", "amount": 5}, headers=gateway.auth(scopes=["tool:transfer:payment"])
    )
    assert r.status == 202
    assert r.content_type == PROBLEM
    body = await r.json()
    assert_problem(body, 202, "approval.pending")
    assert "approval.required" in {x["code"] for x in body["reasons"]}
    assert r.headers["Location"] == f"/approvals/{body['id']}"
    assert upstream.seen == []
    rec = gateway.records()[-1]
    assert rec["outcome"] == "pending" and rec["code"] == "approval.pending" and rec["forwarded"] is False
    assert rec["approval"] == body["id"]
    assert gateway.records("intent") == []


async def test_missing_scope_is_denied(gateway: Gateway, upstream: Upstream) -> None:
    r = await gateway.agent.post("/tools/transfer/send", json={}, headers=gateway.auth())
    assert r.status == 403
    body = await r.json()
    assert_problem(body, 403, "policy.denied")
    assert "scope.missing" in {x["code"] for x in body["reasons"]}
    assert upstream.seen == []


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "auth.missing"),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, "auth.malformed"),
        ({"Authorization": "Bearer not-a-jwt"}, "auth.malformed"),
    ],
)
async def test_unauthenticated(gateway: Gateway, upstream: Upstream, headers: dict[str, str], code: str) -> None:
    r = await gateway.agent.post("/tools/echo/x", json={"q": 1}, headers=headers)
    assert r.status == 401
    assert r.content_type == PROBLEM
    assert_problem(await r.json(), 401, code)
    assert upstream.seen == []
    assert gateway.records()[-1]["code"] == code


async def test_unknown_tool_404(gateway: Gateway) -> None:
    r = await gateway.agent.get("/tools/nope/x", headers=gateway.auth())
    assert r.status == 404
    assert_problem(await r.json(), 404, "tool.unknown")
    assert gateway.records()[-1]["tool"] == "nope"
    assert (
        gateway.metric("callgate_calls_total", {"tool": "(unknown)", "decision": "denied", "code": "tool.unknown"}) == 1
    )


async def test_malformed_json_400(gateway: Gateway, upstream: Upstream) -> None:
    r = await gateway.agent.post(
        "/tools/echo/x", data=b'{"q": ', headers={**gateway.auth(), "Content-Type": "application/json"}
    )
    assert r.status == 400
    assert_problem(await r.json(), 400, "request.invalid_json")
    # curl -d sends form encoding; a body that looks like JSON must still parse
    r = await gateway.agent.post("/tools/echo/x", data=b"{nope", headers=gateway.auth())
    assert r.status == 400
    assert upstream.seen == []


async def test_too_deep_json_400(gateway: Gateway) -> None:
    deep = "[" * 100 + "]" * 100
    r = await gateway.agent.post(
        "/tools/echo/x", data=deep, headers={**gateway.auth(), "Content-Type": "application/json"}
    )
    assert r.status == 400
    assert_problem(await r.json(), 400, "request.too_deep")


async def test_body_limit_413(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(tools={"echo": {"body_limit": 100}})
    r = await gw.agent.post("/tools/echo/x", data=b"a" * 101, headers=gw.auth())
    assert r.status == 413
    assert_problem(await r.json(), 413, "request.too_large")

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(5):
            yield b"b" * 30

    r = await gw.agent.post("/tools/echo/x", data=chunks(), headers=gw.auth())
    assert r.status == 413
    r = await gw.agent.post("/tools/echo/x", data=b"a" * 100, headers=gw.auth())
    assert r.status == 200
    assert len(upstream.seen) == 1


async def test_upstream_timeout_504(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(tools={"echo": {"upstream": f"{upstream.url}/", "timeouts": {"read_s": 0.2}}})
    t0 = time.monotonic()
    r = await gw.agent.get("/tools/echo/slow?delay=3", headers=gw.auth())
    assert r.status == 504
    assert time.monotonic() - t0 < 2
    assert_problem(await r.json(), 504, "upstream.timeout")
    rec = gw.records()[-1]
    assert rec["outcome"] == "failed" and rec["forwarded"] is True
    assert gw.records("intent")[-1]["id"] == rec["id"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_upstream_unreachable_502(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway(tools={"echo": {"upstream": f"http://127.0.0.1:{free_port()}/"}})
    r = await gw.agent.get("/tools/echo/x", headers=gw.auth())
    assert r.status == 502
    assert_problem(await r.json(), 502, "upstream.unreachable")
    assert gw.metric("callgate_upstream_errors_total", {"tool": "echo", "code": "upstream.unreachable"}) == 1


async def test_upstream_status_passes_through(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(tools={"echo": {"upstream": f"{upstream.url}/"}})
    r = await gw.agent.get("/tools/echo/status/418", headers=gw.auth())
    assert r.status == 418
    assert (await r.json()) == {"status": 418}
    assert gw.records()[-1]["upstream"]["status"] == 418


async def test_streaming_response_is_not_buffered(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    # Streaming back chunk by chunk needs output inspection off for the tool (see stages/inspect_output.py).
    gw = await make_gateway(tools={"echo": {"upstream": f"{upstream.url}/", "inspect": {"output": False}}})
    r = await gw.agent.get("/tools/echo/stream?chunks=4&gap=0.3", headers=gw.auth())
    assert r.status == 200
    t0 = time.monotonic()
    first = await r.content.readline()
    first_at = time.monotonic() - t0
    rest = await r.content.read()
    total = time.monotonic() - t0
    assert first == b"chunk-0\n"
    assert rest == b"chunk-1\nchunk-2\nchunk-3\n"
    assert first_at < 0.25 < total  # the first chunk came before the upstream finished
    await asyncio.sleep(0.05)
    assert gw.records()[-1]["upstream"]["bytes"] == 32


async def test_upstream_dying_mid_stream_is_not_passed_off_as_complete(
    make_gateway: GatewayFactory, upstream: Upstream
) -> None:
    # the streaming path: output inspection off (with it on, the body is read whole first and this is a 502)
    gw = await make_gateway(tools={"echo": {"upstream": f"{upstream.url}/", "inspect": {"output": False}}})
    r = await gw.agent.get("/tools/echo/stream?chunks=5&gap=0.05&die=1", headers=gw.auth())
    assert r.status == 200
    with pytest.raises(aiohttp.ClientPayloadError):
        await r.read()
    await asyncio.sleep(0.05)
    rec = gw.records()[-1]
    assert rec["outcome"] == "failed"
    assert rec["code"] == "upstream.failed"
    assert rec["upstream"]["bytes"] == len(b"chunk-0\nchunk-1\n")


async def test_upstream_dying_mid_body_with_output_inspection_is_a_502(
    make_gateway: GatewayFactory, upstream: Upstream
) -> None:
    gw = await make_gateway(tools={"echo": {"upstream": f"{upstream.url}/"}})
    r = await gw.agent.get("/tools/echo/stream?chunks=5&gap=0.05&die=1", headers=gw.auth())
    assert r.status == 502
    assert (await r.json())["code"] == "upstream.failed"


async def test_writer_needs_effect_scope_and_gets_default_credential(gateway: Gateway, upstream: Upstream) -> None:
    r = await gateway.agent.post("/tools/writer/x", json={}, headers=gateway.auth(scopes=["tool:writer"]))
    assert r.status == 403
    assert "scope.effect_missing" in {x["code"] for x in (await r.json())["reasons"]}
    r = await gateway.agent.post(
        "/tools/writer/x",
        json={},
        headers={**gateway.auth(scopes=["tool:writer:write"]), "X-Api-Key": "agent-forged", "X-Backup-Key": "f"},
    )
    assert r.status == 200
    assert upstream.last.headers["X-Api-Key"] == ECHO_KEY
    assert "X-Backup-Key" not in upstream.last.headers
    assert "Authorization" not in upstream.last.headers


async def test_glob_scope(gateway: Gateway) -> None:
    r = await gateway.agent.get("/tools/echo/x", headers=gateway.auth(scopes=["tool:ec*"]))
    assert r.status == 200


async def test_unknown_agent_and_tenant_denied(gateway: Gateway, upstream: Upstream) -> None:
    r = await gateway.agent.get("/tools/echo/x", headers=gateway.auth(agent="mallory"))
    assert r.status == 403
    assert "agent.unknown" in {x["code"] for x in (await r.json())["reasons"]}
    r = await gateway.agent.get("/tools/echo/x", headers=gateway.auth(tenant="globex"))
    assert r.status == 403
    assert "agent.tenant_not_allowed" in {x["code"] for x in (await r.json())["reasons"]}
    assert upstream.seen == []


def write_policy(tmp_path: Path, body: str) -> Path:
    d = tmp_path / "custom-policies"
    d.mkdir(exist_ok=True)
    (d / "p.rego").write_text("package callgate\nimport rego.v1\n" + body)
    return d


async def test_decision_chooses_credential(make_gateway: GatewayFactory, tmp_path: Path, upstream: Upstream) -> None:
    d = write_policy(tmp_path, 'decision := {"allow": true, "reasons": [], "credential": "backup"}\n')
    gw = await make_gateway(policy={"paths": [str(d)]})
    r = await gw.agent.post("/tools/writer/x", json={}, headers=gw.auth())
    assert r.status == 200
    assert upstream.last.headers["X-Backup-Key"] == BANK_KEY
    assert "X-Api-Key" not in upstream.last.headers


async def test_decision_naming_unlisted_credential_denies(
    make_gateway: GatewayFactory, tmp_path: Path, upstream: Upstream
) -> None:
    d = write_policy(tmp_path, 'decision := {"allow": true, "reasons": [], "credential": "bank"}\n')
    gw = await make_gateway(policy={"paths": [str(d)]})
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    assert r.status == 403
    assert_problem(await r.json(), 403, "credential.not_allowed")
    assert upstream.seen == []


@pytest.mark.parametrize(
    "rego",
    [
        'decision := {"allow": "yes"}\n',  # malformed decision
        "decision := x if { x := 1 / input.zero }\n",  # runtime error or undefined
        "other := true\n",  # no decision at all
    ],
)
async def test_policy_failure_fails_closed(
    make_gateway: GatewayFactory, tmp_path: Path, upstream: Upstream, rego: str
) -> None:
    d = write_policy(tmp_path, rego)
    gw = await make_gateway(policy={"paths": [str(d)]})
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    assert r.status == 503
    assert_problem(await r.json(), 503, "policy.unavailable")
    assert upstream.seen == []
    assert gw.metric("callgate_policy_errors_total") == 1


async def test_unwritable_decision_log_denies(make_gateway: GatewayFactory, tmp_path: Path, upstream: Upstream) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    gw = await make_gateway(decision_log={"path": str(blocker / "decisions.jsonl")})
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    assert r.status == 503
    assert_problem(await r.json(), 503, "audit.unavailable")
    assert upstream.seen == []
    r = await gw.admin.get("/readyz")
    assert r.status == 503
    assert (await r.json())["checks"]["decision_log"] is False


async def test_every_call_leaves_exactly_one_record_and_the_chain_verifies(gateway: Gateway) -> None:
    auth = gateway.auth()
    statuses = []
    for path, hdrs in [
        ("/tools/echo/a", auth),
        ("/tools/echo/b", {}),
        ("/tools/nope/c", auth),
        ("/tools/transfer/d", auth),
        ("/tools/echo/e", {"Authorization": "Bearer x.y.z"}),
    ]:
        r = await gateway.agent.post(path, json={"q": path}, headers=hdrs)
        statuses.append(r.status)
    assert statuses == [200, 401, 404, 403, 401]
    calls = gateway.records()
    assert len(calls) == 5
    assert len({c["id"] for c in calls}) == 5
    report = verify_log(gateway.settings.decision_log.path)
    assert report.ok, report.problems
    assert report.orphaned_intents == []


async def test_metrics_and_health(gateway: Gateway) -> None:
    await gateway.agent.get("/tools/echo/x", headers=gateway.auth())
    await gateway.agent.get("/tools/echo/x")
    r = await gateway.admin.get("/metrics")
    text = await r.text()
    assert 'callgate_calls_total{code="ok",decision="allowed",tool="echo"} 1.0' in text
    assert 'callgate_calls_total{code="auth.missing",decision="denied",tool="(unknown)"} 1.0' in text
    for stage in ("identity", "policy", "upstream", "total"):
        assert f'callgate_stage_latency_seconds_count{{stage="{stage}"}}' in text
    assert "callgate_decision_log_queue_depth" in text
    assert "callgate_policy_errors_total 0.0" in text
    assert (await gateway.admin.get("/healthz")).status == 200
    r = await gateway.admin.get("/readyz")
    assert r.status == 200
    assert (await r.json())["checks"] == {"started": True, "decision_log": True, "policy": True}


async def test_unknown_route_is_problem_json(gateway: Gateway) -> None:
    r = await gateway.agent.get("/nothing-here")
    assert r.status == 404
    assert r.content_type == PROBLEM

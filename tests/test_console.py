"""The console's guards without a browser: login, CSRF, Origin, headers, kill switch, bounded live stream."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from pathlib import Path

import pytest

from gateway.approvals.stream import QUEUE, DecisionStream
from gateway.metrics import Metrics
from tests.conftest import ADMIN_TOKEN, Gateway, GatewayFactory, Upstream

PAY = ["tool:transfer:payment"]


async def login(gw: Gateway, operator: str = "alice", token: str = ADMIN_TOKEN) -> tuple[int, str]:
    r = await gw.admin.get("/console/login")
    csrf = re.search(r"name=csrf value='([^']+)'", await r.text())
    assert csrf is not None
    r = await gw.admin.post(
        "/console/login",
        data={"csrf": csrf.group(1), "operator": operator, "token": token},
        allow_redirects=False,
    )
    return r.status, r.headers.get("Set-Cookie", "")


async def page_csrf(gw: Gateway) -> str:
    r = await gw.admin.get("/console")
    assert r.status == 200
    m = re.search(r"name=csrf value='([^']+)'", await r.text())
    assert m is not None
    return m.group(1)


async def test_console_requires_login(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.admin.get("/console", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/console/login"
    for path in ("/console/events", "/console/pending"):
        assert (await gw.admin.get(path)).status == 401
    status, _ = await login(gw, token="wrong")
    assert status == 401
    status, _ = await login(gw, operator=" ")
    assert status == 401
    # A login post without the double-submit token is refused.
    r = await gw.admin.post("/console/login", data={"operator": "x", "token": ADMIN_TOKEN}, allow_redirects=False)
    assert r.status == 401
    status, cookie = await login(gw)
    assert status == 303 and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie


async def test_console_forms_need_csrf(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.post("/tools/transfer/send", json={"a": 1}, headers=gw.auth(scopes=PAY))
    aid = (await r.json())["id"]
    await login(gw)
    csrf = await page_csrf(gw)
    url = f"/console/approvals/{aid}/approve"
    r = await gw.admin.post(url, data={"reason": "x"}, allow_redirects=False)
    assert r.status == 403
    r = await gw.admin.post(url, data={"csrf": "guess", "reason": "x"}, allow_redirects=False)
    assert r.status == 403
    r = await gw.admin.post(
        url, data={"csrf": csrf, "reason": "x"}, headers={"Origin": "https://evil.example"}, allow_redirects=False
    )
    assert r.status == 403
    assert (await gw.rt.approvals.load(aid)).state == "pending"  # type: ignore[union-attr]
    r = await gw.admin.post(f"/console/approvals/{aid}/deny", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 303 and "err=" in r.headers["Location"]  # a denial needs a reason
    r = await gw.admin.post(url, data={"csrf": csrf, "reason": "ok"}, allow_redirects=False)
    assert r.status == 303 and "granted" in r.headers["Location"]
    assert (await gw.rt.approvals.load(aid)).state == "granted"  # type: ignore[union-attr]


async def test_console_refuses_self_approval(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.post("/tools/transfer/send", json={"a": 1}, headers=gw.auth(scopes=PAY, on_behalf_of="carol"))
    aid = (await r.json())["id"]
    await login(gw, operator="carol")
    csrf = await page_csrf(gw)
    r = await gw.admin.post(f"/console/approvals/{aid}/approve", data={"csrf": csrf}, allow_redirects=False)
    assert r.status == 303 and "approval.self" in r.headers["Location"]
    assert (await gw.rt.approvals.load(aid)).state == "pending"  # type: ignore[union-attr]


async def test_console_page_is_self_contained_and_escaped(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    await gw.agent.post(
        "/tools/transfer/send",
        json={"a": 1},
        headers={**gw.auth(scopes=PAY), "X-Agent-Intent": "<script>alert(1)</script>"},
    )
    await login(gw)
    r = await gw.admin.get("/console")
    text = await r.text()
    assert "script-src 'self'" in r.headers["Content-Security-Policy"] and r.headers["X-Frame-Options"] == "DENY"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert" not in text
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", text)  # no external assets
    for asset in ("/console/app.js", "/console/app.css"):
        assert (await gw.admin.get(asset)).status == 200


async def test_console_kill_switch(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    await login(gw)
    csrf = await page_csrf(gw)
    r = await gw.admin.post(
        "/console/killswitch",
        data={"csrf": csrf, "action": "engage", "scope": "tool:echo", "reason": "incident 7"},
        allow_redirects=False,
    )
    assert r.status == 303
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    assert r.status == 503
    assert "tool:echo" in await (await gw.admin.get("/console")).text()
    r = await gw.admin.post(
        "/console/killswitch", data={"csrf": csrf, "action": "release", "scope": "tool:echo"}, allow_redirects=False
    )
    assert r.status == 303
    assert (await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())).status == 200
    admin = [x for x in gw.records("admin") if x["operator"] == "console:alice"]
    assert [x["action"] for x in admin] == ["killswitch.engage", "killswitch.release"]


def test_live_stream_drops_and_counts_for_slow_subscribers() -> None:
    metrics = Metrics()
    stream = DecisionStream(metrics)
    sub = stream.subscribe()
    assert sub is not None
    for i in range(QUEUE + 5):
        stream.publish({"kind": "call", "id": str(i), "args": {"secret": "x"}})
    assert sub.queue.qsize() == QUEUE and sub.dropped == 5
    assert metrics.registry.get_sample_value("callgate_console_events_dropped_total") == 5
    first = sub.queue.get_nowait()
    assert "args" not in first  # summaries only
    stream.publish({"kind": "call", "id": "next"})
    last = list(sub.queue._queue)[-1]  # type: ignore[attr-defined]
    assert last["dropped"] == 5 and sub.dropped == 0


async def test_event_stream_carries_records_and_ends_on_shutdown(
    make_gateway: GatewayFactory, upstream: Upstream
) -> None:
    gw = await make_gateway()
    await login(gw)
    r = await gw.admin.get("/console/events")
    assert r.status == 200 and r.headers["Content-Type"] == "text/event-stream"
    assert (await r.content.readline()) == b"retry: 2000\n"
    await gw.agent.post("/tools/echo/x", json={"q": "secret-ish"}, headers=gw.auth())
    line = b""
    while not line.startswith(b"data: "):
        line = await asyncio.wait_for(r.content.readline(), 5)
    event = json.loads(line[6:])
    assert event["kind"] == "call" and event["outcome"] == "allowed" and "args" not in event
    gw.rt.stream.close_all()
    rest = await asyncio.wait_for(r.content.read(), 5)  # the server ends the stream
    assert b"data:" not in rest
    assert gw.rt.stream.subscribers == set()


async def test_session_cookie_is_signed_and_shared_by_workers(
    make_gateway: GatewayFactory, upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process with the same admin token (serve --workers) accepts the session; a
    tampered, foreign or expired cookie is no session."""
    a = await make_gateway()
    b = await make_gateway(decision_log={"path": str(tmp_path / "b.jsonl")})
    await login(a)
    cookie = next(c for c in a.admin.session.cookie_jar if c.key == "cg_session").value
    r = await b.admin.get("/console", headers={"Cookie": f"cg_session={cookie}"}, allow_redirects=False)
    assert r.status == 200 and ">alice<" in await r.text()
    body, _, sig = cookie.partition(".")
    forged = base64.urlsafe_b64encode(json.dumps({"op": "mallory", "exp": 9e12, "n": "x"}).encode()).decode()
    for bad in (f"{forged.rstrip('=')}.{sig}", f"{body}.{sig[:-2]}AA", "garbage", ""):
        r = await b.admin.get("/console", headers={"Cookie": f"cg_session={bad}"}, allow_redirects=False)
        assert r.status == 303, bad
    monkeypatch.setenv("CG_OTHER_TOKEN", "another-admin-token-0123456789")
    other = await make_gateway(
        decision_log={"path": str(tmp_path / "c.jsonl")}, admin={"token": {"env": "CG_OTHER_TOKEN"}}
    )
    r = await other.admin.get("/console", headers={"Cookie": f"cg_session={cookie}"}, allow_redirects=False)
    assert r.status == 303  # another admin token: another key
    short = await make_gateway(decision_log={"path": str(tmp_path / "d.jsonl")}, approvals={"console_session_s": 0.2})
    await login(short)
    await asyncio.sleep(0.3)
    r = await short.admin.get("/console", allow_redirects=False)
    assert r.status == 303

"""MCP through callgate: the SDK's streamable-HTTP client against a real SDK server."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from mcp.types import TextContent

from gateway.cli import main as cli_main
from gateway.mcp.pins import definition_hash
from tests.conftest import ADMIN_TOKEN, Gateway, GatewayFactory, McpUpstream, mcp_client, serve_mcp

ALL_TOOLS = {"echo", "add", "fetch_note", "count", "whoami"}


def mcp_config(url: str, **over: Any) -> dict[str, Any]:
    return {
        "demo": {
            "upstream": url,
            "credentials": {"key": {"header": "Authorization", "value": {"env": "CG_TEST_ECHO_KEY"}}},
            "tool_effects": {"add": "write"},
            **over,
        }
    }


def tool_records(gw: Gateway) -> list[dict[str, Any]]:
    """The records of tools/call operations (every other MCP message has its own)."""
    return [r for r in gw.records("call") if r["action"] == "tools/call"]


def s_sid(gw: Gateway) -> str:
    """The one session the gateway has bound (memory store)."""
    ((_, sid),) = gw.rt.mcp_state._sessions  # type: ignore[attr-defined]
    return str(sid)


def callgate_meta(result: Any) -> dict[str, Any]:
    meta = (result.meta or {}).get("callgate")
    assert isinstance(meta, dict), result
    return meta


def text_of(result: Any) -> str:
    item = result.content[0]
    assert isinstance(item, TextContent)
    return item.text


@pytest.fixture
async def mcp_gateway(make_gateway: GatewayFactory, mcp_upstream: McpUpstream) -> Gateway:
    return await make_gateway(mcp_servers=mcp_config(mcp_upstream.url))


async def test_tools_list_is_filtered_by_policy(mcp_gateway: Gateway) -> None:
    async with mcp_client(mcp_gateway, mcp_gateway.token(scopes=["tool:demo.*"])) as s:
        names = {t.name for t in (await s.list_tools()).tools}
    assert names == ALL_TOOLS - {"add"}  # add is a write; tool:demo.* grants reads only
    async with mcp_client(mcp_gateway, mcp_gateway.token(scopes=["tool:demo.echo", "tool:demo.add:write"])) as s:
        names = {t.name for t in (await s.list_tools()).tools}
    assert names == {"echo", "add"}


async def test_call_allowed_goes_through_pipeline_with_tool_credential(mcp_gateway: Gateway) -> None:
    token = mcp_gateway.token(scopes=["tool:demo.*", "tool:demo.add:write"])
    async with mcp_client(mcp_gateway, token) as s:
        r = await s.call_tool("add", {"a": 2, "b": 40}, meta={"idempotency_key": "op-1"})
        assert not r.is_error and text_of(r) == "42"
        who = await s.call_tool("whoami", {})
    # the server got the tool's credential, never the agent's token; its echo of it is scrubbed
    assert text_of(who) == "[REDACTED:credential]"
    calls = tool_records(mcp_gateway)
    assert [c["tool"] for c in calls] == ["demo.add", "demo.whoami"]
    assert [f["detector"] for f in calls[1]["output_findings"]] == ["credential_scrub"]  # whoami's echo
    rec = calls[0]
    assert rec["protocol"] == "mcp" and rec["action"] == "tools/call"
    assert rec["outcome"] == "allowed" and rec["agent"] == "demo" and rec["forwarded"] is True
    assert rec["decision"]["credential"] == "key"
    assert rec["idempotency_key"] == "op-1" and calls[1]["idempotency_key"] is None
    intents = [i["id"] for i in mcp_gateway.records("intent") if i["action"] == "tools/call"]
    assert intents == [c["id"] for c in calls]
    assert token not in mcp_gateway.settings.decision_log.path.read_text()


async def test_call_denied_is_a_tool_result_the_model_can_read(mcp_gateway: Gateway) -> None:
    async with mcp_client(mcp_gateway, mcp_gateway.token(scopes=["tool:demo.*"])) as s:
        r = await s.call_tool("add", {"a": 1, "b": 2})
    assert r.is_error
    text = text_of(r)
    assert "policy.denied" in text and "scope.effect_missing" in text and "demo.add" in text
    meta = (r.meta or {})["callgate"]
    assert meta["code"] == "policy.denied" and meta["status"] == 403
    assert meta["reasons"][0]["code"] == "scope.effect_missing"
    (rec,) = tool_records(mcp_gateway)
    assert rec["id"] == meta["call_id"] and rec["outcome"] == "denied" and rec["forwarded"] is False
    assert [i for i in mcp_gateway.records("intent") if i["action"] == "tools/call"] == []


# ------------------------------------------------------------------ raw streamable HTTP

INIT = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
}
ACCEPT = "application/json, text/event-stream"


def rpc_messages(body: bytes, content_type: str) -> list[Any]:
    if content_type.startswith("text/event-stream"):
        return [
            json.loads(line[5:]) for line in body.decode().splitlines() if line.startswith("data:") and line[5:].strip()
        ]
    return [json.loads(body)]


async def raw_session(gw: Gateway, token: str) -> str:
    """Open a session by hand; return its id."""
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT}
    r = await gw.agent.post("/mcp/demo", json=INIT, headers=headers)
    assert r.status == 200
    (answer,) = rpc_messages(await r.read(), r.content_type)
    assert answer["result"]["serverInfo"]["name"] == "callgate-demo"
    sid = r.headers["Mcp-Session-Id"]
    r = await gw.agent.post(
        "/mcp/demo",
        json={"jsonrpc": "2.0", "method": "notifications/initialized"},
        headers={**headers, "Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18"},
    )
    assert r.status == 202
    return sid


def session_headers(token: str, sid: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Accept": ACCEPT,
        "Mcp-Session-Id": sid,
        "MCP-Protocol-Version": "2025-06-18",
    }


async def test_hijacked_session_id_is_refused(mcp_gateway: Gateway) -> None:
    mine = mcp_gateway.token(scopes=["tool:demo.*"])
    theirs = mcp_gateway.token(agent="other", tenant=None, scopes=["tool:demo.*"])
    async with mcp_client(mcp_gateway, mine) as s:
        sid = s_sid(mcp_gateway)
        assert await mcp_gateway.rt.mcp_state.session_owner("demo", sid) == "acme/demo"
        ping = {"jsonrpc": "2.0", "id": 7, "method": "ping"}
        for method in ("post", "get", "delete"):
            r = await mcp_gateway.agent.request(
                method.upper(),
                "/mcp/demo",
                json=ping if method == "post" else None,
                headers=session_headers(theirs, sid),
            )
            assert r.status == 403, method
            body = await r.json()
            assert body["error"]["data"]["code"] == "mcp.session_not_owned"
        # the owner's session still works
        assert (await s.call_tool("echo", {"text": "still mine"})).content[0].text == "still mine"  # type: ignore[union-attr]
    r = await mcp_gateway.agent.post("/mcp/demo", json=ping, headers=session_headers(mine, "no-such-session"))
    assert r.status == 404 and (await r.json())["error"]["data"]["code"] == "mcp.session_unknown"
    r = await mcp_gateway.agent.post("/mcp/demo", json=ping, headers={"Accept": ACCEPT})
    assert r.status == 401 and (await r.json())["error"]["data"]["code"] == "auth.missing"


async def test_get_stream_and_delete_end_the_session(mcp_gateway: Gateway) -> None:
    token = mcp_gateway.token(scopes=["tool:demo.*"])
    sid = await raw_session(mcp_gateway, token)
    headers = session_headers(token, sid)
    r = await mcp_gateway.agent.get("/mcp/demo", headers={**headers, "Accept": "text/event-stream"})
    assert r.status == 200 and r.content_type == "text/event-stream"
    r.close()
    r = await mcp_gateway.agent.delete("/mcp/demo", headers=headers)
    assert r.status == 200
    assert await mcp_gateway.rt.mcp_state.session_owner("demo", sid) is None
    r = await mcp_gateway.agent.post("/mcp/demo", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers)
    assert r.status == 404


async def test_batch_runs_each_call_through_the_pipeline(mcp_gateway: Gateway) -> None:
    token = mcp_gateway.token(scopes=["tool:demo.*"])
    sid = await raw_session(mcp_gateway, token)
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "hi"}}},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "add", "arguments": {"a": 1, "b": 1}}},
        {"jsonrpc": "2.0", "id": 3, "method": "ping"},
        {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "x", "progress": 1}},
    ]
    r = await mcp_gateway.agent.post("/mcp/demo", json=batch, headers=session_headers(token, sid))
    assert r.status == 200
    answers = await r.json()
    assert [a["id"] for a in answers] == [1, 2, 3]
    assert answers[0]["result"]["content"][0]["text"] == "hi"
    assert answers[1]["result"]["isError"] is True
    assert answers[1]["result"]["_meta"]["callgate"]["code"] == "policy.denied"
    assert answers[2]["result"] == {}
    assert [(c["tool"], c["outcome"]) for c in tool_records(mcp_gateway)] == [
        ("demo.echo", "allowed"),
        ("demo.add", "denied"),
    ]


async def test_sse_results_stream_through_unbuffered(mcp_gateway: Gateway) -> None:
    seen: list[float] = []
    messages: list[str | None] = []

    async def progress(p: float, total: float | None, message: str | None) -> None:
        seen.append(time.monotonic())
        messages.append(message)

    async with mcp_client(mcp_gateway, mcp_gateway.token(scopes=["tool:demo.*"])) as s:
        t0 = time.monotonic()
        r = await s.call_tool("count", {"n": 3, "gap_s": 0.4}, progress_callback=progress)
        done = time.monotonic()
    assert text_of(r) == "counted to 3"
    # the SDK's own progressToken came back unchanged (the callback is found by it), each
    # progress screened and forwarded with its message
    assert len(seen) == 3 and messages == ["step 1", "step 2", "step 3"]
    # the first progress event reached the client while the tool was still working
    assert seen[0] - t0 < 0.35 and done - seen[0] > 0.7
    (rec,) = tool_records(mcp_gateway)
    assert rec["outcome"] == "allowed" and rec["upstream"]["bytes"] > 0


async def test_injected_tool_result_is_blocked(mcp_gateway: Gateway) -> None:
    async with mcp_client(mcp_gateway, mcp_gateway.token(scopes=["tool:demo.*"])) as s:
        plain = await s.call_tool("fetch_note", {"name": "plain"})
        bad = await s.call_tool("fetch_note", {"name": "injected"})
    assert text_of(plain).startswith("The meeting") and not plain.is_error
    assert bad.is_error and "output.blocked" in text_of(bad) and "output.injection" in text_of(bad)
    assert "evil.example" not in json.dumps(bad.model_dump())
    assert (bad.meta or {})["callgate"]["reasons"][0]["code"] == "output.injection"
    ok, blocked = tool_records(mcp_gateway)
    assert ok["output_findings"] == [] and ok["outcome"] == "allowed"
    assert blocked["outcome"] == "denied" and blocked["code"] == "output.blocked"
    kinds = {f["kind"] for f in blocked["output_findings"]}
    assert "instruction_override" in kinds
    assert blocked["output_decision"]["allow"] is False
    assert blocked["output_decision"]["reasons"][0]["code"] == "output.injection"


async def test_secret_in_tool_result_is_redacted(mcp_gateway: Gateway) -> None:
    async with mcp_client(mcp_gateway, mcp_gateway.token(scopes=["tool:demo.*"])) as s:
        r = await s.call_tool("fetch_note", {"name": "deploy"})
    assert not r.is_error
    assert text_of(r) == "Deploy with access key [REDACTED:aws_access_key] from the ops vault."
    assert "AKIAIOSFODNN7EXAMPLE" not in json.dumps(r.model_dump())
    (rec,) = tool_records(mcp_gateway)
    assert rec["outcome"] == "allowed"
    found = {(f["detector"], f["kind"], f["path"]) for f in rec["output_findings"]}
    assert ("secrets", "aws_access_key", "content[0].text") in found
    assert rec["output_decision"]["allow"] is True
    assert rec["output_decision"]["redact"] == ["aws_access_key"]
    assert [x["code"] for x in rec["output_decision"]["reasons"]] == ["output.redacted"]


async def test_secret_in_json_answer_is_redacted(make_gateway: GatewayFactory) -> None:
    with serve_mcp("--stateless") as up:  # JSON answers, not SSE
        gw = await make_gateway(mcp_servers=mcp_config(up.url))
        async with mcp_client(gw, gw.token(scopes=["tool:demo.*"])) as s:
            r = await s.call_tool("fetch_note", {"name": "deploy"})
    assert "[REDACTED:aws_access_key]" in text_of(r) and not r.is_error
    assert "AKIAIOSFODNN7EXAMPLE" not in json.dumps(r.model_dump())
    (rec,) = tool_records(gw)
    assert rec["output_decision"]["redact"] == ["aws_access_key"]


async def test_output_inspection_off_leaves_mcp_results_alone(
    make_gateway: GatewayFactory, mcp_upstream: McpUpstream
) -> None:
    gw = await make_gateway(mcp_servers=mcp_config(mcp_upstream.url, inspect={"output": False}))
    async with mcp_client(gw, gw.token(scopes=["tool:demo.*"])) as s:
        r = await s.call_tool("fetch_note", {"name": "deploy"})
    assert "AKIAIOSFODNN7EXAMPLE" in text_of(r)
    (rec,) = tool_records(gw)
    assert rec["output_findings"] == [] and rec["output_decision"] is None


async def test_poisoned_description_is_flagged_and_held(make_gateway: GatewayFactory) -> None:
    with serve_mcp("--poisoned") as up:
        gw = await make_gateway(mcp_servers=mcp_config(up.url))
        async with mcp_client(gw, gw.token(scopes=["tool:demo.*"])) as s:
            names = {t.name for t in (await s.list_tools()).tools}
            assert "read_file" not in names and "weather" not in names and "echo" in names
            hidden = await s.call_tool("weather", {"city": "Oslo"})
            r = await s.call_tool("read_file", {"path": "/etc/passwd"})
        assert hidden.is_error and callgate_meta(hidden)["code"] == "mcp.tool_held"
        meta = callgate_meta(r)
        assert r.is_error and meta["code"] == "mcp.tool_held"
        assert meta["reasons"][0]["code"] == "definition.poisoned"
        r = await gw.admin.get("/admin/mcp/tools", headers=gw.admin_auth)
        state = await r.json()
        held_by_tool = {h["tool"]: h for h in state["held"]}
        assert set(held_by_tool) == {"demo.read_file", "demo.weather"}
        held = held_by_tool["demo.read_file"]
        assert held["reason"] == "definition.poisoned"
        assert {f["kind"] for f in held["findings"]} >= {"instruction_override"}
        # the terminal-hidden line is the weather tool's only fault
        assert [f["kind"] for f in held_by_tool["demo.weather"]["findings"]] == ["terminal_control"]
        assert held_by_tool["demo.weather"]["reason"] == "definition.poisoned"
        assert "demo.echo" in state["pinned"] and "demo.read_file" not in state["pinned"]
        assert {rec["tool"] for rec in gw.records("mcp.definition")} == {"demo.read_file", "demo.weather"}
        calls = tool_records(gw)
        assert [c["code"] for c in calls] == ["mcp.tool_held"] * 2 and not any(c["forwarded"] for c in calls)


async def test_changed_definition_is_held_until_approved(
    make_gateway: GatewayFactory, mcp_upstream: McpUpstream, tmp_path: Path
) -> None:
    first = await make_gateway(mcp_servers=mcp_config(mcp_upstream.url))
    async with mcp_client(first, first.token(scopes=["tool:demo.*"])) as s:
        listed = {t.name: t for t in (await s.list_tools()).tools}
    pin = await first.rt.mcp_pins.pinned("demo.echo")
    assert pin == definition_hash(listed["echo"].model_dump(by_alias=True, exclude_none=True))

    with serve_mcp("--rug-pull") as up:
        gw = await make_gateway(
            mcp_servers=mcp_config(up.url, pinned={"echo": pin}),
            decision_log={"path": str(tmp_path / "second.jsonl")},
        )
        token = gw.token(scopes=["tool:demo.*"])
        async with mcp_client(gw, token) as s:
            assert "echo" not in {t.name for t in (await s.list_tools()).tools}
            r = await s.call_tool("echo", {"text": "x"})
        data = callgate_meta(r)
        assert r.is_error and data["code"] == "mcp.tool_held"
        assert data["reasons"][0]["code"] == "definition.changed"
        state = await (await gw.admin.get("/admin/mcp/tools", headers=gw.admin_auth)).json()
        (held,) = state["held"]
        assert held["pinned"] == pin and held["definition_hash"] != pin
        assert "id_rsa" in held["definition"]["description"]

        r = await gw.admin.post(
            "/admin/mcp/tools/demo.echo/approve", json={"hash": "sha256:" + "0" * 64}, headers=gw.admin_auth
        )
        assert r.status == 409
        r = await gw.admin.post("/admin/mcp/tools/demo.echo/approve", json={}, headers={})
        assert r.status == 401
        status = await asyncio.to_thread(
            cli_main,
            [
                "mcp",
                "approve",
                "demo.echo",
                "--hash",
                held["definition_hash"],
                "--admin-url",
                str(gw.admin.make_url("")),
                "--token",
                ADMIN_TOKEN,
                "--operator",
                "bob",
            ],
        )
        assert status == 0
        assert await gw.rt.mcp_pins.pinned("demo.echo") == held["definition_hash"]
        async with mcp_client(gw, token) as s:
            assert "echo" in {t.name for t in (await s.list_tools()).tools}
            assert text_of(await s.call_tool("echo", {"text": "ok now"})) == "ok now"
        (adm,) = gw.records("admin")
        assert adm["action"] == "mcp.approve" and adm["operator"] == "admin-token:bob"
        assert adm["previous"] == pin and adm["definition_hash"] == held["definition_hash"]


async def test_kill_switch_stops_mcp_tool_calls(mcp_gateway: Gateway) -> None:
    r = await mcp_gateway.admin.put(
        "/admin/killswitch", json={"scope": "tool:demo.*", "reason": "incident 9"}, headers=mcp_gateway.admin_auth
    )
    assert r.status == 200
    async with mcp_client(mcp_gateway, mcp_gateway.token(scopes=["tool:demo.*"])) as s:
        r = await s.call_tool("echo", {"text": "x"})
    assert r.is_error and callgate_meta(r)["code"] == "killswitch.engaged"
    assert callgate_meta(r)["status"] == 503 and "killswitch.engaged" in text_of(r)
    (rec,) = tool_records(mcp_gateway)
    assert rec["tool"] == "demo.echo" and rec["code"] == "killswitch.engaged" and rec["forwarded"] is False


async def test_unreachable_mcp_server_is_a_jsonrpc_error(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway(mcp_servers=mcp_config("http://127.0.0.1:9/mcp"))
    token = gw.token(scopes=["tool:demo.*"])
    call = {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "x"}}}
    r = await gw.agent.post("/mcp/demo", json=call, headers={"Authorization": f"Bearer {token}", "Accept": ACCEPT})
    assert r.status == 200
    answer = await r.json()
    assert answer["id"] == 5 and answer["result"]["isError"] is True
    assert answer["result"]["_meta"]["callgate"]["code"] == "upstream.unreachable"
    assert answer["result"]["_meta"]["callgate"]["status"] == 502
    (rec,) = tool_records(gw)
    assert rec["outcome"] == "failed" and rec["tool"] == "demo.echo"
    bad = {**call, "params": {"name": "echo:write", "arguments": {}}}
    r = await gw.agent.post("/mcp/demo", json=bad, headers={"Authorization": f"Bearer {token}", "Accept": ACCEPT})
    assert (await r.json())["error"]["code"] == -32602
    r = await gw.agent.post("/mcp/demo", json=INIT, headers={"Authorization": f"Bearer {token}", "Accept": ACCEPT})
    assert r.status == 200 and (await r.json())["error"]["data"]["code"] == "upstream.unreachable"
    listing = {"jsonrpc": "2.0", "id": 6, "method": "tools/list"}
    r = await gw.agent.post("/mcp/demo", json=listing, headers={"Authorization": f"Bearer {token}", "Accept": ACCEPT})
    answer = await r.json()
    assert r.status == 200 and answer["id"] == 6 and answer["error"]["data"]["code"] == "upstream.unreachable"
    assert answer["error"]["data"]["status"] == 502
    r = await gw.agent.post("/mcp/nope", json=INIT, headers={"Authorization": f"Bearer {token}", "Accept": ACCEPT})
    assert r.status == 404 and (await r.json())["error"]["data"]["code"] == "mcp.server_unknown"
    r = await gw.agent.post("/mcp/nope", json=INIT, headers={"Accept": ACCEPT})
    assert r.status == 401


async def test_readme_quick_start_client_works(mcp_gateway: Gateway, capsys: pytest.CaptureFixture[str]) -> None:
    from gateway.examples.mcp_client import run

    await run(str(mcp_gateway.agent.make_url("/mcp/demo")), mcp_gateway.token(scopes=["tool:demo.*"]))
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "tools this agent may call: ['count', 'echo', 'fetch_note', 'whoami']"
    assert "text='hello through callgate'" in out[1]
    assert out[2] == "add -> policy.denied ['scope.effect_missing']"
    assert out[3].startswith("callgate refused this call (policy.denied)")
    assert "scope.effect_missing" in out[4] and "demo.add" in out[4]

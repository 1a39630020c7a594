"""The MCP mediator against a hostile server of our own and the SDK's server.

Each test is a case from issue 9 that the old pass-through adapter got wrong.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.model import MAX_OUTPUT_FINDINGS
from gateway.stages.scrub import MASK as MASK_BYTES
from tests.conftest import (
    ECHO_KEY,
    POLICIES,
    Gateway,
    GatewayFactory,
    RedisServer,
    Upstream,
    mcp_client,
    mcp_initialize,
    settings_dict,
)
from tests.hostile_mcp import INJECTION, RUG_PULL, Hostile, deep_json, start_hostile

ACCEPT = "application/json, text/event-stream"
MASK = MASK_BYTES.decode()


@pytest.fixture
async def hostile() -> AsyncIterator[Hostile]:
    h, server = await start_hostile()
    try:
        yield h
    finally:
        h.push.put_nowait({"method": "_close"})
        await server.close()


def config(url: str, **over: Any) -> dict[str, Any]:
    return {
        "evil": {
            "upstream": url,
            "credentials": {"key": {"header": "Authorization", "value": {"env": "CG_TEST_ECHO_KEY"}}},
            **over,
        }
    }


@pytest.fixture
async def gw(make_gateway: GatewayFactory, hostile: Hostile) -> Gateway:
    return await make_gateway(mcp_servers=config(hostile.url))


class Agent:
    """A raw streamable-HTTP client: exact bytes in, exact answers out."""

    def __init__(self, gw: Gateway, scopes: list[str] | None = None, **token: Any) -> None:
        self.gw = gw
        self.token = gw.token(scopes=["tool:evil.*", "tool:evil"] if scopes is None else scopes, **token)
        self.sid: str | None = None
        self.next_id = 0

    def headers(self) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}", "Accept": ACCEPT, "MCP-Protocol-Version": "2025-06-18"}
        if self.sid:
            h["Mcp-Session-Id"] = self.sid
        return h

    async def post(self, doc: Any, path: str = "/mcp/evil", **kw: Any) -> tuple[int, Any]:
        r = await self.gw.agent.post(path, data=json.dumps(doc), headers={**self.headers(), **kw})
        body = await r.read()
        if r.content_type == "text/event-stream":
            msgs = [json.loads(line[5:]) for line in body.decode().splitlines() if line.startswith("data:")]
            return r.status, msgs[-1] if msgs else None
        return r.status, json.loads(body) if body else None

    async def open(self) -> None:
        r = await self.gw.agent.post("/mcp/evil", json=mcp_initialize(), headers=self.headers())
        assert r.status == 200, await r.text()
        self.sid = r.headers["Mcp-Session-Id"]
        status, _ = await self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert status == 202

    async def request(self, method: str, params: dict[str, Any] | None = None, msg_id: Any = None) -> Any:
        self.next_id += 1
        doc = {"jsonrpc": "2.0", "id": self.next_id if msg_id is None else msg_id, "method": method}
        if params is not None:
            doc["params"] = params
        status, answer = await self.post(doc)
        assert status == 200, (status, answer)
        return answer

    async def call(self, name: str, args: dict[str, Any] | None = None, msg_id: Any = None) -> Any:
        return await self.request("tools/call", {"name": name, "arguments": args or {}}, msg_id)


def meta(answer: Any) -> dict[str, Any]:
    return answer["result"]["_meta"]["callgate"]  # type: ignore[no-any-return]


def records(gw: Gateway, action: str | None = None) -> list[dict[str, Any]]:
    return [r for r in gw.records("call") if action is None or r["action"] == action]


# ------------------------------------------------------------------ client → server: every request mediated


async def test_prompts_get_is_mediated_scoped_and_kill_switched(gw: Gateway, hostile: Hostile) -> None:
    a = Agent(gw)
    await a.open()
    plain = await a.request("prompts/get", {"name": "plain"})
    assert plain["result"]["messages"][0]["content"]["text"].startswith("Summarise")
    evil = await a.request("prompts/get", {"name": "evil"})  # its text is a prompt injection
    assert evil["error"]["data"]["code"] == "output.blocked" and "evil.example" not in json.dumps(evil)
    # an agent with no scope for this server gets nothing from it
    stranger = Agent(gw, scopes=["tool:echo"])
    await stranger.open()
    assert (await stranger.request("prompts/list"))["result"]["prompts"] == []  # not even their names
    assert {p["name"] for p in (await a.request("prompts/list"))["result"]["prompts"]} == {"evil", "plain"}
    denied = await stranger.request("prompts/get", {"name": "plain"})
    assert denied["error"]["data"]["code"] == "policy.denied"
    assert denied["error"]["data"]["reasons"][0]["code"] == "scope.missing"
    # under the global kill switch nothing but the refusal
    r = await gw.admin.put("/admin/killswitch", json={"scope": "global", "reason": "incident"}, headers=gw.admin_auth)
    assert r.status == 200
    before = hostile.methods().count("prompts/get")
    killed = await a.request("prompts/get", {"name": "plain"})
    assert killed["error"]["data"]["code"] == "killswitch.engaged"
    assert hostile.methods().count("prompts/get") == before
    recs = records(gw, "prompts/get")
    assert [(r["outcome"], r["code"]) for r in recs] == [
        ("allowed", None),
        ("denied", "output.blocked"),
        ("denied", "policy.denied"),
        ("denied", "killswitch.engaged"),
    ]
    assert all(r["tool"] == "evil" for r in recs)


async def test_resources_read_is_inspected_and_completion_recorded(gw: Gateway, hostile: Hostile) -> None:
    a = Agent(gw)
    await a.open()
    read = await a.request("resources/read", {"uri": "notes://meeting/4"})
    text = read["result"]["contents"][0]["text"]
    assert "AKIAIOSFODNN7EXAMPLE" not in text and "[REDACTED:aws_access_key]" in text
    done = await a.request(
        "completion/complete", {"ref": {"type": "ref/prompt", "name": "plain"}, "argument": {"name": "a", "value": "x"}}
    )
    assert done["result"]["completion"]["values"] == ["alpha", "beta"]
    (rec,) = records(gw, "resources/read")
    assert rec["output_decision"]["redact"] == ["aws_access_key"] and rec["forwarded"] is True
    assert len(records(gw, "completion/complete")) == 1
    # the server saw the gateway's credential, never the agent's token
    assert all(h.get("Authorization") != f"Bearer {a.token}" for h in hostile.headers)


async def test_unknown_method_denied_and_authors_can_allow_it(
    make_gateway: GatewayFactory, hostile: Hostile, tmp_path: Path
) -> None:
    gw = await make_gateway(mcp_servers=config(hostile.url))
    a = Agent(gw)
    await a.open()
    answer = await a.request("vendor/doSomething", {"x": 1})
    assert answer["error"]["data"]["reasons"][0]["code"] == "mcp.method_unknown"
    assert "vendor/doSomething" not in hostile.methods()
    allowing = await make_gateway(
        mcp_servers=config(hostile.url),
        policy={"data": {"mcp_allow_methods": ["vendor/doSomething"]}},
        decision_log={"path": str(tmp_path / "allowing.jsonl")},
    )
    b = Agent(allowing)
    await b.open()
    answer = await b.request("vendor/doSomething", {"x": 1})
    assert answer["error"]["code"] == -32601  # the server's own answer: it got the call
    assert "vendor/doSomething" in hostile.methods()


async def test_request_sent_as_notification_is_refused_and_recorded(gw: Gateway, hostile: Hostile) -> None:
    a = Agent(gw)
    await a.open()
    status, answer = await a.post(
        {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "echo", "arguments": {}}}
    )
    assert status == 400 and answer["error"]["data"]["code"] == "mcp.request_without_id"
    assert "tools/call" not in hostile.methods()
    (rec,) = records(gw, "tools/call")
    assert rec["code"] == "mcp.request_without_id" and rec["forwarded"] is False
    # a batch is bounded: 10,000 notifications never become 10,000 upstream requests
    batch = [{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "echo"}}] * 10_000
    status, answer = await a.post(batch)
    assert status == 400 and answer["error"]["data"]["code"] == "mcp.batch_too_large"
    assert "tools/call" not in hostile.methods()
    small = [{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "echo"}}] * 3
    status, _ = await a.post(small)
    assert "tools/call" not in hostile.methods()
    assert len(records(gw, "tools/call")) == 1 + 3
    assert [r["status"] for r in records(gw) if r["code"] == "mcp.batch_too_large"] == [400]


async def test_unauthenticated_and_odd_requests_leave_records(gw: Gateway) -> None:
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    r = await gw.agent.post("/mcp/evil", json=ping, headers={"Accept": ACCEPT})
    assert r.status == 401 and (await r.json())["error"]["data"]["code"] == "auth.missing"
    r = await gw.agent.put("/mcp/evil", json=ping, headers={"Authorization": f"Bearer {gw.token()}"})
    assert r.status == 405 and r.headers["Allow"] == "POST, GET, DELETE"
    a = Agent(gw)
    r = await gw.agent.post("/mcp/evil", data=b"{not json", headers=a.headers())
    assert r.status == 400 and (await r.json())["error"]["code"] == -32700
    recs = gw.records("call")
    assert [(x["status"], x["code"]) for x in recs] == [
        (401, "auth.missing"),
        (405, "request.method"),
        (400, "mcp.parse_error"),
    ]


async def test_deep_nesting_is_a_clear_error_never_500(gw: Gateway, hostile: Hostile) -> None:
    a = Agent(gw)
    await a.open()
    raw = '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":' + deep_json(1200) + "}}"
    r = await gw.agent.post("/mcp/evil", data=raw, headers=a.headers())
    assert r.status == 400
    body = await r.json()
    assert body["error"]["code"] == -32600 and body["error"]["data"]["code"] == "request.too_deep"
    raw100 = raw.replace(deep_json(1200), deep_json(100))
    r = await gw.agent.post("/mcp/evil", data=raw100, headers=a.headers())
    assert r.status == 400 and (await r.json())["error"]["data"]["code"] == "request.too_deep"
    # a result nested 1,000 deep: refused as a tool result, not a crash
    answer = await a.call("deep", {"n": 1000})
    assert answer["result"]["isError"] is True and meta(answer)["code"] == "upstream.failed"
    assert "tools/call" in hostile.methods()  # the deep result came from the server
    assert all(rec["status"] != 500 for rec in gw.records("call"))


# ------------------------------------------------------------------ ids: the gateway's own


async def test_lookalike_answer_ids_are_dropped_and_counted(gw: Gateway, hostile: Hostile) -> None:
    a = Agent(gw)
    await a.open()
    answer = await a.call("lookalike", {}, msg_id=7)
    # the server saw the gateway's id, never the agent's
    sent = [m for m in hostile.seen if m.get("method") == "tools/call"][-1]
    assert isinstance(sent["id"], str) and sent["id"].startswith("callgate-")
    assert answer["id"] == 7 and meta(answer)["code"] == "upstream.no_answer"
    assert "evil.example" not in json.dumps(answer)
    answer = await a.call("lookalike", {"real": True}, msg_id="7")
    assert answer["id"] == "7" and answer["result"]["content"][0]["text"] == "the real answer"
    dropped = gw.metric("callgate_mcp_dropped_messages_total", {"direction": "server", "reason": "answer_unmatched"})
    assert dropped == 3 + 3


async def test_lookalike_list_answer_cannot_carry_a_rug_pull(gw: Gateway, hostile: Hostile) -> None:
    """tools/list answered by a look-alike id with a changed definition: never reaches the agent."""
    a = Agent(gw)
    await a.open()
    listed = await a.request("tools/list", msg_id=7)
    assert {t["name"] for t in listed["result"]["tools"]} >= {"echo", "lookalike"}
    sent = [m for m in hostile.seen if m.get("method") == "tools/list"][-1]
    assert sent["id"] != 7 and str(sent["id"]).startswith("callgate-")


# ------------------------------------------------------------------ answers: screened, bounded


async def test_chunked_big_and_gzip_answers_are_screened(gw: Gateway) -> None:
    a = Agent(gw)
    await a.open()
    inj = await a.call("chunked_injection")
    assert inj["result"]["isError"] is True and meta(inj)["reasons"][0]["code"] == "output.injection"
    assert INJECTION not in json.dumps(inj)
    for name in ("big", "big_chunked"):
        big = await a.call(name)
        assert big["result"]["isError"] is True and meta(big)["code"] == "output.too_large", name
    gz = await a.call("gzip")
    assert gz["result"]["isError"] is True and meta(gz)["code"] == "output.uninspectable"
    recs = records(gw, "tools/call")
    assert [r["outcome"] for r in recs] == ["denied"] * 4
    # labels come from configuration: an MCP tool is "<server>.*"
    blocked = gw.metric("callgate_calls_total", {"tool": "evil.*", "decision": "denied", "code": "output.too_large"})
    assert blocked == 2


async def test_an_injection_outside_the_text_items_is_screened_too(gw: Gateway) -> None:
    """A resource link's description and the result's ``_meta`` reach the model too."""
    a = Agent(gw)
    await a.open()
    for name in ("link_injection", "meta_injection"):
        hidden = await a.call(name)
        assert hidden["result"]["isError"] is True and meta(hidden)["reasons"][0]["code"] == "output.injection", name
        assert INJECTION not in json.dumps(hidden), name


async def test_output_limit_applies_to_sse_answers(make_gateway: GatewayFactory, hostile: Hostile) -> None:
    gw = await make_gateway(mcp_servers=config(hostile.url, inspect={"output_limit": 3000}))
    a = Agent(gw)
    await a.open()
    ok = await a.call("echo", {"text": "short"})
    assert ok["result"]["content"][0]["text"] == "short"
    long = await a.call("echo", {"text": "y" * 5000})
    assert meta(long)["code"] == "output.too_large"


async def streamed_call(gw: Gateway, a: Agent, name: str, msg_id: int) -> tuple[int, str, list[dict[str, Any]]]:
    """``tools/call`` of ``name`` answered over SSE: status, raw body, the messages in order."""
    r = await gw.agent.post(
        "/mcp/evil",
        json={"jsonrpc": "2.0", "id": msg_id, "method": "tools/call", "params": {"name": name, "arguments": {}}},
        headers=a.headers(),
    )
    body = await r.text()
    return r.status, body, [json.loads(line[5:]) for line in body.splitlines() if line.startswith("data:")]


async def test_server_notifications_are_filtered(gw: Gateway) -> None:
    a = Agent(gw)
    await a.open()
    _, _, msgs = await streamed_call(gw, a, "chatty", 3)
    assert [m.get("method") for m in msgs] == ["notifications/progress", "notifications/message", None]
    assert msgs[1]["params"]["data"] == "step 1"  # the log line carrying an injection never arrives
    assert msgs[-1]["result"]["content"][0]["text"] == "done"
    assert gw.metric("callgate_mcp_dropped_messages_total", {"direction": "server", "reason": "notification"}) == 1
    assert gw.metric("callgate_mcp_dropped_messages_total", {"direction": "server", "reason": "blocked"}) == 1
    # an error's message reaches the model too: screened like a result
    err = await a.call("error_injection")
    assert meta(err)["code"] == "output.blocked" and INJECTION not in json.dumps(err)


async def test_every_forwarded_server_notification_is_screened(gw: Gateway) -> None:
    """Not only notifications/message: progress messages, cancellation reasons, resource URIs,
    anything in params reaches the client (and maybe the model)."""
    a = Agent(gw)
    await a.open()
    _, body, msgs = await streamed_call(gw, a, "noisy", 3)
    assert "evil.example" not in body
    assert [m.get("method") for m in msgs] == [
        "notifications/progress",
        "notifications/resources/updated",
        None,
    ]
    assert msgs[0]["params"] == {"progressToken": 1, "progress": 2}
    assert msgs[1]["params"] == {"uri": "notes://plain"} and msgs[-1]["result"]["content"][0]["text"] == "done"
    assert gw.metric("callgate_mcp_dropped_messages_total", {"direction": "server", "reason": "blocked"}) == 4


async def test_a_flood_of_flagged_notifications_leaves_a_bounded_record(gw: Gateway) -> None:
    """Every screened message adds findings to the exchange's record: it keeps MAX_OUTPUT_FINDINGS
    and counts the rest (a long GET stream grew its record without limit)."""
    a = Agent(gw)
    await a.open()
    status, body, _ = await streamed_call(gw, a, "flood", 4)
    assert status == 200 and "evil.example" not in body
    assert gw.metric("callgate_mcp_dropped_messages_total", {"direction": "server", "reason": "blocked"}) == 300
    (rec,) = records(gw, "tools/call")
    assert len(rec["output_findings"]) == MAX_OUTPUT_FINDINGS
    assert rec["output_findings_dropped"] >= 300 - MAX_OUTPUT_FINDINGS


async def test_a_non_200_answers_error_text_is_screened_like_an_error_answer(gw: Gateway) -> None:
    """The error text of a server's HTTP 4xx/5xx reached the model with only the credential scrub."""
    a = Agent(gw)
    await a.open()
    failed = await a.call("status_injection", {"status": 500})  # a tool: a result the model reads
    assert failed["result"]["isError"] is True and meta(failed)["code"] == "output.blocked"
    assert "evil.example" not in json.dumps(failed)
    status, kept = await a.post(
        {
            "jsonrpc": "2.0",
            "id": 9,
            "method": "tools/call",
            "params": {"name": "status_injection", "arguments": {"status": 400}},
        }
    )
    assert status == 200 and meta(kept)["code"] == "output.blocked" and "evil.example" not in json.dumps(kept)
    status, other = await a.post(
        {"jsonrpc": "2.0", "id": 10, "method": "prompts/get", "params": {"name": "status_evil"}}
    )
    assert status == 200 and other["id"] == 10 and other["error"]["data"]["code"] == "output.blocked"
    assert "evil.example" not in json.dumps(other)
    recs = [*records(gw, "tools/call"), *records(gw, "prompts/get")]
    assert [(r["outcome"], r["code"]) for r in recs] == [("denied", "output.blocked")] * 3
    assert all(r["output_findings"] for r in recs)


# ------------------------------------------------------------------ server → client requests and the GET stream


async def test_sampling_request_in_a_post_answer_is_denied_and_answered(gw: Gateway, hostile: Hostile) -> None:
    a = Agent(gw)
    await a.open()
    answer = await a.call("sampling")
    assert answer["result"]["content"][0]["text"] == "sampling answered: policy.denied"
    refusal = hostile.answers["s-1"]
    assert refusal["error"]["data"]["reasons"][0]["code"] == "mcp.server_request_denied"
    (rec,) = records(gw, "sampling/createMessage")
    assert rec["outcome"] == "denied" and rec["tool"] == "evil"


async def test_get_stream_requests_denied_and_list_changed_holds_rug_pull(gw: Gateway, hostile: Hostile) -> None:
    a = Agent(gw)
    await a.open()
    listed = await a.request("tools/list")
    assert "echo" in {t["name"] for t in listed["result"]["tools"]}
    assert (await a.call("echo", {"text": "before"}))["result"]["content"][0]["text"] == "before"
    r = await gw.agent.get("/mcp/evil", headers={**a.headers(), "Accept": "text/event-stream"})
    assert r.status == 200
    hostile.push.put_nowait(
        {"jsonrpc": "2.0", "id": "e-1", "method": "elicitation/create", "params": {"message": "pw?"}}
    )
    hostile.push.put_nowait({"jsonrpc": "2.0", "method": "notifications/evil"})
    hostile.push.put_nowait({"method": "_rug_pull"})
    hostile.push.put_nowait({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
    line = b""
    while b"list_changed" not in line:
        line = await asyncio.wait_for(r.content.readline(), 10)
        assert b"elicitation" not in line and b"notifications/evil" not in line
    r.close()
    assert hostile.answers["e-1"]["error"]["data"]["code"] == "policy.denied"
    # the rug pull was caught when the server announced it, before any call or list
    held = await a.call("echo", {"text": "after"})
    assert held["result"]["isError"] is True and meta(held)["code"] == "mcp.tool_held"
    assert meta(held)["reasons"][0]["code"] == "definition.changed"
    (hold,) = gw.records("mcp.definition")
    assert hold["tool"] == "evil.echo" and hold["definition"]["description"] == RUG_PULL
    assert [r["outcome"] for r in records(gw, "elicitation/create")] == ["denied"]


async def test_tool_called_without_listing_is_checked_against_its_pin(
    make_gateway: GatewayFactory, hostile: Hostile
) -> None:
    from gateway.mcp.pins import definition_hash
    from tests.hostile_mcp import CLEAN_ECHO

    pin = definition_hash({"name": "echo", "description": CLEAN_ECHO, "inputSchema": {"type": "object"}})
    hostile.descriptions["echo"] = RUG_PULL  # changed before this gateway ever listed it
    gw = await make_gateway(mcp_servers=config(hostile.url, pinned={"echo": pin}))
    a = Agent(gw)
    await a.open()
    answer = await a.call("echo", {"text": "x"})  # no tools/list in this session
    assert meta(answer)["code"] == "mcp.tool_held"
    assert [m["method"] for m in hostile.seen if m.get("method", "").startswith("tools/")] == ["tools/list"]
    unknown = await a.call("no_such_tool_" + "z" * 40)
    assert "error" in unknown and unknown["error"]["data"]["code"] == "tool.unknown"
    labels = {
        s.labels["tool"] for m in gw.rt.metrics.registry.collect() for s in m.samples if m.name == "callgate_calls"
    }
    assert not any("no_such_tool" in t for t in labels) and "(unknown)" in labels


async def test_the_gateways_own_list_takes_only_its_answer_and_at_most_max_events_messages(
    make_gateway: GatewayFactory, hostile: Hostile
) -> None:
    """A call without a prior list makes the gateway list the tools itself; a server that
    answers over SSE after unrelated messages has them dropped and counted, and one that
    never stops sending them fails the call after MAX_EVENTS, it does not hold it open."""
    from gateway.mcp.mediator import MAX_EVENTS

    gw = await make_gateway(mcp_servers=config(hostile.url))

    def dropped() -> float:
        value = gw.rt.metrics.registry.get_sample_value(
            "callgate_mcp_dropped_messages_total", {"direction": "server", "reason": "answer_unmatched"}
        )
        return value or 0.0

    hostile.flood_list = 5
    a = Agent(gw)
    await a.open()
    before = dropped()
    answer = await a.call("echo", {"text": "x"})  # no tools/list in this session
    assert "result" in answer and not answer["result"].get("isError")
    assert dropped() - before == 5
    hostile.flood_list = MAX_EVENTS + 5
    b = Agent(gw)
    await b.open()
    failed = await b.call("echo", {"text": "x"})
    assert meta(failed)["code"] == "upstream.failed", failed


# ------------------------------------------------------------------ lists


async def test_kill_switched_tools_are_hidden_and_shadow_mode_lists_what_it_lets_through(
    make_gateway: GatewayFactory, hostile: Hostile, tmp_path: Path
) -> None:
    gw = await make_gateway(mcp_servers=config(hostile.url, tool_effects={"secret": "write"}))
    a = Agent(gw)
    await a.open()
    names = {t["name"] for t in (await a.request("tools/list"))["result"]["tools"]}
    assert "echo" in names and "secret" not in names  # a write; tool:evil.* grants reads
    await gw.admin.put("/admin/killswitch", json={"scope": "tool:evil.echo", "reason": "x"}, headers=gw.admin_auth)
    names = {t["name"] for t in (await a.request("tools/list"))["result"]["tools"]}
    assert "echo" not in names
    assert meta(await a.call("echo", {"text": "x"}))["code"] == "killswitch.engaged"
    # shadow mode: policy does not hide, so what is listed is what goes through (with a shadow record)
    shadow = await make_gateway(
        mcp_servers=config(hostile.url, tool_effects={"secret": "write"}),
        policy={"enforce": False},
        decision_log={"path": str(tmp_path / "shadow.jsonl")},
    )
    b = Agent(shadow)
    await b.open()
    names = {t["name"] for t in (await b.request("tools/list"))["result"]["tools"]}
    assert "secret" in names
    done = await b.call("secret")
    assert "[REDACTED:aws_access_key]" in done["result"]["content"][0]["text"]
    (rec,) = records(shadow, "tools/call")
    assert rec["outcome"] == "allowed" and rec["shadow"][0]["code"] == "policy.denied"


# ------------------------------------------------------------------ hot reload, replay, config


async def test_hot_reload_keeps_mcp_tools(gw: Gateway) -> None:
    a = Agent(gw)
    await a.open()
    assert (await a.call("echo", {"text": "1"}))["result"]["content"][0]["text"] == "1"
    r = await gw.admin.post("/admin/policies/reload", headers=gw.admin_auth)
    assert r.status == 200, await r.text()
    assert (await a.call("echo", {"text": "2"}))["result"]["content"][0]["text"] == "2"
    await gw.rt.reload_policies()  # what SIGHUP runs
    answer = await a.call("echo", {"text": "3"})
    assert answer["result"]["content"][0]["text"] == "3", answer
    names = {t["name"] for t in (await a.request("tools/list"))["result"]["tools"]}
    assert "echo" in names


async def test_policy_replay_redecides_mcp_records(
    make_gateway: GatewayFactory, hostile: Hostile, upstream: Upstream, tmp_path: Path
) -> None:
    from gateway.cli import main

    gw = await make_gateway(mcp_servers=config(hostile.url))
    a = Agent(gw)
    await a.open()
    await a.call("echo", {"text": "x"})
    await a.request("prompts/get", {"name": "plain"})
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(settings_dict(tmp_path, upstream.url, mcp_servers=config(hostile.url))))
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        # on this thread: a regorus engine must be dropped by the thread that made it
        status = main(
            [
                "policy",
                "replay",
                "--config",
                str(cfg),
                "--policies",
                str(POLICIES),
                "--log",
                str(gw.settings.decision_log.path),
                "--json",
            ],
        )
    gc.collect()
    assert status == 0, buf.getvalue()
    report = json.loads(buf.getvalue())
    assert report["replayed"] >= 4 and report["skipped"].get("tool not in the configuration", 0) == 0, report


async def test_ssrf_resolve_and_inspection_settings_accepted_for_mcp(
    make_gateway: GatewayFactory, hostile: Hostile
) -> None:
    gw = await make_gateway(
        mcp_servers=config(hostile.url, ssrf={"resolve": True}, allowed_roots=["/srv"], record_fields=["text"])
    )
    a = Agent(gw)
    await a.open()
    answer = await a.call("echo", {"text": "http://169.254.169.254/latest/meta-data/"})
    assert answer["result"]["isError"] is True and meta(answer)["code"] == "policy.denied"
    (rec,) = records(gw, "tools/call")
    assert any(f["detector"] == "ssrf" for f in rec["findings"])
    assert rec["args"]["fields"] == {"text": "http://169.254.169.254/latest/meta-data/"}


async def test_answer_to_no_server_request_is_dropped(gw: Gateway, hostile: Hostile) -> None:
    a = Agent(gw)
    await a.open()
    status, _ = await a.post({"jsonrpc": "2.0", "id": "s-99", "result": {}})
    assert status == 400
    assert "s-99" not in hostile.answers
    assert gw.metric("callgate_mcp_dropped_messages_total", {"direction": "client", "reason": "answer_unmatched"}) == 1


async def test_idempotent_replay_answers_the_retry_with_its_own_id(gw: Gateway, hostile: Hostile) -> None:
    a = Agent(gw)
    await a.open()
    params = {"name": "echo", "arguments": {"text": "once"}, "_meta": {"idempotency_key": "op-7"}}
    first = await a.request("tools/call", params, msg_id=1)
    again = await a.request("tools/call", params, msg_id="retry")
    assert first["result"] == again["result"] and again["id"] == "retry"
    assert [m["method"] for m in hostile.seen if m.get("method") == "tools/call"] == ["tools/call"]
    one, two = records(gw, "tools/call")
    assert (one["replay"], two["replay"]) == (False, True) and two["idempotency_key"] == "op-7"


async def test_a_server_that_hangs_mid_stream_ends_in_a_readable_timeout(
    make_gateway: GatewayFactory, hostile: Hostile
) -> None:
    gw = await make_gateway(mcp_servers=config(hostile.url, timeouts={"total_s": 1.5}))
    a = Agent(gw)
    await a.open()
    answer = await a.call("hang")
    assert answer["result"]["isError"] is True and meta(answer)["code"] == "upstream.timeout"
    (rec,) = records(gw, "tools/call")
    assert rec["code"] == "upstream.timeout" and rec["outcome"] == "failed"


async def test_a_second_session_header_cannot_smuggle_another_agents_session(gw: Gateway, hostile: Hostile) -> None:
    mine, theirs = Agent(gw), Agent(gw, agent="other", tenant=None)
    await mine.open()
    await theirs.open()
    assert mine.sid is not None and theirs.sid is not None
    from multidict import CIMultiDict

    headers = CIMultiDict(mine.headers())
    headers.add("Mcp-Session-Id", theirs.sid)
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    r = await gw.agent.post("/mcp/evil", json=ping, headers=headers)
    assert r.status == 400 and (await r.json())["error"]["data"]["code"] == "mcp.session_header"
    assert records(gw, "ping")[-1]["code"] == "mcp.session_header"


async def test_answers_cannot_move_the_session_or_redirect(gw: Gateway) -> None:
    a = Agent(gw)
    await a.open()
    r = await gw.agent.post(
        "/mcp/evil",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "moved", "arguments": {}}},
        headers=a.headers(),
    )
    assert r.status == 200 and "Mcp-Session-Id" not in r.headers
    r = await gw.agent.post(
        "/mcp/evil",
        json={"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "redirect", "arguments": {}}},
        headers=a.headers(),
    )
    assert r.status == 200 and "Location" not in r.headers
    body = await r.json()
    assert body["id"] == 2 and body["result"]["isError"] is True
    assert meta(body)["code"] == "upstream.status" and meta(body)["upstream_status"] == 302
    assert records(gw, "tools/call")[-1]["outcome"] == "failed"


async def test_an_allowed_server_request_reaches_the_agent_and_its_answer_the_server(
    make_gateway: GatewayFactory, hostile: Hostile
) -> None:
    gw = await make_gateway(mcp_servers=config(hostile.url), policy={"data": {"mcp_allow_methods": ["roots/list"]}})
    a = Agent(gw)
    await a.open()
    r = await gw.agent.get("/mcp/evil", headers={**a.headers(), "Accept": "text/event-stream"})
    assert r.status == 200
    hostile.push.put_nowait({"jsonrpc": "2.0", "id": "r-1", "method": "roots/list"})
    line = b""
    while b"roots/list" not in line:
        line = await asyncio.wait_for(r.content.readline(), 10)
    r.close()
    gid = json.loads(line[5:])["id"]  # the agent sees the gateway's id, the record's
    (rec,) = records(gw, "roots/list")
    assert rec["outcome"] == "allowed" and gid == f"callgate-{rec['id']}"
    status, _ = await a.post({"jsonrpc": "2.0", "id": "r-1", "result": {"roots": []}})  # the server's own id
    assert status == 400 and "r-1" not in hostile.answers
    status, _ = await a.post({"jsonrpc": "2.0", "id": gid, "result": {"roots": [{"uri": "file:///srv"}]}})
    assert status == 202
    assert hostile.answers["r-1"]["result"]["roots"] == [{"uri": "file:///srv"}]  # mapped back to the server's id
    status, _ = await a.post({"jsonrpc": "2.0", "id": gid, "result": {"roots": []}})  # answered already
    assert status == 400
    assert [x["outcome"] for x in records(gw, "roots/list")] == ["allowed"]


async def test_an_allowed_server_request_is_screened_before_the_agent_sees_it(
    make_gateway: GatewayFactory, hostile: Hostile
) -> None:
    """Policy allowing sampling or elicitation let their text (the prompt, the question, the
    schema) reach the agent's model unscreened. (An injection there is already denied by
    argument inspection and policy; PII that output policy redacts was not.)"""
    allow = {"mcp_allow_methods": ["sampling/createMessage", "elicitation/create"]}
    gw = await make_gateway(mcp_servers=config(hostile.url), policy={"data": allow})
    a = Agent(gw)
    await a.open()
    r = await gw.agent.get("/mcp/evil", headers={**a.headers(), "Accept": "text/event-stream"})
    assert r.status == 200
    card, ssn = "4111 1111 1111 1111", "078-05-1120"
    evil_prompt = {"messages": [{"role": "user", "content": {"type": "text", "text": f"card {card}"}}], "maxTokens": 5}
    evil_schema = {"message": "Your name?", "requestedSchema": {"type": "object", "description": f"ssn {ssn}"}}
    hostile.push.put_nowait({"jsonrpc": "2.0", "id": "s-1", "method": "sampling/createMessage", "params": evil_prompt})
    hostile.push.put_nowait({"jsonrpc": "2.0", "id": "e-1", "method": "elicitation/create", "params": evil_schema})
    hostile.push.put_nowait(
        {"jsonrpc": "2.0", "id": "e-2", "method": "elicitation/create", "params": {"message": "Your name?"}}
    )
    line = b""
    while b"elicitation/create" not in line:
        line = await asyncio.wait_for(r.content.readline(), 10)
        assert card.encode() not in line and ssn.encode() not in line and b"sampling" not in line
    r.close()
    assert json.loads(line[5:])["params"] == {"message": "Your name?"}  # the clean one
    for sid in ("s-1", "e-1"):
        assert hostile.answers[sid]["error"]["data"]["code"] == "output.blocked"
    recs = [*records(gw, "sampling/createMessage"), *records(gw, "elicitation/create")]
    assert [(x["outcome"], x["code"]) for x in recs] == [
        ("denied", "output.blocked"),
        ("denied", "output.blocked"),
        ("allowed", None),
    ]
    assert recs[0]["output_findings"] and recs[1]["output_findings"]


async def test_a_servers_cancellation_reaches_the_agent_only_with_an_id_the_agent_knows(
    make_gateway: GatewayFactory, hostile: Hostile
) -> None:
    """The server's notifications/cancelled went out as sent: the gateway's own ids (which the
    agent never saw), ids of nothing, and the server's id of a request the agent got under ours."""
    gw = await make_gateway(
        mcp_servers=config(hostile.url), policy={"data": {"mcp_allow_methods": ["sampling/createMessage"]}}
    )
    a = Agent(gw)
    await a.open()
    r = await gw.agent.post(
        "/mcp/evil",
        json={
            "jsonrpc": "2.0",
            "id": 4,
            "method": "tools/call",
            "params": {"name": "cancel", "arguments": {"agent_id": 4}},
        },
        headers=a.headers(),
    )
    body = await r.text()
    msgs = [json.loads(line[5:]) for line in body.splitlines() if line.startswith("data:")]
    assert '"callgate-0"' not in body  # the exact id, quoted: gateway ids like callgate-04f... are fine
    sampling = next(m for m in msgs if m.get("method") == "sampling/createMessage")
    (rec,) = records(gw, "sampling/createMessage")
    assert sampling["id"] == f"callgate-{rec['id']}"
    cancels = [m["params"] for m in msgs if m.get("method") == "notifications/cancelled"]
    assert cancels == [{"requestId": 4, "reason": "a"}, {"requestId": sampling["id"], "reason": "c"}]
    assert msgs[-1]["id"] == 4 and msgs[-1]["result"]["content"][0]["text"] == "done"
    dropped = {"direction": "server", "reason": "cancel_unmatched"}
    assert gw.metric("callgate_mcp_dropped_messages_total", dropped) == 4  # "callgate-0", 4, no id, "5"


async def test_a_quiet_get_stream_notices_a_departed_agent(
    gw: Gateway, hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.mcp import mediator

    monkeypatch.setattr(mediator, "KEEPALIVE_S", 0.2)
    a = Agent(gw)
    await a.open()
    r = await gw.agent.get("/mcp/evil", headers={**a.headers(), "Accept": "text/event-stream"})
    assert await asyncio.wait_for(r.content.readline(), 5) == b": keepalive\n"
    r.close()
    for _ in range(50):
        if records(gw, "session/stream"):
            break
        await asyncio.sleep(0.1)
    (rec,) = records(gw, "session/stream")
    assert rec["code"] == "client.disconnected"


# ------------------------------------------------------------------ the injected credential never goes back


async def test_a_server_echoing_its_credential_reaches_the_sdk_client_scrubbed(gw: Gateway, hostile: Hostile) -> None:
    """Results (raw and escaped), structuredContent, log notifications, SSE event ids and the GET
    stream: the credential callgate injected is masked and recorded as the HTTP path does."""
    logs: list[Any] = []

    async def on_log(params: Any) -> None:
        logs.append(params.data)

    async with mcp_client(gw, gw.token(scopes=["tool:evil.*"]), "evil", logging_callback=on_log) as s:
        leak = await s.call_tool("leak", {})
        leak_json = await s.call_tool("leak_json", {})
    assert all(h["Authorization"] == f"Bearer {ECHO_KEY}" for h in hostile.headers)  # it was sent, and echoed
    assert not leak.is_error and leak.content[0].text == f"the key is {MASK}"  # type: ignore[union-attr]
    assert leak.structured_content == {"key": MASK}
    assert logs == [MASK]
    assert leak_json.content[0].text == f"I was sent {MASK}"  # type: ignore[union-attr]
    assert ECHO_KEY not in repr((leak, leak_json, logs))
    for rec in records(gw, "tools/call"):
        (f,) = [f for f in rec["output_findings"] if f["detector"] == "credential_scrub"]
        assert f["kind"] == "credential_echo" and f["owasp"] == ["LLM02"] and rec["outcome"] == "allowed"
    assert (
        gw.metric("callgate_credential_scrubs_total", {"where": "body"}) == 5
    )  # leak: event id, log, text, structuredContent; leak_json: text

    # a server notification on the GET stream
    a = Agent(gw)
    await a.open()
    r = await gw.agent.get("/mcp/evil", headers={**a.headers(), "Accept": "text/event-stream"})
    hostile.push.put_nowait({"method": "_leak"})
    line = b""
    while b"notifications/message" not in line:
        line = await asyncio.wait_for(r.content.readline(), 10)
    r.close()
    assert json.loads(line[5:])["params"]["data"] == MASK and ECHO_KEY.encode() not in line


async def test_a_cancellation_names_the_gateway_id_of_the_request_whatever_worker_gets_it(
    make_gateway: GatewayFactory, hostile: Hostile
) -> None:
    """The id the server sees is derived from server, session and the agent's id: two gateways
    (two workers, or before and after a restart) agree on it with nothing shared."""
    gw = await make_gateway(mcp_servers=config(hostile.url))
    a = Agent(gw)
    await a.open()
    await a.call("echo", {"text": "x"}, msg_id=7)
    sent = [m for m in hostile.seen if m.get("method") == "tools/call"][-1]["id"]
    # another process (worker, replica, or the gateway after a restart) sharing only the binding
    log = {"path": str(gw.settings.decision_log.path.with_name("other.jsonl"))}
    other = Agent(await make_gateway(mcp_servers=config(hostile.url), decision_log=log))
    other.token, other.sid = a.token, a.sid
    owner = await gw.rt.mcp_state.session_owner("evil", a.sid or "")
    await other.gw.rt.mcp_state.bind_session("evil", a.sid or "", owner or "", 60)
    status, _ = await other.post(
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7, "reason": "x"}}
    )
    assert status == 202
    cancel = [m for m in hostile.seen if m.get("method") == "notifications/cancelled"][-1]
    assert cancel["params"]["requestId"] == sent and sent.startswith("callgate-")
    status, _ = await a.post({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "7"}})
    assert [m for m in hostile.seen if m.get("method") == "notifications/cancelled"][-1]["params"]["requestId"] != sent


@pytest.mark.parametrize(
    ("raw", "scrubbed"),
    [
        (b'{"t":"line\\nsk-abc/123"}', {"t": f"line\n{MASK}"}),
        (b'{"t":"sk-abc\\/123"}', {"t": MASK}),  # "\/" is "/"
        (b'{"t":"\\u0073k-abc/123"}', {"t": MASK}),
        (b'{"sk-abc/123":1}', {MASK: 1}),
        (b'{"t":"clean\\ntext"}', None),  # an escape that spells no character of the secret: not re-encoded
    ],
)
def test_scrub_json_sees_through_escapes(raw: bytes, scrubbed: Any) -> None:
    from gateway.stages.scrub import scrub_json, spellings

    doc = json.loads(raw)
    out, n = scrub_json(raw, doc, spellings("sk-abc/123", "Bearer sk-abc/123"))
    assert (out, n) == ((scrubbed, 1) if scrubbed is not None else (doc, 0))


async def test_a_state_store_that_does_not_answer_is_a_recorded_503_not_a_500(
    make_gateway: GatewayFactory, hostile: Hostile, redis_server: RedisServer
) -> None:
    redis_server.command("FLUSHALL")
    gw = await make_gateway(mcp_servers=config(hostile.url), store={"url": redis_server.url, "timeout_ms": 300})
    a = Agent(gw)
    await a.open()
    redis_server.stop()
    try:
        answer = await a.call("echo", {"text": "x"})  # the session check and the listed-tools check need it
        assert answer["result"]["isError"] is True and meta(answer)["code"] == "store.unavailable"
        status, doc = await a.post({"jsonrpc": "2.0", "id": "callgate-x", "result": {}})  # an answer to match
        assert status == 503 and doc["error"]["data"]["code"] == "store.unavailable"
    finally:
        redis_server.start()
    assert [r["code"] for r in records(gw)[-2:]] == ["store.unavailable", "store.unavailable"]
    assert not [m for m in hostile.seen if m.get("method") == "tools/call"]


async def test_state_the_store_cannot_have_written_is_a_recorded_503_never_a_500_nor_a_lifted_hold(
    make_gateway: GatewayFactory, hostile: Hostile, redis_server: RedisServer
) -> None:
    """A hold, a listing or a stored answer in Redis that is not what the gateway writes
    (another program, a bad restore): each read raised from ``json.loads``/``float`` (500)."""
    redis_server.command("FLUSHALL")
    gw = await make_gateway(mcp_servers=config(hostile.url), store={"url": redis_server.url, "timeout_ms": 1000})
    a = Agent(gw)
    await a.open()
    await a.request("tools/list")
    state = gw.rt.mcp_state  # type: ignore[attr-defined]
    redis = state.driver.redis
    before = len([m for m in hostile.seen if m.get("method") == "tools/call"])
    for bad in (b"not json", b'{"tool": 1}', b"[]"):
        await redis.hset(state.prefix + "mcp:holds", "evil.echo", bad)
        answer = await a.call("echo", {"text": "x"})
        assert answer["result"]["isError"] is True and meta(answer)["code"] == "store.unavailable", bad
        assert records(gw)[-1]["code"] == "store.unavailable"
        status, doc = await a.post({"jsonrpc": "2.0", "id": 99, "method": "tools/list"})
        assert status == 200 and doc["error"]["data"]["code"] == "store.unavailable", (status, doc)
        r = await gw.admin.get("/admin/mcp/tools", headers=gw.admin_auth)
        assert r.status == 503 and (await r.json())["code"] == "store.unavailable"
    assert len([m for m in hostile.seen if m.get("method") == "tools/call"]) == before  # the hold was never lifted

    await redis.hdel(state.prefix + "mcp:holds", "evil.echo")
    listed = [k for k in await redis.keys(state.prefix + "*mcp:listed:*")]
    assert listed
    await redis.hset(listed[0], "echo", "soon")  # not an expiry: counts as not listed, checked against its pin
    answer = await a.call("echo", {"text": "x"})
    assert answer["result"]["content"][0]["text"] == "x"


class Monitor:
    """Redis ``MONITOR`` on a socket of its own: every command the server runs, with its keys."""

    def __init__(self, server: RedisServer) -> None:
        import socket
        import threading

        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.sock.sendall(b"MONITOR\r\n")
        self.lines: list[str] = []
        self.buf = b""
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()
        self.server = server

    def read(self) -> None:
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except OSError:
                return
            if not data:
                return
            self.buf += data
            *done, self.buf = self.buf.split(b"\r\n")
            self.lines += [d.decode(errors="replace") for d in done]

    async def mark(self) -> list[str]:
        """The commands since the last mark (a marker command, seen once everything before it is)."""
        import uuid

        marker = uuid.uuid4().hex
        self.server.command("ECHO", marker)
        for _ in range(200):
            if any(marker in line for line in self.lines):
                break
            await asyncio.sleep(0.02)
        i = next(i for i, line in enumerate(self.lines) if marker in line)
        seen, self.lines = self.lines[:i], self.lines[i + 1 :]
        return seen

    def close(self) -> None:
        self.sock.close()


async def test_a_tool_list_reads_and_writes_the_pins_once_whatever_its_length(
    make_gateway: GatewayFactory, hostile: Hostile, redis_server: RedisServer
) -> None:
    """Each listed tool read the whole pin map and its hold: 2 round trips per tool in Redis."""
    redis_server.command("FLUSHALL")
    gw = await make_gateway(mcp_servers=config(hostile.url), store={"url": redis_server.url, "timeout_ms": 1000})
    a = Agent(gw)
    await a.open()
    mon = Monitor(redis_server)
    try:
        await mon.mark()

        async def pin_commands() -> list[str]:
            listed = await a.request("tools/list")
            assert len(listed["result"]["tools"]) >= len(hostile.tools()) - 1
            return [
                line.split('"')[1].lower() for line in await mon.mark() if "mcp:pins" in line or "mcp:holds" in line
            ]

        assert len(hostile.tools()) > 20
        assert sorted(await pin_commands()) == ["hmget", "hmget", "hset"]  # all new: read, pin them all
        assert sorted(await pin_commands()) == ["hmget", "hmget"]  # all pinned: the read only
        hostile.descriptions["echo"] = RUG_PULL
        assert sorted(await pin_commands()) == ["hmget", "hmget", "hset"]  # one held: read, hold it
        assert "echo" not in {t["name"] for t in (await a.request("tools/list"))["result"]["tools"]}
        (hold,) = gw.records("mcp.definition")
        assert hold["tool"] == "evil.echo" and hold["reason"] == "definition.changed"
    finally:
        mon.close()


async def test_a_tool_call_reads_its_session_listing_and_hold_in_one_round_trip(
    make_gateway: GatewayFactory, hostile: Hostile, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session's owner, whether the tool is listed, and its hold were three round trips."""
    redis_server.command("FLUSHALL")
    gw = await make_gateway(mcp_servers=config(hostile.url), store={"url": redis_server.url, "timeout_ms": 1000})
    a = Agent(gw)
    await a.open()
    await a.request("tools/list")
    import traceback

    from gateway.store.redis import RedisMcpState

    mcp_state = set(vars(RedisMcpState))
    driver = gw.rt.mcp_state.driver  # type: ignore[attr-defined]
    trips = 0
    run = driver.run

    async def counted(aw: Any) -> Any:  # the driver's own run; the MCP state's round trips counted
        nonlocal trips
        caller = traceback.extract_stack(limit=2)[0]
        if caller.filename.endswith("store/redis.py") and caller.name in mcp_state:
            trips += 1
        return await run(aw)

    monkeypatch.setattr(driver, "run", counted)
    assert (await a.call("echo", {"text": "x"}))["result"]["content"][0]["text"] == "x"
    assert trips == 1
    hostile.descriptions["echo"] = RUG_PULL  # held by another session's list: the same read sees it
    b = Agent(gw)
    await b.open()
    await b.request("tools/list")
    trips = 0
    held = await a.call("echo", {"text": "x"})
    assert meta(held)["code"] == "mcp.tool_held" and trips == 1

"""stdio MCP servers: a real one from PyPI (``mcp-server-time``) through the gateway, and a hostile one.

The gateway starts the child itself (``mcp_servers.<s>.command``) and reaches it through
its loopback bridge; agents use the `mcp` SDK's streamable-HTTP client at ``/mcp/<s>``
as for any MCP server. The hostile server (``tests/stdio_hostile.py``) writes garbage,
oversize lines and unframed bytes, exits, and sends server-initiated messages, to
test framing, restarts and routing on the bridge itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from mcp import ClientSession
from mcp.shared.exceptions import MCPError
from mcp.types import TextContent

from gateway.config import Settings
from gateway.errors import ConfigError
from gateway.mcp.stdio import StdioBridge
from gateway.mcp.stdio.relay import StdioRelay
from gateway.runtime import Runtime
from tests.conftest import Gateway, GatewayFactory, mcp_client, settings_dict

HOSTILE = str(Path(__file__).with_name("stdio_hostile.py"))
TIME_CMD = [sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"]
ACCEPT = "application/json, text/event-stream"


def time_server(**over: Any) -> dict[str, Any]:
    return {"time": {"command": TIME_CMD, "timeouts": {"total_s": 15}, **over}}


def hostile_server(*flags: str, **over: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "command": [sys.executable, HOSTILE, *flags],
        "timeouts": {"total_s": 5},
        "stdio": {"max_line": 65536, "restart_initial_s": 0.1, "restart_max_s": 0.4},
    }
    return {"hostile": deep_update(cfg, over)}


def deep_update(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = deep_update(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def text_of(result: Any) -> str:
    item = result.content[0]
    assert isinstance(item, TextContent)
    return item.text


def relay_of(gw: Gateway, name: str) -> StdioRelay:
    assert gw.rt.stdio is not None
    return gw.rt.stdio.relays[name]


async def until(cond: Any, limit_s: float = 10.0) -> None:
    """Wait (bounded) until ``cond()`` is true: it reads a child process's state, which has no event."""
    async with asyncio.timeout(limit_s):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def ready(gw: Gateway, name: str) -> StdioRelay:
    relay = relay_of(gw, name)
    async with asyncio.timeout(15):
        await relay.ready.wait()
    return relay


# ------------------------------------------------------------------ mcp-server-time through the gateway


@pytest.fixture
async def time_gw(make_gateway: GatewayFactory) -> Gateway:
    return await make_gateway(mcp_servers=time_server())


async def test_real_stdio_server_lists_and_calls_through_the_gateway(time_gw: Gateway) -> None:
    async with mcp_client(time_gw, time_gw.token(scopes=["tool:time.*"]), "time") as s:
        assert s.initialize_result is not None
        assert s.initialize_result.server_info.name == "mcp-time"
        names = {t.name for t in (await s.list_tools()).tools}
        assert names == {"get_current_time", "convert_time"}
        r = await s.call_tool("get_current_time", {"timezone": "UTC"})
    assert not r.is_error
    body = json.loads(text_of(r))
    assert body["timezone"] == "UTC" and body["datetime"].endswith("+00:00")
    (rec,) = [r for r in time_gw.records("call") if r["action"] == "tools/call"]  # every MCP message has a record
    assert rec["tool"] == "time.get_current_time" and rec["protocol"] == "mcp"
    assert rec["outcome"] == "allowed" and rec["forwarded"] is True
    assert rec["decision"]["credential"] == "callgate-stdio-bridge"
    # policy sees the transport, not the bridge's port
    srv = time_gw.rt.mcp_servers["time"]
    assert srv.policy_doc["transport"] == "stdio" and srv.policy_doc["upstream"].startswith("stdio:")
    assert time_gw.rt.stdio is not None
    assert time_gw.rt.stdio.endpoints["time"].secret not in time_gw.settings.decision_log.path.read_text()


async def failure_of(s: ClientSession, name: str, args: dict[str, Any]) -> str:
    """A failed call's text, whichever way the gateway reports it (a JSON-RPC error or an isError result)."""
    try:
        r = await s.call_tool(name, args)
    except MCPError as e:
        return f"{e.error.message} {json.dumps(e.error.data)}"
    assert r.is_error
    return text_of(r)


async def test_real_stdio_server_policy_denial(time_gw: Gateway) -> None:
    async with mcp_client(time_gw, time_gw.token(scopes=["tool:time.convert_time"]), "time") as s:
        assert {t.name for t in (await s.list_tools()).tools} == {"convert_time"}
        text = await failure_of(s, "get_current_time", {"timezone": "UTC"})
        ok = await s.call_tool("convert_time", {"source_timezone": "UTC", "time": "12:00", "target_timezone": "UTC"})
    assert "policy.denied" in text and "scope" in text
    assert not ok.is_error
    denied, allowed = [r for r in time_gw.records("call") if r["action"] == "tools/call"]
    assert denied["tool"] == "time.get_current_time" and denied["outcome"] == "denied"
    assert denied["forwarded"] is False
    assert allowed["tool"] == "time.convert_time" and allowed["outcome"] == "allowed"


async def test_real_stdio_server_killed_mid_session_is_restarted(time_gw: Gateway) -> None:
    relay = await ready(time_gw, "time")
    async with mcp_client(time_gw, time_gw.token(scopes=["tool:time.*"]), "time") as s:
        first = await s.call_tool("get_current_time", {"timezone": "UTC"})
        old = relay.child.pid
        assert old is not None and not first.is_error
        os.kill(old, signal.SIGKILL)
        await until(lambda: relay.child.pid != old)  # the exit is noticed; the restart may not be done
        again = await s.call_tool("get_current_time", {"timezone": "Europe/Paris"})  # same session
    assert not again.is_error, text_of(again)
    assert json.loads(text_of(again))["timezone"] == "Europe/Paris"
    assert relay.child.starts == 2 and relay.child.pid not in (None, old)


async def test_two_sessions_share_one_child(time_gw: Gateway) -> None:
    relay = await ready(time_gw, "time")
    token = time_gw.token(scopes=["tool:time.*"])
    async with mcp_client(time_gw, token, "time") as a, mcp_client(time_gw, token, "time") as b:
        ra, rb = await asyncio.gather(
            a.call_tool("get_current_time", {"timezone": "Asia/Tokyo"}),
            b.call_tool("get_current_time", {"timezone": "America/New_York"}),
        )
        assert len(relay.sessions) == 2
    # the SDK clients both number their requests from the same start: the relay's ids keep them apart
    assert json.loads(text_of(ra))["timezone"] == "Asia/Tokyo"
    assert json.loads(text_of(rb))["timezone"] == "America/New_York"
    assert relay.child.starts == 1


async def test_bridge_refuses_requests_without_the_gateways_secret(time_gw: Gateway) -> None:
    await ready(time_gw, "time")
    assert time_gw.rt.stdio is not None
    endpoint = time_gw.rt.stdio.endpoints["time"]
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}},
    }
    async with aiohttp.ClientSession() as http:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": endpoint.secret},  # no scheme
            {"Authorization": f"Bearer {endpoint.secret}x"},
            {"Authorization": f"Bearer {time_gw.token(scopes=['tool:time.*'])}"},  # an agent token is not it
        ):
            for method in ("POST", "GET", "DELETE"):
                async with http.request(method, endpoint.url, json=init, headers={"Accept": ACCEPT, **headers}) as r:
                    assert r.status == 401, (method, headers)
                    assert r.headers["WWW-Authenticate"].startswith("Bearer")
        async with http.post(
            endpoint.url, json=init, headers={"Accept": ACCEPT, "Authorization": f"Bearer {endpoint.secret}"}
        ) as r:
            assert r.status == 200  # the check can pass: the gateway's own credential
            assert (await r.json())["result"]["serverInfo"]["name"] == "mcp-time"
        other = endpoint.url.replace("/stdio/time", "/stdio/other")
        async with http.post(other, json=init, headers={"Authorization": f"Bearer {endpoint.secret}"}) as r:
            assert r.status == 401  # one server's secret opens no other, and unknown names are not told
    assert time_gw.metric("callgate_stdio_bridge_refused_total", {"server": "time"}) == 15
    assert time_gw.metric("callgate_stdio_bridge_refused_total", {"server": "(unknown)"}) == 1
    assert endpoint.url.startswith("http://127.0.0.1:")  # loopback only


# ------------------------------------------------------------------ configuration


def stdio_settings(tmp_path: Path, server: dict[str, Any]) -> Settings:
    return Settings.model_validate(settings_dict(tmp_path, "http://127.0.0.1:9", mcp_servers={"s": server}))


@pytest.mark.parametrize(
    ("server", "field", "needle"),
    [
        ({}, "mcp_servers.s", "exactly one of 'upstream'"),
        ({"upstream": "http://127.0.0.1:9/mcp", "command": ["x"]}, "mcp_servers.s", "exactly one of 'upstream'"),
        ({"command": []}, "mcp_servers.s.command", "at least 1"),
        ({"command": [""]}, "mcp_servers.s", "empty program name"),
        ({"command": "python"}, "mcp_servers.s.command", "list"),
        ({"upstream": "http://127.0.0.1:9/mcp", "env": {"A": "b"}}, "mcp_servers.s", "'env' only apply"),
        ({"upstream": "http://127.0.0.1:9/mcp", "cwd": "/"}, "mcp_servers.s", "'cwd' only apply"),
        (
            {"command": ["x"], "credentials": {"k": {"value": {"env": "CG_TEST_ECHO_KEY"}}}},
            "mcp_servers.s",
            "through 'env'",
        ),
        ({"command": ["x"], "env": {"1BAD": "v"}}, "mcp_servers.s", "'env' names"),
        ({"command": ["x"], "env": {"A": {"inline": "v"}}}, "mcp_servers.s.env.A", ""),
        ({"command": ["x"], "stdio": {"max_line": 10}}, "mcp_servers.s.stdio.max_line", ""),
        ({"command": ["x"], "stdio": {"restart_initial_s": 5, "restart_max_s": 1}}, "mcp_servers.s.stdio", "restart"),
    ],
)
def test_config_errors_name_the_field(tmp_path: Path, server: dict[str, Any], field: str, needle: str) -> None:
    from gateway.config import parse_settings

    doc = settings_dict(tmp_path, "http://127.0.0.1:9", mcp_servers={"s": server})
    with pytest.raises(ConfigError) as info:
        parse_settings(json.dumps(doc))
    locs = [(loc, msg) for loc, msg in info.value.errors]
    assert any(loc.startswith(field) and needle in msg for loc, msg in locs), locs


@pytest.mark.parametrize(
    ("server", "field", "needle"),
    [
        ({"command": ["no-such-program-callgate"]}, "mcp_servers.s.command", "not found"),
        ({"command": [sys.executable], "cwd": "/no/such/dir"}, "mcp_servers.s.cwd", "no such directory"),
        ({"command": [sys.executable], "env": {"K": {"env": "CG_TEST_UNSET_VAR"}}}, "mcp_servers.s.env.K", "not set"),
    ],
)
def test_start_time_errors_name_the_field(tmp_path: Path, server: dict[str, Any], field: str, needle: str) -> None:
    from gateway.config import check_secrets

    settings = stdio_settings(tmp_path, server)
    with pytest.raises(ConfigError) as info:
        Runtime(settings)
    assert any(loc == field and needle in msg for loc, msg in info.value.errors), info.value.errors
    assert any(loc == field and needle in msg for loc, msg in check_secrets(settings))  # check-config too


def test_offline_compilation_gives_policy_the_same_document(tmp_path: Path) -> None:
    from gateway.tools import compile_mcp_servers

    settings = stdio_settings(tmp_path, {"command": [sys.executable, "-m", "x"], "effect": "write"})
    bridge = StdioBridge(settings)
    live = compile_mcp_servers(settings, bridge.endpoints)["s"]
    offline = compile_mcp_servers(settings)["s"]  # policy replay / eval: no bridge, no child
    assert live.policy_doc == offline.policy_doc
    assert live.policy_doc["upstream"] == f"stdio:{Path(sys.executable).name}"
    assert live.policy_doc["effect"] == "write" and live.policy_doc["transport"] == "stdio"
    assert str(live.base_url) == bridge.endpoints["s"].url and offline.base_url.port == 1
    (cred,) = live.credentials.values()
    assert cred.value == f"Bearer {bridge.endpoints['s'].secret}" and cred.header == "Authorization"


def test_child_environment_is_small_and_explicit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CG_GATEWAY_ONLY_SECRET", "do-not-leak")
    monkeypatch.setenv("CG_FOR_CHILD", "from-a-secret-source")
    settings = stdio_settings(
        tmp_path, {"command": [sys.executable], "env": {"PLAIN": "v", "FROM_ENV": {"env": "CG_FOR_CHILD"}}}
    )
    bridge = StdioBridge(settings)
    env = bridge.relays["s"].child.spec.env
    assert env["PLAIN"] == "v" and env["FROM_ENV"] == "from-a-secret-source"
    assert "CG_GATEWAY_ONLY_SECRET" not in env and "CG_TEST_SIGNING_KEY" not in env
    assert env.get("PATH") == os.environ.get("PATH")


# ------------------------------------------------------------------ the hostile server, on the bridge itself


def sse_messages(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line[5:]) for line in body.decode().splitlines() if line.startswith("data:")]


class Raw:
    """A hand-made streamable-HTTP client of the bridge, with the gateway's secret."""

    def __init__(self, http: aiohttp.ClientSession, url: str, secret: str) -> None:
        self.http, self.url = http, url
        self.auth = {"Authorization": f"Bearer {secret}"}

    async def init(self) -> str:
        msg = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-06-18"}}
        async with self.http.post(self.url, json=msg, headers={**self.auth, "Accept": ACCEPT}) as r:
            assert r.status == 200, await r.text()
            sid = r.headers["Mcp-Session-Id"]
        status, _ = await self.post(sid, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert status == 202
        return sid

    async def post(
        self, sid: str | None, msg: Any, accept: str = ACCEPT, data: bytes | None = None
    ) -> tuple[int, list[dict[str, Any]]]:
        headers = {**self.auth, "Accept": accept} | ({"Mcp-Session-Id": sid} if sid else {})
        kw: dict[str, Any] = {"data": data, "headers": {**headers, "Content-Type": "application/json"}}
        if data is None:
            kw = {"json": msg, "headers": headers}
        async with self.http.post(self.url, **kw) as r:
            body = await r.read()
            if r.content_type == "text/event-stream":
                return r.status, sse_messages(body)
            return r.status, ([json.loads(body)] if body else [])

    async def call(
        self, sid: str, name: str, args: dict[str, Any] | None = None, msg_id: Any = 1, **kw: Any
    ) -> list[dict[str, Any]]:
        params = {"name": name, "arguments": args or {}}
        msg = {"jsonrpc": "2.0", "id": msg_id, "method": "tools/call", "params": params}
        if "meta" in kw:
            params["_meta"] = kw.pop("meta")
        status, msgs = await self.post(sid, msg, **kw)
        assert status == 200, msgs
        assert msgs and msgs[-1]["id"] == msg_id, msgs  # the answer, last, under the client's own id
        return msgs


def answer_text(msgs: list[dict[str, Any]]) -> str:
    text: str = msgs[-1]["result"]["content"][0]["text"]
    return text


def error_code(msgs: list[dict[str, Any]]) -> str:
    code: str = msgs[-1]["error"]["data"]["code"]
    return code


@asynccontextmanager
async def hostile_bridge(tmp_path: Path, *flags: str, **over: Any) -> AsyncIterator[tuple[StdioRelay, Raw]]:
    settings = Settings.model_validate(
        settings_dict(tmp_path, "http://127.0.0.1:9", mcp_servers=hostile_server(*flags, **over))
    )
    bridge = StdioBridge(settings)
    async with bridge.running(), aiohttp.ClientSession() as http:
        ep = bridge.endpoints["hostile"]
        relay = bridge.relays["hostile"]
        if "--no-init" not in flags:
            async with asyncio.timeout(15):
                await relay.ready.wait()
        yield relay, Raw(http, ep.url, ep.secret)


async def test_garbage_lines_are_dropped_and_answers_still_arrive(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path, "--banner") as (relay, raw):
        sid = await raw.init()
        msgs = await raw.call(sid, "garbage")
        assert answer_text(msgs) == "after garbage"
        again = await raw.call(sid, "echo", {"text": "still framed"}, msg_id=2)
    assert json.loads(answer_text(again))["text"] == "still framed"
    assert relay.child.dropped["not_json"] == 2  # the banner and "this is not json"
    assert relay.child.dropped["not_message"] == 2  # [1, 2, 3] and a bare string
    assert relay.child.starts == 1


async def test_oversize_answer_fails_its_request_and_keeps_the_child(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (relay, raw):
        sid = await raw.init()
        loop = asyncio.get_running_loop()
        began = loop.time()
        msgs = await raw.call(sid, "oversize", {"bytes": 200_000})
        assert error_code(msgs) == "stdio.too_large"
        assert loop.time() - began < 4  # failed at once (its id was at the line's start), not timed out
        again = await raw.call(sid, "echo", {"text": "after"}, msg_id=2)
    assert json.loads(answer_text(again))["text"] == "after"
    assert relay.child.dropped["oversize"] == 1
    assert relay.child.starts == 1  # framing held: no restart


async def test_unframed_output_restarts_the_child(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (relay, raw):
        sid = await raw.init()
        msgs = await raw.call(sid, "noline")
        assert error_code(msgs) == "stdio.exited"
        again = await raw.call(sid, "echo", {"text": "back"}, msg_id=2)
    assert json.loads(answer_text(again))["text"] == "back"
    assert relay.child.dropped["framing_lost"] == 1
    assert relay.child.starts == 2


async def test_child_exit_fails_every_pending_request_and_restarts(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (relay, raw):
        sid = await raw.init()
        other = await raw.init()
        hang = asyncio.ensure_future(raw.call(other, "hang", msg_id=7))
        await until(lambda: len(relay.pending) == 1)
        loop = asyncio.get_running_loop()
        began = loop.time()
        died = await raw.call(sid, "exit")
        hung = await hang
        assert loop.time() - began < 4  # at once, not after the 5 s request timeout
        assert error_code(died) == error_code(hung) == "stdio.exited"
        again = await raw.call(other, "echo", {"text": "x"}, msg_id=8)
    assert json.loads(answer_text(again))["text"] == "x"
    assert relay.child.starts == 2 and not relay.pending


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


async def test_grandchild_holding_the_pipes_does_not_stall_the_restart(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (relay, raw):
        sid = await raw.init()
        pidfile = tmp_path / "grandchild.pid"
        died = await raw.call(sid, "orphan", {"path": str(pidfile)})
        assert error_code(died) == "stdio.exited"
        again = await raw.call(sid, "echo", {"text": "x"}, msg_id=2)
        assert json.loads(answer_text(again))["text"] == "x"
        grandchild = int(pidfile.read_text())
        await until(lambda: not alive(grandchild))  # its group was killed with it
    assert relay.child.starts == 2


async def test_child_that_closes_its_stdout_is_restarted(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (relay, raw):
        sid = await raw.init()
        loop = asyncio.get_running_loop()
        began = loop.time()
        assert error_code(await raw.call(sid, "close_stdout")) == "stdio.exited"
        assert loop.time() - began < 4.5  # killed within about a second, not left until the 5 s timeout
        again = await raw.call(sid, "echo", {"text": "x"}, msg_id=2)
    assert json.loads(answer_text(again))["text"] == "x"
    assert relay.child.starts == 2


async def test_child_that_stops_reading_is_restarted_not_buffered_for(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path, timeouts={"total_s": 1}) as (relay, raw):
        sid = await raw.init()
        deaf = asyncio.ensure_future(raw.call(sid, "deaf"))
        await asyncio.sleep(0.2)
        big = {"text": "y" * 60_000}  # a few of these fill the pipe and the write buffer
        answers = await asyncio.gather(*(raw.call(sid, "echo", big, msg_id=10 + i) for i in range(6)))
        codes = {error_code(a) for a in answers}
        assert codes <= {"stdio.unavailable", "stdio.timeout", "stdio.exited"}, codes
        await deaf
        await until(lambda: relay.child.starts == 2 and relay.ready.is_set())
        again = await raw.call(sid, "echo", {"text": "x"}, msg_id=2)
    assert json.loads(answer_text(again))["text"] == "x"


async def test_client_gone_mid_request_frees_it_at_once(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (relay, raw):
        sid = await raw.init()
        msg = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "hang", "arguments": {}}}
        for accept in (ACCEPT, "application/json"):
            headers = {**raw.auth, "Accept": accept, "Mcp-Session-Id": sid}
            async with aiohttp.ClientSession() as http:  # its own connection, closed below

                async def hold(http: aiohttp.ClientSession = http, headers: dict[str, str] = headers) -> None:
                    async with http.post(raw.url, json=msg, headers=headers) as r:
                        await r.read()

                call = asyncio.ensure_future(hold())
                await until(lambda: len(relay.pending) == 1)
                call.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await call
            loop = asyncio.get_running_loop()
            began = loop.time()
            await until(lambda: not relay.pending and not relay.sessions[sid].in_flight)
            assert loop.time() - began < 3  # not held until the 5 s request timeout
        assert relay.child.starts == 1


async def test_look_alike_answer_id_is_dropped(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path, timeouts={"total_s": 1}) as (relay, raw):
        sid = await raw.init()
        msgs = await raw.call(sid, "wrong_id", msg_id=1)
    assert error_code(msgs) == "stdio.timeout"
    assert "fake" not in json.dumps(msgs)
    assert relay.dropped["unmatched_answer"] == 1


async def test_sessions_get_their_own_answers_under_their_own_ids(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (_, raw):
        a, b = await raw.init(), await raw.init()
        ra, rb = await asyncio.gather(
            raw.call(a, "echo", {"text": "for a"}, msg_id=1), raw.call(b, "echo", {"text": "for b"}, msg_id=1)
        )
    ea, eb = json.loads(answer_text(ra)), json.loads(answer_text(rb))
    assert (ea["text"], eb["text"]) == ("for a", "for b")
    assert ea["seen_id"] != eb["seen_id"]  # both clients sent id 1; the child saw the relay's ids


async def test_progress_goes_to_its_request_under_the_clients_token(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (_, raw):
        sid = await raw.init()
        msgs = await raw.call(sid, "progress", meta={"progressToken": "tok-1"})
        json_only = await raw.call(
            sid, "progress", msg_id=2, meta={"progressToken": "tok-2"}, accept="application/json"
        )
    progress = [m for m in msgs if m.get("method") == "notifications/progress"]
    assert [p["params"]["progress"] for p in progress] == [1, 2, 3]
    assert {p["params"]["progressToken"] for p in progress} == {"tok-1"}
    assert "tok-1" not in answer_text(msgs)  # the child saw the relay's token
    assert len(json_only) == 1  # a JSON answer carries no progress


async def test_server_request_goes_to_the_one_session_in_flight(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (relay, raw):
        sid, other = await raw.init(), await raw.init()
        msg = {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "sample", "arguments": {}}}
        headers = {**raw.auth, "Accept": ACCEPT, "Mcp-Session-Id": sid}
        async with raw.http.post(raw.url, json=msg, headers=headers) as r:
            assert r.content_type == "text/event-stream"
            lines = r.content.__aiter__()
            request: dict[str, Any] = {}
            while not request:
                line = await anext(lines)
                if line.startswith(b"data:"):
                    request = json.loads(line[5:])
            assert request["method"] == "sampling/createMessage"
            answer = {"jsonrpc": "2.0", "id": request["id"], "result": {"role": "assistant", "model": "m"}}
            assert (await raw.post(other, answer))[0] == 400  # only the session asked may answer
            assert (await raw.post(sid, answer))[0] == 202
            rest = sse_messages(await r.read())
    assert rest[-1]["id"] == 5
    assert json.loads(answer_text(rest)) == {"role": "assistant", "model": "m"}
    assert not relay.server_requests


async def test_server_request_is_refused_for_a_request_without_session(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (relay, raw):
        msg = {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "sample", "arguments": {}}}
        status, msgs = await raw.post(None, msg)
    assert status == 200 and msgs[-1]["id"] == 5
    assert "no single client session" in json.loads(answer_text(msgs))["message"]
    assert relay.dropped["server_request_refused"] == 1


async def test_server_request_is_refused_when_routing_is_ambiguous(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (relay, raw):
        a, b = await raw.init(), await raw.init()
        slow = asyncio.ensure_future(raw.call(b, "slow", {"delay": 1.5, "text": "b"}))
        await until(lambda: len(relay.pending) == 1)
        msgs = await raw.call(a, "sample")
        await slow
    got = json.loads(answer_text(msgs))
    assert "no single client session" in got["message"]
    assert not any(m.get("method") == "sampling/createMessage" for m in msgs)
    assert relay.dropped["server_request_refused"] == 1


async def test_list_changed_reaches_every_sessions_stream(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (_, raw):
        a, b = await raw.init(), await raw.init()

        async def first_event(sid: str) -> dict[str, Any]:
            headers = {**raw.auth, "Accept": "text/event-stream", "Mcp-Session-Id": sid}
            async with raw.http.get(raw.url, headers=headers) as r:
                async for line in r.content:
                    if line.startswith(b"data:"):
                        event: dict[str, Any] = json.loads(line[5:])
                        return event
            raise AssertionError("stream ended")

        streams = [asyncio.ensure_future(first_event(s)) for s in (a, b)]
        await asyncio.sleep(0.2)  # both streams open
        await raw.call(a, "changed")
        got = await asyncio.wait_for(asyncio.gather(*streams), 5)
    assert [e["method"] for e in got] == ["notifications/tools/list_changed"] * 2


async def test_subscriptions_are_shared_counted_and_replayed_after_a_restart(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (relay, raw):
        a, b, c = await raw.init(), await raw.init(), await raw.init()
        for sid in (a, b):
            msg = {"jsonrpc": "2.0", "id": 2, "method": "resources/subscribe", "params": {"uri": "file:///x"}}
            assert (await raw.post(sid, msg))[1][-1]["result"] == {}

        async def first_event(sid: str) -> dict[str, Any] | None:
            headers = {**raw.auth, "Accept": "text/event-stream", "Mcp-Session-Id": sid}
            async with raw.http.get(raw.url, headers=headers) as r:
                async for line in r.content:
                    if line.startswith(b"data:"):
                        event: dict[str, Any] = json.loads(line[5:])
                        return event
            return None

        streams = {sid: asyncio.ensure_future(first_event(sid)) for sid in (a, b, c)}
        await asyncio.sleep(0.2)
        await raw.call(c, "update", {"uri": "file:///x"})
        got = await asyncio.wait_for(asyncio.gather(streams[a], streams[b]), 5)
        assert [e["params"]["uri"] for e in got if e] == ["file:///x"] * 2
        assert not streams[c].done()  # c did not subscribe
        streams[c].cancel()
        # the child restarts: the relay subscribes the new one again
        assert error_code(await raw.call(c, "exit", msg_id=3)) == "stdio.exited"
        await until(lambda: relay.ready.is_set() and relay.child.starts == 2)
        await until(lambda: relay.dropped["unmatched_answer"] == 0 and not relay.pending)
        assert json.loads(answer_text(await raw.call(c, "subs", msg_id=4))) == ["file:///x"]
        # a's unsubscribe is answered by the relay (b still holds it); b's reaches the child
        unsub = {"jsonrpc": "2.0", "id": 5, "method": "resources/unsubscribe", "params": {"uri": "file:///x"}}
        assert (await raw.post(a, unsub))[1][-1]["result"] == {}
        assert json.loads(answer_text(await raw.call(c, "subs", msg_id=6))) == ["file:///x"]
        assert (await raw.post(b, unsub))[1][-1]["result"] == {}
        assert json.loads(answer_text(await raw.call(c, "subs", msg_id=7))) == []


async def test_stderr_goes_to_the_log_cut_and_rate_limited(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="callgate.stdio")
    async with hostile_bridge(tmp_path, stdio={"stderr_line": 100, "stderr_lines_per_s": 5}) as (relay, raw):
        sid = await raw.init()
        await raw.call(sid, "stderr", {"lines": 200, "width": 5000})
        await until(lambda: any("not logged (rate)" in r.getMessage() for r in caplog.records))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("[hostile] line")]
    assert lines and lines[0].startswith("[hostile] line 0 eee")
    assert all(len(line) <= len("[hostile] ") + 101 for line in lines)  # cut to stderr_line (+ "…")
    assert len(lines) < 50  # 200 written, at most ~5 a second logged
    assert relay.child.starts == 1


async def test_failed_handshake_restarts_with_backoff_and_clients_get_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="callgate.stdio")
    async with hostile_bridge(tmp_path, "--no-init", timeouts={"total_s": 1}) as (relay, raw):
        await until(lambda: relay.child.starts >= 5, limit_s=30)
        msg = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}}
        status, msgs = await raw.post(None, msg)
        assert not relay.ready.is_set()
    assert status == 503 and "not running" in msgs[0]["error"]["message"]
    delays = [r.getMessage().rsplit(" in ", 1)[1] for r in caplog.records if "restarting in" in r.getMessage()]
    assert delays[:4] == ["0.1 s", "0.2 s", "0.4 s", "0.4 s"]  # doubling from restart_initial_s to restart_max_s
    assert any("initialize was answered with" in r.getMessage() for r in caplog.records)


async def test_bridge_protocol_edges(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (relay, raw):
        listing = {"jsonrpc": "2.0", "id": 3, "method": "tools/list"}
        status, msgs = await raw.post(None, listing)  # no session id: a stateless request
        assert status == 200 and len(msgs[-1]["result"]["tools"]) == 20
        assert not relay.sessions
        subscribe = {"jsonrpc": "2.0", "id": 4, "method": "resources/subscribe", "params": {"uri": "file:///x"}}
        status, msgs = await raw.post(None, subscribe)
        assert "needs a session" in msgs[-1]["error"]["message"] and not relay.subscribers
        async with raw.http.get(raw.url, headers=raw.auth) as r:
            assert r.status == 400  # a GET stream belongs to a session
        # a session this worker has not seen (opened on another worker): taken, the gateway vouches for it
        status, msgs = await raw.post("opened-on-another-worker", listing)
        assert status == 200 and len(msgs[-1]["result"]["tools"]) == 20
        assert "opened-on-another-worker" in relay.sessions
        status, _ = await raw.post("s", None, data=b"{not json")
        assert status == 400
        status, _ = await raw.post("s", None, data=b"[" * 30_000 + b"]" * 30_000)
        assert status == 400  # too deep to parse: a 400, never a 500
        status, _ = await raw.post("s", None, data=json.dumps({"x": "y" * 70_000}).encode())
        assert status == 413  # past max_line
        status, msgs = await raw.post("s", {"jsonrpc": "2.0", "id": 9, "method": "server/discover"})
        assert msgs[-1]["error"]["code"] == -32601  # handshake-era only: clients fall back to initialize
        batch = [listing, {"jsonrpc": "2.0", "id": 4, "method": "ping"}]
        status, msgs = await raw.post("s", batch)
        assert status == 200 and [m["id"] for m in msgs[0]] == [3, 4]
        async with raw.http.delete(raw.url, headers={**raw.auth, "Mcp-Session-Id": "s"}) as r:
            assert r.status == 200
        assert "s" not in relay.sessions
        async with raw.http.put(raw.url, headers=raw.auth) as r:
            assert r.status == 405


async def test_hostile_stdio_server_through_the_gateway(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway(mcp_servers=hostile_server("--banner"))
    relay = await ready(gw, "hostile")
    async with mcp_client(gw, gw.token(scopes=["tool:hostile.*"]), "hostile") as s:
        assert len((await s.list_tools()).tools) == 20
        garbage = await s.call_tool("garbage", {})
        assert text_of(garbage) == "after garbage"
        assert "exited" in await failure_of(s, "exit", {})
        echo = await s.call_tool("echo", {"text": "after the restart"})  # same session, new child
    assert json.loads(text_of(echo))["text"] == "after the restart"
    assert relay.child.starts == 2
    assert gw.metric("callgate_stdio_starts_total", {"server": "hostile"}) == 2
    assert gw.metric("callgate_stdio_ready", {"server": "hostile"}) == 1
    # the banner of each of the two children and "this is not json"
    assert gw.metric("callgate_stdio_dropped_total", {"server": "hostile", "reason": "not_json"}) == 3
    assert gw.metric("callgate_stdio_dropped_total", {"server": "hostile", "reason": "not_message"}) == 2
    tool_calls = [r["tool"] for r in gw.records("call") if r["action"] == "tools/call"]
    assert tool_calls == ["hostile.garbage", "hostile.exit", "hostile.echo"]


async def test_notifications_reach_agents_through_the_gateway(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway(mcp_servers=hostile_server())
    await ready(gw, "hostile")
    seen: dict[str, list[str]] = {"a": [], "b": []}

    def handler(who: str) -> Any:
        async def on_message(message: Any) -> None:
            method = getattr(message, "method", None)
            if isinstance(method, str):
                seen[who].append(method)

        return on_message

    progress: list[float] = []

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        progress.append(p)

    token = gw.token(scopes=["tool:hostile.*"])
    async with (
        mcp_client(gw, token, "hostile", message_handler=handler("a")) as a,
        mcp_client(gw, token, "hostile", message_handler=handler("b")) as b,
    ):
        await b.send_ping()
        await asyncio.sleep(0.3)  # both GET streams are open through the gateway
        r = await a.call_tool("progress", {}, progress_callback=on_progress)
        assert not r.is_error and progress == [1, 2, 3]  # on a's request, under a's token
        await a.call_tool("changed", {})
        await until(lambda: all("notifications/tools/list_changed" in v for v in seen.values()))
    assert "notifications/progress" not in seen["b"]


async def _eof_and_descriptors(tmp_path: Path) -> None:
    async with hostile_bridge(tmp_path) as (relay, raw):
        sid = await raw.init()
        assert json.loads(answer_text(await raw.call(sid, "fds"))) == []  # nothing of the gateway's
        assert error_code(await raw.call(sid, "close_stdout", msg_id=2)) == "stdio.exited"
        assert json.loads(answer_text(await raw.call(sid, "echo", {"text": "x"}, msg_id=3)))["text"] == "x"
    assert relay.child.starts == 2


async def test_child_inherits_no_descriptors_and_its_eof_is_seen(tmp_path: Path) -> None:
    await _eof_and_descriptors(tmp_path)


def test_same_under_uvloop_which_serve_uses(tmp_path: Path) -> None:
    """uvloop's own subprocess support leaks the child's pipe ends into it (no EOF, extra descriptors)."""
    uvloop = pytest.importorskip("uvloop")
    uvloop.run(_eof_and_descriptors(tmp_path))

"""stdio MCP servers: a real one from PyPI (``mcp-server-time``) through the gateway, and a hostile one.

The gateway starts the child itself (``mcp_servers.<s>.command``) and reaches it through
its loopback bridge; agents use the `mcp` SDK's streamable-HTTP client at ``/mcp/<s>``
as for any MCP server. The hostile server (``tests/stdio_hostile.py``) writes garbage,
oversize lines and unframed bytes, exits, and sends server-initiated messages, to
test framing, restarts and routing on the bridge itself.
"""

from __future__ import annotations

import asyncio
import json
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
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import TextContent

from gateway.config import Settings
from gateway.errors import ConfigError
from gateway.mcp.stdio import StdioBridge
from gateway.mcp.stdio.relay import StdioRelay
from gateway.runtime import Runtime
from tests.conftest import Gateway, GatewayFactory, settings_dict

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


@asynccontextmanager
async def mcp_client(gw: Gateway, token: str, server: str) -> AsyncIterator[ClientSession]:
    url = str(gw.agent.make_url(f"/mcp/{server}"))
    async with (
        create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


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
    (rec,) = time_gw.records("call")
    assert rec["tool"] == "time.get_current_time" and rec["protocol"] == "mcp"
    assert rec["outcome"] == "allowed" and rec["forwarded"] is True
    assert rec["decision"]["credential"] == "callgate-stdio-bridge"
    # policy sees the transport, not the bridge's port
    srv = time_gw.rt.mcp_servers["time"]
    assert srv.policy_doc["transport"] == "stdio" and srv.policy_doc["upstream"].startswith("stdio:")


async def denial_of(s: ClientSession, name: str, args: dict[str, Any]) -> str:
    """The denial's text, whichever way the gateway reports it (a JSON-RPC error or an isError result)."""
    try:
        r = await s.call_tool(name, args)
    except MCPError as e:
        return f"{e.error.message} {json.dumps(e.error.data)}"
    assert r.is_error
    return text_of(r)


async def test_real_stdio_server_policy_denial(time_gw: Gateway) -> None:
    async with mcp_client(time_gw, time_gw.token(scopes=["tool:time.convert_time"]), "time") as s:
        assert {t.name for t in (await s.list_tools()).tools} == {"convert_time"}
        text = await denial_of(s, "get_current_time", {"timezone": "UTC"})
        ok = await s.call_tool("convert_time", {"source_timezone": "UTC", "time": "12:00", "target_timezone": "UTC"})
    assert "policy.denied" in text and "scope" in text
    assert not ok.is_error
    denied, allowed = time_gw.records("call")
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
    if "env" in server:  # `callgate check-config` finds it too
        assert any(loc == field for loc, _ in check_secrets(settings))


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

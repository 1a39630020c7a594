"""`serve --workers 2` with Redis serves MCP: a session opened on one worker is used on the other,
and a gateway restart keeps it (sessions, pins and holds live in the store)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
from redis.crc import key_slot

from gateway.config import load_settings
from gateway.identity import mint_dev_token
from gateway.stages.admission import tenant_tag
from tests.conftest import (
    GatewayFactory,
    RedisServer,
    free_port,
    mcp_initialize,
    serve_config,
    serve_mcp,
    wait_ready,
)
from tests.hostile_mcp import start_hostile

MCP = """\
mcp_servers:
  {name}:
    upstream: {url}
    credentials: {{key: {{header: Authorization, value: {{env: CG_TEST_ECHO_KEY}}}}}}
"""


def write_config(tmp_path: Path, store: str, name: str, url: str, extra: str = "") -> tuple[Path, int, int]:
    port, admin = free_port(), free_port()
    cfg = tmp_path / "c.yaml"
    head = serve_config(f"store: {{url: '{store}'}}", port, admin, tmp_path / "d.jsonl")
    cfg.write_text(head + MCP.format(name=name, url=url) + extra)
    return cfg, port, admin


ACCEPT = "application/json, text/event-stream"


async def start(cfg: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "serve", "--config", str(cfg), "--workers", "2",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, env=env,
    )  # fmt: skip


async def stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(proc.wait(), 20) == 0


def listeners(port: int) -> int:
    """Sockets listening on ``port`` in this network namespace: one per worker (SO_REUSEPORT)."""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                n += local.rsplit(":", 1)[1] == f"{port:04X}" and state == "0A"
    return n


async def ready(s: aiohttp.ClientSession, admin: int, port: int) -> None:
    """``/readyz`` answers once one worker is up; the other binds after its own start-up (which compiles the
    prefilter database and starts an inspection process: seconds on a loaded 2-core machine), so wait
    until both listen on the agents' port."""
    await wait_ready(s, admin)
    deadline = asyncio.get_running_loop().time() + 60
    while listeners(port) < 2:
        assert asyncio.get_running_loop().time() < deadline, "the second worker never listened"
        await asyncio.sleep(0.1)


def answer_of(body: str, ctype: str) -> Any:
    if ctype.startswith("text/event-stream"):
        return [json.loads(line[5:]) for line in body.splitlines() if line.startswith("data:")][-1]
    return json.loads(body)


async def open_session(
    s: aiohttp.ClientSession, cfg: Path, port: int, server: str, scopes: list[str]
) -> tuple[str, dict[str, str]]:
    """An MCP session of agent ``demo`` (tenant ``acme``) at ``/mcp/<server>``: its URL and headers."""
    token = mint_dev_token(load_settings(cfg), agent="demo", tenant="acme", scopes=scopes)
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT, "MCP-Protocol-Version": "2025-06-18"}
    url = f"http://127.0.0.1:{port}/mcp/{server}"
    async with s.post(url, json=mcp_initialize("w"), headers=headers) as r:
        assert r.status == 200, await r.text()
        headers["Mcp-Session-Id"] = r.headers["Mcp-Session-Id"]
    return url, headers


def records_per_worker(tmp_path: Path, action: str) -> dict[str, int]:
    """Per worker log, how many call records of ``action`` it holds."""
    out: dict[str, int] = {}
    for p in sorted(tmp_path.glob("d.w*.jsonl")):
        recs = [json.loads(line) for line in p.read_text().splitlines() if f'"action":"{action}"' in line]
        out[p.name] = sum(r["kind"] == "call" for r in recs)
    return out


def both_served(tmp_path: Path, action: str) -> bool:
    """Have both workers written a call record of ``action``? (A worker whose log is not there
    yet has served nothing: ``all()`` over the one log there would say yes.)"""
    per = records_per_worker(tmp_path, action)
    return len(per) == 2 and all(per.values())


async def test_two_workers_share_mcp_sessions_and_a_restart_keeps_them(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    redis_server.command("FLUSHALL")
    with serve_mcp() as up:
        cfg, port, admin = write_config(tmp_path, redis_server.url, "demo", up.url)
        proc = await start(cfg)
        try:
            # a new connection each time: SO_REUSEPORT spreads them over the workers
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
                await ready(s, admin, port)
                url, headers = await open_session(s, cfg, port, "demo", ["tool:demo.*"])
                async with s.post(
                    url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers
                ) as r:
                    assert r.status == 202

                assert [await echo(s, url, headers, i, f"n{i}") for i in range(1, 21)] == [
                    f"n{i}" for i in range(1, 21)
                ]
                # SIGHUP reloads every worker's policies; MCP tools stay known (they became tool.unknown once)
                proc.send_signal(signal.SIGHUP)
                reloads = 0.0
                for _ in range(100):
                    async with s.get(f"http://127.0.0.1:{admin}/metrics") as r:
                        m = re.search(
                            r'^callgate_policy_reloads_total\{result="success"\} (\S+)$', await r.text(), re.M
                        )
                    reloads = float(m.group(1)) if m else 0.0
                    if reloads >= 2:
                        break
                    await asyncio.sleep(0.1)
                assert reloads == 2  # both workers reloaded
                assert [await echo(s, url, headers, i, f"n{i}") for i in range(21, 27)] == [
                    f"n{i}" for i in range(21, 27)
                ]
                other = mint_dev_token(load_settings(cfg), agent="demo", tenant="globex", scopes=["tool:demo.*"])
                async with s.post(
                    url,
                    json={"jsonrpc": "2.0", "id": 99, "method": "ping"},
                    headers={**headers, "Authorization": f"Bearer {other}"},
                ) as r:
                    assert r.status == 403  # bound to its owner on every worker
            assert both_served(tmp_path, "tools/call"), records_per_worker(tmp_path, "tools/call")
        finally:
            await stop(proc)
        # a restart: the same session goes on (Redis kept the binding; the server kept its session)
        proc = await start(cfg)
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
                await ready(s, admin, port)
                assert await echo(s, url, headers, 50, "after restart") == "after restart"
        finally:
            await stop(proc)


async def echo(s: aiohttp.ClientSession, url: str, headers: dict[str, str], msg_id: int, text: str) -> str:
    """``tools/call`` of ``echo``; the text it answered."""
    call = {
        "jsonrpc": "2.0",
        "id": msg_id,
        "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": text}},
    }
    async with s.post(url, json=call, headers=headers) as r:
        assert r.status == 200, await r.text()
        doc = answer_of(await r.text(), r.content_type)
    return str(doc["result"]["content"][0]["text"])


async def test_two_workers_share_listed_tools_and_server_requests(tmp_path: Path, redis_server: RedisServer) -> None:
    """A tool listed through one worker is called through the other without a new list (and
    after a restart), and the agent's answer to a server request reaches the server whichever
    worker takes it."""
    redis_server.command("FLUSHALL")
    hostile, server = await start_hostile()
    allow = "policy: {data: {mcp_allow_methods: [roots/list]}}\n"
    cfg, port, admin = write_config(tmp_path, redis_server.url, "evil", hostile.url, allow)
    proc = await start(cfg)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
            await ready(s, admin, port)
            url, headers = await open_session(s, cfg, port, "evil", ["tool:evil.*", "tool:evil"])
            async with s.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=headers) as r:
                listed = answer_of(await r.text(), r.content_type)
            assert "echo" in [t["name"] for t in listed["result"]["tools"]]
            assert sum(records_per_worker(tmp_path, "tools/list").values()) == 1

            # calls until both workers have served one (SO_REUSEPORT spreads new connections)
            for i in range(2, 60):
                assert await echo(s, url, headers, i, f"n{i}") == f"n{i}"
                if both_served(tmp_path, "tools/call"):
                    break
            calls = records_per_worker(tmp_path, "tools/call")
            assert len(calls) == 2 and all(calls.values()), calls
            assert hostile.methods().count("tools/list") == 1  # the agent's own: no worker listed again

            # server requests on the GET stream (held by one worker), answered on fresh connections
            stream = await s.get(url, headers={**headers, "Accept": "text/event-stream"})
            assert stream.status == 200
            elsewhere = 0
            for i in range(60):
                hostile.push.put_nowait({"jsonrpc": "2.0", "id": f"r-{i}", "method": "roots/list"})
                line = b""
                while b"roots/list" not in line:
                    line = await asyncio.wait_for(stream.content.readline(), 10)
                gid = json.loads(line[5:])["id"]
                assert gid != f"r-{i}"
                (holder,) = [w for w, n in records_per_worker(tmp_path, "roots/list").items() if n]
                before = records_per_worker(tmp_path, "ping")
                # with a ping in the same batch, whose record says which worker took the answer
                answer = {"jsonrpc": "2.0", "id": gid, "result": {"roots": [{"uri": f"file:///r{i}"}]}}
                ping = {"jsonrpc": "2.0", "id": 1000 + i, "method": "ping"}
                async with s.post(url, json=[answer, ping], headers=headers) as r:
                    assert r.status == 200, await r.text()
                    assert [d["id"] for d in await r.json()] == [1000 + i]  # the answer itself: no reply
                after = records_per_worker(tmp_path, "ping")
                (taker,) = [w for w in after if after[w] != before.get(w, 0)]
                assert hostile.answers[f"r-{i}"]["result"]["roots"] == [{"uri": f"file:///r{i}"}]
                elsewhere += taker != holder
                if elsewhere >= 2 and i >= 3:
                    break
            stream.close()
            assert elsewhere >= 2  # delivered from the worker that never saw the request
            # a second answer to an answered request is refused on either worker
            async with s.post(url, json=answer, headers=headers) as r:
                assert r.status == 400
        await stop(proc)
        # a restart: what the session listed is still known (Redis), so no new list either
        proc = await start(cfg)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
            await ready(s, admin, port)
            assert await echo(s, url, headers, 50, "after restart") == "after restart"
        assert hostile.methods().count("tools/list") == 1
    finally:
        await stop(proc)
        hostile.push.put_nowait({"method": "_close"})
        await server.close()


async def test_session_state_is_per_tenant_bounded_and_taken_once(
    make_gateway: GatewayFactory, store: Any, redis_server: RedisServer
) -> None:
    """The store's side of the shared session state, on both stores (Redis: keys under the tenant's tag)."""
    gw = await make_gateway(store=store)
    st = gw.rt.mcp_state
    await st.mark_listed("acme", "demo", "s1", ["echo", "add"], 60)
    assert await st.listed("acme", "demo", "s1", "echo") and await st.listed("acme", "demo", "s1", "add")
    assert not await st.listed("globex", "demo", "s1", "echo")  # another tenant's session of that id
    assert not await st.listed("acme", "demo", None, "echo") and not await st.listed("acme", "demo", "s2", "echo")
    await st.mark_listed("acme", "demo", "s2", ["echo"], 0.05)
    await asyncio.sleep(0.1)
    assert not await st.listed("acme", "demo", "s2", "echo")  # definition_ttl_s passed
    await st.forget_listed("acme", "demo", "s1")
    assert not await st.listed("acme", "demo", "s1", "echo")

    assert [await st.add_server_request("acme", "demo", "s1", f"g{i}", f'"r{i}"', 3, 60) for i in range(4)] == [
        True,
        True,
        True,
        False,  # the limit per session
    ]
    assert await st.take_server_request("globex", "demo", "s1", "g0") is None
    assert await st.take_server_request("acme", "demo", "s1", "g0") == '"r0"'
    assert await st.take_server_request("acme", "demo", "s1", "g0") is None  # taken once
    assert await st.add_server_request("acme", "demo", "s1", "g3", '"r3"', 3, 60)  # room again
    await st.mark_listed("acme", "demo", "s1", ["echo"], 60)
    await st.forget_session("acme", "demo", "s1")
    assert await st.take_server_request("acme", "demo", "s1", "g1") is None
    assert not await st.listed("acme", "demo", "s1", "echo")
    if store != "memory":
        await st.mark_listed("acme", "demo", "s9", ["echo"], 60)
        await st.add_server_request("acme", "demo", "s9", "g", "1", 3, 60)
        raw = redis_server.command("KEYS", "*mcp:*:demo:s=s9").decode()
        names = [line for line in raw.split("\r\n") if "mcp:" in line]
        assert len(names) == 2 and all(tenant_tag("acme") + "mcp:" in n for n in names), names
        assert len({key_slot(n.encode()) for n in names}) == 1  # one tenant, one slot
        ttl = int(redis_server.command("PTTL", names[0]).decode().split("\r\n")[0].lstrip(":"))
        assert 0 < ttl <= 60_000
    else:  # bounded in number of sessions: expired ones swept first, then the oldest goes
        st.MAX_SESSIONS = 3  # type: ignore[attr-defined]
        for i in range(5):
            await st.mark_listed("acme", "demo", f"m{i}", ["echo"], 60)
        assert len(st._listed) == 3 and await st.listed("acme", "demo", "m4", "echo")  # type: ignore[attr-defined]
        assert not await st.listed("acme", "demo", "m0", "echo")

"""`serve --workers 2` with Redis serves MCP: a session opened on one worker is used on the other,
and a gateway restart keeps it (sessions, pins and holds live in the store)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp

from gateway.config import load_settings
from gateway.identity import mint_dev_token
from tests.conftest import RedisServer, free_port, serve_mcp

CONFIG = """\
store: {{url: '{redis}'}}
server: {{port: {port}}}
admin: {{port: {admin}, token: {{env: CG_TEST_ADMIN_TOKEN}}}}
identity:
  issuers: [t]
  audience: callgate
  keys: [{{kind: hmac, secret: {{env: CG_TEST_SIGNING_KEY}}, dev: true}}]
decision_log: {{path: "{log}"}}
agents: {{demo: {{tenants: [acme]}}}}
mcp_servers:
  demo:
    upstream: {mcp}
    credentials: {{key: {{header: Authorization, value: {{env: CG_TEST_ECHO_KEY}}}}}}
"""
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


async def ready(s: aiohttp.ClientSession, admin: int) -> None:
    for _ in range(150):
        try:
            async with s.get(f"http://127.0.0.1:{admin}/readyz") as r:
                if r.status == 200:
                    await asyncio.sleep(0.5)  # the second worker may bind a moment after the first
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the gateway did not become ready")


def answer_of(body: str, ctype: str) -> Any:
    if ctype.startswith("text/event-stream"):
        return [json.loads(line[5:]) for line in body.splitlines() if line.startswith("data:")][-1]
    return json.loads(body)


def workers_that_answered(tmp_path: Path) -> set[str]:
    """Workers whose log has a tools/call record."""
    return {
        p.name
        for p in tmp_path.glob("d.w*.jsonl")
        if any('"action":"tools/call"' in line for line in p.read_text().splitlines())
    }


async def test_two_workers_share_mcp_sessions_and_a_restart_keeps_them(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    redis_server.command("FLUSHALL")
    port, admin = free_port(), free_port()
    with serve_mcp() as up:
        cfg = tmp_path / "c.yaml"
        cfg.write_text(
            CONFIG.format(redis=redis_server.url, port=port, admin=admin, log=tmp_path / "d.jsonl", mcp=up.url)
        )
        token = mint_dev_token(load_settings(cfg), agent="demo", tenant="acme", scopes=["tool:demo.*"])
        headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT, "MCP-Protocol-Version": "2025-06-18"}
        url = f"http://127.0.0.1:{port}/mcp/demo"
        proc = await start(cfg)
        try:
            # a new connection each time: SO_REUSEPORT spreads them over the workers
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
                await ready(s, admin)
                init = {
                    "jsonrpc": "2.0",
                    "id": 0,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": "2025-06-18",
                        "capabilities": {},
                        "clientInfo": {"name": "w", "version": "1"},
                    },
                }
                async with s.post(url, json=init, headers=headers) as r:
                    assert r.status == 200, await r.text()
                    sid = r.headers["Mcp-Session-Id"]
                headers["Mcp-Session-Id"] = sid
                async with s.post(
                    url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers
                ) as r:
                    assert r.status == 202

                async def echo(i: int) -> str:
                    call = {
                        "jsonrpc": "2.0",
                        "id": i,
                        "method": "tools/call",
                        "params": {"name": "echo", "arguments": {"text": f"n{i}"}},
                    }
                    async with s.post(url, json=call, headers=headers) as r:
                        assert r.status == 200, await r.text()
                        doc = answer_of(await r.text(), r.content_type)
                    return str(doc["result"]["content"][0]["text"])

                assert [await echo(i) for i in range(1, 21)] == [f"n{i}" for i in range(1, 21)]
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
                assert [await echo(i) for i in range(21, 27)] == [f"n{i}" for i in range(21, 27)]
                other = mint_dev_token(load_settings(cfg), agent="demo", tenant="globex", scopes=["tool:demo.*"])
                async with s.post(
                    url,
                    json={"jsonrpc": "2.0", "id": 99, "method": "ping"},
                    headers={**headers, "Authorization": f"Bearer {other}"},
                ) as r:
                    assert r.status == 403  # bound to its owner on every worker
            assert workers_that_answered(tmp_path) == {"d.w0.jsonl", "d.w1.jsonl"}
        finally:
            await stop(proc)
        # a restart: the same session goes on (Redis kept the binding; the server kept its session)
        proc = await start(cfg)
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
                await ready(s, admin)
                assert await echo_after_restart(s, url, headers) == "after restart"
        finally:
            await stop(proc)


async def echo_after_restart(s: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> str:
    call = {
        "jsonrpc": "2.0",
        "id": 50,
        "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": "after restart"}},
    }
    async with s.post(url, json=call, headers=headers) as r:
        assert r.status == 200, await r.text()
        doc = answer_of(await r.text(), r.content_type)
    return str(doc["result"]["content"][0]["text"])

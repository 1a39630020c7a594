"""`callgate serve --workers N`: processes sharing the ports, metrics aggregated, one log per worker."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from gateway.audit.verify import verify_log
from gateway.cli import main
from gateway.config import load_settings
from gateway.identity import mint_dev_token
from tests.conftest import RedisServer, Upstream, free_port, serve_config, wait_ready


def write_config(tmp_path: Path, upstream: str, store: str) -> tuple[Path, int, int]:
    port, admin = free_port(), free_port()
    cfg = tmp_path / "c.yaml"
    tools = f"tools:\n  echo:\n    upstream: {upstream}/echo\n"
    cfg.write_text(serve_config(store, port, admin, tmp_path / "d.jsonl") + tools)
    return cfg, port, admin


def test_memory_store_refused_with_several_workers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg, _, _ = write_config(tmp_path, "http://127.0.0.1:9", "store: memory")
    assert main(["serve", "--config", str(cfg), "--workers", "2"]) == 2
    assert "needs a shared store" in capsys.readouterr().err


def calls_per_worker_log(tmp_path: Path) -> list[int]:
    """Each worker's log verifies on its own; the number of call records in each."""
    logs = sorted(tmp_path.glob("d.w*.jsonl"))
    assert [p.name for p in logs] == ["d.w0.jsonl", "d.w1.jsonl"]
    counts = []
    for log in logs:
        report = verify_log(log)
        assert report.ok, report.problems
        counts.append(sum('"kind":"call"' in line for line in log.read_text().splitlines()))
    return counts


def both_served(tmp_path: Path) -> bool:
    """Has each of the two workers written a call record yet?"""
    return len(list(tmp_path.glob("d.w*.jsonl"))) == 2 and all(c > 0 for c in calls_per_worker_log(tmp_path))


async def test_two_workers_share_the_port_and_aggregate_metrics(
    tmp_path: Path, upstream: Upstream, redis_server: RedisServer
) -> None:
    redis_server.command("FLUSHALL")
    cfg, port, admin = write_config(tmp_path, upstream.url, f"store: {{url: '{redis_server.url}'}}")
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "serve",
        "--config",
        str(cfg),
        "--workers",
        "2",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    token = mint_dev_token(load_settings(cfg), agent="demo", tenant="acme", scopes=["tool:echo"])
    auth = {"Authorization": f"Bearer {token}"}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
            await wait_ready(s, admin, proc)
            statuses: list[int] = []

            async def calls(n: int) -> None:
                for _ in range(n):  # a new connection each time: SO_REUSEPORT spreads them
                    async with s.get(f"http://127.0.0.1:{port}/tools/echo/x", headers=auth) as r:
                        statuses.append(r.status)

            # /readyz answers once one worker is up; the second may bind a moment later (under
            # load, seconds): call until both have served (each worker has its own log).
            deadline = asyncio.get_running_loop().time() + 20
            while True:
                await calls(10)
                if both_served(tmp_path):
                    break
                assert asyncio.get_running_loop().time() < deadline, "the second worker never served a call"
            await calls(40)
            assert statuses == [200] * len(statuses)
            for _ in range(2):  # whichever worker answers, the count covers both
                async with s.get(f"http://127.0.0.1:{admin}/metrics") as r:
                    text = await r.text()
                m = re.search(r'^callgate_calls_total\{code="ok",decision="allowed",tool="echo"\} (\S+)$', text, re.M)
                assert m is not None
                assert float(m.group(1)) == len(statuses)
        counts = calls_per_worker_log(tmp_path)
        assert sum(counts) == len(statuses)
        assert all(c > 0 for c in counts), counts  # both workers served
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0


def children_of(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


async def test_a_reload_while_workers_start_does_not_kill_them(tmp_path: Path, redis_server: RedisServer) -> None:
    """SIGHUP at once after start: a worker without its handler yet used to die of it, taking the group down."""
    cfg, _, admin = write_config(tmp_path, "http://127.0.0.1:9", f"store: {{url: '{redis_server.url}'}}")
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "serve", "--config", str(cfg), "--workers", "2",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        for _ in range(300):  # the supervisor has started its workers (its own handlers are set by then)
            if children_of(proc.pid):
                break
            await asyncio.sleep(0.01)
        for _ in range(10):  # through the workers' start-up (imports alone take ~1 s)
            proc.send_signal(signal.SIGHUP)
            await asyncio.sleep(0.1)
        async with aiohttp.ClientSession() as s:
            await wait_ready(s, admin, proc)  # fails if the gateway died of a SIGHUP during start-up
        await asyncio.sleep(2)  # both workers are up by now, or the group is gone
        assert proc.returncode is None
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0

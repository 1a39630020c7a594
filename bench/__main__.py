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


def gateway_config(tmp: Path, upstream_port: int, port: int, admin_port: int) -> Path:
    cfg = tmp / "bench.yaml"
    cfg.write_text(f"""\
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
  path: {tmp / "decisions.jsonl"}
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
""")
    return cfg


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
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(
        json.dumps(
            {
                "saturation": {"direct": asdict(sat_direct), "callgate": asdict(sat_gw)},
                "fixed_rate": {"direct": asdict(lat_direct), "callgate": asdict(lat_gw)},
            },
            indent=2,
        )
    )
    failed = sat_gw.non_2xx or lat_gw.ok != lat_gw.sent
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

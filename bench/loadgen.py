"""Load generators: wrk for saturation throughput, an open-loop Python client for fixed-rate latency."""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp


@dataclass
class Saturation:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    non_2xx: int


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found; installing Debian's wrk package (apt-get install wrk)")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed for `make bench` (Debian package 'wrk')")
    return found


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


def wrk(
    url: str,
    *,
    headers: dict[str, str],
    body: bytes,
    method: str = "POST",
    seconds: int = 10,
    connections: int = 64,
    threads: int = 1,
) -> Saturation:
    exe = ensure_wrk()
    lua_body = body.decode().replace("\\", "\\\\").replace('"', '\\"')
    script = [f'wrk.method = "{method}"', f'wrk.body = "{lua_body}"']
    script += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("\n".join(script) + "\n")
        path = f.name
    try:
        out = subprocess.run(
            [exe, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", path, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(path).unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    err = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = sum(int(x) for x in err.groups()) if err else 0
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Saturation(rps, p50, p99, errors, int(non.group(1)) if non else 0)


@dataclass
class FixedRate:
    rate: float
    sent: int
    ok: int
    p50_ms: float
    p99_ms: float
    max_ms: float


async def fixed_rate(
    url: str, *, headers: dict[str, str], body: bytes, rate: float, seconds: float, method: str = "POST"
) -> FixedRate:
    """Open loop: request i is sent at t0 + i/rate whatever happened to earlier ones."""
    latencies: list[float] = []
    ok = 0
    n = int(rate * seconds)
    conn = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=conn) as s:

        async def one() -> None:
            nonlocal ok
            t = time.perf_counter()
            async with s.request(method, url, data=body, headers=headers) as r:
                await r.read()
                if r.status < 300:
                    ok += 1
            latencies.append((time.perf_counter() - t) * 1000)

        # warm the pool
        await asyncio.gather(*(one() for _ in range(20)))
        latencies.clear()
        ok = 0
        tasks = []
        t0 = time.perf_counter()
        for i in range(n):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return FixedRate(rate, n, ok, q[49], q[98], max(latencies))

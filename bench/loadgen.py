"""Load generators for `make bench`, run in their own process so they never share the
measured process's CPU accounting: a closed-loop saturator and an open-loop fixed-rate
client, both on raw asyncio streams with the request bytes built once.

``python -m bench.loadgen closed|open --spec spec.json`` prints one JSON object.
The spec: ``{"host", "port", "request" (the whole HTTP/1.1 request, latin-1), ...}``.

Open loop: request ``i`` is due at ``t0 + i/rate`` whatever happened to earlier ones;
latency is measured from when it was due (so a stalled server cannot hide its queue:
no coordinated omission). Each request takes an idle keep-alive connection or opens a
new one (at most ``max_conns``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any


def build_request(method: str, host: str, port: int, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response (Content-Length or chunked); return its status, or 299 for
    a 200 that carries a JSON-RPC error (an MCP refusal is not a success)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = -1
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        n = name.strip().lower()
        if n == b"content-length":
            length = int(value)
        elif n == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    first = b""
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            first = first or chunk[:100]
            if size == 0:
                break
    elif length > 0:
        first = (await reader.readexactly(length))[:100]
    if status == 200 and b'"jsonrpc"' in first and b'"error"' in first:
        return 299
    return status


@dataclass
class Closed:
    seconds: float
    count: int = 0
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


async def closed_loop(spec: dict[str, Any]) -> Closed:
    """``conns`` connections, each sending the next request as soon as the last answer is read."""
    req: bytes = spec["request"].encode("latin-1")
    seconds: float = spec["seconds"]
    res = Closed(seconds)
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(spec["host"], spec["port"])
        try:
            while time.perf_counter() < stop:
                writer.write(req)
                try:
                    status = await read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    res.errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection(spec["host"], spec["port"])
                    continue
                res.count += 1
                key = str(status)
                res.statuses[key] = res.statuses.get(key, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(spec.get("conns", 16))))
    return res


@dataclass
class Open:
    rate: float
    sent: int
    ok: int
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    late_ms: float  # how far behind schedule the generator itself fell (its own lag, at worst)
    statuses: dict[str, int]


async def open_loop(spec: dict[str, Any]) -> Open:
    req: bytes = spec["request"].encode("latin-1")
    rate: float = spec["rate"]
    n = max(1, int(rate * spec["seconds"]))
    max_conns: int = spec.get("max_conns", 256)
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    opened = 0
    lat: list[float] = []
    statuses: dict[str, int] = {}
    errors = 0
    late = 0.0
    free = asyncio.Condition()

    async def conn() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        nonlocal opened
        async with free:
            while not idle and opened >= max_conns:
                await free.wait()
            if idle:
                return idle.pop()
            opened += 1
        return await asyncio.open_connection(spec["host"], spec["port"])

    async def one(due: float) -> None:
        nonlocal errors, opened
        reader, writer = await conn()
        try:
            writer.write(req)
            status = await read_response(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            errors += 1
            writer.close()
            async with free:
                opened -= 1
                free.notify()
            return
        lat.append((time.perf_counter() - due) * 1000)
        key = str(status)
        statuses[key] = statuses.get(key, 0) + 1
        async with free:
            idle.append((reader, writer))
            free.notify()

    # warm a few connections (and the server's caches) before the clock starts
    warm = max(4, min(32, int(rate / 50)))
    await asyncio.gather(*(one(time.perf_counter()) for _ in range(warm)))
    lat.clear()
    statuses.clear()
    tasks: list[asyncio.Task[None]] = []
    t0 = time.perf_counter() + 0.01
    for i in range(n):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            late = max(late, -delay * 1000)
        tasks.append(asyncio.create_task(one(due)))
    await asyncio.gather(*tasks)
    for _, w in idle:
        w.close()
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [float("nan")] * 99
    ok = sum(v for k, v in statuses.items() if k.startswith("2"))
    return Open(rate, n, ok, errors, q[49], q[98], max(lat, default=float("nan")), late, statuses)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("mode", choices=["closed", "open"])
    ap.add_argument("--spec", required=True, help="JSON file: host, port, request, seconds, conns | rate")
    a = ap.parse_args()
    with open(a.spec, encoding="utf-8") as f:
        spec = json.load(f)
    result: Any = asyncio.run(closed_loop(spec) if a.mode == "closed" else open_loop(spec))
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()

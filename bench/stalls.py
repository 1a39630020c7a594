"""What holds the event loop: every callback the loop runs, timed, while a case runs at a constant rate.

A real gateway (``Runtime``, the benchmark's configuration, memory store) runs in this
process on asyncio's own loop (uvloop's callbacks cannot be timed from Python), in front
of the benchmark's upstreams (their own processes); ``bench/loadgen.py`` sends the
case's request at its ``make bench`` rate from its own process.

Each callback (``Handle._run``: one step of a task, one protocol callback) is timed in
wall-clock time and in this thread's CPU time; wall time well over CPU time is the loop
thread waiting for the interpreter lock (another thread of the process holding it) or
for a core. A timer like ``gateway/looplag.py``'s counts wake-ups more than 10 ms late.

``--attribute`` also profiles the loop thread (``sys.setprofile``: Python and C calls, CPU time)
and, for each callback over ``--threshold`` ms, keeps the calls inside it that took
over 0.5 ms; the summary adds them up by function, outermost first. The profiler slows
Python code (not C code such as ``json.loads``) by about 2x: read the holders' names
and their share, not the absolute figures. Under it, aiohttp's client has failed a call
now and then (``AttributeError`` in ``ClientResponse.start``); without it, never.

``python -m bench.stalls --case mcp-args-256|mcp-out-1024|http-args-256|http-out-1024 [--seconds 10] [--attribute]``
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.__main__ import MCP_HEADERS, _body
from bench.loadgen import build_request
from bench.percall import loadgen, start_gateway, with_upstreams
from gateway.identity import mint_dev_token

CASES: dict[str, tuple[str, int, int, float]] = {  # path, argument KiB, output KiB, rate (bench's)
    "mcp-args-256": ("mcp", 256, 0, 5.0),
    "mcp-out-1024": ("mcp", 0, 1024, 4.0),
    "http-args-256": ("http", 256, 0, 5.0),
    "http-out-1024": ("http", 0, 1024, 4.0),
    "mcp-args-16": ("mcp", 16, 0, 50.0),
}
LATE_S = 0.010
MIN_CALL_S = 0.0005  # calls kept inside a slow callback


class Tracer:
    """Times every ``Handle._run``; with ``attribute``, profiles inside the slow ones."""

    def __init__(self, threshold_s: float, attribute: bool) -> None:
        self.threshold = threshold_s
        self.attribute = attribute
        self.on = False
        self.handles: list[tuple[float, float, str, list[tuple[int, str, float]]]] = []
        self.count = 0
        self._calls: list[tuple[int, str, float]] = []
        self._stack: list[tuple[str, float]] = []

    def _profile(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            where = f"{Path(code.co_filename).name}:{code.co_firstlineno}"
            self._stack.append((f"{code.co_qualname} ({where})", time.thread_time()))
        elif event == "c_call":
            mod = getattr(arg, "__module__", None) or type(getattr(arg, "__self__", None)).__name__
            self._stack.append((f"{mod}.{getattr(arg, '__qualname__', repr(arg))} [C]", time.thread_time()))
        elif self._stack:  # return, c_return, c_exception
            name, t0 = self._stack.pop()
            d = time.thread_time() - t0
            if d >= MIN_CALL_S:
                self._calls.append((len(self._stack), name, d))

    def install(self) -> None:
        tracer = self
        original: Callable[[Any], None] = asyncio.events.Handle._run

        def _run(handle: Any) -> None:
            if not tracer.on:
                original(handle)
                return
            if tracer.attribute:
                tracer._calls, tracer._stack = [], []
                sys.setprofile(tracer._profile)
            w0, c0 = time.perf_counter(), time.thread_time()
            try:
                original(handle)
            finally:
                wall, cpu = time.perf_counter() - w0, time.thread_time() - c0
                if tracer.attribute:
                    sys.setprofile(None)
                tracer.count += 1
                if wall >= tracer.threshold:
                    tracer.handles.append((wall, cpu, describe(handle), tracer._calls if tracer.attribute else []))

        asyncio.events.Handle._run = _run  # type: ignore[method-assign]


def describe(handle: Any) -> str:
    cb = handle._callback
    task = getattr(cb, "__self__", None)
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        return f"task {getattr(coro, '__qualname__', coro)}"
    return getattr(cb, "__qualname__", repr(cb))


async def watch(late: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time() + 0.02
        await asyncio.sleep(0.02)
        late.append(loop.time() - asked)


async def serve_and_drive(a: argparse.Namespace, cfg: Path, gw_port: int) -> int:
    settings, _, runner = await start_gateway(cfg, gw_port)
    path, arg_kib, out_kib, rate = CASES[a.case]
    from bench.inspect import payload

    args: dict[str, Any] = {"q": "what is the weather in Lisbon"}
    if arg_kib:
        args.update(payload(arg_kib))
    if out_kib:
        args["out_kib"] = out_kib
    body = _body(path, args, out_kib or None)
    token = mint_dev_token(settings, agent="bench", tenant="acme", scopes=["tool:echo", "tool:fast.*"], ttl_s=3600)
    auth = {"Authorization": f"Bearer {token}"}
    if path == "http":
        target = f"/tools/echo/out/{out_kib}" if out_kib else "/tools/echo/search"
        headers = {"Content-Type": "application/json", **auth}
    else:
        target, headers = "/mcp/fast", {**MCP_HEADERS, **auth}
    req = build_request("POST", "127.0.0.1", gw_port, target, headers, body).decode("latin-1")
    spec = {"host": "127.0.0.1", "port": gw_port, "request": req, "seconds": 1.0, "rate": rate}
    warm = await loadgen(spec, "open")
    if any(not s.startswith("2") or s == "299" for s in warm["statuses"]):
        print(f"warm-up answered {warm['statuses']}", file=sys.stderr)
        return 1
    tracer = Tracer(a.threshold / 1000, a.attribute)
    tracer.install()
    late: list[float] = []
    watcher = asyncio.create_task(watch(late))
    spec["seconds"] = a.seconds
    spec["rate"] = a.rate or rate
    tracer.on = True
    cpu0 = time.process_time()
    res = await loadgen(spec, "open")
    tracer.on = False
    watcher.cancel()
    cpu = time.process_time() - cpu0
    await runner.cleanup()
    report(a, tracer, late, res, cpu)
    return 0


def report(a: argparse.Namespace, tracer: Tracer, late: list[float], res: dict[str, Any], cpu: float) -> None:
    hs = sorted(tracer.handles, key=lambda h: -h[1])
    over = sum(1 for x in late if x > LATE_S)
    print(
        f"{a.case}: {res['ok']} of {res['sent']} calls ok ({res['statuses']}), p50 {res['p50_ms']:.0f} ms, "
        f"p99 {res['p99_ms']:.0f} ms; process CPU {cpu:.1f} s; {tracer.count} callbacks; "
        f"timer wake-ups > {LATE_S * 1000:.0f} ms late: {over} of {len(late)} "
        f"(max {max(late, default=0) * 1000:.1f} ms)"
    )
    n10 = [h for h in hs if h[0] > LATE_S]
    print(
        f"callbacks >= {a.threshold:g} ms: {len(hs)}; > 10 ms wall: {len(n10)} "
        f"(> 10 ms CPU: {sum(1 for h in hs if h[1] > LATE_S)})"
    )
    by: dict[str, list[float]] = {}
    for wall, _, what, _ in hs:
        by.setdefault(what, []).append(wall)
    for what, ws in sorted(by.items(), key=lambda x: -sum(x[1])):
        mid = sorted(ws)[len(ws) // 2]
        print(f"  {what:<70} n={len(ws):<4} max {max(ws) * 1000:6.1f} ms  median {mid * 1000:6.1f} ms (wall)")
    by_cpu = sorted(hs, key=lambda h: -h[1])
    cpus = [h[1] * 1000 for h in by_cpu]
    print(
        f"the longest callbacks by CPU time (ms): {', '.join(f'{c:.1f}' for c in cpus[: a.show])}; "
        f"> 5 ms CPU: {sum(1 for c in cpus if c > 5)}, > 2 ms CPU: {sum(1 for c in cpus if c > 2)}"
    )
    for wall, cpu_s, what, _ in by_cpu[: a.show]:
        print(f"    {wall * 1000:6.1f} ms wall {cpu_s * 1000:6.1f} ms CPU  {what}")
    if not tracer.attribute:
        return
    # by function: the self time (inclusive less the listed calls inside) of the calls in slow callbacks
    agg: dict[str, list[float]] = {}
    for _, _, _, calls in hs:
        below: dict[int, float] = {}
        per: dict[str, float] = {}
        for depth, name, d in calls:  # innermost first: a call's children come before it
            own = d - below.pop(depth + 1, 0.0)
            below[depth] = below.get(depth, 0.0) + d
            per[name] = per.get(name, 0.0) + own
        for name, d in per.items():
            agg.setdefault(name, []).append(d)
    print(f"\nself time of the calls inside the slow callbacks ({len(hs)} callbacks; max is per callback):")
    for name, ds in sorted(agg.items(), key=lambda x: -sum(x[1]))[: a.top]:
        print(f"  {sum(ds) * 1000:8.1f} ms total  n={len(ds):<4} max {max(ds) * 1000:6.1f}  {name}")
    for wall, cpu_s, what, calls in hs[: min(3, a.show)]:
        print(f"\none callback, {wall * 1000:.1f} ms wall, {cpu_s * 1000:.1f} ms CPU ({what})")
        print("calls over 0.5 ms of CPU, innermost first")
        for depth, name, d in calls[:60]:
            print(f"  {'  ' * min(depth, 20)}{d * 1000:6.2f}  {name}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", choices=sorted(CASES), default="mcp-out-1024")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=0.0, help="calls per second (default: the case's bench rate)")
    ap.add_argument("--threshold", type=float, default=2.0, help="ms: callbacks at least this long are listed")
    ap.add_argument("--attribute", action="store_true", help="profile inside the slow callbacks")
    ap.add_argument("--show", type=int, default=8)
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args()
    return with_upstreams(lambda cfg, port: asyncio.run(serve_and_drive(a, cfg, port)))


if __name__ == "__main__":
    raise SystemExit(main())

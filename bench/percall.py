"""Where one small call's CPU goes: per-stage CPU time, calls per CPU-second, or a cProfile.

A real gateway (``Runtime``, the benchmark's configuration, memory store) runs in this
process on uvloop when installed, in front of the benchmark's real upstreams (their own
processes); ``bench/loadgen.py`` drives it from its own process, so only the gateway's
work is counted here.

- ``--stages``: one connection, calls one after another; each stage's CPU time on the
  event-loop thread (``time.thread_time``), exclusive of the stages inside it, per call.
  ``(outside)`` is the rest of the process's CPU: aiohttp's server, the adapter, the loop.
- default: calls per CPU-second of this process (user + system, all threads) under
  closed-loop load (``--conns``), like ``make bench``'s figure.
- ``--profile FILE``: the same load under cProfile on the thread's CPU clock, stats written
  to FILE (on wall time a call preempted inside ``send`` looks expensive).
- ``--served``: the same load against ``callgate serve`` in its own process (what ``make
  bench`` measures), its CPU split into user and system time; ``--pyspy FILE`` records
  it meanwhile (py-spy's raw format). py-spy samples running threads at wall-clock
  intervals, so a thread that a wake-up preempted inside ``send`` is sampled there too:
  read socket writes' share against the system-time figure, not the samples.

``python -m bench.percall --path http|mcp [--size 50|1024|16384|262144] [--seconds 3]
[--stages | --served [--pyspy FILE]]``
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.__main__ import MCP_HEADERS, ROOT, _body, bench_env, free_port, gateway_config, wait_http
from bench.loadgen import build_request
from gateway.config import Settings, load_settings
from gateway.identity import mint_dev_token
from gateway.model import CallContext
from gateway.pipeline import Next, Pipeline
from gateway.runtime import Runtime


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed_entry(pipeline: Pipeline, acc: dict[str, float]) -> Next:
    """``pipeline``'s chain again, each stage's inclusive thread CPU time added to ``acc``."""

    async def emit(ctx: CallContext) -> None:
        t0 = time.thread_time()
        try:
            await ctx.need_adapter().emit(ctx)
        finally:
            acc["emit"] = acc.get("emit", 0.0) + time.thread_time() - t0

    def link(stage: Any, nxt: Next) -> Next:
        name = stage.name

        async def run(ctx: CallContext) -> None:
            t0 = time.thread_time()
            try:
                await stage(ctx, nxt)
            finally:
                acc[name] = acc.get(name, 0.0) + time.thread_time() - t0

        return run

    handler: Next = emit
    for stage in reversed(pipeline.stages):
        handler = link(stage, handler)
    return handler


async def start_gateway(cfg: Path, gw_port: int) -> tuple[Settings, Runtime, web.AppRunner]:
    """A real gateway in this process on ``gw_port``, as ``callgate serve`` runs it
    (gateway/cli.py: the guarded runner, the heap frozen); also for ``bench.stalls``."""
    from gateway.app import create_agent_app
    from gateway.server import ClientLimits, GuardedRunner

    settings = load_settings(cfg)
    rt = Runtime(settings)
    runner = GuardedRunner(create_agent_app(rt), ClientLimits.of(settings.server, rt.metrics), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", gw_port, backlog=1024).start()
    gc.collect()
    gc.freeze()
    return settings, rt, runner


async def serve_and_drive(a: argparse.Namespace, cfg: Path, gw_port: int) -> int:
    settings, rt, runner = await start_gateway(cfg, gw_port)
    try:
        return await drive(a, rt, settings, gw_port)
    finally:
        await runner.cleanup()
        if a.dump_records:
            with settings.decision_log.path.open() as f:
                for _, line in zip(range(a.dump_records), f, strict=False):
                    print(line, end="", file=sys.stderr)


async def loadgen(spec: dict[str, Any], mode: str = "closed") -> dict[str, Any]:
    """``bench/loadgen.py`` in its own process (``closed`` loop, or ``open`` at ``spec["rate"]``); its result."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.loadgen", mode, "--spec", f.name, cwd=ROOT, stdout=subprocess.PIPE
        )
        out, _ = await proc.communicate()
    finally:
        os.unlink(f.name)
    result: dict[str, Any] = json.loads(out)
    return result


def call_request(a: argparse.Namespace, settings: Settings, port: int) -> bytes:
    """The measured call (``a.path``, ``a.size``) as raw HTTP/1.1 request bytes."""
    token = mint_dev_token(settings, agent="bench", tenant="acme", scopes=["tool:echo", "tool:fast.*"], ttl_s=3600)
    auth = {"Authorization": f"Bearer {token}"}
    if a.size == 50:
        args: dict[str, Any] = {"q": "what is the weather in Lisbon", "limit": 5}
    else:
        from bench.inspect import payload

        args = {"q": "what is the weather in Lisbon", **payload(a.size // 1024)}
    body = _body(a.path, args, None)
    if a.path == "http":
        path, headers = "/tools/echo/search", {"Content-Type": "application/json", **auth}
    else:
        path, headers = "/mcp/fast", {**MCP_HEADERS, **auth}
    return build_request("POST", "127.0.0.1", port, path, headers, body)


async def drive(a: argparse.Namespace, rt: Runtime, settings: Any, port: int) -> int:
    req = call_request(a, settings, port)
    spec = {"host": "127.0.0.1", "port": port, "request": req.decode("latin-1"), "seconds": 0.5, "conns": 4}
    res = await loadgen(spec)  # warm: pools, caches, the policy decision cache
    if any(not s.startswith("2") for s in res["statuses"]):
        print(f"warm-up answered {res['statuses']}", file=sys.stderr)
        return 1
    spec["seconds"] = a.seconds
    spec["conns"] = a.conns
    out: dict[str, Any] = {"path": a.path, "size": a.size}
    if a.stages:
        acc: dict[str, float] = {}
        pipeline = rt.pipeline
        saved = pipeline._entry
        pipeline._entry = timed_entry(pipeline, acc)
        spec["conns"] = 1
        gc_t = [0.0, 0.0, 0]  # start, total, collections

        def on_gc(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                gc_t[0] = time.thread_time()
            else:
                gc_t[1] += time.thread_time() - gc_t[0]
                gc_t[2] += 1

        gc.callbacks.append(on_gc)
        cpu0 = _cpu()
        res = await loadgen(spec)
        cpu = _cpu() - cpu0
        gc.callbacks.remove(on_gc)
        pipeline._entry = saved
        n = res["count"]
        names = [*pipeline.names, "emit"]
        incl = [acc.get(nm, 0.0) for nm in names]
        excl = {nm: (incl[i] - (incl[i + 1] if i + 1 < len(incl) else 0.0)) / n * 1e6 for i, nm in enumerate(names)}
        excl["(outside)"] = (cpu - incl[0]) / n * 1e6
        out.update(
            calls=n,
            cpu_us_per_call=round(cpu / n * 1e6, 1),
            gc_us_per_call=round(gc_t[1] / n * 1e6, 1),
            gc_collections=gc_t[2],
            stages_us={k: round(v, 1) for k, v in excl.items()},
        )
    else:
        prof = cProfile.Profile(time.thread_time) if a.profile else None
        cpu0, (user0, sys0) = _cpu(), _user_system(os.getpid())
        if prof is not None:
            prof.enable()
        res = await loadgen(spec)
        if prof is not None:
            prof.disable()
            prof.dump_stats(a.profile)
        cpu, (user, system) = _cpu() - cpu0, _user_system(os.getpid())
        n = res["count"]
        out.update(
            calls=n,
            statuses=res["statuses"],
            calls_per_cpu_s=round(n / cpu, 1),
            user_us_per_call=round((user - user0) / n * 1e6, 1),
            system_us_per_call=round((system - sys0) / n * 1e6, 1),
        )
    eng = rt.policy.engine
    out["policy_cache"] = [getattr(eng, "cache_hits", None), getattr(eng, "cache_misses", None)]
    memo = next((s.memo for s in rt.pipeline.stages if s.name == "policy"), None)  # gateway/policy/memo.py
    out["policy_memo"] = [memo.hits, memo.misses] if memo is not None else None
    print(json.dumps(out))
    return 0


def _user_system(pid: int) -> tuple[float, float]:
    """User and system CPU seconds ``pid`` itself has used (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def served(a: argparse.Namespace, cfg: Path, port: int) -> int:
    """``--served``: the load against ``callgate serve`` in its own process (as ``make bench`` runs it)."""
    from bench.__main__ import PY, bench_env, cpu_seconds
    from bench.__main__ import loadgen as loadgen_sync

    settings = load_settings(cfg)
    cmd = [PY, "-m", "gateway", "--log-level", "WARNING", "serve", "--config", str(cfg)]
    gw = subprocess.Popen(cmd, cwd=ROOT, env=bench_env())
    try:
        wait_http(f"http://127.0.0.1:{settings.admin.port}/readyz")
        spec = {"host": "127.0.0.1", "port": port, "request": call_request(a, settings, port).decode("latin-1")}
        res = loadgen_sync("closed", {**spec, "seconds": 0.5, "conns": 4})  # warm, as percall does
        if any(not s.startswith("2") for s in res["statuses"]):
            print(f"warm-up answered {res['statuses']}", file=sys.stderr)
            return 1
        spy = None
        if a.pyspy:
            record = ["py-spy", "record", "--pid", str(gw.pid), "--rate", "200", "--format", "raw", "--nonblocking"]
            spy = subprocess.Popen(
                [*record, "--duration", str(max(1, int(a.seconds))), "--output", a.pyspy], stdout=subprocess.DEVNULL
            )
        tree0, (user0, sys0) = cpu_seconds(gw.pid), _user_system(gw.pid)
        res = loadgen_sync("closed", {**spec, "seconds": a.seconds, "conns": a.conns})
        tree, (user, system) = cpu_seconds(gw.pid) - tree0, _user_system(gw.pid)
        if spy is not None:
            spy.wait()
        n = res["count"]
        print(
            json.dumps(
                {
                    "path": a.path,
                    "size": a.size,
                    "served": True,
                    "calls": n,
                    "statuses": res["statuses"],
                    "calls_per_cpu_s": round(n / tree, 1),  # make bench's figure (children included)
                    "user_us_per_call": round((user - user0) / n * 1e6, 1),
                    "system_us_per_call": round((system - sys0) / n * 1e6, 1),
                }
            )
        )
        return 0
    finally:
        gw.terminate()
        gw.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--path", choices=["http", "mcp"], default="http")
    ap.add_argument("--size", type=int, choices=[50, 1024, 16384, 262144], default=50)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--stages", action="store_true", help="per-stage CPU per call (one connection)")
    ap.add_argument("--profile", help="write cProfile stats of the load to this file")
    ap.add_argument("--dump-records", type=int, default=0, help="print the log's first N lines at the end (stderr)")
    ap.add_argument("--served", action="store_true", help="measure `callgate serve` in its own process instead")
    ap.add_argument("--pyspy", help="with --served: py-spy record it meanwhile, raw format, to this file")
    a = ap.parse_args()
    if a.served:
        return with_upstreams(lambda cfg, port: served(a, cfg, port))
    run: Callable[[Awaitable[int]], int]
    try:
        import uvloop

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    return with_upstreams(lambda cfg, port: run(serve_and_drive(a, cfg, port)))


def with_upstreams(go: Callable[[Path, int], int]) -> int:
    """The benchmark's real upstreams in their own processes and a gateway config in front of
    them; ``go(config, gateway port)``'s result (also for ``bench.stalls``)."""
    env = bench_env()
    up_port, mcp_port, gw_port, admin_port = (free_port() for _ in range(4))
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as td:
        try:
            for mod, port in (("bench.upstream", up_port), ("bench.mcp_upstream", mcp_port)):
                procs.append(subprocess.Popen([sys.executable, "-m", mod, "--port", str(port)], cwd=ROOT, env=env))
            for port in (up_port, mcp_port):
                wait_http(f"http://127.0.0.1:{port}/")
            return go(gateway_config(Path(td), up_port, gw_port, admin_port, mcp_port, free_port()), gw_port)
        finally:
            for p in procs:
                p.terminate()
                p.wait()


if __name__ == "__main__":
    raise SystemExit(main())

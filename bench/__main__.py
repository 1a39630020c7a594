"""`make bench`: callgate against the limit — a direct call and a bare pass-through proxy.

Per path (HTTP tool call, MCP ``tools/call``) and size (arguments of 1, 16, 256 KiB;
outputs of 1, 64, 1024 KiB) three targets are measured in interleaved rounds:

- **direct**: the upstream itself;
- **bare**: ``bench/bare_proxy.py``, a few dozen lines of aiohttp pass-through;
- **callgate**: one worker, the quick-start policy pack, memory store.

Figures:

- *calls per CPU-second*: calls answered under closed-loop load, divided by the CPU
  time (user + system, from ``/proc``) the measured process used meanwhile — its
  one-core capacity, stable on a shared machine where wall-clock throughput is not;
- *p50/p99 added*: latency at a constant rate (open loop, latency from when each call
  was due) minus the direct call's, for bare and callgate;
- *loop >10 ms*: during those constant-rate runs, how many of the gateway's event-loop
  timer wake-ups (every 20 ms, ``callgate_event_loop_lag_seconds``) came more than
  10 ms late, of all of them: a call that holds the loop stalls every other call.

Load comes from ``bench/loadgen.py`` in its own process (raw asyncio streams, requests
built once). Every figure is the median over ``--rounds`` rounds with its min-max.
Prints one table and writes ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.config import load_settings
from gateway.identity import mint_dev_token

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ARG_SIZES = (1, 16, 256)
OUT_SIZES = (64, 1024)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30.0) -> None:
    """Wait until ``url`` answers (any status below 500)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - a loopback http URL we built
                return
        except urllib.error.HTTPError as e:
            if e.code < 500:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not come up")
        time.sleep(0.1)


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
    inspect: {{output_limit: 4MiB}}
mcp_servers:
  fast:
    upstream: http://127.0.0.1:{mcp_fast}/mcp
    credentials:
      key: {{header: Authorization, value: {{env: BENCH_TOOL_KEY}}}}
    inspect: {{output_limit: 4MiB}}
  sdk:
    upstream: http://127.0.0.1:{mcp_sdk}/mcp
    credentials:
      key: {{header: Authorization, value: {{env: BENCH_TOOL_KEY}}}}
"""
    )
    return cfg


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process and every process below it have used so far (Linux
    /proc): the gateway's inspection process (a child of its fork server) counts as the
    gateway's CPU, as do children that have exited and been reaped."""
    total = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            tasks = list(Path(f"/proc/{p}/task").iterdir())
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited between the listing and the read
        total += sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
        for task in tasks:
            with contextlib.suppress(FileNotFoundError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return total / os.sysconf("SC_CLK_TCK")


def loop_lag(admin_port: int) -> tuple[float, float]:
    """(timer wake-ups, those more than 10 ms late) of the gateway's event loop so far
    (``callgate_event_loop_lag_seconds``, see gateway/looplag.py)."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    url = f"http://127.0.0.1:{admin_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as r:
        text = r.read().decode()
    count = under = 0.0
    for fam in text_string_to_metric_families(text):
        if fam.name == "callgate_event_loop_lag_seconds":
            for sample in fam.samples:
                if sample.name.endswith("_count"):
                    count = sample.value
                elif sample.name.endswith("_bucket") and sample.labels.get("le") == "0.01":
                    under = sample.value
    return count, count - under


def loadgen(mode: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``bench.loadgen`` in its own process and return its JSON result."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
        path = f.name
    try:
        out = subprocess.run(
            [PY, "-m", "bench.loadgen", mode, "--spec", path], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    finally:
        Path(path).unlink()
    result: dict[str, Any] = json.loads(out)
    return result


@dataclass(frozen=True)
class Target:
    name: str  # direct | bare | callgate
    port: int
    pid: int  # the process whose CPU is counted
    path: str
    headers: dict[str, str]

    def request(self, body: bytes) -> str:
        from bench.loadgen import build_request

        return build_request("POST", "127.0.0.1", self.port, self.path, self.headers, body).decode("latin-1")


@dataclass(frozen=True)
class Case:
    path: str  # http | mcp
    label: str
    body: bytes
    rate: float  # the constant rate latency is measured at


def saturate(t: Target, body: bytes, seconds: float, conns: int) -> tuple[float, dict[str, Any]]:
    """Calls per CPU-second of ``t``'s process under closed-loop load."""
    spec = {"host": "127.0.0.1", "port": t.port, "request": t.request(body), "seconds": seconds, "conns": conns}
    cpu0 = cpu_seconds(t.pid)
    res = loadgen("closed", spec)
    cpu = cpu_seconds(t.pid) - cpu0
    return (res["count"] / cpu if cpu > 0 else float("nan")), res


def fixed_rate(t: Target, body: bytes, rate: float, seconds: float) -> dict[str, Any]:
    """Open-loop latency at ``rate``; at least 30 calls (so at low rates p99 is about the max)."""
    seconds = max(seconds, 30 / rate)
    spec = {"host": "127.0.0.1", "port": t.port, "request": t.request(body), "seconds": seconds, "rate": rate}
    return loadgen("open", spec)


def med(xs: list[float]) -> str:
    xs = [x for x in xs if x == x]
    if not xs:
        return "n/a"
    m = statistics.median(xs)
    fmt = "{:.0f}" if m >= 100 else "{:.2f}" if m < 10 else "{:.1f}"
    if len(xs) == 1:
        return fmt.format(m)
    return f"{fmt.format(m)} [{fmt.format(min(xs))}-{fmt.format(max(xs))}]"


def cases(only: str | None) -> list[Case]:
    from bench.inspect import payload

    out: list[Case] = []
    for path in ("http", "mcp"):
        if only and only != path:
            continue
        # The issue's own request (a 50-byte body) at 500/s; constant rates below stay under
        # today's callgate capacity for the size (a queue would measure the backlog, not the call).
        tiny = {"q": "what is the weather in Lisbon", "limit": 5}
        out.append(Case(path, "args 50 B", _body(path, tiny, None), 500.0))
        for kib, rate in zip(ARG_SIZES, (200.0, 50.0, 5.0), strict=True):
            args = payload(kib) if kib > 1 else {"q": "what is the weather in Lisbon", **payload(1)}
            out.append(Case(path, f"args {kib} KiB", _body(path, args, None), rate))
        for kib, rate in zip(OUT_SIZES, (25.0, 4.0), strict=True):
            args = {"q": "what is the weather in Lisbon", "out_kib": kib}
            out.append(Case(path, f"output {kib} KiB", _body(path, args, kib), rate))
    return out


def _body(path: str, args: dict[str, Any], out_kib: int | None) -> bytes:
    if path == "http":
        return json.dumps(args).encode()
    msg = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo", "arguments": args}}
    return json.dumps(msg).encode()


MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="length of each measurement")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; figures are medians")
    ap.add_argument("--connections", type=int, default=16, help="closed-loop connections")
    ap.add_argument("--only", choices=["http", "mcp"], help="one path only")
    ap.add_argument("--sizes", choices=["all", "small"], default="all", help="small: the 50 B and 1 KiB cases only")
    ap.add_argument("--no-latency", action="store_true", help="calls per CPU-second only")
    a = ap.parse_args()

    env = bench_env()
    up_port, mcp_port, bare_port, gw_port, admin_port = (free_port() for _ in range(5))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as td, ExitStack() as stack:
        tmp = Path(td)
        cfg = gateway_config(tmp, up_port, gw_port, admin_port, mcp_port, free_port())

        def start(*cmd: str) -> subprocess.Popen[bytes]:
            proc = subprocess.Popen([PY, *cmd], cwd=ROOT, env=env)
            stack.callback(proc.wait)
            stack.callback(proc.terminate)
            return proc

        up = start("-m", "bench.upstream", "--port", str(up_port))
        mcp_up = start("-m", "bench.mcp_upstream", "--port", str(mcp_port))
        bare = start(
            "-m", "bench.bare_proxy", "--port", str(bare_port),
            "--http", f"http://127.0.0.1:{up_port}/echo", "--mcp", f"http://127.0.0.1:{mcp_port}/mcp",
        )  # fmt: skip
        gw = start("-m", "gateway", "--log-level", "WARNING", "serve", "--config", str(cfg))
        for url in (f"http://127.0.0.1:{up_port}/", f"http://127.0.0.1:{mcp_port}/", f"http://127.0.0.1:{bare_port}/"):
            wait_http(url)
        wait_http(f"http://127.0.0.1:{admin_port}/readyz")
        token = mint_dev_token(
            load_settings(cfg), agent="bench", tenant="acme", scopes=["tool:echo", "tool:fast.*"], ttl_s=3600
        )
        auth = {"Authorization": f"Bearer {token}"}
        direct_auth = {"Authorization": "Bearer bench-tool-key"}
        ct = {"Content-Type": "application/json"}

        def targets(case: Case) -> list[Target]:
            out_kib = json.loads(case.body).get("out_kib") if case.path == "http" else None
            tail = f"out/{out_kib}" if out_kib else "search"
            if case.path == "http":
                return [
                    Target("direct", up_port, up.pid, f"/echo/{tail}", {**ct, **direct_auth}),
                    Target("bare", bare_port, bare.pid, f"/tools/echo/{tail}", ct),
                    Target("callgate", gw_port, gw.pid, f"/tools/echo/{tail}", {**ct, **auth}),
                ]
            return [
                Target("direct", mcp_port, mcp_up.pid, "/mcp", {**MCP_HEADERS, **direct_auth}),
                Target("bare", bare_port, bare.pid, "/mcp/fast", MCP_HEADERS),
                Target("callgate", gw_port, gw.pid, "/mcp/fast", {**MCP_HEADERS, **auth}),
            ]

        todo = cases(a.only)
        if a.sizes == "small":
            todo = [c for c in todo if c.label in ("args 50 B", "args 1 KiB")]
        per_cpu: dict[tuple[str, str, str], list[float]] = {}
        p50: dict[tuple[str, str, str], list[float]] = {}
        p99: dict[tuple[str, str, str], list[float]] = {}
        bad: dict[tuple[str, str, str], dict[str, int]] = {}
        stalls: dict[tuple[str, str, str], list[tuple[float, float]]] = {}  # (wake-ups > 10 ms late, all)
        for case in todo:  # warm every target once (caches, pools, imports)
            for t in targets(case):
                saturate(t, case.body, 0.3, 4)
        for rnd in range(a.rounds):
            for case in todo:
                ts = targets(case)
                ts = ts[rnd % 3 :] + ts[: rnd % 3]  # rotate the order each round
                for t in ts:
                    key = (case.path, case.label, t.name)
                    rate, res = saturate(t, case.body, a.seconds, a.connections)
                    per_cpu.setdefault(key, []).append(rate)
                    for st, n in res["statuses"].items():
                        if not st.startswith("2"):
                            bad.setdefault(key, {}).setdefault(st, 0)
                            bad[key][st] += n
                    if not a.no_latency:
                        lag0 = loop_lag(admin_port) if t.name == "callgate" else (0.0, 0.0)
                        fr = fixed_rate(t, case.body, case.rate, a.seconds)
                        if t.name == "callgate":
                            lag1 = loop_lag(admin_port)
                            stalls.setdefault(key, []).append((lag1[1] - lag0[1], lag1[0] - lag0[0]))
                        p50.setdefault(key, []).append(fr["p50_ms"])
                        p99.setdefault(key, []).append(fr["p99_ms"])
                        for st, n in fr["statuses"].items():
                            if not st.startswith("2"):
                                bad.setdefault(key, {}).setdefault(st, 0)
                                bad[key][st] += n
                print(f"round {rnd + 1}/{a.rounds}: {case.path} {case.label} done", file=sys.stderr)
        if gw.poll() is not None:
            raise SystemExit("the gateway exited during the benchmark")

    head = (
        f"{'path':5}{'case':16}{'direct':>20}{'bare':>20}{'callgate':>20}{'cg ÷ bare':>20}"
        f"{'rate/s':>7}  {'p50 added: bare | callgate':<36}{'p99 added: bare | callgate':<36}{'loop >10 ms':>12}"
    )
    print("\ncalls per CPU-second of the measured process (median [min-max] over rounds); added latency in ms")
    print(head)
    print("-" * len(head))
    for case in todo:
        k = (case.path, case.label)
        d, b, g = (per_cpu[(*k, n)] for n in ("direct", "bare", "callgate"))
        ratio = [gi / bi for gi, bi in zip(g, b, strict=True)]
        row: dict[str, Any] = {"direct": d, "bare": b, "callgate": g, "callgate_over_bare": ratio}
        lat = ("", "")
        late = ""
        if not a.no_latency:
            over, ticks = (sum(x) for x in zip(*stalls[(*k, "callgate")], strict=True))
            late = f"{over:.0f}/{ticks:.0f}"
            row["loop_over_10ms"] = [over, ticks]
            added: dict[str, list[float]] = {}
            for n in ("bare", "callgate"):
                for q, src in (("p50", p50), ("p99", p99)):
                    added[f"{q}_{n}"] = [x - y for x, y in zip(src[(*k, n)], src[(*k, "direct")], strict=True)]
            row.update({f"{q}_added_ms": v for q, v in added.items()})
            row["rate"] = case.rate
            lat = (
                f"{med(added['p50_bare'])} | {med(added['p50_callgate'])}",
                f"{med(added['p99_bare'])} | {med(added['p99_callgate'])}",
            )
        results[f"{case.path} {case.label}"] = row
        print(
            f"{case.path:5}{case.label:16}{med(d):>20}{med(b):>20}{med(g):>20}{med(ratio):>20}"
            f"{case.rate:>7.0f}  {lat[0]:<36}{lat[1]:<36}{late:>12}"
        )
    for key, sts in bad.items():
        print(f"not answered 2xx: {' '.join(key)}: {sts} (299: a JSON-RPC error)")
    print(f"\n{a.rounds} rounds of {a.seconds:g} s per figure; {os.cpu_count()} cores shared with the load generator")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

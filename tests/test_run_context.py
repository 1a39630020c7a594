"""Run context (``input.run``): taint, bounds, expiry, round trips, failures — on both stores.

The untrusted tool here is the recording upstream's echo marked ``trust: untrusted``:
whatever the test posts comes back as the tool's output, so each test chooses the
"untrusted content" the run reads.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.runs import argument_destinations, destinations_of, extract_destinations, run_key
from tests.conftest import Gateway, GatewayFactory, RedisServer, Upstream

SCOPES = ["tool:echo", "tool:reader", "tool:notes", "tool:mailer:external_send", "tool:writer:write"]


def tools(upstream: Upstream, **reader: Any) -> dict[str, Any]:
    return {
        "echo": {"trust": "trusted"},
        "reader": {"upstream": f"{upstream.url}/reader", "effect": "read", "trust": "untrusted", **reader},
        "notes": {"upstream": f"{upstream.url}/notes", "effect": "read"},  # unmarked: untrusted by default
        "mailer": {"upstream": f"{upstream.url}/mailer", "effect": "external_send", "trust": "trusted"},
    }


async def gw_for(make_gateway: GatewayFactory, upstream: Upstream, store: Any, **over: Any) -> Gateway:
    return await make_gateway(store=store, tools=tools(upstream), **over)


def hdrs(gw: Gateway, run: str | None, **kw: Any) -> dict[str, str]:
    return gw.auth(scopes=SCOPES, **kw) | ({"X-Agent-Run": run} if run is not None else {})


async def read(gw: Gateway, run: str | None, text: str, tool: str = "reader", **kw: Any) -> int:
    r = await gw.agent.post(f"/tools/{tool}/page", data=text, headers=hdrs(gw, run, **kw))
    await r.read()
    return r.status


async def mail(gw: Gateway, run: str | None, to: str, **kw: Any) -> tuple[int, dict[str, Any]]:
    r = await gw.agent.post("/tools/mailer/send", json={"to": to, "text": "hello"}, headers=hdrs(gw, run, **kw))
    doc = await r.json()
    return r.status, doc


def codes(doc: dict[str, Any]) -> set[str]:
    return {r["code"] for r in doc.get("reasons", [])}


# A call that needs approval: refused today, held once the approval flow is merged.
HELD = {(403, "approval.required"), (202, "approval.pending")}


def held(status: int, doc: dict[str, Any]) -> bool:
    return (status, doc.get("code")) in HELD


# ------------------------------------------------------------------ taint


async def test_unmarked_tool_taints_trusted_does_not(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    gw = await gw_for(make_gateway, upstream, store)
    assert await read(gw, "a", "plain text", tool="echo") == 200
    assert (await mail(gw, "a", "ops@acme.example"))[0] == 200
    assert await read(gw, "a", "plain text", tool="notes") == 200
    status, doc = await mail(gw, "a", "ops@acme.example")
    assert held(status, doc), doc
    assert "untrusted content (from notes)" in doc["reasons"][0]["message"]
    assert len([s for s in upstream.seen if s.path.startswith("/mailer")]) == 1


async def test_run_state_is_in_the_record_and_policy_input(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    gw = await gw_for(make_gateway, upstream, store)
    # (e-mail addresses and phones may be redacted by the output policy, so not delivered: none here)
    await read(gw, "r", "see https://evil.example/x and www.boss.example")
    rec = gw.records()[-1]
    assert rec["run_id"] == "r"
    assert rec["run"] == {  # the state policy saw (empty), and what this output added
        "id": "r",
        "tainted": False,
        "sources": 0,
        "untrusted_sources": 0,
        "findings": 0,
        "destinations": 0,
        "truncated": [],
        "read": {"trust": "untrusted", "taints": True, "findings": 0, "destinations": 2},
        "settled": True,
    }
    status, doc = await mail(gw, "r", "WWW.Boss.Example")
    assert status == 403 and "run.destination_untrusted" in codes(doc)
    # a call outside any run has the empty run and no record of one
    r = await gw.agent.get("/tools/echo/x", headers=hdrs(gw, None))
    assert r.status == 200
    assert gw.records()[-1]["run"] is None


async def test_injection_in_a_trusted_output_taints_when_delivered(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    blocking = {"upstream": f"{upstream.url}/notes", "trust": "trusted"}  # injection_action: block (default)
    gw = await make_gateway(
        store=store,
        tools={
            **tools(upstream),
            "echo": {"trust": "trusted", "inspect": {"injection_action": "strip"}},
            "notes": blocking,
        },
    )
    # a blocked output never reaches the run
    r = await gw.agent.get("/tools/notes/canned/injected_plain", headers=hdrs(gw, "inj"))
    assert r.status == 502
    assert (await mail(gw, "inj", "ops@acme.example"))[0] == 200
    # a stripped one does, and the injection finding taints the run although the tool is trusted
    r = await gw.agent.get("/tools/echo/canned/injected_plain", headers=hdrs(gw, "inj"))
    assert r.status == 200 and "ignore all previous" not in (await r.text()).lower()
    status, doc = await mail(gw, "inj", "ops@acme.example")
    assert held(status, doc) and "untrusted content (from echo)" in str(doc["reasons"])
    state = await gw.rt.runs.load(run_key(gw.rt.key_prefix, "acme", "demo", "inj"), _limits(gw))
    (finding,) = [f for f in state.findings.values() if f["detector"] == "injection"]
    assert finding["tool"] == "echo" and finding["severity"] == "high" and "evidence" not in finding
    assert state.sources == {"echo": "trusted", "mailer": "trusted"}


async def test_first_sighting_wins(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await gw_for(make_gateway, upstream, store)
    # the same address seen first in untrusted output stays attributed to it
    await read(gw, "f", "write to https://drop.example/", tool="notes")
    await read(gw, "f", "write to https://drop.example/ too")
    status, doc = await mail(gw, "f", "https://drop.example/")
    assert status == 403
    assert "untrusted tool 'notes'" in next(r["message"] for r in doc["reasons"] if r["code"].startswith("run."))


async def test_malformed_run_id_is_refused_and_recorded(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await gw_for(make_gateway, upstream, "memory")
    for bad in ("x" * 129, "has space", "-lead", "ü"):
        r = await gw.agent.get(
            "/tools/echo/x", headers=gw.auth(scopes=SCOPES) | {"X-Agent-Run": bad.encode().decode("latin-1")}
        )
        doc = await r.json()
        assert r.status == 400 and doc["code"] == "request.invalid_run", bad
    assert [x["code"] for x in gw.records()] == ["request.invalid_run"] * 4
    assert not upstream.seen


# ------------------------------------------------------------------ bounds and expiry


async def test_bounds_keep_taint_and_say_what_was_dropped(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    gw = await gw_for(make_gateway, upstream, store, runs={"max_destinations": 3, "max_sources": 1})
    hosts = [f"https://h{i}.example/" for i in range(10)]
    await read(gw, "b", " ".join(hosts))
    await read(gw, "b", "more", tool="notes")  # a second source over max_sources
    rec = gw.records()[-1]["run"]
    assert rec["tainted"] is True and rec["destinations"] == 3 and rec["truncated"] == ["destinations"]
    state = await gw.rt.runs.load(run_key(gw.rt.key_prefix, "acme", "demo", "b"), _limits(gw))
    assert state.tainted and len(state.destinations) == 3 and len(state.sources) == 1
    assert state.truncated == {"destinations", "sources"}
    # a kept destination is denied; one dropped over the bound still needs approval (the run is tainted)
    assert "run.destination_untrusted" in codes((await mail(gw, "b", "https://h0.example/"))[1])
    status, doc = await mail(gw, "b", "https://h9.example/")
    assert held(status, doc) and codes(doc) == {"approval.required"}


async def test_one_output_adds_at_most_the_bound(make_gateway: GatewayFactory, upstream: Upstream, store: Any) -> None:
    gw = await gw_for(make_gateway, upstream, store, runs={"max_destinations": 50, "max_findings": 2})
    text = " ".join(f"https://h{i}.example/ user{i}@x{i}.example +1 415 555 01{i:02d}" for i in range(500))
    assert await read(gw, "big", text) == 200
    state = await gw.rt.runs.load(run_key(gw.rt.key_prefix, "acme", "demo", "big"), _limits(gw))
    assert len(state.destinations) == 50 and len(state.findings) <= 2


async def test_run_expires_after_ttl_since_last_use(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    gw = await gw_for(make_gateway, upstream, store, runs={"ttl_s": 1.2})
    await read(gw, "t", "x")
    await asyncio.sleep(0.7)
    assert held(*await mail(gw, "t", "a@b.example"))  # a use refreshes the expiry
    await asyncio.sleep(0.7)  # 1.4 s after the read: alive only because of the refresh
    assert held(*await mail(gw, "t", "a@b.example"))
    await asyncio.sleep(2.0)
    assert (await mail(gw, "t", "a@b.example"))[0] == 200


def _limits(gw: Gateway) -> Any:
    from gateway.stages.run import limits_of

    return limits_of(gw.rt.settings.runs)


# ------------------------------------------------------------------ replays


async def test_replayed_untrusted_output_taints_the_new_run(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    gw = await gw_for(make_gateway, upstream, store)
    h = {"Idempotency-Key": "k-1"}
    r = await gw.agent.post("/tools/reader/p", data="https://drop.example/", headers=hdrs(gw, None) | h)
    assert r.status == 200
    r = await gw.agent.post("/tools/reader/p", data="https://drop.example/", headers=hdrs(gw, "rp") | h)
    assert r.status == 200 and r.headers.get("Idempotent-Replayed") == "true"
    assert len([s for s in upstream.seen if s.path == "/reader/p"]) == 1
    assert gw.records()[-1]["run"]["read"]["taints"] is True
    assert "run.destination_untrusted" in codes((await mail(gw, "rp", "https://drop.example/"))[1])
    assert gw.records()[-1]["run"]["tainted"] is True


# ------------------------------------------------------------------ Redis: round trips and failures


def _redis_calls(server: RedisServer) -> int:
    """Script calls so far (the kill-switch follower's polling is not a call's round trip)."""
    info = server.command("INFO", "commandstats").decode()
    total = 0
    for line in info.splitlines():
        if line.startswith(("cmdstat_evalsha:", "cmdstat_eval:")):
            total += int(line.split("calls=")[1].split(",")[0])
    return total


async def test_round_trips_per_call(
    make_gateway: GatewayFactory, upstream: Upstream, redis_server: RedisServer
) -> None:
    redis_server.command("FLUSHALL")
    gw = await gw_for(make_gateway, upstream, {"url": redis_server.url, "timeout_ms": 1000})
    await gw.agent.get("/tools/echo/warm", headers=hdrs(gw, "warm"))  # scripts loaded, pool connected

    async def cost(run: str | None, tool: str = "echo", body: str = "x") -> int:
        before = _redis_calls(redis_server)
        assert await read(gw, run, body, tool=tool) == 200
        return _redis_calls(redis_server) - before

    assert await cost(None) == 0  # no run id: no store call at all
    assert await cost("rt") == 2  # first trusted call: read + record the source
    assert await cost("rt") == 1  # same tool again, nothing new: the read only
    assert await cost("rt", "reader", "https://a.example/") == 2  # taints: read + write
    assert await cost("rt", "reader", "https://a.example/") == 1  # nothing new


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


async def test_store_down_fails_closed_for_runs_only(
    make_gateway: GatewayFactory, upstream: Upstream, own_redis: RedisServer
) -> None:
    gw = await gw_for(make_gateway, upstream, {"url": own_redis.url})
    assert await read(gw, "d", "x", tool="echo") == 200
    own_redis.stop()
    r = await gw.agent.get("/tools/echo/x", headers=hdrs(gw, "d"))
    assert r.status == 503 and (await r.json())["code"] == "store.unavailable"
    r = await gw.agent.get("/tools/echo/x", headers=hdrs(gw, None))
    assert r.status == 200  # outside a run nothing needs the store (no limits configured)
    assert gw.records()[-2]["code"] == "store.unavailable"
    assert gw.metric("callgate_store_errors_total", {"op": "run_load"}) == 1


async def test_store_failure_after_forwarding_withholds_untrusted_output(
    make_gateway: GatewayFactory, upstream: Upstream, own_redis: RedisServer
) -> None:
    import signal

    gw = await make_gateway(
        store={"url": own_redis.url, "timeout_ms": 200},
        tools={**tools(upstream), "reader": {"upstream": f"{upstream.url}/", "trust": "untrusted"}},
    )
    assert await read(gw, "w", "x", tool="echo") == 200
    # the run is read before policy; then Redis hangs while the upstream takes its time,
    # so recording what the run read fails: the untrusted output is not delivered
    assert own_redis.proc is not None
    task = asyncio.create_task(
        gw.agent.post("/tools/reader/slow?delay=0.5", data="https://drop.example/", headers=hdrs(gw, "w"))
    )
    await asyncio.sleep(0.25)  # past the load, while the upstream sleeps
    own_redis.proc.send_signal(signal.SIGSTOP)
    try:
        r = await task
        doc = await r.json()
    finally:
        own_redis.proc.send_signal(signal.SIGCONT)
    assert r.status == 503 and doc["code"] == "store.unavailable"
    assert "drop.example" not in str(doc)
    rec = gw.records()[-1]
    assert rec["forwarded"] is True and rec["code"] == "store.unavailable"
    assert gw.metric("callgate_store_errors_total", {"op": "run_observe"}) == 1


# ------------------------------------------------------------------ extraction


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("pay https://User:pw@PAY.Evil.Example:8443/x now", {"pay.evil.example"}),
        ("<a href='HTTPS://evil.example.'>x</a>", {"evil.example"}),
        ("visit www.Evil.example today", {"www.evil.example"}),
        ("mail Boss@Evil.Example", {"boss@evil.example"}),
        ("mail boss&#64;evil.example", {"boss@evil.example"}),
        ('{"note": "mail boss\\u0040evil.example"}', {"boss@evil.example"}),
        ('<script>var u = "https:\\/\\/Evil.Example\\/pay";</script>', {"evil.example"}),
        ("<script>m = 'boss\\x40evil.example'</script>", {"boss@evil.example"}),
        ("<a href='/out?to=https%3A%2F%2Fevil.example%2F'>", {"evil.example"}),
        ("IBAN gb33 bukb 2020 1555 5555 55.", {"GB33BUKB20201555555555"}),
        ("IBAN GB33-BUKB-2020-1555-5555-55", {"GB33BUKB20201555555555"}),
        ("IBAN GB33BUKB20201555555556 (bad checksum)", set()),
        ("id 0xGB33BUKB20201555555555", set()),
        ("ws://[::1]:80/x ftp://10.0.0.1/f", {"[::1]", "10.0.0.1"}),
        ("no destinations here: node.js, e.g. file.json", set()),
        ("call +1 (415) 555-0100 now", {"+14155550100"}),
        ("order 12345678, ticket +12, 2026-11-28", set()),
        ("to 0x52908400098527886E0F7030069857D2E4169EE7.", {"0x52908400098527886e0f7030069857d2e4169ee7"}),
        ("to BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", {"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}),
        ("to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", {"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"}),
        ("to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb (checksum)", set()),
    ],
)
def test_extract_destinations(text: str, want: set[str]) -> None:
    assert set(extract_destinations(text, 100)) == want


def test_argument_destinations_match_bare_values() -> None:
    got = argument_destinations(
        {"to": ["gb33 bukb 2020 1555 5555 55"], "host": "Pay.Evil.Example.", "cb": "see https://x.example/a"},
        "url=https%3A%2F%2Fq.example%2F",
    )
    assert {(d["value"], d["path"]) for d in got} >= {
        ("GB33BUKB20201555555555", "/to/0"),
        ("pay.evil.example", "/host"),
        ("x.example", "/cb"),
        ("q.example", "?/url"),
    }


def test_extraction_is_bounded_in_values() -> None:
    text = " ".join(f"https://h{i}.example/" for i in range(10_000))
    assert len(extract_destinations(text, 7)) == 7


async def test_long_output_scan_does_not_hold_the_loop() -> None:
    text = ("lorem https://h.example/ ipsum a@b.example GB00 " * 40_000)[: 2 << 20]
    gaps: list[float] = []
    done = False

    async def ticker() -> None:
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    t = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    t0 = time.perf_counter()
    found = await destinations_of(text, 256)
    elapsed = time.perf_counter() - t0
    done = True
    await t
    assert found and elapsed > 0.02  # long enough that holding the loop would show
    # scanned in one go it holds the loop for all of `elapsed` (~0.3 s); in steps the ticker
    # keeps running, and no single hold comes near the whole scan (robust to a loaded machine)
    during = gaps[1:]
    assert len(during) >= 10, len(during)
    assert max(during) < max(0.1, elapsed / 4), (max(during), elapsed)


# ------------------------------------------------------------------ configuration


def test_trust_and_runs_settings_are_validated() -> None:
    from gateway.config import parse_settings
    from gateway.errors import ConfigError

    text = """
identity: {issuers: [x], audience: y, keys: [{kind: hmac, secret: {env: K}}]}
runs: {ttl_s: 0, max_destinations: -1}
tools:
  web: {upstream: "http://127.0.0.1:1/", trust: maybe}
mcp_servers:
  demo: {upstream: "http://127.0.0.1:2/mcp", tool_trust: {fetch: half}}
"""
    with pytest.raises(ConfigError) as info:
        parse_settings(text, environ={})
    locs = {loc for loc, _ in info.value.errors}
    assert locs == {
        "runs.ttl_s (line 3)",
        "runs.max_destinations (line 3)",
        "tools.web.trust (line 5)",
        "mcp_servers.demo.tool_trust.fetch (line 7)",
    }


def test_unmarked_tools_are_untrusted_and_policy_sees_trust() -> None:
    from gateway.config import parse_settings
    from gateway.tools import compile_mcp_servers, compile_tools, mcp_tool

    s = parse_settings(
        """
identity: {issuers: [x], audience: y, keys: [{kind: hmac, secret: {env: K}}]}
tools: {web: {upstream: "http://127.0.0.1:1/"}, db: {upstream: "http://127.0.0.1:1/", trust: trusted}}
mcp_servers: {demo: {upstream: "http://127.0.0.1:2/mcp", trust: trusted, tool_trust: {fetch: untrusted}}}
""",
        environ={},
    )
    tools = compile_tools(s)
    assert tools["web"].trust == "untrusted" and tools["web"].policy_doc["trust"] == "untrusted"
    assert tools["db"].trust == "trusted"
    srv = compile_mcp_servers(s)["demo"]
    assert mcp_tool(srv, "read", "fetch").trust == "untrusted"
    assert mcp_tool(srv, "read", "fetch").policy_doc["trust"] == "untrusted"
    assert mcp_tool(srv, "read", "add").trust == "trusted"


async def test_memory_store_refuses_new_runs_when_full_rather_than_forget_taint() -> None:
    from gateway.store.base import RunLimits, RunObservation, StoreUnavailable
    from gateway.store.memory import MemoryRuns

    runs = MemoryRuns()
    runs.MAX_RUNS = 2
    lim = RunLimits(ttl_s=0.2, max_sources=4, max_findings=4, max_destinations=4)
    obs = RunObservation(tool="web", trust="untrusted", taints=True, findings={}, destinations={})
    await runs.observe("a", obs, lim)
    await runs.observe("b", obs, lim)
    with pytest.raises(StoreUnavailable):
        await runs.observe("c", obs, lim)
    assert (await runs.load("a", lim)).tainted  # the old runs keep their taint
    await runs.observe("a", obs, lim)  # a known run still takes observations
    await asyncio.sleep(0.25)
    await runs.observe("c", obs, lim)  # expired runs were swept
    assert len(runs) == 1


def test_argument_side_decodes_and_keeps_known_destinations_past_the_bound() -> None:
    idn = "p\u0430y.example"  # Cyrillic a
    (out,) = [v for v in extract_destinations(f"go to https://{idn}/now", 10)]
    assert out.startswith("xn--") and out.endswith(".example")
    got = argument_destinations({"to": idn.upper()}, "")
    assert [d["value"] for d in got] == [out]
    got = argument_destinations({"body": "see https%3A%2F%2FPay.Evil.Example%2Fx"}, "")
    assert "pay.evil.example" in {d["value"] for d in got}
    # a long argument cannot push the run's destination out of the list
    noise = " ".join(f"https://n{i}.example/" for i in range(600))
    got = argument_destinations({"text": noise + " https://drop.example/"}, "", known={"drop.example"})
    assert len(got) == 257 and got[-1]["value"] == "drop.example"
    assert len(argument_destinations({"text": noise}, "", known={"drop.example"})) == 256


async def test_require_run_through_the_gateway(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(tools=tools(upstream), policy={"data": {"require_run": True}})
    status, doc = await mail(gw, None, "ops@acme.example")
    assert status == 403 and codes(doc) == {"run.required"}
    assert (await mail(gw, "r", "ops@acme.example"))[0] == 200
    assert await read(gw, None, "reads need no run") == 200


RUN_ADVERSARIAL = [
    "a" * 50_000,
    " " * 50_000,
    "https://" * 7_000,
    "https://" + "a" * 50_000,
    "a@" * 25_000,
    "a." * 25_000,
    "www." * 12_000,
    "GB00 " * 10_000,
    "GB00-AAAA" * 5_000,
    "+1 " * 16_000,
    "+1-22-" * 8_000,
    "0x" + "a" * 50_000,
    "bc1" + "q" * 50_000,
    "1" * 50_000,
    "3" + "a" * 50_000,
    "&#64;" * 10_000,
    "[" * 50_000,
]


def test_no_run_pattern_backtracks_catastrophically() -> None:
    import re

    import gateway.runs as runs

    patterns = [v for v in vars(runs).values() if isinstance(v, re.Pattern)]
    assert len(patterns) >= 10
    for rx in patterns:
        for s in RUN_ADVERSARIAL:
            t0 = time.perf_counter()
            list(rx.finditer(s))
            dt = time.perf_counter() - t0
            assert dt < 0.5, f"{rx.pattern[:60]!r} took {dt:.2f}s on {s[:20]!r}..."
    for s in RUN_ADVERSARIAL:  # and the whole extractors, each step bounded
        t0 = time.perf_counter()
        extract_destinations(s, 256)
        argument_destinations({"v": s}, "")
        assert time.perf_counter() - t0 < 1.0, s[:20]


async def test_concurrent_reads_respect_the_bound_exactly(
    make_gateway: GatewayFactory, upstream: Upstream, store: Any
) -> None:
    gw = await gw_for(make_gateway, upstream, store, runs={"max_destinations": 50})

    async def one(i: int) -> int:
        return await read(gw, "c", " ".join(f"https://h{i}-{j}.example/" for j in range(10)))

    assert await asyncio.gather(*(one(i) for i in range(20))) == [200] * 20
    state = await gw.rt.runs.load(run_key(gw.rt.key_prefix, "acme", "demo", "c"), _limits(gw))
    assert len(state.destinations) == 50 and state.truncated == {"destinations"} and state.tainted


async def test_policy_replay_sees_the_recorded_taint(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    from gateway.policy.replay import input_from_record

    gw = await gw_for(make_gateway, upstream, "memory")
    await read(gw, "rr", "plain text")
    await mail(gw, "rr", "ops@acme.example")
    docs = {n: t.policy_doc for n, t in gw.rt.tools.items()}
    first, second = gw.records()
    inp = input_from_record(second, docs)
    assert isinstance(inp, dict)
    assert inp["run"]["id"] == "rr" and inp["run"]["tainted"] is True
    again = input_from_record(first, docs)
    assert isinstance(again, dict) and again["run"]["tainted"] is False  # before the read, as policy saw it

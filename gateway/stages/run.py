"""Run context: read the run's state before policy, add what the call read before the agent sees it.

``RunStage`` sits just before the policy stage. Without a run id (no ``X-Agent-Run``,
no MCP session) it costs nothing: ``input.run`` is the empty run, and no store is
asked. With one, it reads the run's state (one store round trip), finds the
destinations in this call's arguments when the run has any to compare with, and
sets ``ctx.run`` (so ``input.run`` and the record's ``run``).

``RunIngestStage`` is the innermost stage, after output inspection and right before
the adapter's ``emit``: it stores what the run now holds — the tool as a source with
its trust, the output findings, the destinations in an untrusted body — *before* the
answer is sent, so the agent's next call already sees the taint. That is a second
round trip, skipped when the call adds nothing the run did not hold. If the store
cannot take it, the answer is not delivered (503 ``store.unavailable``): delivering
untrusted content without recording it would open the hole this closes.

Two answers only become known during ``emit`` and are added after it (the agent may
already have them; ``run.settled: false`` in the record if that write fails): MCP
results — their source and taint are written before ``emit``, but their findings, and
the destinations of an answer sent whole (``ctx.response.body``; SSE streams are not
scanned), only after it, because the MCP adapter inspects while relaying — and replays
of an idempotent call (``AdmissionStage`` emits them itself; ``RunStage`` adds them).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from gateway.config import RunsConfig
from gateway.errors import Unavailable
from gateway.metrics import Metrics
from gateway.model import CallContext
from gateway.runs import RunContext, call_destinations, destinations_of, merged, observation, run_id_of, run_key
from gateway.store.base import RunLimits, RunObservation, RunStore, StoreUnavailable

if TYPE_CHECKING:
    from gateway.pipeline import Next

log = logging.getLogger("callgate.run")


def limits_of(cfg: RunsConfig) -> RunLimits:
    return RunLimits(cfg.ttl_s, cfg.max_sources, cfg.max_findings, cfg.max_destinations)


def _unavailable(e: StoreUnavailable) -> Unavailable:
    return Unavailable(f"the run state could not be read or written: {e}", code="store.unavailable")


class RunStage:
    name = "run"

    def __init__(self, store: RunStore, cfg: RunsConfig, key_prefix: str, metrics: Metrics) -> None:
        self.store = store
        self.limits = limits_of(cfg)
        self.prefix = key_prefix
        self.metrics = metrics
        self.latency = metrics.stage("run")

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        rid = run_id_of(ctx)
        if rid is None:
            await nxt(ctx)
            return
        agent = ctx.need_agent()
        key = run_key(self.prefix, agent.tenant, agent.id, rid)
        t0 = time.perf_counter()
        try:
            state = await self.store.load(key, self.limits)
        except StoreUnavailable as e:
            self.metrics.store_errors.labels("run_load").inc()
            raise _unavailable(e) from e
        run = RunContext(id=rid, key=key, state=state)
        if state.destinations:
            run.argument_destinations = await call_destinations(ctx.call.arguments, ctx.call.query, state.destinations)
        ctx.run = run
        dt = time.perf_counter() - t0
        ctx.timings["run"] = dt
        self.latency.observe(dt)
        await nxt(ctx)
        if ctx.replay and run.observed is None:
            # A replayed answer is the tool's output too; AdmissionStage sent it without the inner stages.
            tool = ctx.need_tool()
            body = ctx.upstream.body if ctx.upstream is not None else None
            found = await _found(tool.trust, body, self.limits)
            obs = observation(run.state, tool.name, tool.trust, [], found, self.limits.max_findings)
            await _settle_late(self.store, run, obs, self.limits, self.metrics)


async def _found(trust: str, body: bytes | None, limits: RunLimits) -> dict[str, str]:
    """Destinations in an untrusted body (a trusted one's are not kept, so not scanned)."""
    if trust != "untrusted" or not body:
        return {}
    # one more than the bound, so the store can tell that it dropped some
    return await destinations_of(body.decode("utf-8", errors="replace"), limits.max_destinations + 1)


async def _settle_late(
    store: RunStore, run: RunContext, obs: RunObservation | None, limits: RunLimits, metrics: Metrics
) -> None:
    """Store what became known while answering; the agent has the answer already, so a failure is only recorded."""
    if obs is None:
        return
    try:
        await store.observe(run.key, obs, limits)
    except StoreUnavailable as e:
        metrics.store_errors.labels("run_observe").inc()
        run.settled = False
        log.error("run %s: could not store what the call read after answering: %s", run.id, e)
        return
    run.observed = merged(run.observed, obs)


class RunIngestStage:
    name = "run.ingest"

    def __init__(self, store: RunStore, cfg: RunsConfig, metrics: Metrics) -> None:
        self.store = store
        self.limits = limits_of(cfg)
        self.metrics = metrics

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        run = ctx.run
        if run is None:
            await nxt(ctx)
            return
        tool = ctx.need_tool()
        up = ctx.upstream
        body = up.body if up is not None and ctx.call.protocol == "http" else None
        seen = len(ctx.output_findings)
        found = await _found(tool.trust, body, self.limits)
        obs = observation(run.state, tool.name, tool.trust, ctx.output_findings, found, self.limits.max_findings)
        if obs is not None:
            try:
                await self.store.observe(run.key, obs, self.limits)
            except StoreUnavailable as e:
                self.metrics.store_errors.labels("run_observe").inc()
                raise _unavailable(e) from e
            run.observed = obs
        await nxt(ctx)
        if ctx.call.protocol == "mcp":
            # The MCP adapter inspects results while it relays them: their findings, and the
            # destinations in an answer it sent whole (JSON, or a buffered batch), are known only now.
            sent = getattr(ctx.response, "body", None)
            late_found = await _found(tool.trust, sent if isinstance(sent, bytes) else None, self.limits)
            late = observation(
                run.state, tool.name, tool.trust, ctx.output_findings[seen:], late_found, self.limits.max_findings
            )
            if late is not None and (late.findings or late.destinations or (late.taints and obs is None)):
                await _settle_late(self.store, run, late, self.limits, self.metrics)

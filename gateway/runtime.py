"""The gateway's resources, built from settings and opened in aiohttp's ``cleanup_ctx``.

``Runtime`` owns everything with a lifetime — the upstream client session, the
identity verifier (JWKS fetches), the decision log, the policy engine, the state
stores (``build_stores``: in Redis mode one driver, one pool, for all of them) — and
the pipeline composed from them. Each is opened onto one ``AsyncExitStack``, so a
start that fails partway closes what it opened. Both listeners (agents, admin) share
one runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from functools import partial

import aiohttp
from aiohttp import web

from gateway import looplag
from gateway.adapters.http import HttpAdapter
from gateway.adapters.mcp import McpTools
from gateway.approvals.notify import Notifier
from gateway.approvals.service import ApprovalService
from gateway.approvals.stream import DecisionStream
from gateway.audit.checkpoint import Checkpoint
from gateway.audit.log import AuditUnavailable, DecisionLog, LogCheckFailed
from gateway.clock import iso
from gateway.config import Settings
from gateway.identity import Verifier
from gateway.inspect.classifier import build_classifier
from gateway.inspect.runner import Inspector
from gateway.mcp.mediator import Mediator
from gateway.mcp.pins import DefinitionPins
from gateway.mcp.stdio import StdioBridge
from gateway.metrics import MetricLabels, Metrics
from gateway.pipeline import Pipeline, default_stages, server_request_stages
from gateway.policy.backends import build_engine, start_engine
from gateway.policy.input import PolicyRef, gateway_data
from gateway.stages.usage import UsageCache
from gateway.store.base import StoreUnavailable
from gateway.store.build import build_stores, closing
from gateway.store.redis import StateLoss
from gateway.tools import compile_mcp_servers, compile_tools

log = logging.getLogger("callgate")


class Runtime:
    def __init__(self, settings: Settings) -> None:
        """Compile everything that can be compiled without an event loop; raises on bad config or policy."""
        self.settings = settings
        self.metrics = Metrics(
            settings.metrics.namespace,
            labels=MetricLabels(
                settings.tools,
                settings.mcp_servers,
                (t for a in (settings.agents or {}).values() for t in a.tenants),
            ),
        )
        self.tools = compile_tools(settings)
        # stdio MCP servers: the bridge binds its loopback port now, so its URL and secret
        # compile into those servers' Tools like any HTTP endpoint (started in stdio_ctx)
        self.stdio = StdioBridge.for_settings(settings, self.metrics)
        self.mcp_servers = compile_mcp_servers(settings, self.stdio.endpoints if self.stdio else None)
        self.verifier = Verifier(settings.identity)
        self.usage = UsageCache()
        self.stores = build_stores(settings, self._state_lost)  # one Redis driver for every Redis store
        self.admission = self.stores.admission
        self.killswitch = self.stores.killswitch
        self.approval_store = self.stores.approvals
        self.mcp_state = self.stores.mcp_state
        self.runs = self.stores.runs
        self.key_prefix = self.stores.key_prefix
        self.mcp_pins = DefinitionPins(
            self.mcp_state,
            {f"{s}.{t}": h for s, cfg in settings.mcp_servers.items() for t, h in cfg.pinned.items()},
        )
        self.inspector = Inspector()
        self.classifier = build_classifier(settings.classifier, self.metrics)
        self.log = DecisionLog(settings.decision_log, self.metrics)
        self.policy = PolicyRef(
            build_engine(settings.policy, gateway_data(settings, self.tools, self.mcp_servers), self.metrics),
            settings.policy.decision,
            settings.policy.output_decision,
            settings.policy.enforce,
        )
        self.metrics.policy_revision.labels(self.policy.revision).set(1)
        self.stream = DecisionStream(self.metrics)
        self.notifier = Notifier(settings.approvals, self.metrics)
        self.approvals = ApprovalService(
            settings.approvals,
            self.approval_store,
            self.log,
            self.metrics,
            self.notifier,
            self.stream,
            lambda: self.policy.revision,
        )
        # what is open, closed in reverse by close(): the engine (built above) first, then
        # what start() opens, as it opens it
        self._resources = AsyncExitStack()
        self._resources.push_async_callback(closing, "policy engine", lambda: self.policy.engine.close())
        self._http: aiohttp.ClientSession | None = None
        self._pipeline: Pipeline | None = None
        self._adapter: HttpAdapter | None = None
        self._mcp: Mediator | None = None
        self.mcp_tools = McpTools(self)

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("runtime not started")
        return self._http

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            raise RuntimeError("runtime not started")
        return self._pipeline

    @property
    def http_adapter(self) -> HttpAdapter:
        if self._adapter is None:
            raise RuntimeError("runtime not started")
        return self._adapter

    @property
    def mediator(self) -> Mediator:
        if self._mcp is None:
            raise RuntimeError("runtime not started")
        return self._mcp

    @property
    def started(self) -> bool:
        return self._pipeline is not None

    @property
    def ready(self) -> bool:
        return self.started and self.log.writable

    async def start(self) -> None:
        """Open every resource in order; a start that fails partway closes what it opened, then raises.

        Each resource is pushed onto one ``AsyncExitStack`` as soon as it is open, so
        ``close()`` (and a failed start) unwinds exactly what was opened, in reverse.
        """
        try:
            await self._open()
        except BaseException:
            await self.close()
            raise

    async def _open(self) -> None:
        stack = self._resources
        self._http = http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.settings.server.upstream_pool_size, ttl_dns_cache=60),
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Content-Type", "Accept-Encoding"),
        )
        stack.push_async_callback(closing, "upstream client session", http.close)
        await self.verifier.start(http)
        stack.push_async_callback(closing, "identity verifier", self.verifier.close)
        await start_engine(self.policy.engine)
        await self.inspector.warm()
        # the Redis pool, warmed, and the kill-switch follower; closed after everything opened later
        await stack.enter_async_context(self.stores.running())
        anchors = await self._checkpoint_copies()
        stack.push_async_callback(closing, "decision log", self.log.close)
        try:
            await self.log.open(anchors)
        except LogCheckFailed:
            raise  # a log that fails its signed checkpoint is not extended: the gateway does not start
        except AuditUnavailable as e:
            # Keep serving so operators can see /readyz and /metrics; every call is denied 503.
            log.error("decision log %s cannot be opened: %s", self.settings.decision_log.path, e)
        self.notifier.start(http)
        stack.push_async_callback(closing, "approval notifier", self.notifier.close)
        lag = asyncio.get_running_loop().create_task(looplag.watch(self.metrics.loop_lag), name="callgate-loop-lag")
        stack.push_async_callback(closing, "event-loop lag watch", partial(_cancel, lag))
        self.approvals.start()
        stack.push_async_callback(closing, "approval service", self.approvals.close)
        self._pipeline = Pipeline(default_stages(self))
        self._adapter = HttpAdapter(self._pipeline, self.approvals, self.settings.approvals.wait_s)
        self._mcp = Mediator(self, self._pipeline, Pipeline(server_request_stages(self)))
        self.metrics.ready.set(1 if self.ready else 0)

    async def _state_lost(self, loss: StateLoss) -> None:
        """Redis lost state we knew (the kill switches): count it and put it on the record."""
        self.metrics.state_lost.labels(loss.store).inc()
        rec = {
            "kind": "state.lost",
            "id": uuid.uuid4().hex,
            "time": iso(time.time()),
            "store": loss.store,
            "detected": loss.detected,
            "known": loss.known,
            "reasserted": loss.reasserted,
        }
        try:
            await self.log.append(rec)
        except AuditUnavailable as e:
            log.error("state loss not recorded: %s", e)

    def _checkpoint_key(self) -> str | None:
        """The Redis key holding this log's newest checkpoint (one per log file), when Redis keeps one."""
        cps = self.settings.decision_log.checkpoints
        if self.stores.driver is None or cps is None or not cps.redis:
            return None
        import hashlib

        path = str(self.settings.decision_log.path.resolve())
        return f"{self.key_prefix}audit:checkpoint:{hashlib.sha256(path.encode()).hexdigest()[:16]}"

    async def _checkpoint_copies(self) -> list[tuple[str, Checkpoint | None]]:
        """The copy of the newest checkpoint kept in Redis (if any), and export future ones there.

        A copy that does not parse is returned as ``None``: the log reports it as a problem,
        as it does an unreadable exported file (someone who can rewrite the log and the
        export could otherwise silence the third witness by spoiling it)."""
        key = self._checkpoint_key()
        redis = self.stores.driver
        if key is None or redis is None:
            return []

        async def export(cp: Checkpoint) -> None:
            await redis.run(redis.redis.set(key, json.dumps(cp.as_dict())))

        self.log.exporters.append(export)
        try:
            raw = await redis.run(redis.redis.get(key))
        except StoreUnavailable as e:
            log.warning("cannot read the checkpoint copy in Redis (%s); checking the log against the file only", e)
            return []
        if raw is None:
            return []
        try:
            cp = Checkpoint.parse(json.loads(raw))
        except ValueError:
            cp = None
        return [(f"Redis ({key})", cp)]

    async def reload_policies(self) -> tuple[str, str]:
        """Compile the policy set on disk, run its Rego tests, swap it in atomically.

        Embedded engine only (an OPA server reloads its own bundles). On any failure the
        running set stays, the failure is counted and ``PolicyLoadError`` is raised.
        Returns ``(previous revision, new revision)``.
        """
        from gateway.policy.embedded import EmbeddedEngine
        from gateway.policy.engine import PolicyLoadError
        from gateway.policy.testing import run_policy_tests

        cfg = self.settings.policy
        try:
            if cfg.engine != "embedded":
                raise PolicyLoadError(f"policy.engine is {cfg.engine!r}: reload the bundle in the policy server")
            data = gateway_data(self.settings, self.tools, self.mcp_servers)  # MCP servers too: tools stay known
            failed = [r for r in run_policy_tests(cfg.paths, data) if r.outcome in ("fail", "error")]
            if failed:
                names = ", ".join(f"{r.name} ({r.outcome})" for r in failed[:5])
                raise PolicyLoadError(f"{len(failed)} Rego test(s) failed: {names}")
            engine = EmbeddedEngine.load(cfg.paths, data)
        except PolicyLoadError as e:
            self.metrics.policy_reloads.labels("failure").inc()
            log.error("policy reload failed, keeping revision %s: %s", self.policy.revision, e)
            raise
        old = self.policy.engine
        previous = old.revision
        self.policy.engine = engine  # one assignment: a call sees the old set or the new, never a mix
        await old.close()
        self.metrics.policy_revision.clear()
        self.metrics.policy_revision.labels(engine.revision).set(1)
        self.metrics.policy_reloads.labels("success").inc()
        log.info("policies reloaded: %s -> %s", previous, engine.revision)
        return previous, engine.revision

    async def close(self) -> None:
        """Close what ``start`` opened, in reverse, then the thread pools; never stops at a failing close."""
        self.metrics.ready.set(0)
        await self._resources.aclose()  # each entry goes through ``_closing``: none raises
        if self.classifier is not None:
            try:
                self.classifier.close()
            except Exception:
                log.exception("closing the classifier failed")
        try:
            self.inspector.close()
        except Exception:
            log.exception("closing the inspector failed")

    async def cleanup_ctx(self, app: web.Application) -> AsyncIterator[None]:
        await self.start()
        yield
        await self.close()

    async def stdio_ctx(self, app: web.Application) -> AsyncIterator[None]:
        """A ``cleanup_ctx`` entry of its own, after ``cleanup_ctx``: the stdio servers' bridge and children."""
        if self.stdio is None:
            yield
            return
        async with self.stdio.running():
            yield


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

"""The gateway's resources, built from settings and opened in aiohttp's ``cleanup_ctx``.

``Runtime`` owns everything with a lifetime — the upstream client session, the
identity verifier (JWKS fetches), the decision log, the policy engine, the state
stores — and the pipeline composed from them. Both listeners (agents, admin) share
one runtime.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from gateway.adapters.http import HttpAdapter
from gateway.adapters.mcp import McpAdapter, McpTools
from gateway.audit.checkpoint import Checkpoint
from gateway.audit.log import AuditUnavailable, DecisionLog, LogCheckFailed
from gateway.config import RedisStoreConfig, Settings
from gateway.identity import Verifier
from gateway.inspect.classifier import build_classifier
from gateway.inspect.runner import Inspector
from gateway.mcp.pins import DefinitionPins
from gateway.mcp.stdio import StdioBridge
from gateway.metrics import MetricLabels, Metrics
from gateway.pipeline import Pipeline, default_stages
from gateway.policy.backends import build_engine, start_engine
from gateway.stages.policy import PolicyRef, gateway_data
from gateway.stages.record import iso
from gateway.stages.usage import UsageCache
from gateway.store.base import AdmissionStore, KillSwitchStore, RunStore, StoreUnavailable
from gateway.store.memory import MemoryAdmission, MemoryKillSwitch, MemoryRuns
from gateway.store.redis import RedisAdmission, RedisKillSwitch, RedisRuns, StateLoss
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
        self.mcp_pins = DefinitionPins(
            {f"{s}.{t}": h for s, cfg in settings.mcp_servers.items() for t, h in cfg.pinned.items()}
        )
        self.verifier = Verifier(settings.identity)
        self.usage = UsageCache()
        self._redis: RedisAdmission | None = None
        self._redis_ks: RedisKillSwitch | None = None
        self.admission: AdmissionStore
        self.killswitch: KillSwitchStore
        self.runs: RunStore
        if settings.store == "memory":
            self.admission = MemoryAdmission()
            self.killswitch = MemoryKillSwitch()
            self.runs = MemoryRuns()
            self.key_prefix = ""
        else:
            self.key_prefix = settings.store.key_prefix
            self._redis = RedisAdmission(settings.store)  # connects lazily, on the first call
            self._redis_ks = RedisKillSwitch(self._redis, self._state_lost)
            self.admission = self._redis
            self.killswitch = self._redis_ks
            self.runs = RedisRuns(self._redis)  # shares the admission pool
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
        self._http: aiohttp.ClientSession | None = None
        self._pipeline: Pipeline | None = None
        self._adapter: HttpAdapter | None = None
        self._mcp: McpAdapter | None = None
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
    def mcp_adapter(self) -> McpAdapter:
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
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.settings.server.upstream_pool_size, ttl_dns_cache=60),
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Content-Type", "Accept-Encoding"),
        )
        await self.verifier.start(self._http)
        await start_engine(self.policy.engine)
        if self._redis is not None and isinstance(self.settings.store, RedisStoreConfig):
            cfg = self.settings.store
            warm = cfg.max_connections if cfg.warm_connections is None else cfg.warm_connections
            await self._redis.warm(min(warm, cfg.max_connections))
        if self._redis_ks is not None:
            await self._redis_ks.start()
        anchors = await self._checkpoint_copies()
        try:
            await self.log.open(anchors)
        except LogCheckFailed:
            await self.close()
            raise  # a log that fails its signed checkpoint is not extended: the gateway does not start
        except AuditUnavailable as e:
            # Keep serving so operators can see /readyz and /metrics; every call is denied 503.
            log.error("decision log %s cannot be opened: %s", self.settings.decision_log.path, e)
        self._pipeline = Pipeline(default_stages(self))
        self._adapter = HttpAdapter(self._pipeline)
        self._mcp = McpAdapter(self)
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
        if self._redis is None or cps is None or not cps.redis:
            return None
        import hashlib

        path = str(self.settings.decision_log.path.resolve())
        return f"{self._redis.prefix}audit:checkpoint:{hashlib.sha256(path.encode()).hexdigest()[:16]}"

    async def _checkpoint_copies(self) -> list[tuple[str, Checkpoint]]:
        """The copy of the newest checkpoint kept in Redis (if any), and export future ones there."""
        key = self._checkpoint_key()
        redis = self._redis
        if key is None or redis is None:
            return []

        async def export(cp: Checkpoint) -> None:
            await redis._run(redis.redis.set(key, json.dumps(cp.as_dict())))

        self.log.exporters.append(export)
        try:
            raw = await redis._run(redis.redis.get(key))
        except StoreUnavailable as e:
            log.warning("cannot read the checkpoint copy in Redis (%s); checking the log against the file only", e)
            return []
        if raw is None:
            return []
        try:
            cp = Checkpoint.parse(json.loads(raw))
        except ValueError:
            cp = None
        if cp is None:
            log.error("the checkpoint copy in Redis (%s) is malformed; ignored", key)
            return []
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
            data = gateway_data(self.settings, self.tools)
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
        self.metrics.ready.set(0)
        if self.classifier is not None:
            self.classifier.close()
        await self.log.close()
        await self.verifier.close()
        await self.policy.engine.close()
        if self._redis_ks is not None:
            await self._redis_ks.close()
        if self._redis is not None:
            await self._redis.close()
        if self._http is not None:
            await self._http.close()
        self.inspector.close()

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

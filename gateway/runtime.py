"""The gateway's resources, built from settings and opened in aiohttp's ``cleanup_ctx``.

``Runtime`` owns everything with a lifetime — the upstream client session, the
identity verifier (JWKS fetches), the decision log, the policy engine, the state
stores — and the pipeline composed from them. Both listeners (agents, admin) share
one runtime.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from gateway.adapters.http import HttpAdapter
from gateway.audit.log import AuditUnavailable, DecisionLog
from gateway.config import Settings
from gateway.identity import Verifier
from gateway.metrics import Metrics
from gateway.pipeline import Pipeline, default_stages
from gateway.policy.embedded import EmbeddedEngine
from gateway.stages.policy import PolicyRef, gateway_data
from gateway.stages.usage import UsageCache
from gateway.store.base import AdmissionStore, KillSwitchStore
from gateway.store.memory import MemoryAdmission, MemoryKillSwitch
from gateway.store.redis import RedisAdmission, RedisKillSwitch
from gateway.tools import compile_tools

log = logging.getLogger("callgate")


class Runtime:
    def __init__(self, settings: Settings) -> None:
        """Compile everything that can be compiled without an event loop; raises on bad config or policy."""
        self.settings = settings
        self.metrics = Metrics(settings.metrics.namespace)
        self.tools = compile_tools(settings)
        self.verifier = Verifier(settings.identity)
        self.usage = UsageCache()
        self._redis: RedisAdmission | None = None
        self._redis_ks: RedisKillSwitch | None = None
        self.admission: AdmissionStore
        self.killswitch: KillSwitchStore
        if settings.store == "memory":
            self.admission = MemoryAdmission()
            self.killswitch = MemoryKillSwitch()
            self.key_prefix = ""
        else:
            self.key_prefix = settings.store.key_prefix
            self._redis = RedisAdmission(settings.store)  # connects lazily, on the first call
            self._redis_ks = RedisKillSwitch(self._redis)
            self.admission = self._redis
            self.killswitch = self._redis_ks
        self.log = DecisionLog(settings.decision_log, self.metrics)
        self.policy = PolicyRef(
            EmbeddedEngine.load(settings.policy.paths, gateway_data(settings, self.tools)),
            settings.policy.decision,
            settings.policy.output_decision,
        )
        self.metrics.policy_revision.labels(self.policy.revision).set(1)
        self._http: aiohttp.ClientSession | None = None
        self._pipeline: Pipeline | None = None
        self._adapter: HttpAdapter | None = None

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
        if self._redis_ks is not None:
            await self._redis_ks.start()
        try:
            await self.log.open()
        except AuditUnavailable as e:
            # Keep serving so operators can see /readyz and /metrics; every call is denied 503.
            log.error("decision log %s cannot be opened: %s", self.settings.decision_log.path, e)
        self._pipeline = Pipeline(default_stages(self))
        self._adapter = HttpAdapter(self._pipeline)
        self.metrics.ready.set(1 if self.ready else 0)

    async def close(self) -> None:
        self.metrics.ready.set(0)
        await self.log.close()
        await self.verifier.close()
        await self.policy.engine.close()
        if self._redis_ks is not None:
            await self._redis_ks.close()
        if self._redis is not None:
            await self._redis.close()
        if self._http is not None:
            await self._http.close()

    async def cleanup_ctx(self, app: web.Application) -> AsyncIterator[None]:
        await self.start()
        yield
        await self.close()

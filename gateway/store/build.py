"""Every state store of a gateway, built from settings in one place (``build_stores``).

Memory mode: one in-process store per interface. Redis mode: one ``RedisDriver`` — one
connection pool, one bounded ``run`` — and every Redis store built on it (Envoy's
ratelimit keeps its driver apart from the caches in the same way). ``Stores.running``
is what the runtime puts on its ``AsyncExitStack``: it warms the pool and starts the
kill-switch follower, and on the way out (or when a later step of the start fails)
stops the follower and closes every connection, whatever failed before.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from gateway.config import Settings
from gateway.store.approvals import ApprovalStore, MemoryApprovals, RedisApprovals
from gateway.store.base import AdmissionStore, KillSwitchStore, McpStateStore, RunStore
from gateway.store.memory import MemoryAdmission, MemoryKillSwitch, MemoryMcpState, MemoryRuns
from gateway.store.redis import RedisAdmission, RedisDriver, RedisKillSwitch, RedisMcpState, RedisRuns, StateLoss

log = logging.getLogger("callgate.store")


@dataclass(frozen=True, slots=True)
class Stores:
    """The stores of one gateway; ``driver`` is the shared Redis driver (``None`` in memory mode)."""

    admission: AdmissionStore
    killswitch: KillSwitchStore
    approvals: ApprovalStore
    runs: RunStore
    mcp_state: McpStateStore
    key_prefix: str
    driver: RedisDriver | None = None
    warm_connections: int = 0

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Stores]:
        """Warm the Redis pool and start the kill-switch follower; undo both on exit, each whatever the other did."""
        driver = self.driver
        if driver is None:
            yield self
            return
        async with AsyncExitStack() as stack:
            stack.push_async_callback(closing, "Redis connection pool", driver.close)
            await driver.warm(self.warm_connections)
            if isinstance(self.killswitch, RedisKillSwitch):
                await self.killswitch.start()
                stack.push_async_callback(closing, "kill-switch follower", self.killswitch.close)
            yield self


async def closing(name: str, close: Callable[[], Awaitable[None]]) -> None:
    """Close one resource; a failure is logged, not raised, so the next one is still closed.

    The shape of every ``AsyncExitStack`` entry of the runtime and of ``Stores.running``.
    """
    try:
        await close()
    except Exception:
        log.exception("closing the %s failed", name)


def build_stores(settings: Settings, on_loss: Callable[[StateLoss], Awaitable[None]] | None = None) -> Stores:
    """Every store for ``settings.store``; nothing connects yet (``Stores.running`` does).

    ``on_loss`` hears of state Redis lost (the kill switches; see ``RedisKillSwitch``).
    """
    cfg = settings.store
    if cfg == "memory":
        return Stores(MemoryAdmission(), MemoryKillSwitch(), MemoryApprovals(), MemoryRuns(), MemoryMcpState(), "")
    driver = RedisDriver(cfg)  # connects lazily, on the first call or in ``running``
    warm = cfg.max_connections if cfg.warm_connections is None else cfg.warm_connections
    return Stores(
        admission=RedisAdmission(driver),
        killswitch=RedisKillSwitch(driver, on_loss),
        approvals=RedisApprovals(driver),
        runs=RedisRuns(driver),
        mcp_state=RedisMcpState(driver),
        key_prefix=cfg.key_prefix,
        driver=driver,
        warm_connections=min(warm, cfg.max_connections),
    )

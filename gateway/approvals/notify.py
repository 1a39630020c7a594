"""Webhook: ``approvals.notify_url`` gets a JSON POST when an approval waits.

Never blocks a call: ``submit`` only puts the message on a bounded queue (full →
dropped and counted). One worker task sends them in order, each with a timeout and
at most ``notify_retries`` retries with exponential backoff (0.5 s, 1 s, 2 s, ...,
capped at 10 s); a message that still fails is counted and logged, never retried
again. Results: ``callgate_approval_notifications_total{result=sent|failed|dropped}``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from gateway.config import ApprovalsConfig
from gateway.metrics import Metrics

log = logging.getLogger("callgate.approvals")


class Notifier:
    def __init__(self, cfg: ApprovalsConfig, metrics: Metrics) -> None:
        self.url = str(cfg.notify_url) if cfg.notify_url is not None else None
        self.timeout = aiohttp.ClientTimeout(total=cfg.notify_timeout_s)
        self.retries = cfg.notify_retries
        self.metrics = metrics
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=cfg.notify_queue)
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self, session: aiohttp.ClientSession) -> None:
        if self.url is None:
            return
        self._session = session
        self._task = asyncio.create_task(self._work(), name="approvals-notify")

    async def close(self) -> None:
        """Stop the worker; bounded (a swallowed cancellation is repeated, at most 5 times)."""
        task, self._task = self._task, None
        if task is None:
            return
        for _ in range(5):
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=1.0)
            if done:
                return
        log.error("the approval webhook worker did not stop")

    def submit(self, message: dict[str, Any]) -> None:
        if self.url is None:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.metrics.approval_notify.labels("dropped").inc()
            log.warning("approval notification dropped: queue full (%d)", self.queue.maxsize)

    async def _work(self) -> None:
        while True:
            message = await self.queue.get()
            ok = await self._send(message)
            self.metrics.approval_notify.labels("sent" if ok else "failed").inc()

    async def _send(self, message: dict[str, Any]) -> bool:
        if self._session is None or self.url is None:
            return False
        for attempt in range(self.retries + 1):
            try:
                async with self._session.post(self.url, json=message, timeout=self.timeout) as resp:
                    if resp.status < 300:
                        return True
                    log.warning("approval webhook answered %d (attempt %d)", resp.status, attempt + 1)
            except (aiohttp.ClientError, TimeoutError) as e:
                log.warning("approval webhook failed (attempt %d): %s", attempt + 1, e)
            if attempt < self.retries:
                await asyncio.sleep(min(10.0, 0.5 * 2**attempt))
        return False

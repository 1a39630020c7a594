"""Listeners that do not wait forever on slow clients.

aiohttp bounds an idle keep-alive connection but not one that trickles its request
headers, nor a request body that never finishes. Here:

* ``GuardedRunner`` serves an application with ``GuardedHandler``: from the moment a
  connection opens, or the first byte of a next request arrives (also when it arrives
  in the same segment as the end of the previous request), the request headers must
  be complete within ``server.header_timeout_s``; otherwise the connection is closed
  once no request is being handled on it (nothing was asked yet, so there is no call
  to record) and ``callgate_slow_clients_total{phase="headers"}`` counts it.
* ``read_limited`` (``gateway/adapters/http.py``) reads a tool call's body within
  ``server.body_timeout_s``: a body that does not arrive in time is
  ``408 request.body_timeout`` — a call, so it is recorded — and counts under
  ``phase="body"``.

Both timeouts live in ``ClientLimits``, stored in the application under
``CLIENT_LIMITS``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from prometheus_client import Counter

from gateway.config import ServerConfig
from gateway.metrics import Metrics


@dataclass(frozen=True, slots=True)
class ClientLimits:
    header_timeout_s: float
    body_timeout_s: float
    header_timeouts: Any  # prometheus counter child
    body_timeouts: Any

    @classmethod
    def of(cls, server: ServerConfig, metrics: Metrics) -> ClientLimits:
        slow: Counter = metrics.slow_clients
        return cls(server.header_timeout_s, server.body_timeout_s, slow.labels("headers"), slow.labels("body"))


CLIENT_LIMITS = web.AppKey("client_limits", ClientLimits)
LINGER_S = 1.0


class GuardedHandler(RequestHandler):
    """aiohttp's request handler with a deadline for complete request headers."""

    def __init__(self, manager: web.Server, limits: ClientLimits, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._limits = limits
        self._header_timer: asyncio.TimerHandle | None = None
        self._body: Any = None  # the payload of the last request, while it is still arriving

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = asyncio.get_running_loop().call_later(
                self._limits.header_timeout_s, self._headers_expired, self._request_count
            )

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_expired(self, count: int) -> None:
        self._header_timer = None
        if self._request_count != count or self.transport is None:
            return
        if self._waiter is None or self._waiter.done():
            # A request is being handled (the partial bytes are pipelined behind it): look again later.
            self._arm()
            return
        self._limits.header_timeouts.inc()
        self.force_close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        before = self._request_count
        super().data_received(data)
        if self._request_count > before:
            self._disarm()  # headers complete; the body has its own deadline in the handler
            self._body = self._messages[-1][1] if self._messages else None
            if (self._body is None or self._body.is_eof()) and not data.endswith(b"\r\n\r\n"):
                # Bytes after the last complete request may be the start of the next one. If they
                # were only its body, the cost is an idle keep-alive closed after header_timeout_s.
                self._arm()
        elif self._body is None or self._body.is_eof():
            self._arm()  # bytes of a next request: its headers are now on the clock

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class GuardedServer(web.Server):
    limits: ClientLimits

    def __call__(self) -> RequestHandler:
        return GuardedHandler(self, self.limits, loop=self._loop, **self._kwargs)


class GuardedRunner(web.AppRunner):
    """An ``AppRunner`` whose connections use ``GuardedHandler``."""

    def __init__(self, app: web.Application, limits: ClientLimits, **kwargs: Any) -> None:
        # After answering a request whose body is still incomplete (408, 413, 401 before the
        # body), drain it for at most a second instead of aiohttp's ten, then close.
        kwargs.setdefault("lingering_time", LINGER_S)
        super().__init__(app, **kwargs)
        self._limits = limits

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = GuardedServer  # same object, our protocol factory
        assert isinstance(server, GuardedServer)
        server.limits = self._limits
        return server

"""Forward: send the call to the tool's upstream and hand the answer to ``emit``.

The upstream response stays open while the inner stages and the adapter's ``emit``
run, so large or unbounded bodies stream back to the agent chunk by chunk. Bodies
with a known length up to ``BUFFER_LIMIT`` are read whole first: one write instead of
many, and later stages (output inspection) can look at them.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from gateway.config import ServerConfig
from gateway.errors import UpstreamError, UpstreamTimeout
from gateway.headers import RESPONSE_DROP, forwarded
from gateway.memo import MEMO_CHARS, Memo
from gateway.metrics import Metrics
from gateway.model import CallContext, UpstreamResult

if TYPE_CHECKING:
    from yarl import URL

    from gateway.pipeline import Next
    from gateway.tools import Tool

BUFFER_LIMIT = 1 << 20
__all__ = ["BUFFER_LIMIT", "RESPONSE_DROP", "ForwardStage", "forwarded_headers"]


def local_host(request: Any) -> str:
    """The address the gateway accepted this connection on (never the agent's ``Host``)."""
    sock = request.transport.get_extra_info("sockname") if request.transport is not None else None
    if isinstance(sock, tuple) and len(sock) >= 2:
        host, port = str(sock[0]), sock[1]
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return "unknown"


def forwarded_headers(
    ctx: CallContext, public_host: str | None, memo: Memo[tuple[str, str, str], list[tuple[str, str]]] | None = None
) -> list[tuple[str, str]]:
    req = ctx.request
    key = (req.remote or "unknown", req.scheme, public_host or local_host(req))
    hop = memo.get(key) if memo is not None else None
    if hop is None:
        hop = forwarded(*key)
        if memo is not None:  # one per client address
            memo.put(key, hop)
    return [*hop, ("X-Callgate-Call-Id", ctx.call.call_id)]


class ForwardStage:
    name = "forward"

    def __init__(self, session: aiohttp.ClientSession, metrics: Metrics, server: ServerConfig) -> None:
        self.session = session
        self.metrics = metrics
        self.public_host = server.public_host
        self.latency = metrics.stage("upstream")
        # Pure functions of their keys, remembered (bounded): the URL of (tool, path, query)
        # and the Forwarded headers of (peer, scheme, host).
        self._urls: Memo[tuple[str, str, str], tuple[Tool, URL]] = Memo()
        self._hops: Memo[tuple[str, str, str], list[tuple[str, str]]] = Memo()

    def upstream_url(self, tool: Tool, path: str, query: str) -> URL:
        """``tool.upstream_url(path, query)``, remembered for short targets (per Tool object:
        a tool of the same name compiled anew gets its own)."""
        key = (tool.name, path, query)
        hit = self._urls.get(key)
        if hit is not None and hit[0] is tool:
            return hit[1]
        url = tool.upstream_url(path, query)
        if len(path) + len(query) <= MEMO_CHARS:
            self._urls.put(key, (tool, url))
        return url

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        tool = ctx.need_tool()
        call = ctx.call
        headers: list[tuple[str, str]] = ctx.need_forward_headers() + forwarded_headers(
            ctx, self.public_host, self._hops
        )
        url = self.upstream_url(tool, call.path, call.query)
        t0 = time.perf_counter()
        ctx.forwarded = True
        try:
            async with self.session.request(
                call.method,
                url,
                data=call.body or None,
                headers=headers,
                timeout=tool.timeout,
                allow_redirects=False,
            ) as resp:
                out_headers = [(k, v) for k, v in resp.headers.items() if k.lower() not in RESPONSE_DROP]
                length = resp.content_length
                if length is not None and length <= BUFFER_LIMIT:
                    body = await resp.read()
                    ctx.upstream = UpstreamResult(resp.status, out_headers, body=body, bytes_sent=len(body))
                else:
                    ctx.upstream = UpstreamResult(resp.status, out_headers, stream=resp.content)
                self._observe(ctx, t0)
                await nxt(ctx)
        except TimeoutError as e:
            self._fail(ctx, t0, "upstream.timeout")
            raise UpstreamTimeout(f"tool {tool.name!r} did not answer in time", code="upstream.timeout") from e
        except aiohttp.ClientConnectorError as e:
            self._fail(ctx, t0, "upstream.unreachable")
            raise UpstreamError(f"tool {tool.name!r} is unreachable", code="upstream.unreachable") from e
        except (aiohttp.ClientError, asyncio.IncompleteReadError) as e:
            self._fail(ctx, t0, "upstream.failed")
            raise UpstreamError(f"tool {tool.name!r} failed: {type(e).__name__}", code="upstream.failed") from e

    def _observe(self, ctx: CallContext, t0: float) -> None:
        dt = time.perf_counter() - t0
        ctx.timings["upstream"] = dt
        self.latency.observe(dt)

    def _fail(self, ctx: CallContext, t0: float, code: str) -> None:
        if "upstream" not in ctx.timings:
            self._observe(ctx, t0)
        self.metrics.upstream_errors.labels(self.metrics.names.tool(ctx.need_tool().name), code).inc()

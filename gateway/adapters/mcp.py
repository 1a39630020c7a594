"""MCP adapter: the pipeline's edges for MCP operations — ``load`` and ``emit`` only.

The mediator (``gateway.mcp.mediator``) turns each message at ``/mcp/{server}`` into a
``ToolCall`` and runs the pipeline with this adapter; ``load`` checks the session and
the message's own rule, ``emit`` screens and relays the server's answer. The rule
table is ``gateway.mcp.rules``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.mcp.mediator import store_unavailable
from gateway.model import CallContext
from gateway.store.base import StoreUnavailable
from gateway.tools import Tool, mcp_server_tool, mcp_tool

if TYPE_CHECKING:
    from gateway.mcp.mediator import Mediator
    from gateway.runtime import Runtime


class McpTools:
    """Resolves ``{server}.{name}`` (a tool) or ``{server}`` (the server's own operations) to a ``Tool``."""

    def __init__(self, rt: Runtime) -> None:
        self.servers = rt.mcp_servers
        self.configs = rt.settings.mcp_servers
        self._cache: dict[str, Tool] = {}

    def resolve(self, full: str) -> Tool | None:
        tool = self._cache.get(full)
        if tool is not None:
            return tool
        server, sep, name = full.partition(".")
        srv = self.servers.get(server)
        if srv is None or (sep and not name):
            return None
        if not sep:
            tool = mcp_server_tool(srv)
        else:
            cfg = self.configs[server]
            tool = mcp_tool(srv, cfg.tool_effects.get(name, cfg.effect), name)
        if len(self._cache) < 10_000:
            self._cache[full] = tool
        return tool


class McpAdapter:
    def __init__(self, mediator: Mediator) -> None:
        self.mediator = mediator

    async def load(self, ctx: CallContext) -> None:
        try:
            await self.mediator.load(ctx)
        except StoreUnavailable as e:  # sessions, pins, listed tools: 503, recorded, not a 500
            raise store_unavailable(e) from e

    async def emit(self, ctx: CallContext) -> None:
        try:
            await self.mediator.emit(ctx)
        except StoreUnavailable as e:
            raise store_unavailable(e) from e

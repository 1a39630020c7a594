"""Request: resolve the tool (404; MCP tools ``{server}.{name}`` through the MCP resolver)
and let the adapter load the arguments (400/413)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gateway.errors import NotFound
from gateway.model import CallContext
from gateway.tools import Tool

if TYPE_CHECKING:
    from gateway.pipeline import Next


class RequestStage:
    name = "request"

    def __init__(self, tools: dict[str, Tool], mcp_resolve: Callable[[str], Tool | None] | None = None) -> None:
        self.tools = tools
        self.mcp_resolve = mcp_resolve

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        if ctx.call.protocol == "mcp":
            tool = self.mcp_resolve(ctx.call.tool_name) if self.mcp_resolve is not None else None
        else:
            tool = self.tools.get(ctx.call.tool_name)
        if tool is None:
            raise NotFound(f"no tool named {ctx.call.tool_name!r}", code="tool.unknown")
        ctx.tool = tool
        await ctx.need_adapter().load(ctx)
        await nxt(ctx)

"""Request: resolve the tool (404) and let the adapter load the arguments (400/413)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.errors import NotFound
from gateway.model import CallContext
from gateway.tools import Tool

if TYPE_CHECKING:
    from gateway.pipeline import Adapter, Next


class RequestStage:
    name = "request"

    def __init__(self, tools: dict[str, Tool]) -> None:
        self.tools = tools

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        tool = self.tools.get(ctx.call.tool_name)
        if tool is None:
            raise NotFound(f"no tool named {ctx.call.tool_name!r}", code="tool.unknown")
        ctx.tool = tool
        adapter: Adapter = ctx.extra["adapter"]
        await adapter.load(ctx)
        await nxt(ctx)

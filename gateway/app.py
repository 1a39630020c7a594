"""The two aiohttp applications: agents (``/tools/...``, ``/mcp/{server}``) and admin (``/admin/...``, metrics)."""

from __future__ import annotations

from aiohttp import web

from gateway.adapters.http import render_error
from gateway.admin import add_admin_routes
from gateway.errors import GatewayError, NotFound
from gateway.runtime import Runtime
from gateway.server import CLIENT_LIMITS, ClientLimits

RUNTIME = web.AppKey("runtime", Runtime)


def create_agent_app(rt: Runtime) -> web.Application:
    """The agents' listener. Its ``cleanup_ctx`` opens and closes the shared runtime."""
    app = web.Application(handler_args={"max_field_size": 16384})
    app[RUNTIME] = rt
    app[CLIENT_LIMITS] = ClientLimits.of(rt.settings.server, rt.metrics)
    app.cleanup_ctx.append(rt.cleanup_ctx)
    app.cleanup_ctx.append(rt.stdio_ctx)  # stdio MCP servers: started after the runtime, stopped before it

    async def tool_call(request: web.Request) -> web.StreamResponse:
        return await rt.http_adapter.handle(request)

    async def no_route(request: web.Request) -> web.StreamResponse:
        return render_error(NotFound("no such endpoint; tool calls go to /tools/{tool}/...", code="route.unknown"), "")

    async def mcp(request: web.Request) -> web.StreamResponse:
        return await rt.mediator.handle(request)

    async def approval(request: web.Request) -> web.StreamResponse:
        from gateway.approvals.admin import agent_view

        try:
            return web.json_response(await agent_view(request, rt))
        except GatewayError as e:
            return render_error(e, "")

    app.router.add_get("/approvals/{id}", approval)
    app.router.add_route("*", "/mcp/{server}", mcp)
    app.router.add_route("*", "/tools/{tool}", tool_call)
    app.router.add_route("*", "/tools/{tool}/{tail:(?s:.*)}", tool_call)
    app.router.add_route("*", "/{tail:(?s:.*)}", no_route)
    return app


def create_admin_app(rt: Runtime) -> web.Application:
    """The operators' listener: /healthz, /readyz, /metrics open; /admin/* authenticated."""
    app = web.Application()
    app[RUNTIME] = rt
    app[CLIENT_LIMITS] = ClientLimits.of(rt.settings.server, rt.metrics)  # admin bodies have a deadline too
    add_admin_routes(app, rt)
    return app

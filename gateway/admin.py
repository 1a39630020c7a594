"""Admin listener: health, readiness, metrics, and the authenticated ``/admin`` API.

``/healthz``, ``/readyz`` and ``/metrics`` are open (bind the admin listener to a
private address). ``/admin/*`` takes either the admin token (compared in constant
time) or an agent-style JWT carrying the configured admin scope. The operator's
identity — the JWT's agent claim, or ``X-Operator`` alongside the shared token — goes
into the decision log with every admin action.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import time
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from gateway import jsondoc
from gateway.adapters.http import read_limited
from gateway.audit.log import AuditUnavailable
from gateway.clock import iso
from gateway.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    GatewayError,
    NotFound,
    Unauthenticated,
    Unavailable,
    Unprocessable,
)
from gateway.identity import extract_bearer
from gateway.store.base import StoreUnavailable, validate_scope

if TYPE_CHECKING:
    from gateway.runtime import Runtime

OPERATOR = web.RequestKey("operator", str)


def _problem(err: GatewayError) -> web.Response:
    from gateway.adapters.http import render_error

    return render_error(err, "")


ADMIN_BODY_LIMIT = 1 << 20


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body; ``{}`` when there is none; 400 when it is not an object."""
    if not request.can_read_body:
        return {}
    try:
        parsed = jsondoc.loads(await read_limited(request, ADMIN_BODY_LIMIT, "the admin API") or b"{}")
    except ValueError as e:
        raise BadRequest(f"the body is not valid JSON: {e}", code="request.invalid_json") from e
    if not isinstance(parsed, dict):
        raise BadRequest("the body must be a JSON object", code="request.invalid_json")
    return parsed


def scrape_registry(rt: Runtime) -> CollectorRegistry:
    """This process's registry; with several workers, one that aggregates every worker's values."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return rt.metrics.registry


class AdminAuth:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        src = rt.settings.admin.token
        self.token = src.resolve().get_secret_value().encode() if src is not None else None
        self.scope = rt.settings.admin.jwt_scope

    def token_ok(self, token: str) -> bool:
        return self.token is not None and hmac.compare_digest(token.encode(), self.token)

    async def operator(self, request: web.Request, also: str | None = None) -> str:
        """``admin-token[:<X-Operator>]`` or ``jwt:<agent>``; ``also``: one more scope accepted here."""
        token = extract_bearer(request.headers.get("Authorization"))
        if self.token_ok(token):
            claimed = request.headers.get("X-Operator", "").strip()[:128]
            return f"admin-token:{claimed}" if claimed else "admin-token"
        scopes = {s for s in (self.scope, also) if s is not None}
        if not scopes or token.count(".") != 2:
            raise Unauthenticated("invalid admin credentials", code="auth.invalid")
        agent = await self.rt.verifier.verify(token)
        if not scopes & set(agent.scopes):
            raise Forbidden(f"this needs scope {' or '.join(sorted(scopes))!r}", code="scope.missing")
        return f"jwt:{agent.id}"


async def refresh_killswitch_gauge(rt: Runtime, engaged: str | None = None) -> None:
    """Recount ``callgate_killswitch_engaged`` from the store (labels from configuration only)."""
    try:
        scopes = [e.scope for e in await rt.killswitch.entries()]
    except StoreUnavailable:
        if engaged is None:
            return
        scopes = [engaged]  # what we know for sure: the one just engaged
    rt.metrics.set_killswitches(scopes)


def add_admin_routes(app: web.Application, rt: Runtime) -> None:
    auth = AdminAuth(rt)

    @web.middleware
    async def errors_and_auth(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            if request.path.startswith("/admin/approvals"):
                request[OPERATOR] = await auth.operator(request, rt.settings.approvals.approver_scope)
            elif request.path.startswith("/admin/"):
                request[OPERATOR] = await auth.operator(request)
            return await handler(request)  # type: ignore[no-any-return]
        except GatewayError as e:
            return _problem(e)
        except StoreUnavailable as e:  # down, or holding what it cannot have written: a 503, never a 500
            return _problem(Unavailable(f"the state store could not be used: {e}", code="store.unavailable"))

    app.middlewares.append(errors_and_auth)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        checks = {"started": rt.started, "decision_log": rt.log.writable, "policy": rt.policy.engine.ready}
        ok = all(checks.values())
        rt.metrics.ready.set(1 if ok else 0)
        return web.json_response(
            {"status": "ready" if ok else "not ready", "checks": checks, "policy_revision": rt.policy.revision},
            status=200 if ok else 503,
        )

    async def metrics(request: web.Request) -> web.Response:
        rt.log.publish_depth()
        return web.Response(body=generate_latest(scrape_registry(rt)), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def record_admin(request: web.Request, action: str, **fields: Any) -> None:
        rec = {
            "kind": "admin",
            "id": uuid.uuid4().hex,
            "time": iso(time.time()),
            "action": action,
            "operator": request[OPERATOR],
            **fields,
        }
        await rt.log.append(rec)

    async def scope_arg(request: web.Request) -> tuple[str, dict[str, Any]]:
        body = await json_object(request)
        scope = body.get("scope", request.query.get("scope"))
        if not isinstance(scope, str):
            raise BadRequest(
                "'scope' is required: global, tenant:<id>, agent:<id> or tool:<name>", code="request.invalid"
            )
        try:
            validate_scope(scope)
        except ValueError as e:
            raise BadRequest(str(e), code="request.invalid") from e
        return scope, body

    async def ks_list(request: web.Request) -> web.Response:
        entries = await rt.killswitch.entries()
        return web.json_response({"engaged": [e.as_dict() for e in entries]})

    async def ks_engage(request: web.Request) -> web.Response:
        scope, body = await scope_arg(request)
        reason = body.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise BadRequest("'reason' is required when engaging a kill switch", code="request.invalid")
        # Engage first: stopping traffic must not wait on the log. The record follows.
        entry = await rt.killswitch.engage(scope, reason.strip()[:500], request[OPERATOR])
        await refresh_killswitch_gauge(rt, engaged=scope)
        recorded = True
        try:
            await record_admin(request, "killswitch.engage", scope=scope, reason=entry.reason)
        except AuditUnavailable:
            recorded = False
        return web.json_response({"engaged": entry.as_dict(), "recorded": recorded})

    async def ks_release(request: web.Request) -> web.Response:
        scope, _ = await scope_arg(request)
        # Release only once it is on record: reopening traffic must be audited.
        await record_admin(request, "killswitch.release", scope=scope)  # AuditUnavailable: 503, still engaged
        entry = await rt.killswitch.release(scope)
        await refresh_killswitch_gauge(rt)
        return web.json_response({"released": entry.as_dict() if entry else None})

    async def policies_reload(request: web.Request) -> web.Response:
        from gateway.policy.engine import PolicyLoadError

        try:
            previous, revision = await rt.reload_policies()
        except PolicyLoadError as e:
            with contextlib.suppress(AuditUnavailable):
                await record_admin(request, "policy.reload", result="failure", error=str(e)[:2000])
            raise Unprocessable(
                f"the new policy set was not loaded; {rt.policy.revision} stays: {e}", code="policy.reload_failed"
            ) from e
        with contextlib.suppress(AuditUnavailable):
            await record_admin(request, "policy.reload", result="success", previous=previous, revision=revision)
        return web.json_response({"previous": previous, "revision": revision})

    async def audit_head(request: web.Request) -> web.Response:
        cp = rt.log.checkpoint
        return web.json_response(
            {
                "head": rt.log.head,
                "path": str(rt.settings.decision_log.path),
                "seq": rt.log.seq if rt.settings.decision_log.checkpoints is not None else None,
                "checkpoint": cp.as_dict() if cp is not None else None,
            }
        )

    async def mcp_tools(request: web.Request) -> web.Response:
        return web.json_response(await rt.mcp_pins.as_dict())

    async def mcp_approve(request: web.Request) -> web.Response:
        name = request.match_info["tool"]
        body = await json_object(request)
        digest = body.get("hash")
        if digest is not None and not isinstance(digest, str):
            raise BadRequest("'hash' must be a string", code="request.invalid")
        held = await rt.mcp_pins.status(name)
        if held is None:
            raise NotFound(f"no held definition for MCP tool {name!r}", code="mcp.not_held")
        if digest is not None and digest != held.hash:
            raise Conflict(
                f"the held definition of {name} is {held.hash}, not {digest}; list again", code="mcp.hash_mismatch"
            )
        # Approve only once it is on record: an approval reopens a tool.
        await record_admin(  # AuditUnavailable: 503, nothing approved
            request,
            "mcp.approve",
            tool=name,
            definition_hash=held.hash,
            previous=await rt.mcp_pins.pinned(name),
            reason=held.reason,
        )
        pinned = await rt.mcp_pins.approve(name, held.hash)
        return web.json_response({"approved": name, "pinned": pinned})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/admin/killswitch", ks_list)
    app.router.add_put("/admin/killswitch", ks_engage)
    app.router.add_delete("/admin/killswitch", ks_release)
    app.router.add_get("/admin/audit/head", audit_head)
    app.router.add_post("/admin/policies/reload", policies_reload)
    app.router.add_get("/admin/mcp/tools", mcp_tools)
    app.router.add_post("/admin/mcp/tools/{tool}/approve", mcp_approve)

    from gateway.approvals.admin import add_approval_routes
    from gateway.approvals.console import add_console_routes

    add_approval_routes(app, rt, OPERATOR)
    add_console_routes(app, rt, auth)

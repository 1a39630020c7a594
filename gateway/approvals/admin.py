"""Approval endpoints: the operators' admin API and the agents' ``GET /approvals/{id}``.

Admin (``/admin/approvals``; the admin token with ``X-Operator: <name>``, or a JWT
with the admin scope or ``approvals.approver_scope``):

    GET  /admin/approvals?state=pending&limit=50     list (newest first)
    GET  /admin/approvals/{id}                       show (binding, summary, votes)
    POST /admin/approvals/{id}/approve {reason?}     one approver's vote
    POST /admin/approvals/{id}/deny    {reason}      ends it

The approver is the named person: ``X-Operator`` with the shared token (required to
decide — an anonymous token cannot approve), the JWT's agent id otherwise. The agent
itself and the principal it acts for (``on_behalf_of``) cannot decide their own call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from gateway.errors import BadRequest, NotFound, Unauthenticated
from gateway.store.approvals import LIST_LIMIT, STATES

if TYPE_CHECKING:
    from gateway.runtime import Runtime


def approver_name(operator: str) -> str | None:
    """The person behind an operator string (``admin-token:alice``, ``jwt:bob``, ``console:carol``)."""
    _, _, name = operator.partition(":")
    return name.strip() or None


def add_approval_routes(app: web.Application, rt: Runtime, operator_key: web.RequestKey[str]) -> None:
    from gateway.admin import json_object

    svc = rt.approvals

    async def list_(request: web.Request) -> web.Response:
        state = request.query.get("state")
        if state is not None and state not in STATES:
            raise BadRequest(f"state must be one of {', '.join(STATES)}", code="request.invalid")
        try:
            limit = max(1, min(LIST_LIMIT, int(request.query.get("limit", "50"))))
        except ValueError as e:
            raise BadRequest("limit must be an integer", code="request.invalid") from e
        items = await svc.store.query(state, limit)
        return web.json_response({"approvals": [svc.view(a, full=True) for a in items]})

    async def show(request: web.Request) -> web.Response:
        a = await svc.load(request.match_info["id"])
        if a is None:
            raise NotFound(f"no approval {request.match_info['id']!r}", code="approval.unknown")
        return web.json_response(svc.view(a, full=True))

    async def decide(request: web.Request, approve: bool) -> web.Response:
        body = await json_object(request)
        reason = body.get("reason", "")
        if not isinstance(reason, str) or (not approve and not reason.strip()):
            raise BadRequest("'reason' (a string) is required to deny", code="request.invalid")
        operator = request[operator_key]
        name = approver_name(operator)
        if name is None:
            raise Unauthenticated(
                "an approver must be named: send X-Operator with the admin token, or use a JWT",
                code="approval.approver_required",
            )
        a = await svc.decide(request.match_info["id"], name, approve, reason.strip(), operator)
        return web.json_response(svc.view(a, full=True))

    async def approve(request: web.Request) -> web.Response:
        return await decide(request, True)

    async def deny(request: web.Request) -> web.Response:
        return await decide(request, False)

    app.router.add_get("/admin/approvals", list_)
    app.router.add_get("/admin/approvals/{id}", show)
    app.router.add_post("/admin/approvals/{id}/approve", approve)
    app.router.add_post("/admin/approvals/{id}/deny", deny)


async def agent_view(request: web.Request, rt: Runtime) -> dict[str, Any]:
    """``GET /approvals/{id}`` on the agents' listener: the same agent (and tenant) only, else 404."""
    from gateway.identity import extract_bearer

    agent = await rt.verifier.verify(extract_bearer(request.headers.get("Authorization")))
    aid = request.match_info["id"]
    a = await rt.approvals.load(aid) if aid.startswith("apr_") and len(aid) <= 64 else None
    if a is None or a.agent != agent.id or a.binding.get("tenant") != agent.tenant:
        raise NotFound(f"no approval {aid[:64]!r} for this agent", code="approval.unknown")
    return rt.approvals.view(a)

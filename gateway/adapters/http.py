"""HTTP adapter: ``{METHOD} /tools/{tool}/{path...}`` to the tool's upstream.

``load`` reads the body within the tool's limit (413) and parses JSON arguments
(400); ``emit`` writes the upstream's answer back, streaming when it was not
buffered. ``render_error`` is the one place a ``GatewayError`` becomes an RFC 9457
``application/problem+json`` response.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from aiohttp import web

from gateway import jsondoc
from gateway.body import TooLarge, read_capped
from gateway.errors import ApprovalPending, BadRequest, GatewayError, PayloadTooLarge, RequestTimeout
from gateway.headers import METHOD_OVERRIDE
from gateway.memo import MEMO_CHARS, Memo
from gateway.model import CallContext, ToolCall, new_call_id
from gateway.pipeline import Pipeline
from gateway.server import CLIENT_LIMITS
from gateway.target import PathInvalid, canonical_query, canonical_tail, split_target

if TYPE_CHECKING:
    from gateway.approvals.service import ApprovalService

MAX_JSON_DEPTH = 64
PROBLEM_TYPE = "https://callgate.dev/problems/"


def render_error(err: GatewayError, call_id: str) -> web.Response:
    body = {
        "type": PROBLEM_TYPE + err.code,
        "title": err.title,
        "status": err.status,
        "detail": err.message,
        "code": err.code,
        "reasons": err.reasons,
        "call_id": call_id,
        **err.extra,
    }
    headers = {"X-Callgate-Call-Id": call_id, **err.headers}
    return web.Response(
        status=err.status,
        body=json.dumps(body).encode(),
        content_type="application/problem+json",
        headers=headers,
    )


def parse_arguments(body: bytes, content_type: str) -> Any:
    """The call's arguments: JSON when the body is JSON, form fields, or the text itself.

    A body that claims or looks like JSON must parse (400 otherwise) so that inspection
    and policy never see a half-understood payload.
    """
    if not body:
        return None
    ct = content_type.lower()
    stripped = body.lstrip()
    looks_json = stripped[:1] in (b"{", b"[")
    if ct == "application/json" or ct.endswith("+json") or looks_json:
        try:
            return jsondoc.loads(body, MAX_JSON_DEPTH)
        except jsondoc.TooDeep as e:
            raise BadRequest(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels", code="request.too_deep") from e
        except (ValueError, UnicodeDecodeError) as e:
            raise BadRequest(f"the request body is not valid JSON: {e}", code="request.invalid_json") from e
    text = body.decode("utf-8", errors="replace")
    if ct == "application/x-www-form-urlencoded":
        return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(text, keep_blank_values=True).items()}
    return text


async def read_limited(request: web.Request, limit: int, what: str) -> bytes:
    """The request body, refusing more than ``limit`` bytes (413) whether or not a length was sent,
    and a body that does not arrive within ``server.body_timeout_s`` (408, ``gateway/server.py``)."""
    limits = request.config_dict.get(CLIENT_LIMITS)
    if limits is None or request.content.is_eof():
        # no deadline set, or the whole body has arrived already (a small one comes with the
        # headers): nothing left to wait for, so no timer to arm and cancel
        return await _read_limited(request, limit, what)
    try:
        async with asyncio.timeout(limits.body_timeout_s):
            return await _read_limited(request, limit, what)
    except TimeoutError as e:
        limits.body_timeouts.inc()
        request.protocol.close()  # no keep-alive for a client that stalls mid-body
        raise RequestTimeout(
            f"the body did not arrive within {limits.body_timeout_s:g} s", code="request.body_timeout"
        ) from e


async def _read_limited(request: web.Request, limit: int, what: str) -> bytes:
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLarge(f"the body is {length} bytes; {what} takes at most {limit}")
    if length is not None:
        try:
            return await request.content.readexactly(length) if length else b""
        except asyncio.IncompleteReadError as e:
            raise BadRequest("the body is shorter than its Content-Length", code="request.truncated") from e
    try:
        return await read_capped(request.content, limit)
    except TooLarge as e:
        raise PayloadTooLarge(f"the body exceeds {limit} bytes, the limit of {what}") from e


_TARGETS: Memo[tuple[str, str], tuple[str, str]] = Memo()  # request targets' canonical forms


def canonical_target(raw_target: str, tool_name: str) -> tuple[str, str]:
    """``(path relative to the tool, query)`` in canonical form (``gateway.target``); 400 otherwise.

    A pure function of its arguments, and an agent's targets repeat (one per tool route):
    short ones that pass are remembered (bounded; a refused one is worked out each time)."""
    key = (raw_target, tool_name)
    known = _TARGETS.get(key)
    if known is not None:
        return known
    raw_path, raw_query = split_target(raw_target)
    head, path = canonical_tail(raw_path, 2)
    if head != ["tools", tool_name]:
        raise PathInvalid("the request target does not name the tool it was routed to")
    known = (path, canonical_query(raw_query))
    return _TARGETS.put(key, known) if len(raw_target) <= MEMO_CHARS else known


def refuse_override_headers(headers: Mapping[str, str]) -> None:
    """400 ``request.header_refused`` for headers that ask a server to treat the call as another
    method or URL than the one inspected (``X-HTTP-Method-Override``, ``X-Original-URL``, ...)."""
    for name in headers:
        if name.lower() in METHOD_OVERRIDE:
            raise BadRequest(
                f"header {name} asks for another method or URL than the one inspected; it is refused",
                code="request.header_refused",
            )


class HttpAdapter:
    def __init__(self, pipeline: Pipeline, approvals: ApprovalService | None = None, wait_s: float = 0.0) -> None:
        self.pipeline = pipeline
        self.approvals = approvals
        self.wait_s = wait_s  # approvals.wait_s: hold a call that needs approval open this long

    async def handle(self, request: web.Request) -> web.StreamResponse:
        headers = request.headers
        tool_name = request.match_info["tool"]
        target_error: GatewayError | None = None
        try:
            path, query = canonical_target(request.raw_path, tool_name)
        except BadRequest as e:
            # Refused in ``load`` (after identity), so the call is recorded; the record keeps the
            # target as sent, still percent-encoded.
            target_error = e
            raw_path, _, query = request.raw_path.partition("?")
            path = raw_path.split("/", 3)[3] if raw_path.count("/") >= 3 else "/"
            path = path if path.startswith("/") else "/" + path
        mode = headers.get("X-Callgate-Mode", "live").strip().lower() or "live"
        call = ToolCall(
            call_id=new_call_id(),
            protocol="http",
            tool_name=tool_name,
            method=request.method,
            path=path,
            query=query,
            content_type=request.content_type,
            intent=headers.get("X-Agent-Intent"),
            run_id=headers.get("X-Agent-Run"),
            idempotency_key=headers.get("Idempotency-Key"),
            approval_id=headers.get("X-Callgate-Approval"),
            mode=mode,
        )
        ctx = CallContext(call=call, request=request, target_error=target_error)
        await self.pipeline.run(ctx, self)
        if isinstance(ctx.error, ApprovalPending) and self.wait_s > 0 and self.approvals is not None:
            ctx = await self._hold(ctx)
        if ctx.draft is not None and ctx.error is None:
            return web.json_response(
                ctx.draft, headers={"X-Callgate-Call-Id": ctx.call.call_id, "X-Callgate-Mode": "draft"}
            )
        call = ctx.call
        resp: web.StreamResponse | None = ctx.response
        if resp is not None:
            if ctx.error is not None and resp.prepared:
                # The body was cut short after we started answering: drop the connection so the
                # agent sees an incomplete response instead of a cleanly terminated, truncated one.
                if request.transport is not None:
                    request.transport.abort()
                raise ConnectionResetError(f"call {call.call_id}: upstream body cut short ({ctx.error.code})")
            return resp
        err = ctx.error or GatewayError("the call produced no response")
        return render_error(err, call.call_id)

    async def _hold(self, first: CallContext) -> CallContext:
        """``approvals.wait_s``: wait for the decision, then run the call again as its own approved retry.

        The retry is a new call (its own id and record) through the whole pipeline with the
        approval attached, exactly as if the agent had retried. Still pending when the wait
        ends: the agent gets the 202 and may retry later itself.
        """
        if self.approvals is None or first.pending_approval is None:
            return first
        approval_id = str(first.pending_approval["id"])
        decided = await self.approvals.wait_decision(approval_id, self.wait_s)
        if decided is None:
            return first
        c = first.call
        call = ToolCall(
            call_id=new_call_id(),
            protocol=c.protocol,
            tool_name=c.tool_name,
            method=c.method,
            path=c.path,
            query=c.query,
            arguments=c.arguments,
            body=c.body,
            content_type=c.content_type,
            intent=c.intent,
            run_id=c.run_id,
            idempotency_key=c.idempotency_key,
            approval_id=approval_id,
            mode=c.mode,
            preloaded=True,
        )
        ctx = CallContext(call=call, request=first.request)
        await self.pipeline.run(ctx, self)
        return ctx

    async def load(self, ctx: CallContext) -> None:
        if ctx.call.preloaded:
            return
        tool = ctx.need_tool()
        if ctx.target_error is not None:
            raise ctx.target_error
        refuse_override_headers(ctx.request.headers)
        body = await read_limited(ctx.request, tool.body_limit, f"tool {tool.name!r}")
        ctx.call.body = body
        ctx.call.arguments = parse_arguments(body, ctx.call.content_type)

    async def emit(self, ctx: CallContext) -> None:
        up = ctx.need_upstream()
        headers = [*up.headers, ("X-Callgate-Call-Id", ctx.call.call_id)]
        if up.body is not None:
            resp = web.Response(status=up.status, body=up.body, headers=headers)
            ctx.response = resp
            return
        stream = web.StreamResponse(status=up.status, headers=headers)
        ctx.response = stream
        await stream.prepare(ctx.request)
        async for chunk in up.stream.iter_any():
            await stream.write(chunk)
            up.bytes_sent += len(chunk)  # counted as we go: a cut-short body records what got through
        await stream.write_eof()

"""The MCP mediator at ``/mcp/{server}``: every message in both directions meets a rule.

``handle`` takes one HTTP request from an agent (streamable HTTP):

- ``POST``: the body is parsed (bounded: size, nesting, batch length); each JSON-RPC
  message becomes one ``ToolCall`` (``mcp_method`` set) run through the whole
  pipeline — identity, session ownership, kill switch, argument inspection, policy,
  limits, credentials, record — and so leaves exactly one record, whatever it
  carried; answers to server requests are checked against those outstanding.
- ``GET`` (the server's stream) and ``DELETE`` (end of session) are operations of
  their own (``session/stream``, ``session/close``), through the same pipeline.
- any other HTTP method: 405, recorded.

Each forwarded request carries the gateway's own id (``gateway_id``); only an
answer with exactly that id is taken as the answer, mapped back to the agent's id
and screened by the request's rule (``gateway.mcp.rules``); anything else from the
server is a request (policy decides; forwarded under an id of the gateway's, kept in
the state store so the agent's answer may reach any worker), a notification
(forwarded if listed) or dropped and counted (``callgate_mcp_dropped_messages_total``).
What a session has listed is in the state store too: no per-worker MCP state.

Refusals of a ``tools/call`` (policy, inspection, limits, kill switch, upstream) are a
tool result with ``isError: true`` whose text states the reasons, plus
``_meta.callgate = {code, reasons, call_id, ...error.extra}``; protocol-level failures
(authentication, session, malformed message) stay JSON-RPC errors.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from gateway import jsondoc
from gateway.adapters.http import read_limited
from gateway.approvals.mcp_glue import callgate_meta, draft_result
from gateway.body import read_capped
from gateway.errors import (
    ApprovalPending,
    BadRequest,
    Forbidden,
    GatewayError,
    MethodNotAllowed,
    NotFound,
    Reason,
    Unavailable,
    UpstreamError,
    UpstreamTimeout,
)
from gateway.inspect import output
from gateway.mcp import jsonrpc, sse
from gateway.mcp.jsonrpc import Malformed, Message
from gateway.mcp.pins import Held, held_from
from gateway.mcp.rules import (
    CLIENT_NOTIFICATION,
    CLOSE,
    CLOSE_METHOD,
    REFUSED,
    SERVER_NOTIFICATIONS,
    STREAM,
    STREAM_METHOD,
    Rule,
    client_rule,
    is_request_method,
)
from gateway.model import Agent, CallContext, ToolCall, new_call_id
from gateway.pipeline import Pipeline
from gateway.policy.engine import log_policy_error_once
from gateway.policy.input import build_input, classify, parse_decision
from gateway.stages.credentials import AGENT_ONLY, filter_headers
from gateway.stages.scrub import credential_needles, note_scrub, scrub_bytes, scrub_json_steps
from gateway.store.base import StoreUnavailable

if TYPE_CHECKING:
    from gateway.runtime import Runtime
    from gateway.tools import Tool

log = logging.getLogger("callgate.mcp")

SESSION_HEADER = "Mcp-Session-Id"
GID_PREFIX = "callgate-"
# Also dropped towards an MCP server: we read (and may rewrite) its answers, so no compression.
MCP_DROP = AGENT_ONLY | {"accept-encoding", "idempotency-key"}
# The spec's tool-name alphabet; anything else (":" would confuse scope parsing) is refused.
TOOL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")
# Answer headers the agent gets from the server; everything else is the gateway's.
KEEP_HEADERS = frozenset({"mcp-session-id", "mcp-protocol-version"})
STREAM_LIMIT = 64 << 20  # a message cap when output inspection is off
SESSION_TTL_S = 24 * 3600.0
MAX_PAGES = 10  # tools/list pages fetched to find a definition
MAX_EVENTS = 10_000  # server messages relayed on one POST answer
YIELD_AFTER = jsonrpc.LARGE  # a message larger than this is parsed, scrubbed and encoded in steps
PENDING_LIMIT = 1_000  # outstanding server requests per session
SERVER_REQUEST_TTL_S = 3600.0  # an agent's answer to a server request is taken this long after it
KEEPALIVE_S = 15.0  # a quiet GET stream writes a comment this often, so a departed agent is noticed
# Codes that are about the transport, not the call: the HTTP status says it too.
TRANSPORT_CODES = frozenset(
    {
        "mcp.server_unknown",
        "mcp.session_unknown",
        "mcp.session_not_owned",
        "request.method",
        "request.too_large",
        "request.truncated",
        "mcp.parse_error",
        "request.too_deep",
        "mcp.batch_invalid",
        "mcp.batch_too_large",
        "mcp.session_header",
    }
)
RESULT_STATUSES = frozenset({202, 403, 409, 422, 429, 502, 503, 504})


def owner_of(agent: Agent) -> str:
    return f"{agent.tenant or ''}/{agent.id}"


def store_unavailable(e: StoreUnavailable) -> Unavailable:
    return Unavailable(f"the MCP session state could not be read or written: {e}", code="store.unavailable")


def gateway_id(server: str, session: str | None, client_id: Any) -> str:
    """The id the server sees for an agent's request: derived from the server, the session and
    the agent's id (``1`` and ``"1"`` differ), so a ``notifications/cancelled`` reaching any
    worker, or arriving after a restart, names the same request without shared state.

    JSON-RPC ids are unique among a session's requests in flight, so these are too.
    """
    if isinstance(client_id, str):
        agent_id = "s" + client_id
    elif isinstance(client_id, int) and not isinstance(client_id, bool):
        agent_id = "i" + str(client_id)
    else:  # not a valid request id (a cancellation may name anything): matches none
        agent_id = "j" + jsonrpc.dumps(client_id).decode()
    # no JSON encoding per request: neither a server name nor a header value holds a newline
    raw = f"{server}\n{'-' if session is None else '+' + session}\n{agent_id}".encode()
    return GID_PREFIX + hashlib.blake2b(raw, digest_size=12).hexdigest()


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=jsonrpc.dumps(doc), content_type="application/json", headers=headers)


def denial_text(err: GatewayError) -> str:
    if isinstance(err, ApprovalPending):  # held, not refused: tell the model how to retry
        return f"callgate: this call awaits human approval. {err.meta['retry']}"
    lines = [f"callgate refused this call ({err.code}): {err.message}"]
    lines += [f"- {r.get('code')}: {r.get('message', '')}" for r in err.reasons]
    return "\n".join(lines)


def denial_meta(err: GatewayError, call_id: str) -> dict[str, Any]:
    """``_meta.callgate``: ``error.extra`` (e.g. an approval's id) plus code, reasons, call id."""
    return {**err.extra, "code": err.code, "status": err.status, "reasons": err.reasons, "call_id": call_id}


def denied_result(err: GatewayError, call_id: str) -> dict[str, Any]:
    """A ``CallToolResult`` that says why; valid under every protocol version (``resultType`` for 2026-07-28)."""
    return {
        "content": [{"type": "text", "text": denial_text(err)}],
        "isError": True,
        "resultType": "complete",
        "_meta": {"callgate": denial_meta(err, call_id)},
    }


def as_result(err: GatewayError) -> bool:
    return err.status in RESULT_STATUSES and err.code not in TRANSPORT_CODES


def refusal(msg_id: Any, err: GatewayError, call_id: str, *, tool_result: bool = False) -> dict[str, Any]:
    """The one answer the gateway gives in place of the server's: for a ``tools/call``
    (``tool_result``) a result the model reads when the error allows (``as_result``),
    else a JSON-RPC error (``-32001`` unless the error says which) with the same data."""
    if tool_result and as_result(err):
        return {"jsonrpc": "2.0", "id": msg_id, "result": denied_result(err, call_id)}
    rpc_code = err.extra.get("rpc_code", jsonrpc.DENIED)
    return jsonrpc.error(msg_id, rpc_code, f"{err.code}: {err.message}", denial_meta(err, call_id))


@dataclass(slots=True)
class Exchange:
    """One client message on its way through the pipeline."""

    server: str
    srv: Tool | None
    request: web.Request
    rule: Rule
    msg: Message | None = None
    gid: str | None = None  # the id the server sees
    session: str | None = None
    buffered: bool = False  # part of a batch: answer as JSON, never stream
    preset: GatewayError | None = None  # refused before the pipeline could know why
    answer: dict[str, Any] | None = None  # what the agent gets for its request
    relayed: int = 0
    size: int = 0  # the length of the server's message being handled (a bound for re-encoding parts of it)
    needles: list[bytes] = field(default_factory=list)  # the injected credential's spellings, scrubbed from answers
    server_requests: dict[bytes, str] = field(default_factory=dict)  # forwarded here: server's id (JSON) → ours
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def client_id(self) -> Any:
        return self.msg.id if self.msg is not None else None


METADATA = "(metadata)"  # the part of a tool result that is neither its text nor structuredContent


def _shape_only(meta: dict[str, Any]) -> bool:
    """Whether the metadata is nothing but a plain result's shape (text items' type,
    ``isError``, ``resultType``): no text of the server's, nothing to screen."""
    for k, v in meta.items():
        if k == "content":
            if any(d != {"type": "text"} for d in v):
                return False
        elif not ((k == "isError" and isinstance(v, bool)) or (k == "resultType" and v == "complete")):
            return False
    return True


def _metadata(result: dict[str, Any], items: list[Any]) -> dict[str, Any]:
    """What of a tool result ``screen_tool_result`` does not screen as text: every other key,
    and each content item less its text and binary payload."""
    rest: dict[str, Any] = {k: v for k, v in result.items() if k not in ("content", "structuredContent")}
    described: list[Any] = []
    for item in items:
        if not isinstance(item, dict):
            described.append(item)
            continue
        d = {k: v for k, v in item.items() if k not in ("text", "data", "resource")}
        res = item.get("resource")
        if isinstance(res, dict):
            d["resource"] = {k: v for k, v in res.items() if k not in ("text", "blob")}
        described.append(d)
    rest["content"] = described
    return rest


class Mediator:
    def __init__(self, rt: Runtime, pipeline: Pipeline, server_pipeline: Pipeline) -> None:
        from gateway.adapters.mcp import McpAdapter

        self.rt = rt
        self.pipeline = pipeline
        self.server_pipeline = server_pipeline  # policy + record for server-initiated requests
        self.adapter = McpAdapter(self)
        self.servers = rt.mcp_servers
        self.tools = rt.mcp_tools
        self.pins = rt.mcp_pins
        self.state = rt.mcp_state
        self.metrics = rt.metrics

    # ------------------------------------------------------------------ entry

    async def handle(self, request: web.Request) -> web.StreamResponse:
        server = request.match_info["server"]
        srv = self.servers.get(server)
        method = request.method
        if method == "GET":
            return (await self.run(request, server, srv, STREAM, None, b""))[0]
        if method == "DELETE":
            return (await self.run(request, server, srv, CLOSE, None, b""))[0]
        if method != "POST":
            err: GatewayError = MethodNotAllowed(
                "MCP takes POST, GET or DELETE", headers={"Allow": "POST, GET, DELETE"}
            )
            return (await self.run(request, server, srv, REFUSED, None, b"", preset=err))[0]
        limit = srv.body_limit if srv is not None else 1 << 20
        try:
            body = await read_limited(request, limit, f"MCP server {server!r}")
            docs, batch = await jsonrpc.parse_async(body)  # a large one in steps, the loop running between
        except GatewayError as e:
            return (await self.run(request, server, srv, REFUSED, None, b"", preset=e))[0]
        except Malformed as e:
            err = BadRequest(str(e), code=e.code, extra={"rpc_code": e.rpc_code})
            return (await self.run(request, server, srv, REFUSED, None, b"", preset=err))[0]
        size = len(body)  # a bound on each message's length, for the re-encoding
        if not batch:
            return (await self.message(request, server, srv, docs[0], buffered=False, size=size))[0]
        if any(isinstance(d, dict) and d.get("method") == "initialize" for d in docs):
            err = BadRequest("initialize cannot be part of a batch", code="mcp.batch_invalid")
            return (await self.run(request, server, srv, REFUSED, None, b"", preset=err))[0]
        answers: list[Any] = []
        first: web.StreamResponse | None = None
        for d in docs:
            resp, answer = await self.message(request, server, srv, d, buffered=True, size=size)
            first = first or resp
            if answer is not None:
                answers.append(answer)
        if not answers:
            return web.Response(status=202) if first is None or first.status < 300 else first
        return json_response(answers)

    async def message(
        self, request: web.Request, server: str, srv: Tool | None, doc: Any, *, buffered: bool, size: int = 0
    ) -> tuple[web.StreamResponse, dict[str, Any] | None]:
        msg = jsonrpc.classify(doc)
        if msg.kind == "response":
            return await self.client_response(request, server, srv, msg)
        if msg.kind == "invalid":
            err = BadRequest("not a JSON-RPC 2.0 request or notification", code="mcp.invalid_message")
            return await self.run(request, server, srv, REFUSED, None, b"", preset=err, buffered=buffered)
        method = msg.method or ""  # classify() sets it for requests and notifications
        if msg.kind == "notification":
            preset = None
            if is_request_method(method):
                preset = BadRequest(
                    f"{method} is a request: it needs an id (sent as a notification, it is refused)",
                    code="mcp.request_without_id",
                )
            body = await jsonrpc.dumps_async(self.rewrite_cancel(request, server, msg), size)
            return await self.run(
                request, server, srv, CLIENT_NOTIFICATION, msg, body, preset=preset, buffered=buffered
            )
        return await self.run(request, server, srv, client_rule(method), msg, b"", buffered=buffered, size=size)

    def rewrite_cancel(self, request: web.Request, server: str, msg: Message) -> dict[str, Any]:
        """``notifications/cancelled`` names the agent's request id: give the server the gateway's."""
        params = msg.params
        if msg.method != "notifications/cancelled" or not isinstance(params, dict):
            return msg.body
        gid = gateway_id(server, request.headers.get(SESSION_HEADER), params.get("requestId"))
        return {**msg.body, "params": {**params, "requestId": gid}}

    async def run(
        self,
        request: web.Request,
        server: str,
        srv: Tool | None,
        rule: Rule,
        msg: Message | None,
        body: bytes,
        *,
        preset: GatewayError | None = None,
        buffered: bool = False,
        size: int = 0,
    ) -> tuple[web.StreamResponse, dict[str, Any] | None]:
        """One operation through the pipeline; the response and (for a request) the answer.

        ``size``: a bound on the message's encoded length (its POST body's), so a large one is
        re-encoded in steps."""
        call_id = new_call_id()
        headers = request.headers
        session = headers.get(SESSION_HEADER)
        if preset is None and len(headers.getall(SESSION_HEADER, [])) > 1:
            # the one checked must be the one the server uses
            preset = BadRequest("one Mcp-Session-Id header, not several", code="mcp.session_header")
        tool_name = server
        params = msg.params if msg is not None else None
        args: Any = None
        if isinstance(params, dict):
            args = {k: v for k, v in params.items() if k != "_meta"}
        if rule.per_tool:
            name = params.get("name") if isinstance(params, dict) else None
            if isinstance(name, str) and TOOL_NAME.fullmatch(name):
                tool_name = f"{server}.{name}"
                args = params.get("arguments") if isinstance(params, dict) else None
            elif preset is None:
                preset = BadRequest(
                    "tools/call needs params.name (1-128 of A-Z a-z 0-9 _ . -)",
                    code="request.invalid",
                    extra={"rpc_code": jsonrpc.INVALID_PARAMS},
                )
        gid = None
        if msg is not None and msg.kind == "request":
            gid = gateway_id(server, session, msg.id)
        meta = params.get("_meta") if isinstance(params, dict) else None
        approval_id, mode = callgate_meta(meta if isinstance(meta, dict) else {})
        if gid is not None and msg is not None:
            if isinstance(params, dict) and isinstance(meta, dict) and "callgate" in meta:
                # _meta.callgate is the agent talking to the gateway: it does not go on to the server
                clean_params = {**params, "_meta": {k: v for k, v in meta.items() if k != "callgate"}}
                body = await jsonrpc.dumps_async({**msg.body, "id": gid, "params": clean_params}, size)
            else:
                body = await jsonrpc.dumps_async({**msg.body, "id": gid}, size)
        idem = headers.get("Idempotency-Key")
        if idem is None and isinstance(meta, dict):
            found = meta.get("idempotency_key") or meta.get("idempotencyKey")
            idem = found if isinstance(found, str) else None
        method = msg.method if msg is not None else (STREAM_METHOD if rule is STREAM else CLOSE_METHOD)
        if rule is REFUSED:
            method = msg.method if msg is not None else None
        call = ToolCall(
            call_id=call_id,
            protocol="mcp",
            tool_name=tool_name,
            method=request.method if rule in (STREAM, CLOSE, REFUSED) and msg is None else "POST",
            path="",
            mcp_method=method,
            arguments=args,
            body=body,
            content_type="application/json" if body else "",
            intent=headers.get("X-Agent-Intent"),
            run_id=headers.get("X-Agent-Run"),
            idempotency_key=idem,
            approval_id=headers.get("X-Callgate-Approval") or approval_id,
            mode=headers.get("X-Callgate-Mode") or mode,
        )
        seen = request  # what the pipeline sees of the request
        if "Accept-Encoding" in headers:  # we read the answer: the server must not compress it
            clean = CIMultiDict(headers)
            clean.popall("Accept-Encoding")
            seen = request.clone(headers=clean)
        ctx = CallContext(call=call, request=seen, mcp_session=session)
        ex = Exchange(server, srv, request, rule, msg, gid, session, buffered, preset)
        ctx.mcp = ex
        await self.pipeline.run(ctx, self.adapter)
        if ctx.response is not None:
            return ctx.response, ex.answer
        if ctx.draft is not None and ctx.error is None and msg is not None and msg.kind == "request":
            answer = draft_result(msg.id, ctx.draft)  # nothing was forwarded
            return json_response(answer, headers={"X-Callgate-Call-Id": call_id, "X-Callgate-Mode": "draft"}), answer
        return self.render_error(ctx, ex)

    def render_error(self, ctx: CallContext, ex: Exchange) -> tuple[web.Response, dict[str, Any] | None]:
        err = ctx.error or GatewayError("the call produced no response")
        if err.code == "tool.unknown" and ex.srv is None:
            err = NotFound(f"no MCP server named {ex.server!r}", code="mcp.server_unknown")
        call_id = ctx.call.call_id
        headers = {"X-Callgate-Call-Id": call_id, **err.headers}
        msg = ex.msg
        request = msg is not None and msg.kind == "request"
        if request and err.code not in TRANSPORT_CODES:  # the refusal is the answer: HTTP 200 (401 stays)
            answer = self.refusal_answer(ex, err, call_id)
            return json_response(answer, status=401 if err.status == 401 else 200, headers=headers), answer
        doc = refusal(msg.id if msg is not None else None, err, call_id)  # the transport failed: its status
        return json_response(doc, status=err.status if err.status >= 400 else 400, headers=headers), (
            doc if request else None
        )

    # ------------------------------------------------------------------ adapter edges

    async def load(self, ctx: CallContext) -> None:
        """Session ownership, the message's own checks, the tool's definition (``tools/call``)."""
        ex = ctx.need_mcp()
        if ex.preset is not None:
            raise ex.preset
        agent = ctx.need_agent()
        owner: str | None = None
        listed, hold = False, None
        if ex.rule.per_tool:  # the session, the listing and the hold: one store round trip
            tool = ctx.need_tool()
            owner, listed, hold = await self.state.call_state(
                agent.tenant, ex.server, ex.session, tool.name[len(ex.server) + 1 :], tool.name
            )
        elif ex.session is not None:
            owner = await self.state.session_owner(ex.server, ex.session)
        if ex.session is not None:
            if owner is None:
                raise NotFound("no such MCP session; initialize a new one", code="mcp.session_unknown")
            if owner != owner_of(agent):
                log.warning("agent %s presented MCP session %s of %s", owner_of(agent), ex.session[:8], owner)
                raise Forbidden("this MCP session belongs to another agent", code="mcp.session_not_owned")
        if ex.rule.stream:
            tool = ctx.need_tool()
            ctx.tool = replace(
                tool, timeout=aiohttp.ClientTimeout(total=None, sock_connect=tool.timeout.sock_connect, sock_read=None)
            )
        if ex.rule.per_tool:
            if ctx.call.arguments is not None and not isinstance(ctx.call.arguments, dict):
                raise BadRequest(
                    "tools/call arguments must be an object",
                    code="request.invalid",
                    extra={"rpc_code": jsonrpc.INVALID_PARAMS},
                )
            await self.check_definition(ctx, ex, listed, held_from(hold) if hold is not None else None)

    async def check_definition(self, ctx: CallContext, ex: Exchange, listed: bool, held: Held | None) -> None:
        """The tool's definition must be listed by the server and approved (pinned, not held).

        A tool this session has not listed within ``definition_ttl_s`` (``listed``; on any
        worker: the state store knows; without a session, per tenant) is looked up with
        ``tools/list`` first, and its hold is what that list found; otherwise ``held`` (read
        with the session, ``load``) stands.
        """
        tool = ctx.need_tool()
        name = tool.name[len(ex.server) + 1 :]
        agent = ctx.need_agent()
        if not listed:
            try:
                found, holds = await self.refresh_definitions(ex, agent)
            except GatewayError:
                ctx.tool = None  # a name the server never listed never becomes a metric label
                raise
            if not any(t.get("name") == name for t in found):
                ctx.tool = None  # an unknown name never becomes a metric label
                raise NotFound(f"MCP server {ex.server!r} lists no tool {name!r}", code="tool.unknown")
            held = holds.get(name)
        if held is not None:
            ctx.findings.extend(held.findings)
            raise Forbidden(
                f"tool {tool.name!r} is held until an operator approves its definition",
                code="mcp.tool_held",
                reasons=[
                    Reason.of(
                        held.reason,
                        f"the definition of {tool.name} ({held.hash}) "
                        + ("changed since it was pinned" if held.reason == "definition.changed" else "was flagged"),
                        ("LLM03", "ASI04"),
                    )
                ],
            )

    async def refresh_definitions(self, ex: Exchange, agent: Agent) -> tuple[list[dict[str, Any]], dict[str, Held]]:
        """``tools/list`` from the server (all pages, bounded); pins observed; returns the
        definitions and the holds among them (by name)."""
        srv = ex.srv
        if srv is None:
            return [], {}
        found: list[dict[str, Any]] = []
        cursor: Any = None
        for _ in range(MAX_PAGES):
            params = {"cursor": cursor} if cursor is not None else {}
            doc = {"jsonrpc": "2.0", "id": GID_PREFIX + new_call_id(), "method": "tools/list", "params": params}
            answer = await self.upstream_call(ex.request, srv, ex.session, doc)
            result = answer.get("result") if isinstance(answer, dict) else None
            if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
                raise UpstreamError(f"MCP server {srv.name!r} did not list its tools", code="upstream.failed")
            found += [t for t in result["tools"] if isinstance(t, dict)]
            cursor = result.get("nextCursor")
            if not isinstance(cursor, str) or not cursor:
                break
        return found, await self.observe_definitions(ex, agent, found)

    async def observe_definitions(self, ex: Exchange, agent: Agent, tools: list[dict[str, Any]]) -> dict[str, Held]:
        """Pin or hold each definition; remember it as checked for this session (in the state
        store, so every worker knows, for ``definition_ttl_s``). Returns the holds by name."""
        valid = [t for t in tools[:10_000] if isinstance(t.get("name"), str) and TOOL_NAME.fullmatch(t["name"])]
        cut = len(ex.server) + 1
        held_names: dict[str, Held] = {}
        # one store read and at most one write for the whole list
        for held, new in await self.pins.observe([(f"{ex.server}.{t['name']}", t) for t in valid]):
            held_names[held.tool[cut:]] = held
            if new:
                await self.record_hold(agent, held)
        ttl = self.rt.settings.mcp_servers[ex.server].definition_ttl_s
        seen = [t["name"] for t in valid]
        await self.state.mark_listed(agent.tenant, ex.server, ex.session, seen, ttl)
        return held_names

    async def record_hold(self, agent: Agent, held: Held) -> None:
        from gateway.clock import iso_now

        log.warning("MCP tool %s held: %s (%s)", held.tool, held.reason, held.hash)
        rec = {
            "kind": "mcp.definition",
            "id": new_call_id(),
            "time": iso_now(),
            "agent": agent.id,
            **held.as_dict(held.pinned),
        }
        try:
            await self.rt.log.append(rec)
        except Exception:
            log.exception("could not record the hold of %s", held.tool)

    # ------------------------------------------------------------------ upstream (the gateway's own calls)

    def upstream_headers(self, request: web.Request, srv: Tool, session: str | None) -> list[tuple[str, str]]:
        headers = filter_headers(request.headers.items(), MCP_DROP | srv.credential_headers | {"mcp-session-id"})
        if session is not None:
            headers.append((SESSION_HEADER, session))
        if srv.default_credential is not None:
            cred = srv.credentials[srv.default_credential]
            headers.append((cred.header, cred.value))
        return headers

    async def upstream_call(
        self, request: web.Request, srv: Tool, session: str | None, doc: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Send one message of the gateway's own; the answer with its id (or ``None`` for 202)."""
        headers = self.upstream_headers(request, srv, session)
        headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "accept")]
        headers += [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")]
        limit = int(srv.config.inspect.output_limit) if srv.config.inspect.output else STREAM_LIMIT
        try:
            async with self.rt.http.post(
                srv.base_url, data=jsonrpc.dumps(doc), headers=headers, timeout=srv.timeout, allow_redirects=False
            ) as resp:
                if resp.status == 202:
                    return None
                output.admit(srv, resp.headers.items())
                ctype = (resp.content_type or "").lower()
                if resp.status != 200:
                    raise UpstreamError(f"MCP server {srv.name!r} answered HTTP {resp.status}", code="upstream.failed")
                if ctype.startswith("text/event-stream"):
                    # Only the answer is taken; anything else on this stream is dropped and
                    # counted, and a stream that sends MAX_EVENTS messages without it fails.
                    events = 0
                    async for event in sse.iter_events(resp.content, limit):
                        data = sse.data(event)
                        if data is None:
                            continue
                        m = jsonrpc.classify(jsonrpc.loads(data))
                        if m.kind == "response" and m.id == doc.get("id"):
                            return m.body
                        self.metrics.mcp_dropped.labels("server", "answer_unmatched").inc()
                        events += 1
                        if events >= MAX_EVENTS:
                            raise UpstreamError(
                                f"MCP server {srv.name!r} sent {events} messages without the answer",
                                code="upstream.failed",
                            )
                    return None
                body = await output.read(srv, None, resp.content, limit)
                m = jsonrpc.classify(jsonrpc.loads(body))
                return m.body if m.kind == "response" and m.id == doc.get("id") else None
        except TimeoutError as e:
            raise UpstreamError(f"MCP server {srv.name!r} did not answer in time", code="upstream.timeout") from e
        except aiohttp.ClientConnectorError as e:
            raise UpstreamError(f"MCP server {srv.name!r} is unreachable", code="upstream.unreachable") from e
        except (aiohttp.ClientError, Malformed, sse.EventTooLarge) as e:
            raise UpstreamError(f"MCP server {srv.name!r} failed: {e}", code="upstream.failed") from e

    # ------------------------------------------------------------------ client answers to server requests

    async def client_response(
        self, request: web.Request, server: str, srv: Tool | None, msg: Message
    ) -> tuple[web.StreamResponse, dict[str, Any] | None]:
        """An agent's answer to a server request: forwarded only if that request is outstanding.

        Outstanding requests are in the state store (``take_server_request``), so the answer
        may reach any worker; it is taken once, so a second answer is dropped.
        """
        session = request.headers.get(SESSION_HEADER)
        try:
            from gateway.identity import extract_bearer

            agent = await self.rt.verifier.verify(extract_bearer(request.headers.get("Authorization")))
            if session is None or await self.state.session_owner(server, session) != owner_of(agent):
                raise Forbidden("this MCP session belongs to another agent", code="mcp.session_not_owned")
            server_id = None
            if srv is not None and isinstance(msg.id, str) and msg.id.startswith(GID_PREFIX):
                server_id = await self.state.take_server_request(agent.tenant, server, session, msg.id)
        except StoreUnavailable as e:
            return await self.run(request, server, srv, REFUSED, None, b"", preset=store_unavailable(e))
        except GatewayError as e:
            return await self.run(request, server, srv, REFUSED, None, b"", preset=e)
        if srv is None or server_id is None:
            self.metrics.mcp_dropped.labels("client", "answer_unmatched").inc()
            err = BadRequest("an answer to no outstanding server request", code="mcp.answer_unmatched")
            return await self.run(request, server, srv, REFUSED, None, b"", preset=err)
        try:
            await self.upstream_call(request, srv, session, {**msg.body, "id": jsonrpc.loads(server_id.encode())})
        except GatewayError as e:
            log.info("answer to a server request of %s not delivered: %s", server, e)
        return web.Response(status=202), None

    # ------------------------------------------------------------------ server → client

    async def server_message(self, ctx: CallContext, ex: Exchange, doc: Any) -> dict[str, Any] | None:
        """What the agent gets for one message from the server (``None``: nothing)."""
        m = jsonrpc.classify(doc)
        if m.kind == "response":
            if ex.gid is not None and isinstance(m.id, str) and m.id == ex.gid and ex.answer is None:
                ex.answer = await self.screen_answer(ctx, ex, m)
                return ex.answer
            self.metrics.mcp_dropped.labels("server", "answer_unmatched").inc()
            log.info("MCP server %s answered id %r, which no request of the gateway has", ex.server, m.id)
            return None
        if m.kind == "request":
            return await self.server_request(ctx, ex, m)
        if m.kind == "notification" and m.method in SERVER_NOTIFICATIONS:
            if m.method == "notifications/cancelled":
                mapped = self.cancelled_for_agent(ex, m)
                if mapped is None:
                    self.metrics.mcp_dropped.labels("server", "cancel_unmatched").inc()
                    return None
                m = mapped
            if m.method == "notifications/tools/list_changed":
                await self.recheck(ctx, ex)
            if not await self.screen_notification(ctx, m):
                self.metrics.mcp_dropped.labels("server", "blocked").inc()
                return None
            return m.body
        self.metrics.mcp_dropped.labels("server", "notification" if m.kind == "notification" else "invalid").inc()
        return None

    def cancelled_for_agent(self, ex: Exchange, m: Message) -> Message | None:
        """A server's ``notifications/cancelled`` with the id the agent knows, or ``None`` (dropped).

        It names either the agent's request in flight in this exchange (by the gateway's id,
        mapped back to the agent's) or a request of the server's own forwarded in this
        exchange (by the server's id, mapped to the gateway's id the agent got). Anything else
        names no request of this agent's that the gateway can vouch for.
        """
        params = m.params
        if not isinstance(params, dict) or "requestId" not in params:
            return None
        rid = params["requestId"]
        if isinstance(rid, str) and rid == ex.gid and ex.answer is None:
            agent_id = ex.client_id
        else:
            agent_id = ex.server_requests.get(jsonrpc.dumps(rid)) if jsonrpc.valid_id(rid) else None
            if agent_id is None:
                return None
        return Message("notification", {**m.body, "params": {**params, "requestId": agent_id}}, None, m.method)

    async def screen_notification(self, ctx: CallContext, m: Message) -> bool:
        """Whatever a forwarded notification carries (a log line, a progress ``message``, a
        cancellation's ``reason``, a resource's ``uri``…) reaches the client and maybe the model:
        its params are inspected like output, whatever the method; text to redact blocks it."""
        if not m.params:
            return True  # nothing but the method (list_changed)
        try:
            await self.screen_document(ctx, {"params": m.params}, allow_redaction=False)
        except GatewayError as e:
            log.info("notification from %s blocked: %s", ctx.call.tool_name, e.code)
            return False
        return True

    async def recheck(self, ctx: CallContext, ex: Exchange) -> None:
        """The server says its tools changed: fetch them now, so a rug pull is held before any call."""
        try:
            await self.state.forget_listed(ctx.need_agent().tenant, ex.server, ex.session)
            await self.refresh_definitions(ex, ctx.need_agent())
        except (GatewayError, StoreUnavailable) as e:
            # (the next call finds the store down too, or the tool unlisted: it is checked then)
            log.warning("re-checking the tools of %s after list_changed failed: %s", ex.server, e)

    async def server_request(self, ctx: CallContext, ex: Exchange, m: Message) -> dict[str, Any] | None:
        """A request from the server (sampling, elicitation, roots, ping): policy decides, one record."""
        srv = ex.srv
        if srv is None or m.method is None:  # classify() sets a request's method; the server is known here
            return None
        call = ToolCall(
            new_call_id(),
            "mcp",
            ex.server,
            "POST",
            "",
            mcp_method=m.method,
            arguments={k: v for k, v in (m.params or {}).items() if k != "_meta"}
            if isinstance(m.params, dict)
            else None,
            body=jsonrpc.dumps(m.body),
        )
        sctx = CallContext(call=call, request=ctx.request, agent=ctx.agent, mcp_session=ex.session)
        sctx.tool = self.tools.resolve(ex.server)
        await self.server_pipeline.run(sctx, _Decided(lambda c: self.screen_server_request(c, m.params)))
        if sctx.error is None:
            # the agent sees the gateway's id (this request's record id); its answer, on any worker, maps back
            gid = GID_PREFIX + call.call_id
            tenant = ctx.need_agent().tenant
            try:
                if await self.state.add_server_request(
                    tenant,
                    ex.server,
                    ex.session,
                    gid,
                    jsonrpc.dumps(m.id).decode(),
                    PENDING_LIMIT,
                    SERVER_REQUEST_TTL_S,
                ):
                    if len(ex.server_requests) < PENDING_LIMIT:  # so a cancellation on this stream maps
                        ex.server_requests[jsonrpc.dumps(m.id)] = gid
                    return {**m.body, "id": gid}
                sctx.error = GatewayError("too many server requests outstanding", code="mcp.server_request_limit")
            except StoreUnavailable as e:  # not forwarded: its answer could not be matched
                log.warning("server request %s of %s refused: %s", m.method, ex.server, e)
                sctx.error = store_unavailable(e)
        err = sctx.error
        try:
            await self.upstream_call(ex.request, srv, ex.session, refusal(m.id, err, call.call_id))
        except GatewayError as e:
            log.info("refusal of %s to %s not delivered: %s", m.method, ex.server, e)
        return None

    async def screen_server_request(self, sctx: CallContext, params: Any) -> None:
        """An allowed server request goes to the agent, whose model reads it (a sampling prompt, an
        elicitation's message and schema): its params are screened as output first; text to
        redact blocks it (the refusal goes to the server, the record says ``output.blocked``)."""
        if params:  # _meta too: the agent gets it
            await self.screen_document(sctx, {"params": params}, allow_redaction=False)

    async def screen_answer(self, ctx: CallContext, ex: Exchange, m: Message) -> dict[str, Any]:
        """The server's answer, screened by the request's rule, with the agent's id."""
        body = {**m.body, "id": ex.client_id}
        if "error" in body:
            e = body["error"]
            if not isinstance(e, dict) or not isinstance(e.get("code"), int) or not isinstance(e.get("message"), str):
                body["error"] = {"code": jsonrpc.INTERNAL_ERROR, "message": "the MCP server sent a malformed error"}
                return body
            try:  # an error's text reaches the model too
                await self.screen_document(ctx, {"error": e}, allow_redaction=False)
            except GatewayError as err:
                ctx.error = err
                return self.refusal_answer(ex, err, ctx.call.call_id)
            return body
        result = body.get("result")
        if not isinstance(result, dict):
            return jsonrpc.error(ex.client_id, jsonrpc.INTERNAL_ERROR, "the MCP server sent a malformed result")
        screen = ex.rule.screen
        try:
            if screen == "tool_result":
                body["result"] = await self.screen_tool_result(ctx, result)
            elif screen == "tool_list":
                body["result"] = await self.filter_tools(ctx, ex, result)
            elif screen == "document":
                body["result"] = await self.screen_document(ctx, result)
            elif screen == "scoped_list":
                # names and descriptions of prompts/resources only for an agent that may use them
                server_tool = ctx.need_tool()
                if self.rt.policy.enforce and not await self.would_allow(
                    ctx.need_agent(), server_tool, ctx, ex.rule.used_by
                ):
                    body["result"] = {**result, ex.rule.list_key: []}
                else:
                    body["result"] = await self.screen_document(ctx, result)
        except GatewayError as e:
            ctx.error = e  # recorded as the call's outcome (a block is a denial), answered in place
            return self.refusal_answer(ex, e, ctx.call.call_id)
        return body

    async def screen_tool_result(self, ctx: CallContext, result: dict[str, Any]) -> dict[str, Any]:
        tool = ctx.need_tool()
        if not tool.config.inspect.output:
            return result
        parts: list[tuple[str, bytes]] = []
        content = result.get("content")
        items = content if isinstance(content, list) else []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("text"), str):
                parts.append((f"content[{i}].text", item["text"].encode(errors="replace")))
            res = item.get("resource")
            if isinstance(res, dict) and isinstance(res.get("text"), str):
                parts.append((f"content[{i}].resource.text", res["text"].encode(errors="replace")))
        size = ctx.mcp.size if ctx.mcp is not None else 0
        if "structuredContent" in result:
            parts.append(("structuredContent", await jsonrpc.dumps_async(result["structuredContent"], size)))
        # Everything else the model may read (resource links' names and descriptions, unknown
        # item types, _meta, other keys) is screened too, as one part; binary payloads
        # (``data``, ``blob``) are not text. Text to redact there blocks the result.
        rest = _metadata(result, items)
        if not _shape_only(rest):  # (the common plain result has none: a detector pass saved)
            parts.append((METADATA, await jsonrpc.dumps_async(rest, size)))
        jd = await output.judge(self.rt.inspector, self.rt.policy, self.metrics, ctx, parts, 200, self.rt.classifier)
        if not jd.kinds:
            return result
        if any(h.finding.kind in jd.kinds for h in jd.hits.get(METADATA, ())):
            raise UpstreamError(
                "the result's metadata carries text to redact", code="output.blocked", reasons=jd.reasons
            )
        new_items = list(items)
        for i, item in enumerate(items):
            if f"content[{i}].text" in jd.hits:
                new_items[i] = {**item, "text": output.apply(item["text"], jd.hits[f"content[{i}].text"], jd.kinds)}
            if f"content[{i}].resource.text" in jd.hits:
                res = item["resource"]
                text = output.apply(res["text"], jd.hits[f"content[{i}].resource.text"], jd.kinds)
                new_items[i] = {**new_items[i], "resource": {**res, "text": text}}
        out = {**result, "content": new_items}
        if "structuredContent" in jd.hits:
            redacted = output.apply(
                (await jsonrpc.dumps_async(result["structuredContent"], size)).decode(),
                jd.hits["structuredContent"],
                jd.kinds,
            )
            try:
                out["structuredContent"] = await jsonrpc.loads_async(redacted)
            except Malformed as e:
                raise UpstreamError(
                    "redacted structuredContent is not JSON", code="output.blocked", reasons=jd.reasons
                ) from e
        return out

    async def screen_document(
        self, ctx: CallContext, result: dict[str, Any], *, allow_redaction: bool = True
    ) -> dict[str, Any]:
        """Any other answer (prompts, resources, completions): the whole result as one part.

        ``allow_redaction=False``: what must be redacted is blocked instead (errors, notifications).
        """
        tool = ctx.need_tool()
        if not tool.config.inspect.output:
            return result
        raw = await jsonrpc.dumps_async(result, ctx.mcp.size if ctx.mcp is not None else 0)
        jd = await output.judge(
            self.rt.inspector, self.rt.policy, self.metrics, ctx, [("", raw)], 200, self.rt.classifier
        )
        if not jd.kinds:
            return result
        if not allow_redaction:
            raise UpstreamError(
                "the server's message carries text to redact", code="output.blocked", reasons=jd.reasons
            )
        redacted = output.apply(raw.decode(), jd.hits[""], jd.kinds)
        try:
            doc = await jsonrpc.loads_async(redacted)
        except Malformed as e:
            raise UpstreamError("the redacted answer is not JSON", code="output.blocked", reasons=jd.reasons) from e
        return doc if isinstance(doc, dict) else result

    async def filter_tools(self, ctx: CallContext, ex: Exchange, result: dict[str, Any]) -> dict[str, Any]:
        """Only tools this agent may call: valid name, approved definition, no kill switch, policy
        (in shadow mode policy does not hide: the call would go through, with a shadow record)."""
        agent = ctx.need_agent()
        tools = [t for t in result.get("tools") or [] if isinstance(t, dict)]
        held = await self.observe_definitions(ex, agent, tools)
        kept: list[Any] = []
        for i, t in enumerate(tools[:10_000]):
            if i % 32 == 31:
                await asyncio.sleep(0)  # one policy decision per tool: yield between batches of them
            name = t.get("name")
            if not isinstance(name, str) or not TOOL_NAME.fullmatch(name) or name in held:
                continue
            tool = self.tools.resolve(f"{ex.server}.{name}")
            if tool is None:
                continue
            if self.rt.killswitch.match(agent.tenant, agent.id, tool.name) is not None:
                continue
            if self.rt.policy.enforce and not await self.would_allow(agent, tool, ctx):
                continue
            kept.append(t)
        return {**result, "tools": kept}

    async def would_allow(self, agent: Agent, tool: Tool, ctx: CallContext, method: str = "tools/call") -> bool:
        """Would policy let this agent call this tool (arguments aside)? Same input, same reading."""
        probe = CallContext(
            call=ToolCall(new_call_id(), "mcp", tool.name, "POST", "", mcp_method=method),
            agent=agent,
            tool=tool,
            mcp_session=ctx.mcp_session,
        )
        policy = self.rt.policy
        try:
            decision = parse_decision(await policy.engine.evaluate(policy.decision_rule, build_input(probe)))
        except Exception as e:  # fail closed: a tool we cannot decide on is not listed
            self.metrics.policy_errors.inc()
            log_policy_error_once("filtering MCP lists", e)
            return False
        return classify(decision) != "deny"

    # ------------------------------------------------------------------ emit

    async def emit(self, ctx: CallContext) -> None:
        ex = ctx.need_mcp()
        up = ctx.need_upstream()
        tool = ctx.need_tool()
        call_id = ctx.call.call_id
        # a session id only from the answer that opens one: a server cannot move an agent to another
        keep = KEEP_HEADERS if ex.rule.opens_session else KEEP_HEADERS - {"mcp-session-id"}
        headers = [(k, v) for k, v in up.headers if k.lower() in keep]
        headers.append(("X-Callgate-Call-Id", call_id))
        if ctx.replay and up.body is not None:
            doc = jsonrpc.loads(up.body)
            ex.answer = {**doc, "id": ex.client_id} if isinstance(doc, dict) else None
            kept = [(k, v) for k, v in up.headers if k.lower() != "content-type"]
            ctx.response = json_response(ex.answer, headers=dict([*kept, *headers]))
            return
        new_sid = next((v for k, v in up.headers if k.lower() == "mcp-session-id"), None)
        if ex.rule.opens_session and new_sid and up.status < 300:
            # bound before the agent sees the id, so its next request finds it
            await self.state.bind_session(ex.server, new_sid, owner_of(ctx.need_agent()), SESSION_TTL_S)
        if ex.rule is CLOSE and up.status < 300 and ex.session is not None:
            await self.state.drop_session(ex.server, ex.session)
            await self.state.forget_session(ctx.need_agent().tenant, ex.server, ex.session)
        cfg = tool.config.inspect
        limit = int(cfg.output_limit) if cfg.output else STREAM_LIMIT
        ex.needles = credential_needles(ctx)
        output.admit(tool, up.headers)
        ctype = next((v for k, v in up.headers if k.lower() == "content-type"), "").lower()
        if up.status == 202 or (up.status < 300 and ex.rule is CLOSE):
            up.body = b""
            ctx.response = web.Response(status=up.status, headers=headers)
            return
        if up.status != 200:
            await self.upstream_status(ctx, ex, up.status, headers, limit)
            return
        if ctype.startswith("text/event-stream"):
            await self.relay_stream(ctx, ex, headers, limit)
        elif ctype.startswith("application/json"):
            body = await output.read(tool, up.body, up.stream, limit)
            up.stream = None
            ex.size = len(body)
            try:
                # (each of parse, scrub and re-encode is ms of loop at 1 MiB: in steps, the loop running between)
                doc = await self.scrub(ctx, ex, body, await jsonrpc.loads_async(body))
            except Malformed as e:
                raise UpstreamError(f"MCP server {ex.server!r} sent malformed JSON: {e}", code="upstream.failed") from e
            for d in (doc if isinstance(doc, list) else [doc])[:MAX_EVENTS]:
                await self.server_message(ctx, ex, d)
            await self.finish(ctx, ex, headers)
        else:
            raise UpstreamError(
                f"MCP server {ex.server!r} answered with content type {ctype or 'none'}", code="upstream.failed"
            )

    async def finish(self, ctx: CallContext, ex: Exchange, headers: list[tuple[str, str]]) -> None:
        """Answer with ``ex.answer`` as JSON (or fail when the server never answered)."""
        up = ctx.need_upstream()
        if ex.msg is None or ex.msg.kind != "request":
            up.body = b""
            ctx.response = web.Response(status=202, headers=headers)
            return
        if ex.answer is None:
            raise UpstreamError(f"MCP server {ex.server!r} sent no answer to the request", code="upstream.no_answer")
        body = await jsonrpc.dumps_async(ex.answer, ex.size)
        up.body = body  # kept for an idempotent replay (which puts the retry's own id in)
        up.bytes_sent = len(body)
        ctx.response = web.Response(status=200, body=body, content_type="application/json", headers=headers)

    async def upstream_status(
        self, ctx: CallContext, ex: Exchange, status: int, headers: list[tuple[str, str]], limit: int
    ) -> None:
        """A non-200 answer: its JSON-RPC error (id mapped back) or one of ours; the status is kept."""
        up = ctx.need_upstream()
        body = await read_capped(up.stream, 65536, truncate=True) if up.body is None else up.body
        up.stream = None
        doc: Any = None
        if body:
            try:
                doc = await self.scrub(ctx, ex, body, jsonrpc.loads(body))
            except Malformed:
                doc = None
        message = f"the MCP server answered HTTP {status}"
        found = doc.get("error") if isinstance(doc, dict) else None
        if isinstance(found, dict) and isinstance(found.get("message"), str):
            message = found["message"][:500]
            try:  # the server's text reaches the model: screened like an error answer
                await self.screen_document(ctx, {"error": {"message": message}}, allow_redaction=False)
            except GatewayError as blocked:
                ctx.error = blocked  # a denial, recorded; the agent gets our refusal instead
                up.bytes_sent = 0
                refused = self.refusal_answer(ex, blocked, ctx.call.call_id)
                ex.answer = refused if ex.msg is not None and ex.msg.kind == "request" else None
                ctx.response = json_response(refused, headers=dict(headers))
                return
        err = UpstreamError(f"{message} (HTTP {status})", code="upstream.status", extra={"upstream_status": status})
        # the server's 4xx means something to the client (404: open a new session); anything else is ours
        err.status = status if 400 <= status < 500 else 502
        ctx.error = err
        up.bytes_sent = 0
        if ex.rule.per_tool and err.status == 502:  # a tool that failed: a result the model can read
            ex.answer = self.refusal_answer(ex, err, ctx.call.call_id)
            ctx.response = json_response(ex.answer, headers=dict(headers))
            return
        answer = jsonrpc.error(
            ex.client_id, jsonrpc.INTERNAL_ERROR, message, {"code": "upstream.status", "status": status}
        )
        ex.answer = answer if ex.msg is not None and ex.msg.kind == "request" else None
        ctx.response = json_response(answer, status=err.status, headers=dict(headers))

    async def relay_stream(self, ctx: CallContext, ex: Exchange, headers: list[tuple[str, str]], limit: int) -> None:
        """An SSE answer (POST) or the server's stream (GET), message by message, unbuffered.

        A POST's stream ends with its answer. Events are bounded by ``limit`` each and the
        stream by ``MAX_EVENTS`` messages; an oversize event ends it with a refusal.
        """
        up = ctx.need_upstream()
        stream = up.stream
        if up.body is not None:
            stream = _Bytes(up.body)
        up.stream = None
        out: web.StreamResponse | None = None
        answer_body: bytes | None = None
        sent = 0
        buffered = ex.buffered
        if ex.rule.stream:  # the agent waits on the stream itself: open it now
            out = web.StreamResponse(status=200, headers=[*headers, ("Content-Type", "text/event-stream")])
            await out.prepare(ex.request)
        try:
            async for event in sse.iter_events(stream, limit, KEEPALIVE_S if ex.rule.stream else None):
                if not event and out is not None:
                    # a quiet stream: a comment finds out whether the agent is still there
                    sent += await _write(out, b": keepalive\n\n")
                    continue
                data = sse.data(event)
                if data is None:
                    continue
                ex.size = len(data)
                try:
                    doc = await self.scrub(ctx, ex, data, await jsonrpc.loads_async(data))
                except Malformed:
                    self.metrics.mcp_dropped.labels("server", "invalid").inc()
                    continue
                ex.relayed += 1
                forward = await self.server_message(ctx, ex, doc)
                if forward is not None and not buffered:
                    if out is None:
                        out = web.StreamResponse(status=200, headers=[*headers, ("Content-Type", "text/event-stream")])
                        await out.prepare(ex.request)
                    payload = await jsonrpc.dumps_async(forward, ex.size)
                    if forward is ex.answer:
                        answer_body = payload  # (the same bytes, kept for a replay: not encoded twice)
                    chunk = sse.frame(payload, self.scrub_event(ctx, ex, event))
                    await out.write(chunk)
                    sent += len(chunk)
                if ex.answer is not None or ex.relayed >= MAX_EVENTS:
                    break
        except sse.EventTooLarge as e:
            err = output.too_large(ctx.need_tool(), limit)
            if out is None:
                raise err from e
            ctx.error = err
            if ex.msg is not None and ex.msg.kind == "request":
                ex.answer = self.refusal_answer(ex, err, ctx.call.call_id)
                sent += await _write(out, sse.encode(ex.answer))
        except (ConnectionResetError, aiohttp.ClientConnectionResetError) as e:
            raise GatewayError("the agent disconnected", code="client.disconnected") from e
        except (aiohttp.ClientError, asyncio.IncompleteReadError, TimeoutError) as e:
            failure: GatewayError = (
                UpstreamTimeout(f"MCP server {ex.server!r} did not answer in time", code="upstream.timeout")
                if isinstance(e, TimeoutError)
                else UpstreamError(f"MCP server {ex.server!r} failed: {type(e).__name__}", code="upstream.failed")
            )
            if out is None:
                raise failure from e
            log.debug("MCP stream of %s ended: %s", ex.server, type(e).__name__)
            if ex.answer is None and ex.msg is not None and ex.msg.kind == "request":
                ctx.error = failure
                ex.answer = self.refusal_answer(ex, failure, ctx.call.call_id)
                sent += await _write(out, sse.encode(ex.answer))
        if out is None:
            if ex.rule.stream:
                out = web.StreamResponse(status=200, headers=[*headers, ("Content-Type", "text/event-stream")])
                await out.prepare(ex.request)
            else:
                await self.finish(ctx, ex, headers)
                return
        if ex.msg is not None and ex.msg.kind == "request" and ex.answer is None:
            err = UpstreamError(f"MCP server {ex.server!r} sent no answer to the request", code="upstream.no_answer")
            ctx.error = err
            sent += await _write(out, sse.encode(self.refusal_answer(ex, err, ctx.call.call_id)))
        if ex.answer is not None:
            up.body = answer_body if answer_body is not None else await jsonrpc.dumps_async(ex.answer, ex.size)
        try:
            await out.write_eof()
        except (ConnectionResetError, aiohttp.ClientConnectionResetError) as e:
            raise GatewayError("the agent disconnected", code="client.disconnected") from e
        up.bytes_sent = sent
        ctx.response = out

    async def scrub(self, ctx: CallContext, ex: Exchange, raw: bytes | str, doc: Any) -> Any:
        """One message from the server without the credential the gateway injected (``stages/scrub.py``;
        a large one in steps, the loop running between)."""
        if not ex.needles:
            return doc
        steps = scrub_json_steps(raw, doc, ex.needles)
        doc, n = jsondoc.run(steps) if len(raw) <= YIELD_AFTER else await jsondoc.run_async(steps)
        if n:
            note_scrub(ctx, self.metrics, "body", "body", n)
        return doc

    def scrub_event(self, ctx: CallContext, ex: Exchange, event: bytes) -> bytes:
        """An SSE event's own fields (``id:``, ``event:``), kept on the way to the agent, scrubbed too."""
        if not ex.needles:
            return event
        meta = b"\n".join(line for line in event.splitlines() if not line.startswith(b"data:"))
        meta, n = scrub_bytes(meta, ex.needles)
        if n:
            note_scrub(ctx, self.metrics, "body", "body", n)
        return meta

    def refusal_answer(self, ex: Exchange, err: GatewayError, call_id: str) -> dict[str, Any]:
        return refusal(ex.client_id, err, call_id, tool_result=ex.rule.per_tool)


async def _write(out: web.StreamResponse, chunk: bytes) -> int:
    try:
        await out.write(chunk)
    except (ConnectionResetError, aiohttp.ClientConnectionResetError) as e:
        raise GatewayError("the agent disconnected", code="client.disconnected") from e
    return len(chunk)


class _Bytes:
    """A buffered body read like a stream (``iter_any``)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def iter_any(self) -> Any:
        yield self.body

    async def readany(self) -> bytes:
        body, self.body = self.body, b""
        return body


class _Decided:
    """The server-request pipeline's terminal: once policy allows, the request is screened."""

    def __init__(self, screen: Callable[[CallContext], Awaitable[None]]) -> None:
        self.screen = screen

    async def load(self, ctx: CallContext) -> None:
        return None

    async def emit(self, ctx: CallContext) -> None:
        await self.screen(ctx)
        ctx.response = True

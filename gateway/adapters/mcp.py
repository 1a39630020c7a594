"""MCP adapter: a policy-checked Model Context Protocol proxy at ``/mcp/{server}``.

Streamable HTTP, as the MCP specification defines it. Every request is
authenticated first; a session (``Mcp-Session-Id``) is bound to the agent that
opened it and refused to anyone else. Then, per JSON-RPC message:

- ``tools/call`` becomes a ``ToolCall`` for tool ``{server}.{name}`` and runs the
  whole pipeline (``default_stages``); denials come back as JSON-RPC errors with
  ``error.data = {code, status, reasons, call_id}``. ``emit`` passes the upstream's
  answer back — a JSON body, or an SSE stream event by event, unbuffered — after
  inspecting the result's content with the output detectors and ``output_decision``
  (blocked → an ``isError`` result; secrets and PII → ``[REDACTED:<kind>]``).
- ``tools/list`` is forwarded, then filtered: tools whose definition is held
  (``gateway.mcp.pins``) or that policy would not let this agent call are removed.
- everything else (``initialize``, ``ping``, notifications, responses, resources,
  prompts) and the ``GET`` stream and ``DELETE`` pass through unchanged.

A batch (JSON array) is split: each message is handled as above and the answers
are returned as one JSON array.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from gateway.adapters.http import read_limited
from gateway.errors import BadRequest, Forbidden, GatewayError, NotFound, Reason, UpstreamError
from gateway.identity import extract_bearer
from gateway.inspect.base import Hit
from gateway.inspect.runner import redact
from gateway.model import Agent, CallContext, Decision, Finding, ToolCall, new_call_id
from gateway.policy.engine import log_policy_error_once
from gateway.stages.credentials import AGENT_ONLY, filter_headers
from gateway.stages.forward import RESPONSE_DROP
from gateway.stages.inspect_output import output_decision, redact_kinds
from gateway.stages.policy import iso_now, parse_decision
from gateway.tools import Tool, mcp_tool

if TYPE_CHECKING:
    from gateway.runtime import Runtime

log = logging.getLogger("callgate.mcp")

SESSION_HEADER = "Mcp-Session-Id"
# JSON-RPC error codes: the spec's, plus one server-defined code for every callgate denial.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
DENIED = -32001
LIST_LIMIT = 16 << 20
BLOCKED_TEXT = "callgate blocked this tool result: it contains text flagged as prompt injection"
# Also dropped towards an MCP server: we read (and may rewrite) its answers, so no compression.
MCP_DROP = AGENT_ONLY | {"accept-encoding"}
# The spec's tool-name alphabet; anything else (":" would confuse scope parsing) is refused.
TOOL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")


def rpc_error(msg_id: Any, code: int, message: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "id": msg_id, "error": err}


def denial(msg_id: Any, err: GatewayError, call_id: str) -> dict[str, Any]:
    data = {"code": err.code, "status": err.status, "reasons": err.reasons, "call_id": call_id, **err.extra}
    return rpc_error(msg_id, DENIED, f"{err.code}: {err.message}", data)


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=json.dumps(doc).encode(), content_type="application/json", headers=headers)


def http_error(err: GatewayError, msg_id: Any = None) -> web.Response:
    return json_response(denial(msg_id, err, ""), status=err.status, headers=err.headers)


# ------------------------------------------------------------------ SSE


def sse_data(event: bytes) -> str | None:
    """The joined ``data:`` lines of one SSE event, or None if it has none."""
    data = [
        line[5:].removeprefix(b" ").decode("utf-8", errors="replace")
        for line in event.splitlines()
        if line.startswith(b"data:")
    ]
    return "\n".join(data) if data else None


def sse_event(message: dict[str, Any], event: bytes) -> bytes:
    """Re-serialise ``message`` into ``event``, keeping its ``id:``/``event:`` lines."""
    kept = [line for line in event.splitlines() if line and not line.startswith(b"data:")]
    return b"\n".join([*kept, b"data: " + json.dumps(message).encode()]) + b"\n\n"


def split_sse(body: bytes) -> list[bytes]:
    events = body.replace(b"\r\n", b"\n").split(b"\n\n")
    return [e + b"\n\n" for e in events if e.strip()]


def is_answer(data: str | None) -> bool:
    """Whether an SSE event's data is a JSON-RPC response (has an id and a result or error)."""
    if data is None:
        return False
    try:
        m = json.loads(data)
    except ValueError:
        return False
    return isinstance(m, dict) and "id" in m and ("result" in m or "error" in m)


async def iter_sse(stream: aiohttp.StreamReader) -> AsyncIterator[bytes]:
    """Yield whole SSE events (terminated by a blank line) as they arrive."""
    buf: list[bytes] = []
    async for raw in stream:
        line = raw.rstrip(b"\r\n")
        if line:
            buf.append(line)
            continue
        if buf:
            yield b"\n".join(buf) + b"\n\n"
            buf = []
    if buf:
        yield b"\n".join(buf) + b"\n\n"


# ------------------------------------------------------------------ tools


class McpTools:
    """Resolves ``{server}.{name}`` to a ``Tool`` for the pipeline, cached per name."""

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
        if not sep or not name or srv is None:
            return None
        cfg = self.configs[server]
        tool = mcp_tool(srv, cfg.tool_effects.get(name, cfg.effect), name)
        if len(self._cache) < 10_000:
            self._cache[full] = tool
        return tool


@dataclass(slots=True)
class McpCall:
    msg_id: Any
    request: web.Request  # the agent's request, to answer on
    buffered: bool = False  # part of a batch: read the whole answer, never stream it


class McpAdapter:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.pipeline = rt.pipeline
        self.verifier = rt.verifier
        self.servers = rt.mcp_servers
        self.tools = rt.mcp_tools
        self.pins = rt.mcp_pins
        # (server, session id) -> owner "tenant/agent"
        self.sessions: dict[tuple[str, str], str] = {}

    # -------------------------------------------------------------- entry

    async def handle(self, request: web.Request) -> web.StreamResponse:
        # identity first: an unauthenticated caller learns nothing, not even which servers exist
        try:
            agent = await self.verifier.verify(extract_bearer(request.headers.get("Authorization")))
        except GatewayError as e:
            return http_error(e)
        server = request.match_info["server"]
        srv = self.servers.get(server)
        if srv is None:
            return http_error(NotFound(f"no MCP server named {server!r}", code="mcp.server_unknown"))
        owner = f"{agent.tenant or ''}/{agent.id}"
        sid = request.headers.get(SESSION_HEADER)
        if sid is not None:
            bound = self.sessions.get((server, sid))
            if bound is None:
                return http_error(NotFound("no such MCP session; initialize a new one", code="mcp.session_unknown"))
            if bound != owner:
                log.warning("agent %s presented MCP session %s of %s", owner, sid[:8], bound)
                return http_error(Forbidden("this MCP session belongs to another agent", code="mcp.session_not_owned"))
        if request.method == "GET":
            return await self.passthrough(request, srv, b"", stream_timeout=True)
        if request.method == "DELETE":
            resp = await self.passthrough(request, srv, b"")
            if sid is not None and resp.status < 300:
                self.sessions.pop((server, sid), None)
            return resp
        if request.method != "POST":
            return http_error(GatewayError("MCP takes POST, GET or DELETE", code="request.method"))
        try:
            body = await self.read_body(request, srv)
            msg = json.loads(body)
        except GatewayError as e:
            return http_error(e)
        except (ValueError, UnicodeDecodeError) as e:
            return json_response(rpc_error(None, PARSE_ERROR, f"parse error: {e}"), status=400)
        if isinstance(msg, list):
            return await self.batch(request, srv, agent, msg)
        if not isinstance(msg, dict):
            return json_response(rpc_error(None, INVALID_REQUEST, "a message must be a JSON object"), status=400)
        method = msg.get("method")
        if method == "tools/call" and "id" in msg:
            return await self.call_tool(request, srv, msg, body)
        if method == "tools/list" and "id" in msg:
            return await self.list_tools(request, srv, agent, msg, body)
        bind = owner if method == "initialize" and sid is None else None
        return await self.passthrough(request, srv, body, bind=bind)

    async def read_body(self, request: web.Request, srv: Tool) -> bytes:
        return await read_limited(request, srv.body_limit, f"MCP server {srv.name!r}")

    # -------------------------------------------------------------- upstream

    def upstream_headers(self, request: web.Request, srv: Tool) -> list[tuple[str, str]]:
        headers = filter_headers(request.headers.items(), MCP_DROP | srv.credential_headers)
        if srv.default_credential is not None:
            cred = srv.credentials[srv.default_credential]
            headers.append((cred.header, cred.value))
        return headers

    async def send(
        self, request: web.Request, srv: Tool, body: bytes, *, stream_timeout: bool = False
    ) -> aiohttp.ClientResponse:
        timeout = (
            aiohttp.ClientTimeout(total=None, sock_connect=srv.timeout.sock_connect, sock_read=None)
            if stream_timeout
            else srv.timeout
        )
        try:
            return await self.rt.http.request(
                request.method,
                srv.base_url,
                data=body or None,
                headers=self.upstream_headers(request, srv),
                timeout=timeout,
                allow_redirects=False,
            )
        except TimeoutError as e:
            raise GatewayError(f"MCP server {srv.name!r} did not answer in time", code="upstream.timeout") from e
        except aiohttp.ClientError as e:
            raise GatewayError(f"MCP server {srv.name!r} is unreachable", code="upstream.unreachable") from e

    async def passthrough(
        self,
        request: web.Request,
        srv: Tool,
        body: bytes,
        *,
        stream_timeout: bool = False,
        bind: str | None = None,
        buffered: bool = False,
    ) -> web.StreamResponse:
        """Forward as is; ``bind``: owner of the session this (initialize) answer opens."""
        try:
            resp = await self.send(request, srv, body, stream_timeout=stream_timeout)
        except GatewayError as e:
            e.status = 504 if e.code == "upstream.timeout" else 502
            return http_error(e)
        try:
            new_sid = resp.headers.get(SESSION_HEADER)
            if bind is not None and new_sid and resp.status < 300:
                # bound before the agent sees the id, so its next request finds it
                self.sessions[(srv.name, new_sid)] = bind
            headers = [(k, v) for k, v in resp.headers.items() if k.lower() not in RESPONSE_DROP]
            if buffered:
                return web.Response(
                    status=resp.status, body=await self.read_answer(resp.content, resp.content_type), headers=headers
                )
            if resp.content_length is not None and resp.content_length <= LIST_LIMIT:
                return web.Response(status=resp.status, body=await resp.read(), headers=headers)
            out = web.StreamResponse(status=resp.status, headers=headers)
            await out.prepare(request)
            try:
                if request.method == "POST" and (resp.content_type or "").startswith("text/event-stream"):
                    # a POST's stream ends with its answer; stop there, as the client does
                    async for event in iter_sse(resp.content):
                        await out.write(event)
                        if is_answer(sse_data(event)):
                            break
                else:
                    async for chunk in resp.content.iter_any():
                        await out.write(chunk)
                await out.write_eof()
            except (aiohttp.ClientError, ConnectionResetError) as e:
                # the agent or the server went away mid-stream; nothing is left to answer
                log.debug("MCP stream %s %s ended: %s", request.method, srv.name, type(e).__name__)
            return out
        finally:
            resp.release()

    @staticmethod
    async def read_answer(stream: aiohttp.StreamReader, content_type: str) -> bytes:
        """Read a whole answer; an SSE stream up to the first answer event (it may stay open)."""
        if not content_type.lower().startswith("text/event-stream"):
            return await stream.read(LIST_LIMIT)
        out: list[bytes] = []
        async for event in iter_sse(stream):
            out.append(event)
            if is_answer(sse_data(event)):
                break
        return b"".join(out)

    # -------------------------------------------------------------- tools/call

    async def call_tool(
        self, request: web.Request, srv: Tool, msg: dict[str, Any], body: bytes, *, buffered: bool = False
    ) -> web.StreamResponse:
        msg_id = msg.get("id")
        params = msg.get("params")
        name = params.get("name") if isinstance(params, dict) else None
        if not isinstance(params, dict) or not isinstance(name, str) or not TOOL_NAME.fullmatch(name):
            return json_response(
                rpc_error(msg_id, INVALID_PARAMS, "tools/call needs params.name (1-128 of A-Z a-z 0-9 _ . -)")
            )
        meta = params.get("_meta")
        meta = meta if isinstance(meta, dict) else {}
        idem = request.headers.get("Idempotency-Key") or meta.get("idempotency_key") or meta.get("idempotencyKey")
        headers = request.headers
        call = ToolCall(
            call_id=new_call_id(),
            protocol="mcp",
            tool_name=f"{srv.name}.{name}",
            method="POST",
            path="",
            mcp_method="tools/call",
            arguments=params.get("arguments"),
            body=body,
            content_type="application/json",
            intent=headers.get("X-Agent-Intent"),
            run_id=headers.get("X-Agent-Run"),
            idempotency_key=idem if isinstance(idem, str) else None,
        )
        clean = CIMultiDict(headers)
        clean.popall("Accept-Encoding", None)
        ctx = CallContext(call=call, request=request.clone(headers=clean))
        ctx.extra["mcp"] = McpCall(msg_id, request, buffered)
        await self.pipeline.run(ctx, self)
        if ctx.response is not None:
            return ctx.response  # type: ignore[no-any-return]
        err = ctx.error or GatewayError("the call produced no response")
        return json_response(denial(msg_id, err, call.call_id), headers={"X-Callgate-Call-Id": call.call_id})

    async def load(self, ctx: CallContext) -> None:
        tool = ctx.need_tool()
        args = ctx.call.arguments
        if args is not None and not isinstance(args, dict):
            raise BadRequest("tools/call arguments must be an object", code="request.invalid")
        held = self.pins.status(tool.name)
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

    async def screen_result(self, ctx: CallContext, message: Any) -> Any:
        """Inspect a tool result like ``inspect.output`` inspects an HTTP body; return the message to send.

        The detectors run on each text content item and on ``structuredContent``; with
        findings, ``output_decision`` either blocks the result (it becomes an ``isError``
        result) or names kinds whose spans become ``[REDACTED:<kind>]``.
        """
        mc: McpCall = ctx.extra["mcp"]
        if not isinstance(message, dict) or message.get("id") != mc.msg_id:
            return message
        result = message.get("result")
        tool = ctx.need_tool()
        cfg = tool.config.inspect
        if not isinstance(result, dict) or not cfg.output:
            return message
        t0 = time.perf_counter()
        inspector = self.rt.inspector
        texts: list[tuple[str, bytes]] = []  # (path, UTF-8 text)
        for i, item in enumerate(result.get("content") or []):
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                texts.append((f"content[{i}].text", item["text"].encode(errors="replace")))
        if "structuredContent" in result:
            texts.append(("structuredContent", json.dumps(result["structuredContent"]).encode()))
        findings: list[Finding] = []
        hits: dict[str, list[Hit]] = {}
        try:
            if sum(len(t) for _, t in texts) > int(cfg.output_limit):
                raise UpstreamError(
                    f"tool {tool.name!r} answered more than {int(cfg.output_limit)} bytes, the output inspection limit",
                    code="output.too_large",
                    reasons=[Reason.of("output.too_large", f"output exceeds {int(cfg.output_limit)} bytes", ["LLM10"])],
                )
            for path, text in texts:
                fs, hs = await inspector.output_async(text, tool.inspect_options)
                for f in fs:
                    f.path = path + f.path
                findings += fs
                hits[path] = hs
            ctx.output_findings.extend(findings)
            if not findings:
                return message
            status = ctx.upstream.status if ctx.upstream is not None else 200
            decision = await output_decision(self.rt.policy, self.rt.metrics, ctx, status, findings)
            kinds = redact_kinds(tool.name, decision, findings, [h for hs in hits.values() for h in hs])
        except GatewayError as e:
            return self.blocked(ctx, message, e)
        finally:
            ctx.timings["inspect_output"] = ctx.timings.get("inspect_output", 0.0) + time.perf_counter() - t0
        if not kinds:
            return message
        result = dict(result)
        content = list(result.get("content") or [])
        for i, item in enumerate(content):
            if f"content[{i}].text" in hits:
                content[i] = {**item, "text": redact(item["text"], hits[f"content[{i}].text"], kinds)}
        result["content"] = content
        if "structuredContent" in hits:
            try:
                result["structuredContent"] = json.loads(
                    redact(json.dumps(result["structuredContent"]), hits["structuredContent"], kinds)
                )
            except ValueError:
                reasons = ctx.output_decision.reasons if ctx.output_decision is not None else []
                return self.blocked(
                    ctx,
                    message,
                    UpstreamError("redacted structuredContent is not JSON", code="output.blocked", reasons=reasons),
                )
        return {**message, "result": result}

    @staticmethod
    def blocked(ctx: CallContext, message: dict[str, Any], err: GatewayError) -> dict[str, Any]:
        """``message`` with its result replaced by an ``isError`` result that says why."""
        reasons = err.reasons or [Reason.of(err.code, str(err))]
        if ctx.output_decision is None or ctx.output_decision.allow:
            ctx.output_decision = Decision(allow=False, reasons=reasons)
        injection = any(r.get("code") == "output.injection" for r in reasons)
        text = BLOCKED_TEXT if injection else f"callgate blocked this tool result ({err.code})"
        blocked = {
            "content": [{"type": "text", "text": text}],
            "isError": True,
            "_meta": {"callgate": {"code": err.code, "call_id": ctx.call.call_id, "reasons": reasons}},
        }
        return {**message, "result": blocked}

    async def emit(self, ctx: CallContext) -> None:
        up = ctx.need_upstream()
        mc: McpCall = ctx.extra["mcp"]
        headers = [*up.headers, ("X-Callgate-Call-Id", ctx.call.call_id)]
        ctype = next((v for k, v in up.headers if k.lower() == "content-type"), "").lower()
        sse = ctype.startswith("text/event-stream")
        if up.body is None and mc.buffered:
            up.body = await self.read_answer(up.stream, ctype)
        if up.body is not None:
            body = up.body
            if up.status == 200 and sse:
                body = b"".join([(await self._screen_event(ctx, e))[0] for e in split_sse(body)])
            elif up.status == 200 and ctype.startswith("application/json"):
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = None
                screened = await self.screen_result(ctx, doc)
                if screened is not doc:
                    body = json.dumps(screened).encode()
            up.bytes_sent = len(body)
            ctx.response = web.Response(status=up.status, body=body, headers=headers)
            return
        stream = web.StreamResponse(status=up.status, headers=headers)
        ctx.response = stream
        await stream.prepare(mc.request)
        sent = 0
        try:
            if sse and up.status == 200:
                async for event in iter_sse(up.stream):
                    chunk, final = await self._screen_event(ctx, event)
                    await stream.write(chunk)
                    sent += len(chunk)
                    if final:  # the answer to our request: the stream has done its job
                        break
            else:
                async for chunk in up.stream.iter_any():
                    await stream.write(chunk)
                    sent += len(chunk)
            await stream.write_eof()
        except ConnectionResetError as e:  # includes aiohttp's ClientConnectionResetError
            raise GatewayError("the agent disconnected", code="client.disconnected") from e
        finally:
            up.bytes_sent = sent

    async def _screen_event(self, ctx: CallContext, event: bytes) -> tuple[bytes, bool]:
        """The event to send, and whether it answers our request."""
        data = sse_data(event)
        if data is None:
            return event, False
        try:
            message = json.loads(data)
        except ValueError:
            return event, False
        screened = await self.screen_result(ctx, message)
        mc: McpCall = ctx.extra["mcp"]
        final = (
            isinstance(message, dict) and message.get("id") == mc.msg_id and ("result" in message or "error" in message)
        )
        return (event if screened is message else sse_event(screened, event)), final

    # -------------------------------------------------------------- tools/list

    async def allowed(self, agent: Agent, tool: Tool) -> bool:
        """Would policy let this agent call this tool (arguments aside)?"""
        call = ToolCall(new_call_id(), "mcp", tool.name, "POST", "", mcp_method="tools/list")
        doc = {
            "version": 1,
            "agent": agent.as_input(),
            "tool": tool.policy_doc,
            "call": call.as_input(),
            "findings": [],
            "usage": {},
            "approval": None,
            "now": iso_now(),
        }
        policy = self.rt.policy
        try:
            decision = parse_decision(await policy.engine.evaluate(policy.decision_rule, doc))
        except Exception as e:  # fail closed: a tool we cannot decide on is not listed
            self.rt.metrics.policy_errors.inc()
            log_policy_error_once("filtering tools/list", e)
            return False
        hard = [r for r in decision.reasons if r.get("code") != "approval.required"]
        return decision.allow or (decision.require_approval and not hard)

    async def filter_list(self, agent: Agent, srv: Tool, message: Any, msg_id: Any) -> Any:
        if not isinstance(message, dict) or message.get("id") != msg_id:
            return message
        result = message.get("result")
        if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
            return message
        kept: list[Any] = []
        for t in result["tools"]:
            if not isinstance(t, dict) or not isinstance(t.get("name"), str) or not TOOL_NAME.fullmatch(t["name"]):
                continue
            full = f"{srv.name}.{t['name']}"
            tool = self.tools.resolve(full)
            if tool is None:
                continue
            before = self.pins.status(full)
            held = self.pins.observe(full, t)
            if held is not None:
                if before is None or before.hash != held.hash:
                    await self.record_hold(agent, held)
                continue
            if await self.allowed(agent, tool):
                kept.append(t)
        return {**message, "result": {**result, "tools": kept}}

    async def record_hold(self, agent: Agent, held: Any) -> None:
        log.warning("MCP tool %s held: %s (%s)", held.tool, held.reason, held.hash)
        rec = {
            "kind": "mcp.definition",
            "id": new_call_id(),
            "time": iso_now(),
            "agent": agent.id,
            **held.as_dict(self.pins.pinned.get(held.tool)),
        }
        try:
            await self.rt.log.append(rec)
        except Exception:
            log.exception("could not record the hold of %s", held.tool)

    async def list_tools(
        self, request: web.Request, srv: Tool, agent: Agent, msg: dict[str, Any], body: bytes
    ) -> web.StreamResponse:
        msg_id = msg.get("id")
        try:
            resp = await self.send(request, srv, body)
        except GatewayError as e:
            return json_response(denial(msg_id, e, ""))
        try:
            headers = [(k, v) for k, v in resp.headers.items() if k.lower() not in RESPONSE_DROP]
            raw = await resp.content.read(LIST_LIMIT + 1)
            status = resp.status
            ctype = (resp.content_type or "").lower()
        finally:
            resp.release()
        if len(raw) > LIST_LIMIT or status != 200:
            return web.Response(status=status, body=raw[:LIST_LIMIT], headers=headers)
        if ctype == "text/event-stream":
            out: list[bytes] = []
            for event in split_sse(raw):
                data = sse_data(event)
                try:
                    message = json.loads(data) if data is not None else None
                except ValueError:
                    message = None
                filtered = await self.filter_list(agent, srv, message, msg_id)
                out.append(event if filtered is message else sse_event(filtered, event))
            return web.Response(status=status, body=b"".join(out), headers=headers)
        try:
            doc = json.loads(raw)
        except ValueError:
            return web.Response(status=status, body=raw, headers=headers)
        return web.Response(
            status=status, body=json.dumps(await self.filter_list(agent, srv, doc, msg_id)).encode(), headers=headers
        )

    # -------------------------------------------------------------- batch

    async def batch(self, request: web.Request, srv: Tool, agent: Agent, msgs: list[Any]) -> web.StreamResponse:
        """Each message on its own (so every tools/call gets the pipeline); answers as one JSON array."""
        if not msgs:
            return json_response(rpc_error(None, INVALID_REQUEST, "an empty batch"), status=400)
        if any(isinstance(m, dict) and m.get("method") == "initialize" for m in msgs):
            return json_response(rpc_error(None, INVALID_REQUEST, "initialize cannot be part of a batch"), status=400)
        answers: list[Any] = []
        for m in msgs:
            if not isinstance(m, dict):
                answers.append(rpc_error(None, INVALID_REQUEST, "a message must be a JSON object"))
                continue
            raw = json.dumps(m).encode()
            method = m.get("method")
            if method == "tools/call" and "id" in m:
                resp = await self.call_tool(request, srv, m, raw, buffered=True)
            elif method == "tools/list" and "id" in m:
                resp = await self.list_tools(request, srv, agent, m, raw)
            else:
                resp = await self.passthrough(request, srv, raw, buffered=True)
            if "id" in m and "method" in m:
                answers.append(self.answer_in(resp, m["id"]))
        if not answers:
            return web.Response(status=202)
        return json_response(answers)

    @staticmethod
    def answer_in(resp: web.StreamResponse, msg_id: Any) -> Any:
        """The JSON-RPC answer to ``msg_id`` inside a buffered response (JSON or SSE)."""
        body = resp.body if isinstance(resp, web.Response) and isinstance(resp.body, bytes) else b""
        candidates: list[Any] = []
        if (resp.content_type or "").startswith("text/event-stream"):
            for event in split_sse(body):
                data = sse_data(event)
                with contextlib.suppress(ValueError):
                    candidates.append(json.loads(data) if data is not None else None)
        else:
            with contextlib.suppress(ValueError):
                candidates.append(json.loads(body) if body else None)
        for c in candidates:
            if isinstance(c, dict) and c.get("id") == msg_id and ("result" in c or "error" in c):
                return c
            if isinstance(c, dict) and c.get("id") is None and "error" in c:
                return {**c, "id": msg_id}
        return rpc_error(msg_id, -32603, f"no answer from the MCP server (HTTP {resp.status})")

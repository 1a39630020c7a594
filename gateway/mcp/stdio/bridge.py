"""The loopback streamable-HTTP endpoint through which the gateway reaches its stdio servers.

One per gateway worker, at ``http://127.0.0.1:<port>/stdio/<name>`` (the port is
chosen by the kernel when the runtime is built, so the URL is known before anything
is compiled). It speaks MCP streamable HTTP — POST a JSON-RPC message and get JSON or
an SSE stream back, ``Mcp-Session-Id``, DELETE, a GET stream for server-to-client
messages — and relays to the child through ``StdioRelay``. The gateway's MCP adapter
treats it like any HTTP MCP server, so every message is mediated by the normal rules.

Each server has a random bearer secret made at start and injected by the gateway as
that server's credential (``tools.STDIO_CREDENTIAL``); a request without it is
refused 401. Another local process therefore cannot use the bridge to walk around
the gateway.

An unknown ``Mcp-Session-Id`` is taken as a session, not refused 404: with
``serve --workers N`` a session opened on one worker reaches another worker's child,
and it is the gateway, in front, that decides whether the session exists and whose it
is. A POST without one (a stateless client, or the gateway fetching a definition) is
served in a session of its own that ends with the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
import shutil
import socket
import time
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from gateway.config import McpServerConfig, SecretSource, Settings
from gateway.errors import ConfigError
from gateway.mcp.jsonrpc import INVALID_REQUEST, PARSE_ERROR
from gateway.mcp.jsonrpc import error as rpc_error
from gateway.mcp.stdio.process import OFFLOAD_BYTES, ChildSpec, Message, child_environment
from gateway.mcp.stdio.relay import RelayError, Session, StdioRelay, dumps_sized
from gateway.metrics import Metrics
from gateway.tools import BridgeEndpoint

log = logging.getLogger("callgate.stdio")

SESSION_HEADER = "Mcp-Session-Id"
MAX_BATCH = 64
MAX_SESSION_ID = 128


def child_spec(name: str, cfg: McpServerConfig) -> ChildSpec:
    """Compile ``mcp_servers.<name>`` (a stdio server) into what the child needs; ``ConfigError`` names the field."""
    if cfg.command is None:
        raise ConfigError([(f"mcp_servers.{name}", "not a stdio server (no command)")])
    errors: list[tuple[str, str]] = []
    env: dict[str, str] = {}
    for var, val in cfg.env.items():
        if isinstance(val, SecretSource):
            try:
                env[var] = val.resolve().get_secret_value()
            except ValueError as e:
                errors.append((f"mcp_servers.{name}.env.{var}", str(e)))
        else:
            env[var] = val
    full_env = child_environment(env)
    cwd = cfg.cwd
    if cwd is not None and not cwd.is_dir():
        errors.append((f"mcp_servers.{name}.cwd", f"no such directory: {cwd}"))
    program = cfg.command[0]
    if "/" in program and not Path(program).is_absolute() and cwd is not None:
        program = str(cwd / program)
    if shutil.which(program, path=full_env.get("PATH")) is None:
        errors.append(
            (
                f"mcp_servers.{name}.command",
                f"program {cfg.command[0]!r} not found or not executable (PATH of the child: {full_env.get('PATH')})",
            )
        )
    if errors:
        raise ConfigError(errors)
    return ChildSpec(name, tuple(cfg.command), full_env, cwd, cfg.stdio)


def _sse(data: bytes) -> bytes:
    return b"event: message\ndata: " + data + b"\n\n"


class StdioBridge:
    def __init__(self, settings: Settings, metrics: Metrics | None = None) -> None:
        """Compile the stdio servers and bind the loopback socket; nothing runs until ``start``."""
        specs: dict[str, ChildSpec] = {}
        errors: list[tuple[str, str]] = []
        for name, cfg in settings.mcp_servers.items():
            if cfg.is_stdio:
                try:
                    specs[name] = child_spec(name, cfg)
                except ConfigError as e:
                    errors.extend(e.errors)
        if errors:
            raise ConfigError(errors)
        self.relays = {
            # a little under the gateway's own timeout, so the agent gets the bridge's readable error
            name: StdioRelay(spec, settings.mcp_servers[name].timeouts.total_s * 0.95, metrics)
            for name, spec in specs.items()
        }
        self.max_body = max((int(s.limits.max_line) for s in specs.values()), default=1 << 20)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.setblocking(False)
        # a runtime that is built but never started must not leak the socket (nor warn about it)
        self._finalizer = weakref.finalize(self, self._sock.close)
        self.port: int = self._sock.getsockname()[1]
        self.endpoints: dict[str, BridgeEndpoint] = {}
        self._auth: dict[str, bytes] = {}
        for name in specs:
            secret = secrets.token_urlsafe(32)
            self.endpoints[name] = BridgeEndpoint(f"http://127.0.0.1:{self.port}/stdio/{name}", secret)
            self._auth[name] = f"Bearer {secret}".encode()
        self.metrics = metrics
        self._runner: web.AppRunner | None = None
        self._refused = 0
        self._refused_logged = 0.0

    @classmethod
    def for_settings(cls, settings: Settings, metrics: Metrics | None = None) -> StdioBridge | None:
        return cls(settings, metrics) if any(c.is_stdio for c in settings.mcp_servers.values()) else None

    # ------------------------------------------------------------ lifetime

    async def start(self) -> None:
        app = web.Application(client_max_size=self.max_body + 1024)
        app.router.add_route("*", "/stdio/{server}", self.handle)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0)
        await runner.setup()
        self._runner = runner
        try:
            await web.SockSite(runner, self._sock).start()
        except BaseException:
            await self.stop()
            raise
        for relay in self.relays.values():
            relay.start()
        log.info("stdio bridge on 127.0.0.1:%d for %s", self.port, ", ".join(self.relays))

    async def stop(self) -> None:
        """Stop the children (pending requests fail at once), then the listener."""
        await asyncio.gather(*(r.stop() for r in self.relays.values()), return_exceptions=True)
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self._finalizer()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[StdioBridge]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    # ------------------------------------------------------------ HTTP

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["server"]
        relay = self.relays.get(name)
        given = request.headers.get("Authorization", "").encode("utf-8", "replace")
        if relay is None or not hmac.compare_digest(given, self._auth[name]):  # names are not told either
            self._unauthorized(request, name)
            return self._error(401, "the stdio bridge takes requests from the gateway only", www_auth=True)
        sid = request.headers.get(SESSION_HEADER)
        if sid is not None and not (0 < len(sid) <= MAX_SESSION_ID and sid.isascii() and sid.isprintable()):
            return self._error(400, "invalid Mcp-Session-Id")
        try:
            if request.method == "POST":
                return await self._post(request, relay, sid)
            if request.method == "GET":
                return await self._get(request, relay, sid)
            if request.method == "DELETE":
                if sid is None:
                    return self._error(400, "DELETE needs an Mcp-Session-Id")
                relay.close_session(sid)
                return web.Response(status=200)
        except RelayError as e:
            return self._error(e.status, e.message)
        return self._error(405, "the stdio bridge takes POST, GET and DELETE", allow="GET, POST, DELETE")

    def _unauthorized(self, request: web.Request, name: str) -> None:
        self._refused += 1
        if self.metrics is not None:  # a name from the URL never becomes a label unless it is configured
            self.metrics.stdio_refused.labels(name if name in self.relays else "(unknown)").inc()
        now = time.monotonic()
        if now - self._refused_logged >= 10.0:  # bounded: one line per 10 s
            self._refused_logged = now
            log.warning(
                "stdio bridge: refused a request for %s without the gateway's secret (%d refused so far)",
                name,
                self._refused,
            )

    @staticmethod
    def _error(status: int, message: str, *, www_auth: bool = False, allow: str | None = None) -> web.Response:
        headers = {}
        if www_auth:
            headers["WWW-Authenticate"] = 'Bearer realm="callgate-stdio-bridge"'
        if allow is not None:
            headers["Allow"] = allow
        code = PARSE_ERROR if status == 400 and message.startswith("parse") else INVALID_REQUEST
        return web.Response(
            status=status,
            body=json.dumps(rpc_error(None, code, message)).encode(),
            content_type="application/json",
            headers=headers,
        )

    async def _post(self, request: web.Request, relay: StdioRelay, sid: str | None) -> web.StreamResponse:
        limit = int(relay.limits.max_line)
        if request.content_length is not None and request.content_length > limit:
            return self._error(413, f"message larger than {limit} bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._error(413, f"message larger than {limit} bytes")
        if len(body) > limit:
            return self._error(413, f"message larger than {limit} bytes")
        try:
            doc = await asyncio.to_thread(json.loads, body) if len(body) > OFFLOAD_BYTES else json.loads(body)
        except (ValueError, RecursionError):
            return self._error(400, "parse error: the body is not JSON")
        streaming = "text/event-stream" in request.headers.get("Accept", "")
        if isinstance(doc, list):
            return await self._batch(relay, sid, doc)
        if not isinstance(doc, dict):
            return self._error(400, "a message must be a JSON object")
        method = doc.get("method")
        if method == "initialize" and "id" in doc:
            new_sid, answer = await relay.initialize(doc)
            return web.Response(
                body=json.dumps(answer).encode(), content_type="application/json", headers={SESSION_HEADER: new_sid}
            )
        session = relay.session(sid) if sid is not None else relay.transient()
        kind = self._kind(doc)
        if kind == "notification":
            await relay.notify(session, doc)
            return web.Response(status=202)
        if kind == "response":
            if await relay.respond(session, doc):
                return web.Response(status=202)
            return self._error(400, "an answer to no request the server sent this session")
        if kind != "request":
            return self._error(400, "not a JSON-RPC request, notification or response")
        if not streaming:
            last: tuple[Message, int] = ({}, 0)
            async with contextlib.aclosing(relay.exchange(session, doc, streaming=False)) as answers:
                async for item in answers:
                    last = item
            return web.Response(body=await dumps_sized(*last), content_type="application/json")
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        # closed on every way out: a client gone mid-stream cancels the request at the child
        async with contextlib.aclosing(relay.exchange(session, doc, streaming=True)) as messages:
            try:
                async for msg, size in messages:
                    await resp.write(_sse(await dumps_sized(msg, size)))
                await resp.write_eof()
            except ConnectionError:
                pass
        return resp

    @staticmethod
    def _kind(doc: Message) -> str:
        method = doc.get("method")
        if isinstance(method, str):
            return "request" if "id" in doc else "notification"
        if "id" in doc and ("result" in doc or "error" in doc):
            return "response"
        return "invalid"

    async def _batch(self, relay: StdioRelay, sid: str | None, docs: list[Any]) -> web.Response:
        """A JSON array (older protocol versions): each message handled alone, the answers as one JSON array."""
        if not docs or len(docs) > MAX_BATCH:
            return self._error(400, f"a batch holds 1 to {MAX_BATCH} messages")
        session = relay.session(sid) if sid is not None else relay.transient()

        async def one(doc: Any) -> Message | None:
            if not isinstance(doc, dict) or doc.get("method") == "initialize":
                msg_id = doc.get("id") if isinstance(doc, dict) else None
                return rpc_error(msg_id, INVALID_REQUEST, "not a message allowed in a batch")
            return await self._one(relay, session, doc)

        answers = [a for a in await asyncio.gather(*(one(d) for d in docs)) if a is not None]
        if not answers:
            return web.Response(status=202)
        return web.Response(body=json.dumps(answers).encode(), content_type="application/json")

    async def _one(self, relay: StdioRelay, session: Session, doc: Message) -> Message | None:
        kind = self._kind(doc)
        if kind == "notification":
            await relay.notify(session, doc)
            return None
        if kind == "response":
            await relay.respond(session, doc)
            return None
        if kind != "request":
            return rpc_error(doc.get("id"), INVALID_REQUEST, "not a JSON-RPC message")
        answer: Message = {}
        async with contextlib.aclosing(relay.exchange(session, doc, streaming=False)) as answers:
            async for msg, _size in answers:
                answer = msg
        return answer

    async def _get(self, request: web.Request, relay: StdioRelay, sid: str | None) -> web.StreamResponse:
        if sid is None:
            return self._error(400, "a GET stream needs an Mcp-Session-Id")
        session = relay.session(sid)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        async with contextlib.aclosing(relay.listen(session)) as messages:
            try:
                async for msg in messages:
                    await resp.write(_sse(json.dumps(msg, separators=(",", ":")).encode()))
                await resp.write_eof()
            except ConnectionError:
                pass
        return resp

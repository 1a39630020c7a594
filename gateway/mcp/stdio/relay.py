"""One stdio child shared by many MCP client sessions: ids, routing, the cached handshake.

A worker runs one child per stdio server; every client session of that worker talks
to it. The relay keeps them apart:

- **Handshake once.** After each (re)start the relay sends its own ``initialize``
  (protocol ``HANDSHAKE_VERSION``, no client capabilities: a shared child cannot claim
  what its many clients can do) and ``notifications/initialized``, and caches the
  ``InitializeResult``. A client's ``initialize`` is answered from that cache with a
  new session id; its ``notifications/initialized`` is absorbed.
- **Relay-owned ids.** Each forwarded request gets the relay's next integer id (and
  its ``progressToken`` the same number); the answer is mapped back to the client's id
  and session. An answer to nothing outstanding (or with a look-alike id, ``"7"`` for
  ``7``) is dropped and counted.
- **Child → client.** ``notifications/progress`` goes to the request that owns the
  token; ``*/list_changed`` to every session's stream; ``resources/updated`` to the
  sessions subscribed to that URI; ``notifications/message`` and server-initiated
  requests (sampling, elicitation, roots) to the one session with requests in flight
  — when more than one session has, the routing is ambiguous: messages are dropped and
  requests answered with a JSON-RPC error. ``ping`` from the child is answered here.
- **Bounded.** ``max_in_flight`` requests, ``max_sessions`` sessions (the least
  recently used idle one is evicted), ``stream_buffer`` messages per stream (the
  oldest dropped), every wait ``timeout`` seconds; when the child exits every pending
  request fails at once with a JSON-RPC error (code ``-32000``, ``data.code``
  ``stdio.exited``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateway.errors import Unavailable
from gateway.mcp.jsonrpc import INVALID_REQUEST, METHOD_NOT_FOUND
from gateway.mcp.jsonrpc import error as rpc_error
from gateway.mcp.stdio.process import OFFLOAD_BYTES, ChildSpec, ChildUnavailable, Message, StdioProcess, Tally

if TYPE_CHECKING:
    from gateway.metrics import Metrics

log = logging.getLogger("callgate.stdio")

HANDSHAKE_VERSION = "2025-11-25"
CLIENT_INFO = {"name": "callgate-stdio-bridge", "version": "1"}
STDIO_ERROR = -32000  # JSON-RPC "server error" range; data.code says which
MAX_SUBSCRIPTIONS = 256  # per session
MAX_SERVER_REQUESTS = 64


class RelayError(Unavailable):
    """Refused before (or instead of) reaching the child: a JSON-RPC error in the answer, or a 503 where
    no answer can carry it (a client's ``initialize``, a session the bridge cannot take)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)

    def answer(self, msg_id: Any) -> Message:
        return rpc_error(msg_id, STDIO_ERROR, self.message, {"code": self.code})


@dataclass(eq=False, slots=True)
class Pending:
    """A request forwarded to the child, waiting for its answer."""

    bid: int  # the relay's id
    client_id: Any
    session: Session | None  # None: the relay's own (initialize)
    streaming: bool  # the client takes related messages (progress, sampling) on this request's stream
    limit: int
    progress: Any = None  # the client's progress token
    events: deque[Message] = field(default_factory=deque)
    answer: Message | None = None
    size: int = 0  # bytes of the answer's line
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def push(self, msg: Message) -> bool:
        if len(self.events) >= self.limit:
            return False
        self.events.append(msg)
        self.wake.set()
        return True

    def finish(self, answer: Message, size: int = 0) -> None:
        if self.answer is None:
            self.answer, self.size = answer, size
            self.wake.set()


@dataclass(eq=False, slots=True)
class Session:
    id: str
    limit: int
    in_flight: dict[int, Pending] = field(default_factory=dict)
    stream: deque[Message] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    listener: int = 0  # generation of the GET stream allowed to read `stream`
    listening: bool = False
    subscriptions: set[str] = field(default_factory=set)
    closed: bool = False
    dropped: int = 0
    transient: bool = False  # a request without a session id: no stream, no subscriptions
    tally: Tally | None = None

    def push(self, msg: Message) -> None:
        if len(self.stream) >= self.limit:
            self.stream.popleft()
            self.dropped += 1
            if self.tally is not None:
                self.tally.add("stream_overflow")
        self.stream.append(msg)
        self.wake.set()


@dataclass(slots=True)
class ServerRequest:
    session: Session
    sink: Pending | None  # the request stream it went to, else the session's stream
    timer: asyncio.TimerHandle


def _meta_token(msg: Message) -> tuple[bool, Any]:
    params = msg.get("params")
    if isinstance(params, dict):
        meta = params.get("_meta")
        if isinstance(meta, dict) and "progressToken" in meta:
            return True, meta["progressToken"]
    return False, None


def _with_token(msg: Message, token: Any) -> Message:
    params = msg["params"]
    return {**msg, "params": {**params, "_meta": {**params["_meta"], "progressToken": token}}}


def _key(msg_id: Any) -> tuple[str, Any] | None:
    """A hashable key telling ``1`` from ``"1"``; None for ids JSON-RPC does not allow."""
    if isinstance(msg_id, bool) or not isinstance(msg_id, int | str):
        return None
    return (type(msg_id).__name__, msg_id)


def dumps(msg: Message) -> bytes:
    return json.dumps(msg, separators=(",", ":"), ensure_ascii=True).encode()


async def dumps_sized(msg: Message, size: int) -> bytes:
    """Serialise; a message that came in big is serialised on a worker thread."""
    return await asyncio.to_thread(dumps, msg) if size > OFFLOAD_BYTES else dumps(msg)


class StdioRelay:
    def __init__(self, spec: ChildSpec, timeout: float, metrics: Metrics | None = None) -> None:
        self.name = spec.name
        self.limits = spec.limits
        self.timeout = timeout
        self.metrics = metrics
        self.dropped = Tally(self._metric_drop if metrics is not None else None)
        self.child = StdioProcess(
            spec,
            on_message=self._from_child,
            on_started=self._handshake,
            on_exit=self._child_exited,
            on_oversize=self._oversize,
            write_timeout=timeout,
            dropped=Tally(self._metric_drop if metrics is not None else None),
            on_start=metrics.stdio_starts.labels(spec.name).inc if metrics is not None else None,
        )
        self.init_result: dict[str, Any] | None = None
        self.ready = asyncio.Event()
        self.generation = 0  # the child generation whose handshake succeeded
        self.sessions: OrderedDict[str, Session] = OrderedDict()
        self.pending: dict[int, Pending] = {}
        self.server_requests: dict[tuple[str, Any], ServerRequest] = {}
        self.subscribers: dict[str, set[str]] = {}
        self._next = 0
        self._closed = False
        self._tasks: set[asyncio.Task[Any]] = set()

    def _metric_drop(self, reason: str) -> None:
        if self.metrics is not None:
            self.metrics.stdio_dropped.labels(self.name, reason).inc()

    def _set_ready(self, up: bool) -> None:
        if up:
            self.ready.set()
        else:
            self.ready.clear()
        if self.metrics is not None:
            self.metrics.stdio_ready.labels(self.name).set(1 if up else 0)

    # ------------------------------------------------------------ lifetime

    def start(self) -> None:
        self.child.start()

    async def stop(self) -> None:
        self._closed = True
        self._set_ready(False)
        await self.child.stop()
        for s in list(self.sessions.values()):
            self._close(s)
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _bid(self) -> int:
        self._next += 1
        return self._next

    def _bg(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, msg: Message, generation: int | None = None, size: int = 0) -> None:
        data = await dumps_sized(msg, size)
        if len(data) >= int(self.limits.max_line):
            raise RelayError("stdio.too_large", f"message larger than the stdio line limit ({self.limits.max_line} B)")
        await self.child.send(data + b"\n", self.generation if generation is None else generation)

    async def _send_quietly(self, msg: Message) -> None:
        try:
            await self._send(msg)
        except (ChildUnavailable, RelayError) as e:
            log.debug("stdio server %s: not sent: %s", self.name, e)

    async def _handshake(self, generation: int) -> None:
        bid = self._bid()
        p = Pending(bid, None, None, streaming=False, limit=1)
        self.pending[bid] = p
        init = {
            "jsonrpc": "2.0",
            "id": bid,
            "method": "initialize",
            "params": {"protocolVersion": HANDSHAKE_VERSION, "capabilities": {}, "clientInfo": CLIENT_INFO},
        }
        try:
            await self._send(init, generation)
            async with asyncio.timeout(self.timeout):
                await p.wake.wait()
        except (ChildUnavailable, RelayError, TimeoutError) as e:
            self.child.kill(f"initialize failed: {e or 'no answer in time'}")
            return
        finally:
            self.pending.pop(bid, None)
        result = (p.answer or {}).get("result")
        if not isinstance(result, dict) or not isinstance(result.get("protocolVersion"), str):
            self.child.kill(f"initialize was answered with {json.dumps(p.answer)[:200]}")
            return
        try:
            await self._send({"jsonrpc": "2.0", "method": "notifications/initialized"}, generation)
        except (ChildUnavailable, RelayError):
            return
        self.init_result = result
        self.generation = generation
        self._set_ready(True)
        for uri in list(self.subscribers)[:MAX_SUBSCRIPTIONS]:  # the new child knows none of the subscriptions
            await self._send_quietly(self._request_quietly("resources/subscribe", {"uri": uri}))
        log.info("stdio server %s ready (protocol %s)", self.name, result["protocolVersion"])

    def _child_exited(self, generation: int) -> None:
        self._set_ready(False)
        for p in list(self.pending.values()):
            self._forget(p)
            p.finish(
                rpc_error(p.client_id, STDIO_ERROR, f"stdio server {self.name!r} exited", {"code": "stdio.exited"})
            )
        for key, sr in list(self.server_requests.items()):
            sr.timer.cancel()
            self._deliver_related(
                sr,
                {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": key[1]}},
            )
        self.server_requests.clear()

    def _oversize(self, bid: int) -> None:
        p = self.pending.get(bid)
        if p is not None:
            self._forget(p)
            p.finish(
                rpc_error(
                    p.client_id,
                    STDIO_ERROR,
                    f"the stdio server's answer is larger than its line limit ({self.limits.max_line} B)",
                    {"code": "stdio.too_large"},
                )
            )

    def _forget(self, p: Pending) -> None:
        self.pending.pop(p.bid, None)
        if p.session is not None:
            p.session.in_flight.pop(p.bid, None)

    # ------------------------------------------------------------ sessions

    def _deadline(self) -> float:
        return asyncio.get_running_loop().time() + self.timeout

    async def _wait_ready(self, deadline: float | None = None) -> None:
        if self._closed:
            raise RelayError("stdio.exited", f"stdio server {self.name!r} is stopped")
        if not self.ready.is_set():
            try:
                async with asyncio.timeout_at(self._deadline() if deadline is None else deadline):
                    await self.ready.wait()
            except TimeoutError:
                raise RelayError(
                    "stdio.unavailable", f"stdio server {self.name!r} is not running (starting or restarting)"
                ) from None

    async def initialize(self, msg: Message) -> tuple[str, Message]:
        """A client's ``initialize``: a new session, answered from the cached handshake."""
        await self._wait_ready()
        session = self.session(secrets.token_hex(16))
        return session.id, {"jsonrpc": "2.0", "id": msg.get("id"), "result": self.init_result}

    def session(self, sid: str) -> Session:
        """The session ``sid``, created if this worker has not seen it (another worker may have opened it)."""
        s = self.sessions.get(sid)
        if s is not None:
            self.sessions.move_to_end(sid)
            return s
        if len(self.sessions) >= self.limits.max_sessions:
            idle = next((k for k, v in self.sessions.items() if not v.in_flight and not v.listening), None)
            if idle is None:
                raise RelayError("stdio.busy", f"stdio server {self.name!r} has too many sessions")
            self._close(self.sessions[idle])
        s = Session(sid, self.limits.stream_buffer, tally=self.dropped)
        self.sessions[sid] = s
        return s

    def transient(self) -> Session:
        """A session for one request without a session id (stateless clients): never stored, no stream."""
        return Session("", self.limits.stream_buffer, closed=False, transient=True)

    def close_session(self, sid: str) -> None:
        s = self.sessions.get(sid)
        if s is not None:
            self._close(s)

    def _close(self, s: Session) -> None:
        self.sessions.pop(s.id, None)
        s.closed = True
        s.wake.set()
        for p in list(s.in_flight.values()):
            self._forget(p)
            self._bg(self._send_quietly(self._cancelled(p.bid, "session closed")))
            p.finish(rpc_error(p.client_id, STDIO_ERROR, "the session was closed", {"code": "stdio.session_closed"}))
        for uri in s.subscriptions:
            subs = self.subscribers.get(uri)
            if subs is not None:
                subs.discard(s.id)
                if not subs:
                    del self.subscribers[uri]
                    self._bg(self._send_quietly(self._request_quietly("resources/unsubscribe", {"uri": uri})))

    def _request_quietly(self, method: str, params: dict[str, Any]) -> Message:
        """A request of the relay's own whose answer nobody waits for (forgotten after the timeout)."""
        bid = self._bid()
        p = Pending(bid, None, None, streaming=False, limit=1)
        self.pending[bid] = p
        asyncio.get_running_loop().call_later(self.timeout, self.pending.pop, bid, None)
        return {"jsonrpc": "2.0", "id": bid, "method": method, "params": params}

    @staticmethod
    def _cancelled(bid: int, reason: str) -> Message:
        return {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": bid, "reason": reason}}

    # ------------------------------------------------------------ client -> child

    async def exchange(
        self, session: Session, msg: Message, *, streaming: bool
    ) -> AsyncGenerator[tuple[Message, int], None]:
        """Forward request ``msg``; yield ``(message, size)``: related messages, then its answer, always last."""
        msg_id = msg.get("id")
        method = msg.get("method")
        if method == "server/discover":  # the bridge speaks the initialize handshake only
            yield rpc_error(msg_id, METHOD_NOT_FOUND, "Method not found"), 0
            return
        if method == "resources/unsubscribe":
            local = self._unsubscribe(session, msg)
            if local is not None:
                yield local, 0
                return
        deadline = self._deadline()  # one bound for the whole exchange: waiting for the child included
        try:
            await self._wait_ready(deadline)
            if len(self.pending) >= self.limits.max_in_flight:
                raise RelayError("stdio.busy", f"stdio server {self.name!r} has too many requests in flight")
        except RelayError as e:
            yield e.answer(msg_id), 0
            return
        if method == "resources/subscribe":
            if session.transient:
                yield rpc_error(msg_id, INVALID_REQUEST, "resources/subscribe needs a session (initialize first)"), 0
                return
            self._subscribe(session, msg)
        bid = self._bid()
        has_token, token = _meta_token(msg)
        p = Pending(bid, msg_id, session, streaming, self.limits.stream_buffer, progress=token if has_token else None)
        out = {**msg, "id": bid}
        if has_token:
            out = _with_token(out, bid)
        self.pending[bid] = p
        session.in_flight[bid] = p
        try:
            try:
                await self._send_request(out, p, deadline)
            except (ChildUnavailable, RelayError) as e:
                self._forget(p)
                reason = e.code if isinstance(e, RelayError) else "stdio.unavailable"
                p.finish(rpc_error(msg_id, STDIO_ERROR, str(e), {"code": reason}))
            while True:
                while p.events:
                    yield p.events.popleft(), 0
                if p.answer is not None:
                    yield p.answer, p.size
                    return
                p.wake.clear()
                try:
                    async with asyncio.timeout_at(deadline):
                        await p.wake.wait()
                except TimeoutError:
                    self._forget(p)
                    self._bg(self._send_quietly(self._cancelled(bid, "timeout")))
                    p.finish(
                        rpc_error(
                            msg_id,
                            STDIO_ERROR,
                            f"stdio server {self.name!r} did not answer within {self.timeout:g} s",
                            {"code": "stdio.timeout"},
                        )
                    )
        finally:
            if p.answer is None:  # the client went away: tell the child
                self._forget(p)
                self._bg(self._send_quietly(self._cancelled(bid, "client disconnected")))

    async def _send_request(self, out: Message, p: Pending, deadline: float) -> None:
        """Send; if the write did not reach a live child (it died, or is being replaced), wait for the
        restarted child and send once more: a message that was never delivered is safe to resend."""
        gen = self.generation
        try:
            await self._send(out, gen)
            return
        except ChildUnavailable:
            if self.child.running and self.child.generation == gen:
                raise  # alive but not reading: part of the message may be in its pipe, never resend
        self._forget(p)
        p.answer = None  # failed by the exit of a child that never read it
        p.wake.clear()
        try:
            async with asyncio.timeout_at(deadline):
                while self.generation == gen or not self.ready.is_set():
                    if self.ready.is_set():
                        await asyncio.sleep(0.05)  # the exit is not processed yet
                    else:
                        await self.ready.wait()
        except TimeoutError:
            raise ChildUnavailable(f"stdio server {self.name!r} did not come back in time") from None
        if p.session is not None:
            if p.session.closed:
                raise RelayError("stdio.session_closed", "the session was closed")
            p.session.in_flight[p.bid] = p
        self.pending[p.bid] = p
        await self._send(out)

    async def notify(self, session: Session, msg: Message) -> None:
        """A client notification: absorbed (``initialized``), id-mapped (``cancelled``) or forwarded."""
        method = msg.get("method")
        if method == "notifications/initialized":
            return
        if method == "notifications/cancelled":
            params = msg.get("params")
            rid = params.get("requestId") if isinstance(params, dict) else None
            p = next((q for q in session.in_flight.values() if q.client_id == rid and rid is not None), None)
            if p is None:
                return
            self._forget(p)
            p.finish(rpc_error(p.client_id, STDIO_ERROR, "cancelled by the client", {"code": "stdio.cancelled"}))
            await self._send_quietly({**msg, "params": {**params, "requestId": p.bid}})  # type: ignore[dict-item]
            return
        try:
            await self._wait_ready()
            await self._send(msg)
        except (ChildUnavailable, RelayError) as e:
            log.debug("stdio server %s: notification %s not delivered: %s", self.name, method, e)

    async def respond(self, session: Session, msg: Message) -> bool:
        """A client's answer to a request the child sent; False if that session was not asked."""
        key = _key(msg.get("id"))
        sr = self.server_requests.get(key) if key is not None else None
        if sr is None or sr.session is not session:
            return False
        del self.server_requests[key]  # type: ignore[arg-type]
        sr.timer.cancel()
        try:
            await self._send(msg)
        except (ChildUnavailable, RelayError) as e:
            log.debug("stdio server %s: answer not delivered: %s", self.name, e)
        return True

    def _subscribe(self, session: Session, msg: Message) -> None:
        params = msg.get("params")
        uri = params.get("uri") if isinstance(params, dict) else None
        if isinstance(uri, str) and len(session.subscriptions) < MAX_SUBSCRIPTIONS:
            session.subscriptions.add(uri)
            self.subscribers.setdefault(uri, set()).add(session.id)

    def _unsubscribe(self, session: Session, msg: Message) -> Message | None:
        """Drop the session's subscription; answer here (no forwarding) while other sessions keep it."""
        params = msg.get("params")
        uri = params.get("uri") if isinstance(params, dict) else None
        if not isinstance(uri, str):
            return None
        session.subscriptions.discard(uri)
        subs = self.subscribers.get(uri)
        if subs is None:
            return None
        subs.discard(session.id)
        if subs:
            return {"jsonrpc": "2.0", "id": msg.get("id"), "result": {}}
        del self.subscribers[uri]
        return None

    async def listen(self, session: Session) -> AsyncGenerator[Message, None]:
        """The session's GET stream; a newer GET ends an older one."""
        session.listener += 1
        mine = session.listener
        session.listening = True
        session.wake.set()  # wakes an older listener, which sees it is superseded
        try:
            while not session.closed and not self._closed and session.listener == mine:
                while session.stream and session.listener == mine:
                    yield session.stream.popleft()
                session.wake.clear()
                await session.wake.wait()
        finally:
            if session.listener == mine:
                session.listening = False

    # ------------------------------------------------------------ child -> client

    def _from_child(self, msg: Message, size: int) -> None:
        method = msg.get("method")
        if isinstance(method, str):
            if "id" in msg:
                self._server_request(msg, method)
            else:
                self._server_notification(msg, method)
            return
        if "id" in msg and ("result" in msg or "error" in msg):
            bid = msg["id"]
            p = self.pending.get(bid) if type(bid) is int else None
            if p is None:
                self._drop("unmatched_answer", f"an answer to no outstanding request (id {str(bid)[:40]!r})")
                return
            self._forget(p)
            p.finish({**msg, "id": p.client_id}, size)
            return
        self._drop("invalid", "a message that is neither request, notification nor answer")

    def _drop(self, reason: str, what: str) -> None:
        n = self.dropped.add(reason)
        if n <= 10 or n % 1000 == 0:
            log.warning("stdio server %s: dropped %s (%s #%d)", self.name, what, reason, n)

    def _only_session(self) -> tuple[Session, Pending | None] | None:
        """The one session with requests in flight, and its newest streaming request; None if not exactly one."""
        sessions = {id(p.session): p.session for p in self.pending.values() if p.session is not None}
        if len(sessions) != 1:
            return None
        s = next(iter(sessions.values()))
        if s.transient:  # its answer would come in another request, with no session to match it
            return None
        sink = next((p for p in reversed(s.in_flight.values()) if p.streaming), None)
        return s, sink

    def _deliver_related(self, sr: ServerRequest, msg: Message) -> None:
        if sr.sink is not None and sr.sink.answer is None and sr.sink.push(msg):
            return
        sr.session.push(msg)

    def _server_request(self, msg: Message, method: str) -> None:
        msg_id = msg["id"]
        key = _key(msg_id)
        if key is None:
            self._drop("invalid", "a request with an invalid id")
            return
        if method == "ping":
            self._bg(self._send_quietly({"jsonrpc": "2.0", "id": msg_id, "result": {}}))
            return
        target = self._only_session()
        if target is None or len(self.server_requests) >= MAX_SERVER_REQUESTS or key in self.server_requests:
            why = (
                "no single client session to route it to" if target is None else "too many server requests outstanding"
            )
            self.dropped.add("server_request_refused")
            self._bg(self._send_quietly(rpc_error(msg_id, STDIO_ERROR, f"callgate: {method} refused: {why}")))
            return
        session, sink = target
        loop = asyncio.get_running_loop()
        timer = loop.call_later(self.timeout, self._server_request_expired, key, msg_id)
        sr = ServerRequest(session, sink, timer)
        self.server_requests[key] = sr
        self._deliver_related(sr, msg)

    def _server_request_expired(self, key: tuple[str, Any], msg_id: Any) -> None:
        sr = self.server_requests.pop(key, None)
        if sr is not None:
            self._bg(self._send_quietly(rpc_error(msg_id, STDIO_ERROR, "callgate: the client did not answer in time")))

    def _server_notification(self, msg: Message, method: str) -> None:
        params = msg.get("params")
        params = params if isinstance(params, dict) else {}
        if method == "notifications/progress":
            token = params.get("progressToken")
            p = self.pending.get(token) if type(token) is int else None
            if p is None or p.session is None or p.progress is None:
                self._drop("unmatched_progress", "progress for no outstanding request")
                return
            if not p.streaming or not p.push({**msg, "params": {**params, "progressToken": p.progress}}):
                self.dropped.add("progress_not_streamed")
            return
        if method == "notifications/cancelled":
            key = _key(params.get("requestId"))
            sr = self.server_requests.pop(key, None) if key is not None else None
            if sr is not None:
                sr.timer.cancel()
                self._deliver_related(sr, msg)
            return
        if method.endswith("/list_changed"):
            for s in self.sessions.values():
                s.push(msg)
            return
        if method == "notifications/resources/updated":
            uri = params.get("uri")
            for sid in self.subscribers.get(uri, ()) if isinstance(uri, str) else ():
                subscriber = self.sessions.get(sid)
                if subscriber is not None:
                    subscriber.push(msg)
            return
        if method == "notifications/message":
            target = self._only_session()
            if target is None:
                self._drop("unroutable_log", "a log message while no single session has requests in flight")
                return
            session, sink = target
            if sink is None or not sink.push(msg):
                session.push(msg)
            return
        self._drop("unknown_notification", f"notification {method[:80]!r}")

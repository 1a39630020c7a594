"""Redis state stores: replicas share one Redis, and a gateway one connection pool.

``RedisDriver`` owns the pool and bounds every round trip (``run``); each store —
admission, kill switches, MCP state, runs here, approvals in ``store/approvals.py`` —
takes the driver (``gateway/store/build.py`` builds them all on one).

Admission (idempotency lookup + every rate bucket + every quota reservation) is one
Lua script, so one round trip and atomic across replicas; settlement is another.
Time comes from Redis (``TIME``), so replicas with skewed clocks agree. Every key
starts with the configured prefix and then the call's tenant hash tag (``{t:<hash>}``,
see ``stages/admission.py``), so one call's keys share a Redis Cluster slot — as
multi-key scripts need — while tenants spread over the slots.

Every operation is bounded by ``timeout_ms``: a Redis that does not answer raises
``StoreUnavailable`` (503 ``store.unavailable``), never a hang. No retries: the
caller decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.retry import Retry

from gateway.config import RedisStoreConfig
from gateway.errors import Unavailable
from gateway.store.base import (
    Admission,
    AdmitResult,
    KillSwitchEntry,
    RunLimits,
    RunObservation,
    RunState,
    Settlement,
    StoredResponse,
    StoreUnavailable,
    Verdict,
    match_entry,
    run_fields_of,
    run_state_of,
    validate_scope,
)

log = logging.getLogger("callgate.store")

# KEYS: idem, rate..., quota...   ARGV: nrates, nquotas, fingerprint, call_id, lease_ms, ttl_ms,
# then (interval, tau, tokens) per rate, then (limit, amount, ttl_s) per quota.
ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local nr, nq = tonumber(ARGV[1]), tonumber(ARGV[2])
local fp, call, lease_ms, ttl_ms = ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
local takeover = ''
if fp ~= '' then
  local e = redis.call('HMGET', KEYS[1], 'fp', 'state', 'call', 'lease', 'status', 'headers', 'body')
  if e[1] then
    if e[1] ~= fp then return {'mismatch'} end
    if e[2] == 'done' then return {'replay', e[5], e[6], e[7]} end
    if e[2] == 'unreplayable' then return {'not_replayable'} end
    if tonumber(e[4]) > now * 1000 then return {'in_flight'} end
    takeover = e[3]
  end
end
local tats, remaining = {}, {}
for i = 1, nr do
  local a = 6 + (i - 1) * 3
  local interval, tau, tokens = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local tat = tonumber(redis.call('GET', KEYS[1 + i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + tokens * interval
  local allow_at = new_tat - tau
  if allow_at > now then return {'rate_limited', string.format('%.6f', allow_at - now), tostring(i)} end
  tats[i] = new_tat
  remaining[i] = tostring(math.max(0, math.floor((now + tau - new_tat) / interval + 1e-9)))
end
local spent = {}
local qa = 6 + nr * 3
for j = 1, nq do
  local a = qa + (j - 1) * 3
  local limit, amount = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local cur = tonumber(redis.call('GET', KEYS[1 + nr + j]) or '0')
  if cur + amount > limit + 1e-9 then
    local found = {'quota_exhausted', '0', tostring(j)}
    for k = 1, nq do found[3 + k] = redis.call('GET', KEYS[1 + nr + k]) or '0' end
    return found
  end
  spent[j] = cur + amount
end
for i = 1, nr do
  local ms = math.ceil((tats[i] - now) * 1000) + 1
  redis.call('SET', KEYS[1 + i], string.format('%.6f', tats[i]), 'PX', ms)
end
local out = {'ok', takeover, tostring(nr)}
for i = 1, nr do out[#out + 1] = remaining[i] end
for j = 1, nq do
  local a = qa + (j - 1) * 3
  local k = KEYS[1 + nr + j]
  local v = redis.call('INCRBYFLOAT', k, ARGV[a + 2])
  redis.call('EXPIRE', k, ARGV[a + 3], 'NX')
  out[#out + 1] = v
end
if fp ~= '' then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'fp', fp, 'state', 'inflight', 'call', call,
    'lease', string.format('%d', now * 1000 + lease_ms))
  redis.call('PEXPIRE', KEYS[1], ttl_ms)
end
return out
"""

# KEYS: idem, quota...   ARGV: mode (none|store|release|unreplayable), call_id, ttl_ms, status, headers, body,
# then one delta per quota key.
SETTLE = """
for j = 2, #KEYS do
  local d = tonumber(ARGV[5 + j])
  if d ~= 0 and redis.call('EXISTS', KEYS[j]) == 1 then redis.call('INCRBYFLOAT', KEYS[j], ARGV[5 + j]) end
end
local mode = ARGV[1]
if mode == 'none' then return 0 end
if redis.call('HGET', KEYS[1], 'call') ~= ARGV[2] or redis.call('HGET', KEYS[1], 'state') ~= 'inflight' then
  return 0
end
if mode == 'release' then redis.call('DEL', KEYS[1]) return 1 end
if mode == 'store' then
  redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[4], 'headers', ARGV[5], 'body', ARGV[6])
else
  redis.call('HSET', KEYS[1], 'state', 'unreplayable')
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


class RedisDriver:
    """The one Redis connection pool of a gateway, and the one way to use it (``run``).

    Envoy's ratelimit keeps its Redis driver apart from the caches built on it; so does
    callgate: every Redis store (admission, kill switches, approvals, runs, MCP state,
    the checkpoint copy) takes this driver and makes its round trips through ``run``,
    which bounds each by ``timeout_ms`` and notices a server that went away. The pool
    connects lazily; ``warm`` opens connections and loads the stores' scripts up front,
    ``close`` closes every connection. Owned by ``gateway.store.build.Stores``.
    """

    LATE_S = 0.005
    """A timer firing this late means the event loop, not Redis, is slow (see ``run``)."""

    MAX_EXTENSIONS = 5

    def __init__(self, cfg: RedisStoreConfig) -> None:
        self.prefix = cfg.key_prefix
        self.timeout = cfg.timeout_ms / 1000
        # A blocking pool: a burst beyond max_connections waits for a connection (within
        # the same timeout) instead of failing at once.
        pool = aioredis.BlockingConnectionPool.from_url(
            cfg.url,
            max_connections=cfg.max_connections,
            # redis-py's own timeouts are looser than ``run``'s bound, which decides (and
            # forgives event-loop lag); they only stop a socket from outliving it.
            timeout=self.timeout * (self.MAX_EXTENSIONS + 2),
            socket_timeout=self.timeout * (self.MAX_EXTENSIONS + 2),
            socket_connect_timeout=self.timeout * (self.MAX_EXTENSIONS + 2),
            retry=Retry(NoBackoff(), 0),
            decode_responses=False,
        )
        self.pool = pool
        self.redis = aioredis.Redis(connection_pool=pool)
        self._scripts: list[str] = []

    def script(self, lua: str) -> AsyncScript:
        """Register a store's Lua script; ``warm`` loads every registered one."""
        self._scripts.append(lua)
        return self.redis.register_script(lua)

    async def close(self) -> None:
        await self.redis.aclose()
        await self.pool.disconnect()

    async def forget_idle(self) -> None:
        """Drop the idle pooled connections: the server went away, and they are as stale as the one that failed."""
        with contextlib.suppress(RedisError, OSError):
            await self.pool.disconnect(inuse_connections=False)

    async def warm(self, n: int) -> int:
        """Open ``n`` pooled connections and load every registered script now, not under the first burst.

        A cold pool made the first burst of calls connect (and hit ``NOSCRIPT``) all at
        once within ``timeout_ms``; some got 503. Returns how many connections opened;
        a Redis that is down is logged and left to the calls (503 until it is back).
        """
        conns: list[Any] = []

        async def one() -> None:
            while True:  # a connect that times out on a busy machine is tried again, within the deadline
                try:
                    conn = await self.pool.get_connection()  # type: ignore[no-untyped-call]
                except (RedisError, OSError, TimeoutError):
                    await asyncio.sleep(0.01)
                    continue
                conns.append(conn)
                await conn.send_command("PING")
                await conn.read_response()
                return

        try:
            # A few at a time: dozens of concurrent connects would themselves pass the connect timeout.
            async with asyncio.timeout(max(self.timeout * 20, 5.0)):
                for lua in self._scripts:
                    await self.redis.script_load(lua)
                while len(conns) < n:
                    await asyncio.gather(*(one() for _ in range(min(8, n - len(conns)))))
        except (TimeoutError, RedisError, OSError) as e:
            log.warning("could not warm the Redis pool (%d of %d connections): %s", len(conns), n, e)
        finally:
            for conn in conns:
                await self.pool.release(conn)
        return len(conns)

    def _extend_if_late(self, cm: asyncio.Timeout, due: float, checks: list[asyncio.TimerHandle], n: int) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - due > self.LATE_S and not cm.expired():
            deadline = loop.time() + self.timeout
            cm.reschedule(deadline)
            if n + 1 < self.MAX_EXTENSIONS:
                nxt = deadline - 0.001
                checks.append(loop.call_at(nxt, self._extend_if_late, cm, nxt, checks, n + 1))

    async def run(self, coro: Any) -> Any:
        """Await a Redis operation within ``timeout_ms`` — measured by a responsive loop.

        Every Redis store on this driver makes its round trips through here; a failure
        of any kind raises ``StoreUnavailable``.

        Under a burst the event loop itself can lag past the deadline while Redis's
        answer already waits in the socket; a plain timeout then fails a call Redis
        answered in time. Just before the deadline a check runs: if it runs late (the
        loop lagged more than ``LATE_S``), the deadline moves to ``timeout_ms`` from
        now, at most ``MAX_EXTENSIONS`` times. With a responsive loop a Redis that does
        not answer fails the call at ``timeout_ms``; with a saturated one, within
        ``MAX_EXTENSIONS + 1`` times it plus the loop's lag.
        """
        loop = asyncio.get_running_loop()
        checks: list[asyncio.TimerHandle] = []
        try:
            async with asyncio.timeout(self.timeout) as cm:
                due = loop.time() + self.timeout - 0.001
                checks.append(loop.call_at(due, self._extend_if_late, cm, due, checks, 0))
                try:
                    return await coro
                finally:
                    for check in checks:
                        check.cancel()
        except (TimeoutError, RedisError, OSError) as e:
            if isinstance(e, RedisConnectionError):
                # The server went away (restart, failover): every idle pooled connection is as stale
                # as this one. Drop them, so this call fails alone instead of one call per connection.
                await self.forget_idle()
            raise StoreUnavailable(f"redis: {type(e).__name__}: {e}") from e


class RedisAdmission:
    """Rate limits, quotas and idempotency (``AdmissionStore``): one script per admission, one per settlement."""

    def __init__(self, driver: RedisDriver) -> None:
        self.driver = driver
        self._admit = driver.script(ADMIT)
        self._settle = driver.script(SETTLE)
        self._noidem = driver.prefix + "idem:-"

    def _placeholder(self, keys: list[str]) -> str:
        """The unused idempotency slot of a call without a key, in the same hash tag as its other keys."""
        for key in keys:
            end = key.find("}")
            if end > 0 and "{" in key[:end]:
                return key[: end + 1] + ":idem:-"
        return self._noidem

    async def admit(self, req: Admission) -> AdmitResult:
        idem = req.idem
        rest = [*(r.key for r in req.rates), *(q.key for q in req.quotas)]
        keys = [idem.key if idem else self._placeholder(rest), *rest]
        args: list[str | float | int] = [
            len(req.rates),
            len(req.quotas),
            idem.fingerprint if idem else "",
            idem.call_id if idem else "",
            int(idem.lease_s * 1000) if idem else 0,
            int(idem.ttl_s * 1000) if idem else 0,
        ]
        for r in req.rates:
            args += [repr(r.interval), repr(r.tau), repr(r.tokens)]
        for q in req.quotas:
            args += [repr(q.limit), repr(q.amount), q.ttl_s]
        out = await self.driver.run(self._admit(keys=keys, args=args))
        verdict: Verdict = _s(out[0])  # type: ignore[assignment]
        if verdict == "replay":
            try:
                headers = [(str(k), str(v)) for k, v in json.loads(out[2])]
                status = int(out[1])
            except (TypeError, ValueError) as e:  # written by something else: not replayed, not a 500
                raise StoreUnavailable("the stored answer of this idempotency key cannot be read") from e
            return AdmitResult("replay", response=StoredResponse(status, headers, bytes(out[3])))
        if verdict == "rate_limited":
            return AdmitResult(verdict, retry_after=float(out[1]), rule=req.rates[int(out[2]) - 1].name)
        if verdict == "quota_exhausted":
            return AdmitResult(verdict, rule=req.quotas[int(out[2]) - 1].name, spent=[float(x) for x in out[3:]])
        if verdict != "ok":
            return AdmitResult(verdict)
        nr = int(out[2])
        return AdmitResult(
            "ok",
            takeover=_s(out[1]) or None,
            remaining=[int(x) for x in out[3 : 3 + nr]],
            spent=[float(x) for x in out[3 + nr :]],
        )

    async def settle(self, s: Settlement) -> None:
        if s.idem_key is None:
            mode = "none"
        elif s.response is not None:
            mode = "store"
        else:
            mode = "release" if s.replayable else "unreplayable"
        resp = s.response
        rest = [k for k, _ in s.quotas]
        keys = [s.idem_key or self._placeholder(rest), *rest]
        args: list[str | bytes | int] = [
            mode,
            s.call_id,
            int(s.ttl_s * 1000),
            resp.status if resp else 0,
            json.dumps(resp.headers) if resp else "[]",
            resp.body if resp else b"",
            *(repr(d) for _, d in s.quotas),
        ]
        await self.driver.run(self._settle(keys=keys, args=args))


@dataclass(frozen=True, slots=True)
class StateLoss:
    """Redis lost state this gateway knew: what, how it was noticed, and what was put back."""

    store: str
    detected: str
    known: list[str]
    reasserted: list[str]


class RedisKillSwitch:
    """Kill switches in one Redis hash; ``match`` reads a local snapshot.

    The snapshot is refreshed on every change message (pub/sub) and by a poll every
    ``POLL_S`` in case a message was missed, so a change reaches every replica within
    a second. While Redis is unreachable the last snapshot stays in force.
    """

    POLL_S = 0.5

    def __init__(self, driver: RedisDriver, on_loss: Callable[[StateLoss], Awaitable[None]] | None = None) -> None:
        self.driver = driver
        self.key = driver.prefix + "killswitch"
        self.channel = driver.prefix + "killswitch:changed"
        self.epoch_key = driver.prefix + "killswitch:epoch"
        self.on_loss = on_loss
        self._entries: dict[str, KillSwitchEntry] = {}
        self._epoch: str | None = None  # the epoch this gateway last saw; None before the first read
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        # Local changes made: a snapshot read before one of them must not replace the entries
        # after it (an engage answered 200 would be undone on this replica until the next read).
        self._writes = 0

    async def start(self) -> None:
        try:
            await self.refresh()
        except StoreUnavailable as e:
            log.error("kill switches not loaded at start-up: %s", e)
        self._task = asyncio.create_task(self._follow(), name="killswitch-follow")

    async def close(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            # bounded: redis-py's pubsub read can swallow a cancellation; never hang shutdown on it
            await asyncio.wait({self._task}, timeout=2.0)

    @staticmethod
    def _parse(raw: dict[Any, Any]) -> dict[str, KillSwitchEntry]:
        """Each entry on its own: one that cannot be read counts as engaged for its scope
        (fail closed), and never keeps the other entries from being seen."""
        entries: dict[str, KillSwitchEntry] = {}
        for scope, value in raw.items():
            key = _s(scope)
            try:
                d = json.loads(value)
                entries[key] = KillSwitchEntry(d["scope"], d["reason"], d["operator"], float(d["since"]))
            except (ValueError, KeyError, TypeError):
                log.error("kill-switch entry %r cannot be read; treating its scope as engaged", key)
                entries[key] = KillSwitchEntry(
                    key, "kill-switch entry unreadable; treated as engaged", "(unknown)", 0.0
                )
        return entries

    async def refresh(self) -> None:
        """Reload the switches (one round trip), and notice when Redis lost them.

        The epoch key is written once and never changed or expired. Missing, or not
        the one this gateway saw, means Redis lost its data (restarted empty, FLUSHALL,
        failover to an empty replica) — and with it any engaged switch. Then this
        gateway re-asserts every switch it knew (``HSETNX``: a newer value wins) and
        reports the loss (``on_loss``: a ``state.lost`` record and a metric).
        """
        pipe = self.driver.redis.pipeline(transaction=False)
        pipe.get(self.epoch_key)
        pipe.hgetall(self.key)
        writes = self._writes
        epoch_raw, raw = await self.driver.run(pipe.execute())
        epoch = _s(epoch_raw) if epoch_raw is not None else None
        if epoch is not None and (self._epoch is None or epoch == self._epoch):
            self._epoch = epoch
            self._take(raw, writes)
            return
        await self._reassert(epoch)

    def _take(self, raw: dict[Any, Any], writes: int) -> None:
        """The snapshot ``raw``, read when ``writes`` local changes had been made, as the entries;
        if this replica changed a switch since, the snapshot may lack it: read again instead."""
        if writes == self._writes:
            self._entries = self._parse(raw)
        else:
            self._wake.set()  # the follower reads again (its own loop: no recursion, no wait)

    async def _reassert(self, found: str | None) -> None:
        known = dict(self._entries)
        lost = self._epoch is not None
        pipe = self.driver.redis.pipeline(transaction=True)
        for scope, entry in known.items():
            pipe.hsetnx(self.key, scope, json.dumps(entry.as_dict()))
        pipe.set(self.epoch_key, os.urandom(8).hex(), nx=True)
        pipe.get(self.epoch_key)
        pipe.hgetall(self.key)
        if known:
            pipe.publish(self.channel, "reasserted")
        writes = self._writes
        out = await self.driver.run(pipe.execute())
        reasserted = [scope for scope, done in zip(known, out[: len(known)], strict=True) if done]
        self._epoch = _s(out[len(known) + 1])
        self._take(out[len(known) + 2], writes)
        if not lost:
            return  # first sight of an empty store: nothing was known, nothing lost
        why = "epoch missing" if found is None else "epoch changed"
        await self.driver.forget_idle()  # a restarted server: the idle pooled connections are stale
        log.error("Redis lost the kill switches (%s); re-asserted %s", why, reasserted or "none")
        if self.on_loss is not None:
            await self.on_loss(StateLoss("killswitch", why, sorted(known), reasserted))

    async def _listen(self) -> None:
        """Wake the follower on every change message; returns when the connection breaks."""
        pubsub = self.driver.redis.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            while not self._stopping:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=self.POLL_S)
                if msg is not None:
                    self._wake.set()
        except (RedisError, OSError) as e:
            log.warning("kill-switch subscription lost (%s); polling until it is back", e)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _follow(self) -> None:
        listener: asyncio.Task[None] | None = None
        try:
            while True:
                if listener is None or listener.done():
                    listener = asyncio.create_task(self._listen(), name="killswitch-listen")
                try:
                    async with asyncio.timeout(self.POLL_S):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                self._wake.clear()
                try:
                    await self.refresh()
                except StoreUnavailable:
                    pass
                except Exception:  # a bad value in Redis must not end the follower
                    log.exception("kill-switch refresh failed")
        finally:
            if listener is not None:
                listener.cancel()
                await asyncio.wait({listener}, timeout=1.0)

    async def engage(self, scope: str, reason: str, operator: str) -> KillSwitchEntry:
        entry = KillSwitchEntry(validate_scope(scope), reason, operator, time.time())
        pipe = self.driver.redis.pipeline(transaction=True)
        pipe.hset(self.key, scope, json.dumps(entry.as_dict()))
        pipe.publish(self.channel, scope)
        self._writes += 1  # before the write: a snapshot read while it is in flight may predate it
        await self._write(pipe)
        self._entries = {**self._entries, scope: entry}
        return entry

    async def release(self, scope: str) -> KillSwitchEntry | None:
        validate_scope(scope)
        pipe = self.driver.redis.pipeline(transaction=True)
        pipe.hget(self.key, scope)
        pipe.hdel(self.key, scope)
        pipe.publish(self.channel, scope)
        self._writes += 1
        out = await self._write(pipe)
        self._entries = {k: v for k, v in self._entries.items() if k != scope}
        if not out[0]:
            return None
        return self._parse({scope: out[0]})[scope]  # an unreadable entry is released all the same

    async def _write(self, pipe: Any) -> list[Any]:
        try:
            out: list[Any] = await self.driver.run(pipe.execute())
        except StoreUnavailable as e:
            log.warning("kill-switch change not written: %s", e)
            raise Unavailable("the state store did not answer", code="store.unavailable") from e
        return out

    async def entries(self) -> list[KillSwitchEntry]:
        return sorted(self._entries.values(), key=lambda e: e.scope)

    def match(self, tenant: str | None, agent: str | None, tool: str) -> KillSwitchEntry | None:
        return match_entry(self._entries, tenant, agent, tool)


# KEYS: requests hash   ARGV: gid, server id (JSON), limit, ttl_ms
ADD_SERVER_REQUEST = """
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""

# KEYS: requests hash   ARGV: gid. HGET and HDEL in one step: one answer is delivered, on whichever worker.
TAKE_SERVER_REQUEST = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v then redis.call('HDEL', KEYS[1], ARGV[1]) end
return v
"""


def _fresh(listed: Any) -> bool:
    """A listed-tools entry (its expiry, Unix seconds) that has not expired. An entry that is
    not a number (written by something else) counts as not listed: the agent lists again."""
    if listed is None:
        return False
    try:
        return float(listed) > time.time()
    except (TypeError, ValueError):
        return False


HOLD_FIELDS = ("tool", "definition_hash", "reason")


def _hold(tool: str, raw: Any) -> dict[str, Any]:
    """A stored hold, checked: an unreadable one is ``StoreUnavailable`` (503, recorded), not a
    500 and not a lifted hold: a held tool stays uncallable until the entry is readable or
    approved anew."""
    try:
        doc = json.loads(raw)
    except (TypeError, ValueError) as e:
        raise StoreUnavailable(f"the hold of {tool!r} in the state store is not JSON") from e
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) for k in HOLD_FIELDS):
        raise StoreUnavailable(f"the hold of {tool!r} in the state store lacks {', '.join(HOLD_FIELDS)}")
    return doc


class RedisMcpState:
    """MCP sessions, pins, holds and per-session state in Redis (``McpStateStore``), shared by
    every worker and replica.

    A session is one key (``<prefix>mcp:session:<server>:<id>`` → owner, expiring
    ``ttl_s`` after binding); pins and holds are two hashes. A session's working state
    is two hashes under its tenant's hash tag (``<prefix>{t:<hash>}mcp:listed:<server>:<s>``:
    tool name → expiry, epoch seconds; ``…mcp:requests:<server>:<s>``: gateway id → the
    server's id, at most ``limit`` fields), each expiring ``ttl_s`` after its last write.
    Uses the driver's connection pool and timeout.
    """

    def __init__(self, driver: RedisDriver) -> None:
        self.driver = driver
        self.prefix = driver.prefix
        self._pins = self.prefix + "mcp:pins"
        self._holds = self.prefix + "mcp:holds"
        self._add_request = driver.script(ADD_SERVER_REQUEST)
        self._take_request = driver.script(TAKE_SERVER_REQUEST)

    def _session(self, server: str, session: str) -> str:
        return f"{self.prefix}mcp:session:{server}:{session}"

    async def bind_session(self, server: str, session: str, owner: str, ttl_s: float) -> None:
        await self.driver.run(self.driver.redis.set(self._session(server, session), owner, px=int(ttl_s * 1000)))

    async def session_owner(self, server: str, session: str) -> str | None:
        raw = await self.driver.run(self.driver.redis.get(self._session(server, session)))
        return raw.decode() if isinstance(raw, bytes) else None

    async def drop_session(self, server: str, session: str) -> None:
        await self.driver.run(self.driver.redis.delete(self._session(server, session)))

    async def pins(self) -> dict[str, str]:
        raw = await self.driver.run(self.driver.redis.hgetall(self._pins))
        return {k.decode(): v.decode() for k, v in raw.items()}

    async def set_pin(self, tool: str, digest: str) -> None:
        await self.driver.run(self.driver.redis.hset(self._pins, tool, digest))

    async def holds(self) -> dict[str, dict[str, Any]]:
        raw = await self.driver.run(self.driver.redis.hgetall(self._holds))
        return {k.decode(): _hold(k.decode(), v) for k, v in raw.items()}

    async def hold(self, tool: str) -> dict[str, Any] | None:
        raw = await self.driver.run(self.driver.redis.hget(self._holds, tool))
        return _hold(tool, raw) if raw is not None else None

    async def set_hold(self, tool: str, held: dict[str, Any] | None) -> None:
        if held is None:
            await self.driver.run(self.driver.redis.hdel(self._holds, tool))
        else:
            await self.driver.run(self.driver.redis.hset(self._holds, tool, json.dumps(held)))

    async def pin_states(self, tools: Sequence[str]) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        if not tools:
            return {}, {}
        pipe = self.driver.redis.pipeline(transaction=False)
        pipe.hmget(self._pins, list(tools))
        pipe.hmget(self._holds, list(tools))
        pins, holds = await self.driver.run(pipe.execute())
        return (
            {t: v.decode() for t, v in zip(tools, pins, strict=True) if v is not None},
            {t: _hold(t, v) for t, v in zip(tools, holds, strict=True) if v is not None},
        )

    async def update_pins(self, pins: dict[str, str], holds: dict[str, dict[str, Any] | None]) -> None:
        lifted = [t for t, held in holds.items() if held is None]
        kept = {t: json.dumps(held) for t, held in holds.items() if held is not None}
        if not (pins or lifted or kept):
            return
        pipe = self.driver.redis.pipeline(transaction=False)
        if pins:
            pipe.hset(self._pins, mapping=dict(pins.items()))
        if kept:
            pipe.hset(self._holds, mapping=dict(kept.items()))
        if lifted:
            pipe.hdel(self._holds, *lifted)
        await self.driver.run(pipe.execute())

    def _state(self, kind: str, tenant: str | None, server: str, session: str | None) -> str:
        from gateway.stages.admission import tenant_tag

        return f"{self.prefix}{tenant_tag(tenant)}mcp:{kind}:{server}:{'s=' + session if session is not None else '-'}"

    async def mark_listed(
        self, tenant: str | None, server: str, session: str | None, names: Sequence[str], ttl_s: float
    ) -> None:
        if not names:
            return
        key = self._state("listed", tenant, server, session)
        until = str(time.time() + ttl_s)
        pipe = self.driver.redis.pipeline(transaction=False)
        pipe.hset(key, mapping=dict.fromkeys(names, until))
        pipe.pexpire(key, int(ttl_s * 1000))
        await self.driver.run(pipe.execute())

    async def listed(self, tenant: str | None, server: str, session: str | None, name: str) -> bool:
        key = self._state("listed", tenant, server, session)
        return _fresh(await self.driver.run(self.driver.redis.hget(key, name)))

    async def call_state(
        self, tenant: str | None, server: str, session: str | None, name: str, tool: str
    ) -> tuple[str | None, bool, dict[str, Any] | None]:
        pipe = self.driver.redis.pipeline(transaction=False)
        if session is not None:
            pipe.get(self._session(server, session))
        pipe.hget(self._state("listed", tenant, server, session), name)
        pipe.hget(self._holds, tool)
        *owner, listed, hold = await self.driver.run(pipe.execute())
        return (
            _s(owner[0]) if owner and owner[0] is not None else None,
            _fresh(listed),
            _hold(tool, hold) if hold is not None else None,
        )

    async def forget_listed(self, tenant: str | None, server: str, session: str | None) -> None:
        await self.driver.run(self.driver.redis.delete(self._state("listed", tenant, server, session)))

    async def add_server_request(
        self, tenant: str | None, server: str, session: str | None, gid: str, server_id: str, limit: int, ttl_s: float
    ) -> bool:
        key = self._state("requests", tenant, server, session)
        added = await self.driver.run(self._add_request(keys=[key], args=[gid, server_id, limit, int(ttl_s * 1000)]))
        return bool(added)

    async def take_server_request(self, tenant: str | None, server: str, session: str | None, gid: str) -> str | None:
        key = self._state("requests", tenant, server, session)
        raw = await self.driver.run(self._take_request(keys=[key], args=[gid]))
        return _s(raw) if raw is not None else None

    async def forget_session(self, tenant: str | None, server: str, session: str | None) -> None:
        keys = [self._state(k, tenant, server, session) for k in ("listed", "requests")]
        await self.driver.run(self.driver.redis.delete(*keys))


# KEYS: run   ARGV: ttl_ms. One bulk string, fields and values joined by NUL (none contains
# one): a reply of ~500 elements costs redis-py's Python parser ~2-4 ms, one string ~0.2 ms.
RUN_LOAD = """
local f = redis.call('HGETALL', KEYS[1])
if #f == 0 then return '' end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return table.concat(f, '\\0')
"""

# KEYS: run   ARGV: ttl_ms, taints (0|1), max sources, max findings, max destinations,
# then the counts of source, finding and destination fields, then (field, value) pairs in that order.
RUN_OBSERVE = """
local k = KEYS[1]
if ARGV[2] == '1' then redis.call('HSET', k, 't', '1') end
local caps = {tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])}
local counts = {tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])}
local names = {'s', 'f', 'd'}
local a = 9
for g = 1, 3 do
  for i = 1, counts[g] do
    local f, v = ARGV[a], ARGV[a + 1]
    a = a + 2
    if redis.call('HEXISTS', k, f) == 1 then
      if g == 1 and v == 'untrusted' then redis.call('HSET', k, f, v) end
    else
      local n = tonumber(redis.call('HGET', k, '#' .. names[g]) or '0')
      if n >= caps[g] then
        redis.call('HSET', k, '!' .. names[g], '1')
      else
        redis.call('HSET', k, f, v, '#' .. names[g], tostring(n + 1))
      end
    end
  end
end
redis.call('PEXPIRE', k, ARGV[1])
return 1
"""


class RedisRuns:
    """Run state, one Redis hash per run (fields as in ``store/base.py``).

    ``load`` is one script call (HGETALL and a sliding expiry), ``observe`` another
    (merge within the bounds, atomically). Both raise ``StoreUnavailable`` past ``timeout_ms``.
    """

    def __init__(self, driver: RedisDriver) -> None:
        self.driver = driver
        self._load = driver.script(RUN_LOAD)
        self._observe = driver.script(RUN_OBSERVE)

    async def load(self, key: str, limits: RunLimits) -> RunState:
        raw = _s(await self.driver.run(self._load(keys=[key], args=[int(limits.ttl_s * 1000)])))
        parts = raw.split("\0") if raw else []
        return run_state_of(dict(zip(parts[0::2], parts[1::2], strict=False)))

    async def observe(self, key: str, obs: RunObservation, limits: RunLimits) -> None:
        sources, findings, dests = run_fields_of(obs)
        args: list[str | int] = [
            int(limits.ttl_s * 1000),
            1 if obs.taints else 0,
            limits.max_sources,
            limits.max_findings,
            limits.max_destinations,
            len(sources),
            len(findings),
            len(dests),
        ]
        for f, v in (*sources, *findings, *dests):
            args += [f, v]
        await self.driver.run(self._observe(keys=[key], args=args))

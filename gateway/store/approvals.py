"""Approval store: a held call waiting for people to approve exactly that call.

States and transitions (the only ones either implementation allows)::

    pending ──approve (N distinct approvers)──▶ granted ──consume (once)──▶ used
       │  └──deny──▶ denied                        │
       └──────────── expires_at passed ────────────┴──▶ expired

Every transition is one atomic step: a Lua script in Redis (replicas share it), a
method without an ``await`` between its reads and writes in memory. ``consume`` is
a compare-and-set from ``granted`` to ``used``: of any number of concurrent retries,
on any number of replicas, exactly one wins.

An ``Approval`` keeps its immutable part (``binding`` — what the retry must match —
and ``summary`` — what an approver is shown) apart from its mutable state, so the
scripts never rewrite the call's description. Time is the store's: Redis ``TIME``
for the Redis store, so replicas with skewed clocks agree on expiry.

Bounds: at most ``max_pending`` approvals wait at once (``create`` answers
``full`` past it); ``approvers_required`` is 1..10; listings return at most
``LIST_LIMIT``; ``expire_due`` handles at most ``limit`` per sweep; decided
approvals stay readable for ``retention_s`` and are then dropped.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from gateway.store.redis import RedisDriver

State = Literal["pending", "granted", "denied", "expired", "used"]
STATES: tuple[State, ...] = ("pending", "granted", "denied", "expired", "used")
DecideResult = Literal["ok", "unknown", "not_pending", "expired", "self", "duplicate"]
ConsumeResult = Literal["ok", "unknown", "not_granted", "expired"]
LIST_LIMIT = 500
MAX_APPROVERS = 10


def new_approval_id() -> str:
    return "apr_" + os.urandom(12).hex()


@dataclass(slots=True)
class Approver:
    name: str
    at: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "at": self.at, "reason": self.reason}


@dataclass(slots=True)
class Approval:
    id: str
    state: State
    created_at: float
    expires_at: float
    required: int
    binding: dict[str, Any]  # tenant, agent, on_behalf_of, tool, action, args_digest, policy_revision, idempotency_key
    summary: dict[str, Any]  # protocol, intent, args (as the log records them), findings, reasons, call_id
    approvers: list[Approver] = field(default_factory=list)
    denial: Approver | None = None
    decided_at: float | None = None
    used_at: float | None = None
    used_by: str | None = None

    @property
    def agent(self) -> str:
        return str(self.binding.get("agent"))

    @property
    def on_behalf_of(self) -> str | None:
        obo = self.binding.get("on_behalf_of")
        return obo if isinstance(obo, str) else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "approvals_required": self.required,
            "approvers": [a.as_dict() for a in self.approvers],
            "denial": self.denial.as_dict() if self.denial else None,
            "decided_at": self.decided_at,
            "used_at": self.used_at,
            "used_by": self.used_by,
            "binding": self.binding,
            "summary": self.summary,
        }


class ApprovalStore(Protocol):
    async def create(self, a: Approval, max_pending: int, retention_s: float) -> bool:
        """Store a new pending approval (its ``created_at``/``expires_at`` are rebased on the store's clock).
        False when ``max_pending`` approvals already wait."""

    async def get(self, approval_id: str) -> Approval | None:
        """The approval; a pending or granted one past its expiry reads as ``expired``."""

    async def decide(
        self, approval_id: str, approver: str, approve: bool, reason: str
    ) -> tuple[DecideResult, Approval | None]:
        """One approver's vote. ``self``: the approver is the agent or the principal it acts for."""

    async def consume(self, approval_id: str, call_id: str) -> tuple[ConsumeResult, Approval | None]:
        """granted → used, exactly once."""

    async def release(self, approval_id: str, call_id: str) -> Approval | None:
        """used → granted, only for the call that consumed it (it failed before reaching the upstream)."""

    async def expire_due(self, limit: int) -> list[Approval]:
        """Move pending/granted approvals past their expiry to ``expired``; return those this call moved."""

    async def query(self, state: State | None, limit: int) -> list[Approval]: ...

    async def pending_count(self) -> int: ...


def _approvers(raw: Any) -> list[Approver]:
    if not isinstance(raw, list):
        return []  # cjson writes an empty list as {}
    return [Approver(str(a["name"]), float(a["at"]), str(a.get("reason", ""))) for a in raw if isinstance(a, dict)]


def _from_fields(aid: str, f: dict[str, str]) -> Approval:
    doc = json.loads(f["doc"])
    denial_raw = json.loads(f["denial"]) if f.get("denial") else None
    state: State = f["state"]  # type: ignore[assignment]
    return Approval(
        id=aid,
        state=state,
        created_at=float(f["created"]),
        expires_at=float(f["expires"]),
        required=int(f["required"]),
        binding=doc["binding"],
        summary=doc["summary"],
        approvers=_approvers(json.loads(f.get("approvers") or "[]")),
        denial=_approvers([denial_raw])[0] if isinstance(denial_raw, dict) else None,
        decided_at=float(f["decided_at"]) if f.get("decided_at") else None,
        used_at=float(f["used_at"]) if f.get("used_at") else None,
        used_by=f.get("used_by") or None,
    )


def _effective(a: Approval, now: float) -> Approval:
    if a.state in ("pending", "granted") and now >= a.expires_at:
        a.state = "expired"
    return a


# ------------------------------------------------------------------------ memory


class MemoryApprovals:
    """One process. Decided approvals are dropped ``retention_s`` after expiry, and at most
    ``MAX_ITEMS`` are kept (the oldest decided ones go first)."""

    MAX_ITEMS = 100_000
    SWEEP_EVERY = 256

    def __init__(self) -> None:
        self._items: dict[str, tuple[Approval, float]] = {}  # id -> (approval, drop_at), oldest first
        self._pending: set[str] = set()  # ids in state pending (expired ones leave on the next sweep)
        self._granted: set[str] = set()  # ids in state granted, waiting for their retry
        self._creates = 0

    def _sweep(self, now: float) -> None:
        self._items = {k: v for k, v in self._items.items() if v[1] > now}
        self._pending = {k for k in self._pending if k in self._items and self._items[k][0].expires_at > now}
        self._granted = {k for k in self._granted if k in self._items}
        excess = len(self._items) - self.MAX_ITEMS
        if excess > 0:
            drop = [k for k, (a, _) in self._items.items() if a.state != "pending"][:excess]
            for k in drop:
                del self._items[k]

    async def create(self, a: Approval, max_pending: int, retention_s: float) -> bool:
        now = time.time()
        self._creates += 1
        if self._creates % self.SWEEP_EVERY == 0 or len(self._pending) >= max_pending:
            self._sweep(now)
        if len(self._pending) >= max_pending:
            return False
        ttl = a.expires_at - a.created_at
        a.created_at, a.expires_at = now, now + ttl
        self._items[a.id] = (a, a.expires_at + retention_s)
        self._pending.add(a.id)
        return True

    def _live(self, approval_id: str, now: float) -> Approval | None:
        item = self._items.get(approval_id)
        if item is None or item[1] <= now:
            return None
        return item[0]

    async def get(self, approval_id: str) -> Approval | None:
        now = time.time()
        a = self._live(approval_id, now)
        if a is None:
            return None
        return _effective(_copy(a), now)

    async def decide(
        self, approval_id: str, approver: str, approve: bool, reason: str
    ) -> tuple[DecideResult, Approval | None]:
        now = time.time()
        a = self._live(approval_id, now)
        if a is None:
            return "unknown", None
        if a.state != "pending":
            return "not_pending", _effective(_copy(a), now)
        if now >= a.expires_at:
            return "expired", _effective(_copy(a), now)
        if approver in (a.agent, a.on_behalf_of):
            return "self", _copy(a)
        if approve:
            if any(x.name == approver for x in a.approvers):
                return "duplicate", _copy(a)
            a.approvers.append(Approver(approver, now, reason))
            if len(a.approvers) >= a.required:
                a.state = "granted"
                a.decided_at = now
                self._pending.discard(a.id)
                self._granted.add(a.id)
        else:
            self._pending.discard(a.id)
            a.state = "denied"
            a.denial = Approver(approver, now, reason)
            a.decided_at = now
        return "ok", _copy(a)

    async def consume(self, approval_id: str, call_id: str) -> tuple[ConsumeResult, Approval | None]:
        now = time.time()
        a = self._live(approval_id, now)
        if a is None:
            return "unknown", None
        if a.state != "granted":
            return "not_granted", _effective(_copy(a), now)
        if now >= a.expires_at:
            return "expired", _effective(_copy(a), now)
        a.state = "used"
        a.used_at = now
        a.used_by = call_id
        self._granted.discard(a.id)
        return "ok", _copy(a)

    async def release(self, approval_id: str, call_id: str) -> Approval | None:
        now = time.time()
        a = self._live(approval_id, now)
        if a is None or a.state != "used" or a.used_by != call_id:
            return None
        a.state = "granted"
        a.used_at = a.used_by = None
        self._granted.add(a.id)
        return _copy(a)

    async def expire_due(self, limit: int) -> list[Approval]:
        now = time.time()
        out: list[Approval] = []
        for aid in [*self._pending, *self._granted]:  # bounded by max_pending + the granted ones
            if len(out) >= limit:
                break
            item = self._items.get(aid)
            if item is None:
                self._pending.discard(aid)
                self._granted.discard(aid)
                continue
            a = item[0]
            if a.state in ("pending", "granted") and now >= a.expires_at:
                a.state = "expired"
                a.decided_at = a.decided_at or now
                self._pending.discard(a.id)
                self._granted.discard(a.id)
                out.append(_copy(a))
        return out

    async def query(self, state: State | None, limit: int) -> list[Approval]:
        now = time.time()
        ids = list(self._pending) if state == "pending" else list(self._items)[-LIST_LIMIT * 4 :]
        found = [self._items[k] for k in ids if k in self._items]
        items = [_effective(_copy(a), now) for a, drop in found if drop > now]
        items = [a for a in items if state is None or a.state == state]
        items.sort(key=lambda a: a.created_at, reverse=True)
        return items[: min(limit, LIST_LIMIT)]

    async def pending_count(self) -> int:
        now = time.time()
        return sum(1 for k in self._pending if self._items[k][0].expires_at > now)


def _copy(a: Approval) -> Approval:
    return Approval(
        a.id,
        a.state,
        a.created_at,
        a.expires_at,
        a.required,
        a.binding,
        a.summary,
        list(a.approvers),
        a.denial,
        a.decided_at,
        a.used_at,
        a.used_by,
    )


# ------------------------------------------------------------------------- redis

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# KEYS: approval, pending index, all index   ARGV: id, doc, ttl_s, required, agent, obo, max_pending, retention_s
CREATE = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[7]) then return {'full'} end
local expires = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'state', 'pending', 'created', string.format('%.6f', now),
  'expires', string.format('%.6f', expires),
  'required', ARGV[4], 'agent', ARGV[5], 'obo', ARGV[6], 'approvers', '[]')
redis.call('PEXPIRE', KEYS[1], math.ceil((tonumber(ARGV[3]) + tonumber(ARGV[8])) * 1000))
redis.call('ZADD', KEYS[2], expires, ARGV[1])
redis.call('ZADD', KEYS[3], now, ARGV[1])
if redis.call('ZCARD', KEYS[3]) > 10000 then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -10001) end
return {'ok'}
"""
)

# KEYS: approval, pending index, granted index   ARGV: id, approver, approve(1|0), reason
DECIDE = (
    _NOW
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown'} end
local f = redis.call('HMGET', KEYS[1], 'state', 'expires', 'required', 'agent', 'obo', 'approvers')
if f[1] ~= 'pending' then return {'not_pending'} end
if now >= tonumber(f[2]) then return {'expired'} end
if ARGV[2] == f[4] or ARGV[2] == f[5] then return {'self'} end
local at = string.format('%.6f', now)
if ARGV[3] == '1' then
  local list = cjson.decode(f[6])
  for _, a in ipairs(list) do if a['name'] == ARGV[2] then return {'duplicate'} end end
  list[#list + 1] = {name = ARGV[2], at = now, reason = ARGV[4]}
  redis.call('HSET', KEYS[1], 'approvers', cjson.encode(list))
  if #list >= tonumber(f[3]) then
    redis.call('HSET', KEYS[1], 'state', 'granted', 'decided_at', at)
    redis.call('ZREM', KEYS[2], ARGV[1])
    redis.call('ZADD', KEYS[3], tonumber(f[2]), ARGV[1])
  end
else
  redis.call('HSET', KEYS[1], 'state', 'denied', 'decided_at', at,
    'denial', cjson.encode({name = ARGV[2], at = now, reason = ARGV[4]}))
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return {'ok'}
"""
)

# KEYS: approval, granted index   ARGV: id, call_id
CONSUME = (
    _NOW
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown'} end
local f = redis.call('HMGET', KEYS[1], 'state', 'expires')
if f[1] ~= 'granted' then return {'not_granted'} end
if now >= tonumber(f[2]) then return {'expired'} end
redis.call('HSET', KEYS[1], 'state', 'used', 'used_at', string.format('%.6f', now), 'used_by', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
return {'ok'}
"""
)

# KEYS: approval, granted index   ARGV: id, call_id
RELEASE = """
local f = redis.call('HMGET', KEYS[1], 'state', 'used_by', 'expires')
if f[1] ~= 'used' or f[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'granted')
redis.call('HDEL', KEYS[1], 'used_at', 'used_by')
redis.call('ZADD', KEYS[2], tonumber(f[3]), ARGV[1])
return 1
"""

# KEYS: pending index, key prefix of approvals (the id is appended), granted index   ARGV: limit
EXPIRE = (
    _NOW
    + """
local out = {}
local limit = tonumber(ARGV[1])
for idx = 1, 3, 2 do
  local want = (idx == 1) and 'pending' or 'granted'
  local ids = redis.call('ZRANGEBYSCORE', KEYS[idx], '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    local k = KEYS[2] .. id
    local f = redis.call('HMGET', k, 'state', 'expires')
    if f[1] ~= want then
      redis.call('ZREM', KEYS[idx], id)
    elseif #out < limit then
      redis.call('HSET', k, 'state', 'expired', 'decided_at', string.format('%.6f', now))
      redis.call('ZREM', KEYS[idx], id)
      out[#out + 1] = id
    end
  end
end
return out
"""
)


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


class RedisApprovals:
    """Approvals in Redis: one hash per approval plus two sorted-set indexes, every transition one script.

    Keys (under the store's prefix and the hash tag ``{approvals}``, so one Redis Cluster
    slot): ``approval:<id>``,
    ``{approvals}:index:pending`` (id → expiry), ``{approvals}:index:granted`` (granted, waiting for
    their retry, for the expiry sweep), ``{approvals}:index:all`` (id → creation, the newest
    10 000, for listings).
    """

    def __init__(self, driver: RedisDriver) -> None:
        self.driver = driver
        self.redis = driver.redis
        prefix = driver.prefix
        # One hash tag for every approval key: the scripts touch an approval and the indexes
        # together, so in a Redis Cluster they must share a slot. Approvals are few (at most
        # ``max_pending`` waiting), so one slot is no hot spot.
        self.prefix = prefix + "{approvals}:"
        # The indexes carry the tag too ("index:" is no approval id: ids are hex).
        self.k_pending = self.prefix + "index:pending"
        self.k_granted = self.prefix + "index:granted"
        self.k_all = self.prefix + "index:all"
        self._create = driver.script(CREATE)
        self._decide = driver.script(DECIDE)
        self._consume = driver.script(CONSUME)
        self._expire = driver.script(EXPIRE)
        self._release = driver.script(RELEASE)

    def key(self, approval_id: str) -> str:
        return f"{self.prefix}approval:{approval_id}"

    async def create(self, a: Approval, max_pending: int, retention_s: float) -> bool:
        doc = json.dumps({"binding": a.binding, "summary": a.summary})
        out = await self.driver.run(
            self._create(
                keys=[self.key(a.id), self.k_pending, self.k_all],
                args=[
                    a.id,
                    doc,
                    repr(a.expires_at - a.created_at),
                    a.required,
                    a.agent,
                    a.on_behalf_of or "",
                    max_pending,
                    repr(retention_s),
                ],
            )
        )
        return _s(out[0]) == "ok"

    async def _fetch(self, approval_id: str) -> Approval | None:
        raw = await self.driver.run(self.redis.hgetall(self.key(approval_id)))
        if not raw or b"doc" not in raw:
            return None
        fields = {_s(k): _s(v) for k, v in raw.items()}
        return _from_fields(approval_id, fields)

    async def _time(self) -> float:
        sec, usec = await self.driver.run(self.redis.time())
        return float(sec) + float(usec) / 1e6

    async def get(self, approval_id: str) -> Approval | None:
        a = await self._fetch(approval_id)
        return _effective(a, await self._time()) if a is not None else None

    async def decide(
        self, approval_id: str, approver: str, approve: bool, reason: str
    ) -> tuple[DecideResult, Approval | None]:
        out = await self.driver.run(
            self._decide(
                keys=[self.key(approval_id), self.k_pending, self.k_granted],
                args=[approval_id, approver, "1" if approve else "0", reason],
            )
        )
        result: DecideResult = _s(out[0])  # type: ignore[assignment]
        return result, await self.get(approval_id)

    async def consume(self, approval_id: str, call_id: str) -> tuple[ConsumeResult, Approval | None]:
        out = await self.driver.run(
            self._consume(keys=[self.key(approval_id), self.k_granted], args=[approval_id, call_id])
        )
        result: ConsumeResult = _s(out[0])  # type: ignore[assignment]
        return result, await self.get(approval_id)

    async def release(self, approval_id: str, call_id: str) -> Approval | None:
        done = await self.driver.run(
            self._release(keys=[self.key(approval_id), self.k_granted], args=[approval_id, call_id])
        )
        return await self.get(approval_id) if int(done) == 1 else None

    async def expire_due(self, limit: int) -> list[Approval]:
        out = await self.driver.run(
            self._expire(keys=[self.k_pending, self.prefix + "approval:", self.k_granted], args=[limit])
        )
        found = [await self._fetch(_s(i)) for i in out]
        return [a for a in found if a is not None]

    async def query(self, state: State | None, limit: int) -> list[Approval]:
        limit = min(limit, LIST_LIMIT)
        if state == "pending":
            ids = await self.driver.run(self.redis.zrange(self.k_pending, 0, LIST_LIMIT - 1))
        else:
            ids = await self.driver.run(self.redis.zrevrange(self.k_all, 0, LIST_LIMIT * 4 - 1))
        now = await self._time()
        out: list[Approval] = []
        for start in range(0, len(ids), 100):  # one round trip per 100 approvals
            chunk = [_s(i) for i in ids[start : start + 100]]
            pipe = self.redis.pipeline(transaction=False)
            for aid in chunk:
                pipe.hgetall(self.key(aid))
            rows = await self.driver.run(pipe.execute())
            for aid, raw in zip(chunk, rows, strict=True):
                if not raw or b"doc" not in raw:
                    continue
                a = _effective(_from_fields(aid, {_s(k): _s(v) for k, v in raw.items()}), now)
                if state is None or a.state == state:
                    out.append(a)
            if len(out) >= limit:
                break
        out.sort(key=lambda a: a.created_at, reverse=True)
        return out[:limit]

    async def pending_count(self) -> int:
        now = await self._time()
        n: int = await self.driver.run(self.redis.zcount(self.k_pending, now, "+inf"))
        return n

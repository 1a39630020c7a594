"""Admission and settlement: idempotency keys, rate limits and cost quotas.

Before the call, one store operation (one Redis round trip) looks up the
idempotency key, takes tokens from every rate bucket that applies and reserves the
call's maximum cost against every quota — all or nothing. After the call, one more
settles: the actual cost replaces the reservation (or the reservation is refunded
when the call failed), and the response is kept for replay under the key.

A replay never reaches the upstream: the stored response goes straight to the
adapter's ``emit`` with ``Idempotent-Replayed: true``; it is not charged and takes
no rate-limit tokens.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from gateway import jsondoc
from gateway.config import LimitsConfig, QuotaRule, RateRule
from gateway.errors import (
    BadRequest,
    Conflict,
    GatewayError,
    Reason,
    TooManyRequests,
    Unavailable,
    Unprocessable,
    UpstreamError,
)
from gateway.metrics import AGENT, Metrics
from gateway.model import CallContext, UpstreamResult
from gateway.stages.usage import UsageCache
from gateway.store.base import (
    Admission,
    AdmissionStore,
    IdemCheck,
    QuotaCheck,
    RateCheck,
    Settlement,
    StoredResponse,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from gateway.pipeline import Next
    from gateway.tools import Tool

log = logging.getLogger("callgate.admission")
MAX_KEY_LENGTH = 255
NO_TENANT = "(none)"


def digest(*parts: str | None) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


SHARED_TAG = "{shared}"
"""Hash tag of buckets shared by every tenant (rate rules keyed by neither tenant nor agent)."""


def tenant_tag(tenant: str | None) -> str:
    """The Redis Cluster hash tag of a tenant's keys: ``{t:<12 hex of its SHA-256>}``.

    Hashed, so a tenant name with braces cannot move its keys into another tenant's
    tag, and tenants spread evenly over the 16384 slots. Every key one call touches
    carries its tenant's tag (one slot, as a multi-key script needs), except buckets
    shared across tenants (``SHARED_TAG``).
    """
    return "{t:" + hashlib.sha256((tenant or NO_TENANT).encode()).hexdigest()[:12] + "}"


def fingerprint(ctx: CallContext) -> str:
    """Method, path, query and the canonical body (JSON re-serialised with sorted keys)."""
    call = ctx.call
    h = hashlib.sha256(f"{call.method}\n{call.path}\n{call.query}\n".encode())
    h.update(call.canonical_body())
    return h.hexdigest()


def may_have_executed(ctx: CallContext, err: BaseException) -> bool:
    """Whether a failed call may have reached the upstream and had its effect."""
    if not ctx.forwarded:
        return False
    return not (isinstance(err, UpstreamError) and err.code == "upstream.unreachable")


def window_bounds(window: str, now: float, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end of the calendar window containing ``now`` in ``tz``."""
    local = datetime.fromtimestamp(now, tz)
    if window == "hour":
        start = local.replace(minute=0, second=0, microsecond=0)
        return start, start + timedelta(hours=1)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if window == "day":
        return day, day + timedelta(days=1)  # wall-clock arithmetic: the next local midnight
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def policy_rule(ctx: CallContext) -> RateRule | None:
    """A tighter limit from the decision: ``rate_limit: {rate, burst, per?}`` (per agent and tool by default).

    It is one more bucket named ``policy``, so it can only narrow what the configured
    rules admit. A malformed one is a policy error (fail closed).
    """
    raw = ctx.decision.extra.get("rate_limit") if ctx.decision else None
    if raw is None:
        return None
    try:
        return RateRule.model_validate({"name": "policy", "per": ["agent", "tool"], **raw})
    except (ValidationError, TypeError) as e:
        raise Unavailable("the policy decision has a malformed rate_limit", code="policy.unavailable") from e


@dataclass(frozen=True, slots=True)
class _Dims:
    tenant: str | None
    agent: str
    tool: str

    def values(self, per: Sequence[str]) -> list[str | None]:
        return [getattr(self, p) for p in per]


class AdmissionStage:
    name = "admission"

    def __init__(
        self, store: AdmissionStore, limits: LimitsConfig, metrics: Metrics, prefix: str, usage: UsageCache
    ) -> None:
        self.store = store
        self.usage = usage
        self.limits = limits
        self.metrics = metrics
        self.prefix = prefix
        self.tz = ZoneInfo(limits.timezone)
        self.idem = limits.idempotency
        self.keep_headers = frozenset(h.lower() for h in self.idem.headers)
        self.latency = metrics.stage("admission")
        self.settle_latency = metrics.stage("settle")
        self._high_water: dict[tuple[str, str], tuple[str, float]] = {}  # bounded: quota names x labels
        self._rules: dict[str, list[RateRule]] = {}
        if limits.fail_open:
            metrics.fail_open.labels("rate_limit").set(1)

    def rules_for(self, tool: str) -> list[RateRule]:
        rules = self._rules.get(tool)
        if rules is None:
            rules = [r for r in self.limits.rate if any(fnmatch.fnmatchcase(tool, g) for g in r.tools)]
            self._rules[tool] = rules
        return rules

    def call_cost(self, ctx: CallContext, tool: Tool) -> tuple[float, float]:
        """(known cost, amount to reserve): the reservation is the per-call maximum when the upstream reports."""
        cfg = tool.config
        decided = ctx.decision.cost if ctx.decision else None
        cost = decided if decided is not None else cfg.cost
        if cfg.max_cost is not None:
            cost = min(cost, cfg.max_cost)
        reports = cfg.cost_header is not None or cfg.cost_field is not None
        reserve = cfg.max_cost if reports and cfg.max_cost is not None else cost
        return cost, reserve

    def actual_cost(self, up: UpstreamResult, tool: Tool, known: float, reserved: float) -> float:
        cfg = tool.config
        reported: Any = None
        if cfg.cost_header is not None:
            name = cfg.cost_header.lower()
            reported = next((v for k, v in up.headers if k.lower() == name), None)
        if reported is None and cfg.cost_field is not None and up.body is not None:
            try:
                doc = jsondoc.loads(up.body)
            except (ValueError, UnicodeDecodeError):
                doc = None
            if isinstance(doc, dict):
                reported = doc.get(cfg.cost_field)
        if reported is None:
            return min(known, reserved)
        try:
            value = float(reported)
        except (TypeError, ValueError):
            return reserved  # unreadable report: charge the maximum
        if not math.isfinite(value) or value < 0:
            return reserved
        return min(value, reserved)

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        tool = ctx.need_tool()
        agent = ctx.need_agent()
        key = ctx.call.idempotency_key
        if key is None and tool.effect in self.idem.require_for:
            raise BadRequest(
                f"tool {tool.name!r} ({tool.effect}) needs an Idempotency-Key header",
                code="idempotency.key_required",
            )
        if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH):
            raise BadRequest(f"an Idempotency-Key has 1 to {MAX_KEY_LENGTH} characters", code="idempotency.key_invalid")
        rules = self.rules_for(tool.name)
        tightened = policy_rule(ctx)
        if tightened is not None:
            rules = [*rules, tightened]
        if not rules and not self.limits.quotas and key is None:
            await nxt(ctx)  # nothing to admit: no keys to make, no store call
            return
        dims = _Dims(agent.tenant, agent.id, tool.name)
        ttag = tenant_tag(agent.tenant)
        known, reserve = self.call_cost(ctx, tool)
        rates = [
            RateCheck(
                r.name,
                f"{self.prefix}{ttag if ('tenant' in r.per or 'agent' in r.per) else SHARED_TAG}:"
                f"rate:{r.name}:{digest(*dims.values(r.per))}",
                1.0 / r.rate,
                r.burst / r.rate,
                reserve if r.cost_weighted else 1.0,
            )
            for r in rules
        ]
        now = time.time()
        quota_rules: list[tuple[QuotaRule, datetime]] = []
        quotas: list[QuotaCheck] = []
        for q in self.limits.quotas:
            # Calls without a tenant share one budget per tenant rule rather than escaping it.
            subject = (agent.tenant or NO_TENANT) if q.per == "tenant" else agent.id
            start, end = window_bounds(q.window, now, self.tz)
            quota_rules.append((q, end))
            quotas.append(
                QuotaCheck(
                    q.name,
                    f"{self.prefix}{ttag}:quota:{q.name}:{start.isoformat()}:{digest(subject)}",
                    q.limit,
                    reserve,
                    int(end.timestamp() - now) + 3600,
                )
            )
        idem = (
            IdemCheck(
                f"{self.prefix}{ttag}:idem:{digest(agent.tenant, agent.id, tool.name, key)}",
                fingerprint(ctx),
                ctx.call.call_id,
                self.idem.lease_s,
                max(self.idem.ttl_s, self.idem.lease_s),
            )
            if key is not None
            else None
        )
        t0 = time.perf_counter()
        try:
            res = await self.store.admit(Admission(rates, quotas, idem))
        except StoreUnavailable as e:
            self.metrics.store_errors.labels("admit").inc()
            log.warning("admission of call %s: %s", ctx.call.call_id, e)
            if self.limits.fail_open and not quotas and idem is None:
                ctx.fail_open.append("rate_limit")
                self.metrics.fail_open_calls.labels("rate_limit").inc()
                await nxt(ctx)
                return
            raise Unavailable("the state store did not answer", code="store.unavailable") from e
        finally:
            dt = time.perf_counter() - t0
            ctx.timings["admission"] = dt
            self.latency.observe(dt)
        ctx.usage = self._usage(res.remaining, res.spent, rules, quota_rules, agent.tenant, agent.id)
        if res.verdict == "ok":
            self.usage.put(agent.id, tool.name, ctx.usage)
        if key is not None:
            ctx.idempotency = {"key": key, "takeover_of": res.takeover}
        match res.verdict:
            case "replay":
                if res.response is None:
                    raise GatewayError("the store answered a replay without a response")
                await self._replay(ctx, res.response)
                return
            case "mismatch":
                raise Unprocessable(
                    "this Idempotency-Key was used with a different request", code="idempotency.key_mismatch"
                )
            case "in_flight":
                raise Conflict(
                    "a call with this Idempotency-Key is still in flight; retry later", code="idempotency.in_flight"
                )
            case "not_replayable":
                raise Conflict(
                    "the call with this Idempotency-Key finished but its response was not kept",
                    code="idempotency.not_replayable",
                )
            case "rate_limited":
                raise self._rate_limited(res.rule, res.retry_after, rules)
            case "quota_exhausted":
                raise self._quota_exhausted(res.rule, quota_rules, now)
        await self._run(ctx, nxt, tool, known, reserve, quotas, idem)

    async def _run(
        self,
        ctx: CallContext,
        nxt: Next,
        tool: Tool,
        known: float,
        reserve: float,
        quotas: list[QuotaCheck],
        idem: IdemCheck | None,
    ) -> None:
        settlement = Settlement(
            [(q.key, -reserve) for q in quotas],
            idem.key if idem else None,
            call_id=ctx.call.call_id,
            ttl_s=self.idem.ttl_s,
        )
        try:
            await nxt(ctx)
        except BaseException as e:
            ctx.usage["charged"] = 0.0
            if may_have_executed(ctx, e):
                # The upstream may have acted (a timeout, a body cut short, an output blocked after
                # the tool ran): keep the key finished but not replayable, so a retry gets 409
                # instead of a silent second execution. Only a refused connection proves it did not.
                settlement.replayable = False
            await self._settle(ctx, settlement)  # refund; release the key unless the call may have run
            raise
        up = ctx.upstream
        charged = self.actual_cost(up, tool, known, reserve) if up is not None else 0.0
        settlement.quotas = [(q.key, charged - reserve) for q in quotas]
        ctx.usage["charged"] = charged
        if idem is not None and up is not None:
            if up.body is not None and len(up.body) <= self.idem.max_body:
                headers = [(k, v) for k, v in up.headers if k.lower() in self.keep_headers]
                settlement.response = StoredResponse(up.status, headers, up.body)
            else:
                settlement.replayable = False
        await self._settle(ctx, settlement)
        for q, s in zip(quotas, ctx.usage.get("quota", {}).values(), strict=False):
            s["spent"] = round(s["spent"] + charged - reserve, 9)
            self._quota_gauge(q.name, s["per"], q.limit, s["subject"], s["spent"], s["reset"])

    async def _settle(self, ctx: CallContext, s: Settlement) -> None:
        if s.idem_key is None and all(delta == 0 for _, delta in s.quotas):
            return  # charged exactly what was reserved, no key: nothing to settle, no round trip
        t0 = time.perf_counter()
        try:
            await self.store.settle(s)
        except StoreUnavailable as e:
            # The answer may already be on its way; the reservation stays charged (never
            # overspent) and the key's lease runs out. The record says so.
            self.metrics.store_errors.labels("settle").inc()
            ctx.usage["settled"] = False
            log.error("settlement of call %s failed: %s", ctx.call.call_id, e)
        finally:
            dt = time.perf_counter() - t0
            ctx.timings["settle"] = dt
            self.settle_latency.observe(dt)

    async def _replay(self, ctx: CallContext, stored: StoredResponse) -> None:
        from gateway.pipeline import emit

        ctx.replay = True
        self.metrics.idempotent_replays.inc()
        headers = [*stored.headers, ("Idempotent-Replayed", "true")]
        ctx.upstream = UpstreamResult(stored.status, headers, body=stored.body, bytes_sent=len(stored.body))
        await emit(ctx)

    def _usage(
        self,
        remaining: list[int] | None,
        spent: list[float] | None,
        rules: list[RateRule],
        quota_rules: list[tuple[QuotaRule, datetime]],
        tenant: str | None,
        agent: str,
    ) -> dict[str, Any]:
        usage: dict[str, Any] = {}
        if remaining is not None and rules:
            usage["rate"] = {
                r.name: {"remaining": left, "burst": r.burst, "rate": r.rate}
                for r, left in zip(rules, remaining, strict=False)
            }
        if spent is not None and quota_rules:
            quota: dict[str, Any] = {}
            for (q, end), s in zip(quota_rules, spent, strict=False):
                subject = (tenant or NO_TENANT) if q.per == "tenant" else agent
                quota[q.name] = {
                    "per": q.per,
                    "subject": subject,
                    "window": q.window,
                    "spent": s,
                    "limit": q.limit,
                    "reset": end.isoformat(),
                }
                self._quota_gauge(q.name, q.per, q.limit, subject, s, quota[q.name]["reset"])
            usage["quota"] = quota
        return usage

    def _quota_gauge(self, name: str, per: str, limit: float, subject: str, spent: float, reset: str) -> None:
        """Quota gauges under labels from configuration only (``gateway/metrics.py``): a configured
        tenant gets its own value; agents and other tenants share ``(agent)``/``(other)``, whose
        value is the highest spend seen since the window opened (per-agent figures are in the record)."""
        label = self.metrics.names.tenant(subject) if per == "tenant" else AGENT
        if label != subject:
            seen = self._high_water.get((name, label))
            if seen is not None and seen[0] == reset and seen[1] >= spent:
                spent = seen[1]
            self._high_water[(name, label)] = (reset, spent)
        self.metrics.quota_spent.labels(name, label).set(spent)
        self.metrics.quota_limit.labels(name, label).set(limit)

    def _rate_limited(self, name: str | None, retry_after: float, rules: list[RateRule]) -> TooManyRequests:
        rule = next(r for r in rules if r.name == name)
        self.metrics.rate_limited.labels(rule.name).inc()
        wait = max(1, math.ceil(retry_after))
        window = max(1, math.ceil(rule.burst / rule.rate))
        msg = f"rate limit {rule.name!r} reached; retry in {wait}s"
        return TooManyRequests(
            msg,
            code="rate.limited",
            reasons=[Reason.of("rate.limited", msg) | {"rule": rule.name}],
            headers={
                "Retry-After": str(wait),
                "RateLimit-Policy": f'"{rule.name}";q={rule.burst};w={window}',
                "RateLimit": f'"{rule.name}";r=0;t={wait}',
            },
            extra={"retry_after": wait},
        )

    def _quota_exhausted(
        self, name: str | None, quota_rules: list[tuple[QuotaRule, datetime]], now: float
    ) -> TooManyRequests:
        rule, end = next((q, e) for q, e in quota_rules if q.name == name)
        self.metrics.quota_exhausted.labels(rule.name).inc()
        wait = max(1, math.ceil(end.timestamp() - now))
        msg = f"quota {rule.name!r} ({rule.limit:g} per {rule.window}) is exhausted until {end.isoformat()}"
        return TooManyRequests(
            msg,
            code="quota.exhausted",
            reasons=[Reason.of("quota.exhausted", msg) | {"rule": rule.name, "reset": end.isoformat()}],
            headers={"Retry-After": str(wait)},
            extra={"reset": end.isoformat(), "retry_after": wait},
        )

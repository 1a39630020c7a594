"""Prometheus metrics, one registry per gateway instance.

Every metric the alerts and dashboards in ``deploy/`` use is defined here, so the
names are in one place. Label sets are kept small (tool, decision, code, stage,
scope) to bound cardinality.

**Label policy.** Label values come only from configuration and from the gateway's
own constants, never from what an agent sends: ``MetricLabels`` maps a tool name that
is not a configured tool to ``(other)`` (an MCP tool to ``<server>.*``), a tenant that
is not in the agent registry to ``(other)``, and every agent to ``(agent)``. Per-agent
figures belong in the decision record, not in series.

**Per-call figures are kept in plain numbers and published when collected.** A call made
~15 metric updates (ten stage-latency observations, the call counter, the decision
log's batch size, record counts and queue depth), each taking one or two of
``prometheus_client``'s locks: tens of microseconds of a call that costs about a
millisecond. ``Metrics.pending_histogram`` / ``pending_counter`` hand out
``PendingHistogram`` / ``PendingCounter`` children that add to lists and floats;
``Metrics.flush`` adds what they hold to the real series, first thing whenever the
registry is collected (``/metrics``, ``get_sample_value``: a collector registered before
every metric). The exposed names, labels, buckets and values are the same. With several
workers (``PROMETHEUS_MULTIPROC_DIR``), any worker's scrape reads every worker's files
and must see all their calls at once, so there the children are the series' own and
each update is written as it happens, as before.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Sequence
from fnmatch import fnmatchcase
from typing import Literal, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric

from gateway import looplag

OTHER = "(other)"
UNKNOWN = "(unknown)"
AGENT = "(agent)"

Mode = Literal["all", "liveall", "min", "livemin", "max", "livemax", "sum", "livesum", "mostrecent", "livemostrecent"]
"""How a gauge combines over worker processes (``prometheus_client``'s ``multiprocess_mode``)."""


class MetricLabels:
    """Maps names from calls to label values drawn from configuration only."""

    def __init__(self, tools: Iterable[str] = (), mcp_servers: Iterable[str] = (), tenants: Iterable[str] = ()) -> None:
        self.tools = frozenset(tools)
        self.mcp_servers = frozenset(mcp_servers)
        self.tenants = frozenset(tenants)

    def tool(self, name: str | None) -> str:
        if name is None:
            return UNKNOWN
        if name in self.tools or name in self.mcp_servers:  # an MCP server's own operations (issue 9)
            return name
        server, dot, _ = name.partition(".")
        if dot and server in self.mcp_servers:
            return f"{server}.*"  # MCP tool names come from the server, not from configuration
        return OTHER

    def tenant(self, tenant: str | None) -> str:
        return tenant if tenant is not None and tenant in self.tenants else OTHER

    def scope(self, scope: str) -> str:
        """A kill-switch scope: ``global``, ``tool:<configured>``, ``tenant:<configured>``; others collapse."""
        kind, _, value = scope.partition(":")
        if kind == "tool":
            known = value in self.tools or value in self.mcp_servers or any(fnmatchcase(t, value) for t in self.tools)
            return scope if known else "tool:" + OTHER
        if kind == "tenant":
            return "tenant:" + self.tenant(value)
        if kind == "agent":
            return "agent:" + AGENT
        return scope


LATENCY_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


class Observes(Protocol):
    def observe(self, amount: float) -> None: ...


class Counts(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class PendingHistogram:
    """One child of a ``Histogram``, observed in plain numbers until ``flush``.

    ``observe`` puts a value in the bucket ``Histogram.observe`` would (the first upper
    bound it does not exceed, ``+Inf`` last) and adds it to the sum; ``flush`` adds the
    counts to the child's bucket values and the sum to its sum (``prometheus_client``
    keeps buckets non-cumulative and sums them when collected).
    """

    __slots__ = ("_bounds", "_child", "_counts", "_dirty", "_sum")

    def __init__(self, child: Histogram) -> None:
        self._child = child
        self._bounds: list[float] = list(child._upper_bounds)
        self._counts = [0] * len(self._bounds)
        self._sum = 0.0
        self._dirty = False

    def observe(self, amount: float) -> None:
        self._counts[bisect_left(self._bounds, amount)] += 1
        self._sum += amount
        self._dirty = True

    def flush(self) -> None:
        if not self._dirty:
            return
        counts, total = self._counts, self._sum
        self._counts, self._sum, self._dirty = [0] * len(self._bounds), 0.0, False
        buckets = self._child._buckets
        for i, n in enumerate(counts):
            if n:
                buckets[i].inc(n)
        self._child._sum.inc(total)


class PendingCounter:
    """One child of a ``Counter``, counted in a plain number until ``flush``."""

    __slots__ = ("_child", "n")

    def __init__(self, child: Counter) -> None:
        self._child = child
        self.n = 0.0

    def inc(self, amount: float = 1) -> None:
        self.n += amount

    def flush(self) -> None:
        if self.n:
            n, self.n = self.n, 0.0
            self._child.inc(n)


class _FlushFirst:
    """A collector with no metrics of its own: collecting the registry flushes the pending
    figures first (it is registered before every metric, and a registry collects in order)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        self._metrics.flush()
        return iter(())


# Gauges say how several worker processes combine (``serve --workers``): state shared by all
# workers (kill switches, quotas, revision) is the live maximum, queue depth the live sum,
# readiness the live minimum.


class Metrics:
    def __init__(
        self,
        namespace: str = "callgate",
        registry: CollectorRegistry | None = None,
        labels: MetricLabels | None = None,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self.names = labels if labels is not None else MetricLabels()
        self._ks_labels: set[str] = set()
        # one process: per-call figures batched until collected; several workers: written at once
        self.batched = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self._pending: list[PendingHistogram | PendingCounter] = []
        # by id() of the child, which each entry holds (so the id cannot be reused while it is here)
        self._pending_hist: dict[int, PendingHistogram] = {}
        self._pending_ctr: dict[int, PendingCounter] = {}
        self.registry.register(_FlushFirst(self))
        ns, r = namespace, self.registry

        # One constructor per kind, bound to this gateway's namespace and registry.
        def counter(name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
            return Counter(name, doc, labels, namespace=ns, registry=r)

        def gauge(name: str, doc: str, labels: Sequence[str] = (), *, multiprocess_mode: Mode = "all") -> Gauge:
            return Gauge(name, doc, labels, namespace=ns, registry=r, multiprocess_mode=multiprocess_mode)

        def histogram(
            name: str, doc: str, labels: Sequence[str] = (), *, buckets: Sequence[float] = Histogram.DEFAULT_BUCKETS
        ) -> Histogram:
            return Histogram(name, doc, labels, namespace=ns, registry=r, buckets=buckets)

        self.calls = counter("calls", "Tool calls by tool, decision and code", ["tool", "decision", "code"])
        self.stage_latency = histogram(
            "stage_latency_seconds", "Latency per pipeline stage", ["stage"], buckets=LATENCY_BUCKETS
        )
        self.policy_errors = counter("policy_errors", "Policy evaluations that failed")
        self.policy_revision = gauge(
            "policy_revision_info",
            "Loaded policy revision (value is always 1)",
            ["revision"],
            multiprocess_mode="livemax",
        )
        self.policy_reloads = counter("policy_reloads", "Policy hot reloads by result (success, failure)", ["result"])
        self.killswitch_engaged = gauge(
            "killswitch_engaged",
            "Engaged kill switches, per scope label (agents and unconfigured names collapse)",
            ["scope"],
            multiprocess_mode="livemax",
        )
        self.log_write_errors = counter("decision_log_write_errors", "Decision log writes that failed")
        self.log_queue_depth = gauge(
            "decision_log_queue_depth", "Records waiting to be written", multiprocess_mode="livesum"
        )
        self.log_records = counter("decision_log_records", "Records written, by kind", ["kind"])
        self.log_records_bounded = counter(
            "decision_log_records_bounded",
            "Records escaped or trimmed before writing, by cause (too_large, or the encoding error)",
            ["cause"],
        )
        self.state_lost = counter(
            "state_lost",
            "Times the state store was found to have lost state this gateway knew (re-asserted), by store",
            ["store"],
        )
        self.log_batch_size = histogram(
            "decision_log_batch_size", "Records per group commit", buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
        )
        self.fail_open = gauge(
            "fail_open", "1 where a check is configured to fail open", ["check"], multiprocess_mode="livemax"
        )
        self.fail_open_calls = counter(
            "fail_open_calls", "Calls let through because a fail-open check could not run", ["check"]
        )
        self.shadow_mode = gauge(
            "shadow_mode",
            "1 where a check records denials without enforcing them",
            ["check"],
            multiprocess_mode="livemax",
        )
        self.shadow_denials = counter(
            "shadow_denials", "Calls a check in shadow mode would have denied", ["check", "code"]
        )
        self.upstream_errors = counter("upstream_errors", "Upstream failures by tool and code", ["tool", "code"])
        self.rate_limited = counter("rate_limited", "Calls refused by a rate-limit rule", ["rule"])
        self.quota_exhausted = counter("quota_exhausted", "Calls refused by an exhausted quota", ["quota"])
        self.quota_spent = gauge(
            "quota_spent",
            "Cost units spent in the current window: per configured tenant, else the highest seen "
            "for (other)/(agent) since the window opened",
            ["quota", "subject"],
            multiprocess_mode="livemax",
        )
        self.quota_limit = gauge(
            "quota_limit", "Cost units allowed per window", ["quota", "subject"], multiprocess_mode="livemax"
        )
        self.idempotent_replays = counter("idempotent_replays", "Calls answered from a stored idempotent response")
        self.store_errors = counter("store_errors", "State-store operations that failed or timed out", ["op"])
        # MCP mediator (issue 9)
        self.mcp_dropped = counter(
            "mcp_dropped_messages",
            "MCP messages the mediator dropped: answers to nothing outstanding, unknown notifications, invalid",
            ["direction", "reason"],
        )
        self.credential_scrubs = counter(
            "credential_scrubs",
            "Occurrences of an injected credential scrubbed from tool answers, by where (header, body)",
            ["where"],
        )
        self.slow_clients = counter(
            "slow_clients",
            "Connections closed for incomplete headers, and calls refused for a late body, by phase",
            ["phase"],
        )
        self.ready = gauge("ready", "1 when the gateway is ready to serve", multiprocess_mode="livemin")
        self.loop_lag = histogram(
            "event_loop_lag_seconds",
            "How much later than asked the event loop ran a 20 ms timer (the loop held by other work)",
            buckets=looplag.BUCKETS,
        )
        # stdio MCP servers (gateway/mcp/stdio): label `server` is a configured name, so bounded
        self.stdio_starts = counter("stdio_starts", "stdio MCP server child processes started", ["server"])
        self.stdio_ready = gauge(
            "stdio_ready",
            "1 while a worker's stdio MCP server child is initialized (summed over workers)",
            ["server"],
            multiprocess_mode="livesum",
        )
        self.stdio_dropped = counter(
            "stdio_dropped", "Lines and messages a stdio MCP server's bridge dropped, by reason", ["server", "reason"]
        )
        self.stdio_refused = counter(
            "stdio_bridge_refused", "Requests to the stdio bridge without the gateway's secret", ["server"]
        )
        # ---- approvals (labels only from APPROVAL_OUTCOMES / DECISION_OUTCOMES: bounded)
        self.approvals_pending = gauge(
            "approvals_pending",
            "Approvals waiting for a decision (as the state store last reported)",
            multiprocess_mode="livemax",
        )
        self.approval_outcomes = counter(
            "approval_outcomes",
            "Approval events: requested, granted, denied, expired, used, mismatch, refused",
            ["outcome"],
        )
        self.approval_decision_seconds = histogram(
            "approval_decision_seconds",
            "From request to grant or denial",
            ["outcome"],
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 14400, 86400),
        )
        self.approval_notify = counter(
            "approval_notifications", "Webhook notifications by result (sent, failed, dropped)", ["result"]
        )
        self.console_events_dropped = counter(
            "console_events_dropped", "Live-stream events dropped for slow console subscribers"
        )
        for outcome in APPROVAL_OUTCOMES:
            self.approval_outcomes.labels(outcome)
        for result in ("sent", "failed", "dropped"):
            self.approval_notify.labels(result)

    def pending_histogram(self, child: Histogram) -> Observes:
        """``child`` (a labelled ``Histogram``) observed through ``PendingHistogram``, one per
        child; with several workers, ``child`` itself (see the module docstring)."""
        if not self.batched:
            return child
        got = self._pending_hist.get(id(child))
        if got is None:
            got = self._pending_hist[id(child)] = PendingHistogram(child)
            self._pending.append(got)
        return got

    def pending_counter(self, child: Counter) -> Counts:
        """``child`` (a labelled ``Counter``) counted through ``PendingCounter``, one per child;
        with several workers, ``child`` itself."""
        if not self.batched:
            return child
        got = self._pending_ctr.get(id(child))
        if got is None:
            got = self._pending_ctr[id(child)] = PendingCounter(child)
            self._pending.append(got)
        return got

    def stage(self, name: str) -> Observes:
        """The ``stage_latency_seconds`` child of stage ``name`` (batched, see the module docstring)."""
        return self.pending_histogram(self.stage_latency.labels(name))

    def flush(self) -> None:
        """Add every pending figure to its series (see the module docstring)."""
        for p in self._pending:
            p.flush()

    def set_killswitches(self, scopes: Iterable[str]) -> None:
        """``killswitch_engaged`` from the engaged scopes: a count per scope label, stale labels to 0."""
        counts = Tally(self.names.scope(s) for s in scopes)
        for label in self._ks_labels | counts.keys():
            self.killswitch_engaged.labels(label).set(counts.get(label, 0))
        self._ks_labels |= counts.keys()


APPROVAL_OUTCOMES = ("requested", "granted", "denied", "expired", "used", "mismatch", "refused")

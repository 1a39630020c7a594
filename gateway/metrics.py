"""Prometheus metrics, one registry per gateway instance.

Every metric the alerts and dashboards in ``deploy/`` use is defined here, so the
names are in one place. Label sets are kept small (tool, decision, code, stage,
scope) to bound cardinality.

**Label policy.** Label values come only from configuration and from the gateway's
own constants, never from what an agent sends: ``MetricLabels`` maps a tool name that
is not a configured tool to ``(other)`` (an MCP tool to ``<server>.*``), a tenant that
is not in the agent registry to ``(other)``, and every agent to ``(agent)``. Per-agent
figures belong in the decision record, not in series.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from fnmatch import fnmatchcase

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

OTHER = "(other)"
UNKNOWN = "(unknown)"
AGENT = "(agent)"


class MetricLabels:
    """Maps names from calls to label values drawn from configuration only."""

    def __init__(self, tools: Iterable[str] = (), mcp_servers: Iterable[str] = (), tenants: Iterable[str] = ()) -> None:
        self.tools = frozenset(tools)
        self.mcp_servers = frozenset(mcp_servers)
        self.tenants = frozenset(tenants)

    def tool(self, name: str | None) -> str:
        if name is None:
            return UNKNOWN
        if name in self.tools:
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
        ns, r = namespace, self.registry
        self.calls = Counter(
            "calls", "Tool calls by tool, decision and code", ["tool", "decision", "code"], namespace=ns, registry=r
        )
        self.stage_latency = Histogram(
            "stage_latency_seconds",
            "Latency per pipeline stage",
            ["stage"],
            namespace=ns,
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        self.policy_errors = Counter("policy_errors", "Policy evaluations that failed", namespace=ns, registry=r)
        self.policy_revision = Gauge(
            "policy_revision_info",
            "Loaded policy revision (value is always 1)",
            ["revision"],
            namespace=ns,
            registry=r,
            multiprocess_mode="livemax",
        )
        self.policy_reloads = Counter(
            "policy_reloads", "Policy hot reloads by result (success, failure)", ["result"], namespace=ns, registry=r
        )
        self.killswitch_engaged = Gauge(
            "killswitch_engaged",
            "Engaged kill switches, per scope label (agents and unconfigured names collapse)",
            ["scope"],
            namespace=ns,
            registry=r,
            multiprocess_mode="livemax",
        )
        self.log_write_errors = Counter(
            "decision_log_write_errors", "Decision log writes that failed", namespace=ns, registry=r
        )
        self.log_queue_depth = Gauge(
            "decision_log_queue_depth",
            "Records waiting to be written",
            namespace=ns,
            registry=r,
            multiprocess_mode="livesum",
        )
        self.log_records = Counter(
            "decision_log_records", "Records written, by kind", ["kind"], namespace=ns, registry=r
        )
        self.log_records_bounded = Counter(
            "decision_log_records_bounded",
            "Records escaped or trimmed before writing, by cause (too_large, or the encoding error)",
            ["cause"],
            namespace=ns,
            registry=r,
        )
        self.state_lost = Counter(
            "state_lost",
            "Times the state store was found to have lost state this gateway knew (re-asserted), by store",
            ["store"],
            namespace=ns,
            registry=r,
        )
        self.log_batch_size = Histogram(
            "decision_log_batch_size",
            "Records per group commit",
            namespace=ns,
            registry=r,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
        )
        self.fail_open = Gauge(
            "fail_open",
            "1 where a check is configured to fail open",
            ["check"],
            namespace=ns,
            registry=r,
            multiprocess_mode="livemax",
        )
        self.fail_open_calls = Counter(
            "fail_open_calls",
            "Calls let through because a fail-open check could not run",
            ["check"],
            namespace=ns,
            registry=r,
        )
        self.shadow_mode = Gauge(
            "shadow_mode",
            "1 where a check records denials without enforcing them",
            ["check"],
            namespace=ns,
            registry=r,
            multiprocess_mode="livemax",
        )
        self.shadow_denials = Counter(
            "shadow_denials",
            "Calls a check in shadow mode would have denied",
            ["check", "code"],
            namespace=ns,
            registry=r,
        )
        self.upstream_errors = Counter(
            "upstream_errors", "Upstream failures by tool and code", ["tool", "code"], namespace=ns, registry=r
        )
        self.rate_limited = Counter(
            "rate_limited", "Calls refused by a rate-limit rule", ["rule"], namespace=ns, registry=r
        )
        self.quota_exhausted = Counter(
            "quota_exhausted", "Calls refused by an exhausted quota", ["quota"], namespace=ns, registry=r
        )
        self.quota_spent = Gauge(
            "quota_spent",
            "Cost units spent in the current window: per configured tenant, else the highest seen "
            "for (other)/(agent) since the window opened",
            ["quota", "subject"],
            namespace=ns,
            registry=r,
            multiprocess_mode="livemax",
        )
        self.quota_limit = Gauge(
            "quota_limit",
            "Cost units allowed per window",
            ["quota", "subject"],
            namespace=ns,
            registry=r,
            multiprocess_mode="livemax",
        )
        self.idempotent_replays = Counter(
            "idempotent_replays", "Calls answered from a stored idempotent response", namespace=ns, registry=r
        )
        self.store_errors = Counter(
            "store_errors", "State-store operations that failed or timed out", ["op"], namespace=ns, registry=r
        )
        self.credential_scrubs = Counter(
            "credential_scrubs",
            "Occurrences of an injected credential scrubbed from tool answers, by where (header, body)",
            ["where"],
            namespace=ns,
            registry=r,
        )
        self.slow_clients = Counter(
            "slow_clients",
            "Connections closed for incomplete headers, and calls refused for a late body, by phase",
            ["phase"],
            namespace=ns,
            registry=r,
        )
        self.ready = Gauge(
            "ready", "1 when the gateway is ready to serve", namespace=ns, registry=r, multiprocess_mode="livemin"
        )
        # stdio MCP servers (gateway/mcp/stdio): label `server` is a configured name, so bounded
        self.stdio_starts = Counter(
            "stdio_starts", "stdio MCP server child processes started", ["server"], namespace=ns, registry=r
        )
        self.stdio_ready = Gauge(
            "stdio_ready",
            "1 while a worker's stdio MCP server child is initialized (summed over workers)",
            ["server"],
            namespace=ns,
            registry=r,
            multiprocess_mode="livesum",
        )
        self.stdio_dropped = Counter(
            "stdio_dropped",
            "Lines and messages a stdio MCP server's bridge dropped, by reason",
            ["server", "reason"],
            namespace=ns,
            registry=r,
        )
        self.stdio_refused = Counter(
            "stdio_bridge_refused",
            "Requests to the stdio bridge without the gateway's secret",
            ["server"],
            namespace=ns,
            registry=r,
        )

    def set_killswitches(self, scopes: Iterable[str]) -> None:
        """``killswitch_engaged`` from the engaged scopes: a count per scope label, stale labels to 0."""
        counts = Tally(self.names.scope(s) for s in scopes)
        for label in self._ks_labels | counts.keys():
            self.killswitch_engaged.labels(label).set(counts.get(label, 0))
        self._ks_labels |= counts.keys()

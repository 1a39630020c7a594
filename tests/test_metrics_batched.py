"""Per-call figures are batched (``PendingHistogram``, ``PendingCounter``) and published
with the same names, buckets and values as direct observations."""

from __future__ import annotations

import asyncio
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import generate_latest

from gateway.audit.log import DecisionLog
from gateway.config import DecisionLogConfig
from gateway.metrics import LATENCY_BUCKETS, Metrics

# values on and around every bucket bound, and anywhere else
_bounds = st.sampled_from(LATENCY_BUCKETS)
_values = st.one_of(
    _bounds,
    _bounds.map(lambda b: math.nextafter(b, math.inf)),
    _bounds.map(lambda b: math.nextafter(b, -math.inf)),
    st.floats(min_value=-1.0, max_value=100.0, allow_nan=False),
    st.floats(min_value=0, allow_nan=False),  # up to +inf
)


def _exposition(m: Metrics) -> list[str]:
    """The text format less ``_created`` (when each series was made) and the sums (compared apart)."""
    lines = generate_latest(m.registry).decode().splitlines()
    return [ln for ln in lines if "_created" not in ln and "_sum{" not in ln]


def _sums(m: Metrics) -> dict[str, float]:
    return {
        s.labels["stage"]: s.value
        for metric in m.registry.collect()
        for s in metric.samples
        if s.name == "callgate_stage_latency_seconds_sum"
    }


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["policy", "total", "identity"]), _values), max_size=60), st.data())
def test_pending_histogram_publishes_what_direct_observations_would(
    obs: list[tuple[str, float]], data: st.DataObject
) -> None:
    direct, batched = Metrics(), Metrics()
    flush_at = set(data.draw(st.lists(st.integers(0, max(0, len(obs) - 1)), max_size=5)))
    for i, (stage, v) in enumerate(obs):
        direct.stage_latency.labels(stage).observe(v)
        batched.stage(stage).observe(v)
        if i in flush_at:  # a scrape (or the periodic publish) in between changes nothing
            batched.flush()
    assert _exposition(batched) == _exposition(direct)
    # the sums: equal, up to the order of float additions when flushed in between
    want, got = _sums(direct), _sums(batched)
    assert want.keys() == got.keys()
    for k, v in want.items():
        assert got[k] == v or math.isclose(got[k], v, rel_tol=1e-9, abs_tol=1e-12), (k, got[k], v)


def test_collecting_the_registry_flushes_first() -> None:
    m = Metrics()
    m.stage("policy").observe(0.0003)
    child = m.calls.labels("echo", "allowed", "ok")
    c = m.pending_counter(child)
    assert m.pending_counter(child) is c  # one pending child per series child
    c.inc()
    c.inc(2)
    # nothing reached the series yet ...
    assert child._value.get() == 0
    # ... but anything that collects the registry sees it (the flush collector runs first)
    reg = m.registry
    assert reg.get_sample_value("callgate_stage_latency_seconds_count", {"stage": "policy"}) == 1
    assert reg.get_sample_value("callgate_stage_latency_seconds_bucket", {"stage": "policy", "le": "0.0005"}) == 1
    assert reg.get_sample_value("callgate_stage_latency_seconds_bucket", {"stage": "policy", "le": "0.00025"}) == 0
    assert reg.get_sample_value("callgate_calls_total", {"tool": "echo", "decision": "allowed", "code": "ok"}) == 3
    # flushed once: collecting again adds nothing
    assert reg.get_sample_value("callgate_calls_total", {"tool": "echo", "decision": "allowed", "code": "ok"}) == 3


def test_with_several_workers_every_update_is_written_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another worker's scrape reads this worker's files: nothing may wait for a collection here."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/nonexistent")  # only read by Metrics here
    m = Metrics()
    child = m.stage_latency.labels("total")
    assert m.stage("total") is child
    m.stage("total").observe(0.002)
    assert child._sum.get() == 0.002
    calls = m.calls.labels("echo", "allowed", "ok")
    m.pending_counter(calls).inc()
    assert calls._value.get() == 1


async def test_queue_depth_gauge_follows_the_log_after_a_scrape_set_it() -> None:
    """The log writes the gauge only when the depth changed; a scrape's write must not leave it stale."""
    m = Metrics()
    with tempfile.TemporaryDirectory() as td:
        log = DecisionLog(DecisionLogConfig(path=Path(td) / "d.jsonl"), m)
        await log.open()
        try:
            pending = asyncio.ensure_future(log.append({"kind": "call", "id": "a"}))
            await asyncio.sleep(0)  # appended, the flush not run yet
            assert log.queue_depth == 1
            log.publish_depth()  # what /metrics does
            assert m.registry.get_sample_value("callgate_decision_log_queue_depth") == 1
            await pending
            assert m.registry.get_sample_value("callgate_decision_log_queue_depth") == 0
            assert m.registry.get_sample_value("callgate_decision_log_records_total", {"kind": "call"}) == 1
            assert m.registry.get_sample_value("callgate_decision_log_batch_size_count") == 1
        finally:
            await log.close()

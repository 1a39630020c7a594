"""``policy.engine: opa`` end to end: the gateway asks an OPA Data API — the stand-in in
``tests/opa_standin.py`` (evaluating the repository's own ``policies/`` with the embedded
engine; it can also fail, stall and report bundle revisions on demand), and the real
``opa run --server`` when a binary is available (``tests/tools/build_opa.sh``, which
``.ci/run`` calls; the real-OPA tests skip without one)."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from pydantic import ValidationError

from gateway.config import Settings
from gateway.policy.engine import PolicyError
from gateway.policy.opa import OpaEngine, revision_of, rule_path
from tests.conftest import POLICIES, GatewayFactory, Upstream, serving, settings_dict
from tests.opa_standin import OpaStandIn
from tests.test_http_e2e import assert_problem


@pytest.fixture
async def opa() -> AsyncIterator[tuple[OpaStandIn, str]]:
    standin = OpaStandIn([POLICIES])
    server = TestServer(standin.app())
    await server.start_server()
    try:
        yield standin, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def opa_policy(url: str, **over: object) -> dict[str, object]:
    return {"engine": "opa", "opa": {"url": url, **over}}


async def test_allowed_and_denied_calls_are_decided_by_opa(
    make_gateway: GatewayFactory, opa: tuple[OpaStandIn, str], upstream: Upstream
) -> None:
    standin, url = opa
    gw = await make_gateway(policy=opa_policy(url))
    r = await gw.agent.post("/tools/echo/x", json={"q": "hi"}, headers=gw.auth())
    assert r.status == 200, await r.text()
    assert standin.puts == ["gateway"]  # data.gateway was pushed at start
    assert standin.posts == 1
    assert len(upstream.seen) == 1

    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth(scopes=[]))
    assert r.status == 403
    body = await r.json()
    assert_problem(body, 403, "policy.denied")
    assert "scope.missing" in {x["code"] for x in body["reasons"]}
    assert standin.posts == 2
    assert len(upstream.seen) == 1

    # An agent the configuration does not list is unknown to OPA too: data.gateway reached it.
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth(agent="stranger", tenant=None))
    assert r.status == 403
    recs = gw.records()
    assert [x["outcome"] for x in recs] == ["allowed", "denied", "denied"]
    assert all(x["policy_revision"] == "opa:standin-0.0" for x in recs)


async def test_bundle_revision_is_recorded(make_gateway: GatewayFactory, opa: tuple[OpaStandIn, str]) -> None:
    standin, url = opa
    standin.bundle_revision = "git-4f2a9c1"
    gw = await make_gateway(policy=opa_policy(url))
    assert gw.rt.policy.revision == "opa:unknown"
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    assert r.status == 200
    assert gw.records()[-1]["policy_revision"] == "opa:callgate@git-4f2a9c1"
    assert gw.rt.policy.revision == "opa:callgate@git-4f2a9c1"
    rev = "callgate_policy_revision_info"
    assert gw.metric(rev, {"revision": "opa:callgate@git-4f2a9c1"}) == 1
    assert gw.metric(rev, {"revision": "opa:unknown"}) is None

    # OPA activates a new bundle: the next record and the gauge follow.
    standin.bundle_revision = "git-77aa001"
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    assert r.status == 200
    assert gw.records()[-1]["policy_revision"] == "opa:callgate@git-77aa001"
    assert gw.metric(rev, {"revision": "opa:callgate@git-77aa001"}) == 1
    assert gw.metric(rev, {"revision": "opa:callgate@git-4f2a9c1"}) is None


async def test_opa_down_denies_503_fast(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(policy=opa_policy(f"http://127.0.0.1:{free_port()}"))
    t0 = time.perf_counter()
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    elapsed = time.perf_counter() - t0
    assert r.status == 503
    assert_problem(await r.json(), 503, "policy.unavailable")
    assert elapsed < 0.5
    assert upstream.seen == []
    assert gw.metric("callgate_policy_errors_total") == 1
    assert gw.records()[-1]["code"] == "policy.unavailable"


async def test_opa_slow_denies_503_within_timeout(
    make_gateway: GatewayFactory, opa: tuple[OpaStandIn, str], upstream: Upstream
) -> None:
    standin, url = opa
    gw = await make_gateway(policy=opa_policy(url, timeout_s=0.2))
    standin.delay_s = 2.0
    t0 = time.perf_counter()
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    elapsed = time.perf_counter() - t0
    assert r.status == 503
    assert_problem(await r.json(), 503, "policy.unavailable")
    assert 0.15 < elapsed < 1.0
    assert upstream.seen == []
    standin.delay_s = 0.0
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    assert r.status == 200


async def test_opa_error_status_denies_503(
    make_gateway: GatewayFactory, opa: tuple[OpaStandIn, str], upstream: Upstream
) -> None:
    standin, url = opa
    gw = await make_gateway(policy=opa_policy(url))
    standin.fail_status = 500
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    assert r.status == 503
    body = await r.json()
    assert_problem(body, 503, "policy.unavailable")
    assert upstream.seen == []


async def test_an_oversized_answer_denies_503_unread(
    make_gateway: GatewayFactory, opa: tuple[OpaStandIn, str], upstream: Upstream
) -> None:
    """A decision answer over MAX_ANSWER_BYTES is refused, not read into memory: fail closed."""
    from gateway.policy.opa import MAX_ANSWER_BYTES

    standin, url = opa
    gw = await make_gateway(policy=opa_policy(url))
    standin.pad_bytes = MAX_ANSWER_BYTES + 1
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    assert r.status == 503
    assert_problem(await r.json(), 503, "policy.unavailable")
    assert upstream.seen == []
    standin.pad_bytes = 1000  # a padded answer under the cap is read as usual
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    assert r.status == 200


async def test_undefined_result_is_none_and_denies(opa: tuple[OpaStandIn, str]) -> None:
    _, url = opa
    engine = OpaEngine(url, {"gateway": {"agents": None, "tools": {}, "extra": {}}})
    await engine.start()
    try:
        assert await engine.evaluate("data.callgate.no_such_rule", {}) is None
        assert await engine.evaluate("data.nothing.here", {}) is None
        decision = await engine.evaluate("data.callgate.decision", {"version": 1})
        assert isinstance(decision, dict) and decision["allow"] is False
    finally:
        await engine.close()
    with pytest.raises(PolicyError, match="closed"):
        await engine.evaluate("data.callgate.decision", {})


async def test_data_push_failure_is_retried_before_the_next_decision(
    make_gateway: GatewayFactory, opa: tuple[OpaStandIn, str], upstream: Upstream
) -> None:
    standin, url = opa
    standin.refuse_puts = 400
    gw = await make_gateway(policy=opa_policy(url))
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    assert r.status == 503  # without data.gateway the decision would be made on missing data
    assert standin.posts == 0
    r = await gw.admin.get("/readyz")
    assert r.status == 503
    assert (await r.json())["checks"]["policy"] is False
    standin.refuse_puts = None
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth())
    assert r.status == 200
    assert (await gw.admin.get("/readyz")).status == 200


def test_rule_path_and_revision() -> None:
    assert rule_path("data.callgate.decision") == "callgate/decision"
    with pytest.raises(PolicyError):
        rule_path("callgate.decision")
    with pytest.raises(PolicyError):
        rule_path("data.x[0]")
    assert revision_of({"version": "1.0.0", "bundles": {"b": {"revision": "r1"}, "a": {}}}) == "opa:a@-,b@r1"
    assert revision_of({"version": "1.0.0"}) == "opa:1.0.0"
    assert revision_of(None) is None


def test_config_requires_the_opa_section(tmp_path: Path) -> None:
    base = settings_dict(tmp_path, "http://127.0.0.1:1")
    with pytest.raises(ValidationError, match="needs an 'opa' section"):
        Settings.model_validate({**base, "policy": {"engine": "opa"}})
    with pytest.raises(ValidationError, match=r"extra|not permitted"):
        Settings.model_validate({**base, "policy": opa_policy("http://opa:8181", bogus=1)})
    with pytest.raises(ValidationError, match="only used with engine 'opa'"):
        Settings.model_validate({**base, "policy": {"opa": {"url": "http://opa:8181"}}})
    s = Settings.model_validate({**base, "policy": opa_policy("http://opa:8181")})
    assert s.policy.opa is not None and s.policy.opa.timeout_s == 0.5


# --------------------------------------------------------------------------- the real OPA server


def real_opa_binary() -> str | None:
    """``$CALLGATE_OPA_BIN`` (.ci/run sets it from tests/tools/build_opa.sh), the build cache
    (~/.cache/callgate/opa/<version>/opa), or ``opa`` on PATH."""
    import os
    import shutil

    explicit = os.environ.get("CALLGATE_OPA_BIN")
    if explicit and os.access(explicit, os.X_OK):
        return explicit
    cached = sorted((Path.home() / ".cache/callgate/opa").glob("*/opa"))
    if cached and os.access(cached[-1], os.X_OK):
        return str(cached[-1])
    return shutil.which("opa")


@pytest.fixture
def real_opa() -> Iterator[str]:
    """``opa run --server`` on a free loopback port serving the repository's policies/."""
    import subprocess

    binary = real_opa_binary()
    if binary is None:
        pytest.skip("no real OPA binary (tests/tools/build_opa.sh could not build one here); the stand-in tests run")
    with serving(
        lambda port: [binary, "run", "--server", f"--addr=127.0.0.1:{port}", "--log-level=error", str(POLICIES)],
        "opa run --server",
        30,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as port:
        yield f"http://127.0.0.1:{port}"


async def test_real_opa_decides_like_the_embedded_engine(
    make_gateway: GatewayFactory, real_opa: str, upstream: Upstream
) -> None:
    gw = await make_gateway(policy=opa_policy(real_opa, timeout_s=5))
    r = await gw.agent.post("/tools/echo/x", json={"q": "hi"}, headers=gw.auth())
    assert r.status == 200, await r.text()
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth(scopes=[]))
    assert r.status == 403
    assert "scope.missing" in {x["code"] for x in (await r.json())["reasons"]}
    r = await gw.agent.post("/tools/echo/x", json={}, headers=gw.auth(agent="stranger", tenant=None))
    assert r.status == 403  # data.gateway (the agent registry) reached OPA
    r = await gw.agent.post("/tools/transfer/x", json={}, headers=gw.auth(scopes=["tool:transfer:payment"]))
    assert r.status == 403
    assert "approval.required" in {x["code"] for x in (await r.json())["reasons"]}
    recs = gw.records()
    assert [x["outcome"] for x in recs] == ["allowed", "denied", "denied", "denied"]
    # plain files, no bundle: the revision is OPA's version
    assert all(x["policy_revision"].startswith("opa:1.") for x in recs)


async def test_real_opa_output_decision_redacts(
    make_gateway: GatewayFactory, real_opa: str, upstream: Upstream
) -> None:
    gw = await make_gateway(policy=opa_policy(real_opa, timeout_s=5))
    r = await gw.agent.get("/tools/echo/canned/secret", headers=gw.auth())
    assert r.status == 200
    assert (await r.json())["aws_key"] == "[REDACTED:aws_access_key]"

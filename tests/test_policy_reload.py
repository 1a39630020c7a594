"""Hot reload of the embedded policy set: tests run first, swap is atomic, failures keep the old set."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from tests.conftest import POLICIES, GatewayFactory, Upstream, wait_ready

MARKER = """package callgate
import rego.v1

reload_marker := "v2"
"""


async def test_reload_swaps_in_a_tested_set_and_keeps_the_old_one_on_failure(
    make_gateway: GatewayFactory, tmp_path: Path, upstream: Upstream
) -> None:
    pdir = tmp_path / "policies"
    shutil.copytree(POLICIES, pdir)
    gw = await make_gateway(policy={"paths": [str(pdir)]})
    before = gw.rt.policy.revision
    assert (await gw.agent.get("/tools/echo/x", headers=gw.auth())).status == 200

    # 1. a set that does not compile: refused, the old one keeps serving
    (pdir / "broken.rego").write_text("package callgate\nimport rego.v1\nx := {\n")
    r = await gw.admin.post("/admin/policies/reload", headers=gw.admin_auth)
    assert r.status == 422
    body = await r.json()
    assert body["code"] == "policy.reload_failed"
    assert "broken.rego" in body["detail"]
    assert gw.rt.policy.revision == before
    assert (await gw.agent.get("/tools/echo/x", headers=gw.auth())).status == 200
    (pdir / "broken.rego").unlink()

    # 2. a set whose own Rego tests fail: refused
    (pdir / "extra_test.rego").write_text("package callgate_test\nimport rego.v1\ntest_fails if false\n")
    r = await gw.admin.post("/admin/policies/reload", headers=gw.admin_auth)
    assert r.status == 422
    assert "test_fails" in (await r.json())["detail"]
    assert gw.rt.policy.revision == before
    (pdir / "extra_test.rego").unlink()

    # 3. a good set: swapped in, and the next call is decided (and recorded) under it
    (pdir / "marker.rego").write_text(MARKER)
    r = await gw.admin.post("/admin/policies/reload", headers=gw.admin_auth)
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["previous"] == before
    assert body["revision"] == gw.rt.policy.revision != before
    assert gw.metric("callgate_policy_reloads_total", {"result": "failure"}) == 2
    assert gw.metric("callgate_policy_reloads_total", {"result": "success"}) == 1
    assert gw.metric("callgate_policy_revision_info", {"revision": body["revision"]}) == 1
    assert gw.metric("callgate_policy_revision_info", {"revision": before}) is None
    rec = gw.records()[-1]
    assert rec["policy_revision"] == before  # the call before the swap
    assert (await gw.agent.get("/tools/echo/x", headers=gw.auth())).status == 200
    assert gw.records()[-1]["policy_revision"] == body["revision"]
    actions = [(a["action"], a["result"]) for a in gw.records("admin")]
    assert actions == [("policy.reload", "failure"), ("policy.reload", "failure"), ("policy.reload", "success")]


async def test_reload_needs_admin_auth(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway()
    r = await gw.admin.post("/admin/policies/reload")
    assert r.status == 401


async def test_sighup_reloads_a_running_server(tmp_path: Path) -> None:
    """`callgate serve` as a real process: SIGHUP picks up a changed policy set."""
    import aiohttp

    from tests.test_http_e2e import free_port

    pdir = tmp_path / "policies"
    shutil.copytree(POLICIES, pdir)
    port, admin_port = free_port(), free_port()
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"""\
server: {{port: {port}}}
admin: {{port: {admin_port}}}
identity:
  issuers: [t]
  audience: callgate
  keys: [{{kind: hmac, secret: {{env: CG_TEST_SIGNING_KEY}}}}]
policy: {{paths: ["{pdir}"]}}
decision_log: {{path: "{tmp_path / "log.jsonl"}"}}
""")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "serve",
        "--config",
        str(cfg),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=dict(os.environ),
    )
    url = f"http://127.0.0.1:{admin_port}/readyz"
    try:
        async with aiohttp.ClientSession() as s:
            await wait_ready(s, admin_port, proc)  # by the clock: start-up under load took over 10 s
            async with s.get(url) as r:
                revision = (await r.json())["policy_revision"]
            assert revision
            (pdir / "more.rego").write_text("package callgate\nimport rego.v1\nmarker := 1\n")
            proc.send_signal(signal.SIGHUP)
            new = revision
            deadline = time.monotonic() + 30
            while new == revision and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                async with s.get(url) as r:
                    new = (await r.json())["policy_revision"]
            assert new != revision
    finally:
        proc.terminate()
        await proc.wait()

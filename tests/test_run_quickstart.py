"""Run-level taint end to end through the quick start, on both stores.

The quick start's own configuration (``deploy/quickstart.yaml``) and its example
upstream (``gateway/examples/upstream.py``, a real aiohttp server) serving an
injected supplier notice: read it with the ``web`` tool, then try ``transfer`` and
``send_email`` in the same run. Only the ports, the log path and the store differ.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_agent_app
from gateway.config import Settings
from gateway.examples.upstream import ATTACKER_HOST, ATTACKER_IBAN, HITS, PAGES, create_app
from gateway.identity import mint_dev_token
from gateway.runtime import Runtime
from tests.conftest import ROOT, SIGNING_KEY

APPROVAL = {"approval.required", "approval.pending"}  # today / once approvals exist
SCOPES = ["tool:web", "tool:echo", "tool:transfer:payment", "tool:send_email:external_send"]
LEGIT_IBAN = "GB82WEST12345698765432"


class Quickstart:
    def __init__(self, rt: Runtime, client: TestClient[web.Request, web.Application], upstream: web.Application):
        self.rt = rt
        self.client = client
        self.upstream = upstream

    def auth(self, agent: str = "demo", tenant: str = "acme", run: str | None = None) -> dict[str, str]:
        token = mint_dev_token(self.rt.settings, agent=agent, tenant=tenant, scopes=SCOPES)
        return {"Authorization": f"Bearer {token}"} | ({"X-Agent-Run": run} if run else {})

    def hits(self, path: str) -> int:
        return self.upstream[HITS].get(path, 0)

    def records(self) -> list[dict[str, Any]]:
        import json

        path = self.rt.settings.decision_log.path
        return [r for r in map(json.loads, path.read_text().splitlines()) if r["kind"] == "call"]

    async def read_page(self, run: str | None, name: str = "supplier-notice", **kw: Any) -> str:
        r = await self.client.get(f"/tools/web/{name}", headers=self.auth(run=run, **kw))
        assert r.status == 200, await r.text()
        return await r.text()

    async def transfer(self, run: str | None, iban: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        body = {"to_iban": iban, "amount": "4900.00", "currency": "EUR", "reference": "INV-2291"}
        r = await self.client.post("/tools/transfer/payments", json=body, headers=self.auth(run=run, **kw))
        return r.status, await r.json()

    async def send(self, run: str | None, to: str, text: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        body = {"to": to, "subject": "Invoice INV-2291", "text": text}
        r = await self.client.post("/tools/send_email/messages", json=body, headers=self.auth(run=run, **kw))
        return r.status, await r.json()


def codes(problem: dict[str, Any]) -> set[str]:
    return {r["code"] for r in problem.get("reasons", [])}


@pytest.fixture
async def quickstart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: Any) -> AsyncIterator[Quickstart]:
    up_app = create_app()
    up = TestServer(up_app)
    await up.start_server()
    base = str(up.make_url("")).rstrip("/")
    for var, value in {
        "CALLGATE_DEV_SIGNING_KEY": SIGNING_KEY,
        "CALLGATE_ADMIN_TOKEN": "qs-admin-token",
        "ECHO_API_KEY": "qs-echo-key",
        "BANK_API_KEY": "qs-bank-key",
        "MCP_API_KEY": "qs-mcp-key",
    }.items():
        monkeypatch.setenv(var, value)
    text = (ROOT / "deploy/quickstart.yaml").read_text().replace("http://127.0.0.1:9901", base)
    doc = yaml.safe_load(text)
    doc["policy"]["paths"] = [str(ROOT / "policies")]
    doc["decision_log"]["path"] = str(tmp_path / "decisions.jsonl")
    doc["store"] = store
    doc["agents"]["other-agent"] = {"tenants": []}
    rt = Runtime(Settings.model_validate(doc))
    client = TestClient(TestServer(create_agent_app(rt)))
    await client.start_server()
    try:
        yield Quickstart(rt, client, up_app)
    finally:
        await client.close()
        await up.close()
        gc.collect()


async def test_untainted_run_follows_todays_rules(quickstart: Quickstart) -> None:
    qs = quickstart
    await qs.read_page("r-clean", "opening-hours")  # also untrusted, but names no destination
    await qs.client.get("/tools/echo/x", headers=qs.auth(run="r-plain"))
    # no web page read in run r-plain: an e-mail goes out, a payment needs approval as always
    status, problem = await qs.send("r-plain", "billing@" + ATTACKER_HOST, f"see https://{ATTACKER_HOST}/confirm")
    assert status == 200, problem
    status, problem = await qs.transfer("r-plain", ATTACKER_IBAN)
    assert status in (202, 403) and problem["code"] in APPROVAL
    assert codes(problem) == {"approval.required"}
    assert "untrusted" not in str(problem["reasons"])
    status, problem = await qs.transfer(None, ATTACKER_IBAN)  # no run at all: the same
    assert problem["code"] in APPROVAL and codes(problem) == {"approval.required"}
    assert qs.hits("/transfer/payments") == 0
    assert qs.hits("/send/messages") == 1


async def test_read_injected_page_then_transfer(quickstart: Quickstart) -> None:
    qs = quickstart
    page = await qs.read_page("r-1")
    assert "GB33-BUKB-2020-1555-5555-55" in page and ATTACKER_HOST in page  # detection let it through
    rec = qs.records()[-1]
    assert rec["run"]["id"] == "r-1" and rec["run"]["tainted"] is False  # before this read
    assert rec["run"]["read"] == {"trust": "untrusted", "taints": True, "findings": 0, "destinations": 2}

    # a payment to the user's own payee: approval, and the reason says why
    status, problem = await qs.transfer("r-1", LEGIT_IBAN)
    assert status in (202, 403) and problem["code"] in APPROVAL, problem
    assert any("untrusted content (from web)" in r["message"] for r in problem["reasons"])

    # the attacker's account from the page, in any spelling: denied outright
    for spelling in (ATTACKER_IBAN, "gb33 bukb 2020 1555 5555 55", "GB33-BUKB-2020-1555-5555-55"):
        status, problem = await qs.transfer("r-1", spelling)
        assert status == 403 and problem["code"] == "policy.denied", problem
        assert "run.destination_untrusted" in codes(problem)

    # an e-mail in the tainted run: approval; to the attacker's site: denied
    status, problem = await qs.send("r-1", "ops@acme.example", "Paid.")
    assert problem["code"] in APPROVAL, problem
    status, problem = await qs.send("r-1", "ops@acme.example", f"Confirmed at https://{ATTACKER_HOST.upper()}:443/c")
    assert status == 403 and "run.destination_untrusted" in codes(problem)

    assert qs.hits("/transfer/payments") == 0  # nothing reached the bank
    assert qs.hits("/send/messages") == 0
    recs = qs.records()
    assert [r["run"]["tainted"] for r in recs] == [False] + [True] * (len(recs) - 1)
    assert all(r["run"]["sources"] == 1 and r["run"]["destinations"] == 2 for r in recs[1:])
    denied = [r for r in recs if r["code"] == "policy.denied"]
    assert len(denied) == 4 and all(r["decision"]["allow"] is False for r in denied)


async def test_another_agent_cannot_read_or_poison_the_run(quickstart: Quickstart) -> None:
    qs = quickstart
    await qs.read_page("shared-run")
    # same run id, another agent: its own, clean run
    status, problem = await qs.send("shared-run", "ops@acme.example", f"https://{ATTACKER_HOST}/", agent="other-agent")
    assert status == 200, problem
    # another agent's read does not taint demo's run of the same name
    await qs.read_page("demo-run", agent="other-agent")
    status, problem = await qs.send("demo-run", "ops@acme.example", f"https://{ATTACKER_HOST}/")
    assert status == 200, problem
    # same agent and run id, another tenant: another run
    await qs.read_page("t-run", agent="other-agent", tenant="globex")
    status, problem = await qs.send("t-run", "ops@acme.example", "hi", agent="other-agent")
    assert status == 200, problem
    status, problem = await qs.send("t-run", "ops@acme.example", "hi", agent="other-agent", tenant="globex")
    assert problem["code"] in APPROVAL, problem
    assert qs.hits("/send/messages") == 3


async def test_trusted_output_does_not_taint(quickstart: Quickstart) -> None:
    qs = quickstart
    r = await qs.client.post("/tools/echo/x", json={"q": f"pay at https://{ATTACKER_HOST}"}, headers=qs.auth(run="r-2"))
    assert r.status == 200
    status, problem = await qs.send("r-2", "ops@acme.example", f"https://{ATTACKER_HOST}/x")
    assert status == 200, problem
    # the e-mail tool's echo names an address and the attacker's host, but it is trusted: no taint
    run = qs.records()[-1]["run"]
    assert run["id"] == "r-2" and run["tainted"] is False and run["sources"] == 1 and run["untrusted_sources"] == 0
    assert run["destinations"] == 0 and run["read"]["trust"] == "trusted" and run["read"]["taints"] is False
    assert run["read"]["destinations"] == 0


def test_page_serves_what_the_test_expects() -> None:
    from gateway.inspect.pii import iban_ok

    assert iban_ok(ATTACKER_IBAN) and iban_ok(LEGIT_IBAN)
    assert ATTACKER_HOST in PAGES["supplier-notice"]

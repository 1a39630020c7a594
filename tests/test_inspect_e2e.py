"""Inspection through the gateway: arguments denied by findings, outputs blocked, stripped or redacted."""

from __future__ import annotations

import json
import socket

import pytest

from gateway.inspect.ssrf import internal_reason
from gateway.memo import MEMO_CHARS, MEMO_SIZE
from tests.conftest import GatewayFactory, Upstream


async def test_ssrf_url_argument_is_denied_with_owasp_reason(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.post(
        "/tools/echo/fetch", json={"url": "http://0251.0376.0251.0376/latest/meta-data/"}, headers=gw.auth()
    )
    assert r.status == 403
    body = await r.json()
    assert body["code"] == "policy.denied"
    reason = next(x for x in body["reasons"] if x["code"] == "inspect.ssrf")
    assert reason["owasp"] == ["LLM06", "ASI02"]
    assert upstream.seen == []
    rec = gw.records()[-1]
    assert rec["outcome"] == "denied"
    assert rec["findings"][0]["detector"] == "ssrf" and rec["findings"][0]["path"] == "/url"
    assert rec["findings"][0]["kind"] == "metadata_address_obfuscated"  # octal: a spelling only evasion uses
    assert "inspect.ssrf" in {x["code"] for x in rec["reasons"]}


async def test_secret_in_arguments_is_denied_and_not_logged(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    secret = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    r = await gw.agent.post("/tools/echo/x", json={"note": f"use {secret}"}, headers=gw.auth())
    assert r.status == 403
    assert "inspect.secrets" in {x["code"] for x in (await r.json())["reasons"]}
    assert secret not in gw.settings.decision_log.path.read_text()
    assert upstream.seen == []


async def test_benign_call_passes_with_no_findings(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.post(
        "/tools/echo/search",
        json={"q": "flights from Lisbon to Berlin next Tuesday", "url": "https://www.example.com/search?q=x"},
        headers=gw.auth(),
    )
    assert r.status == 200
    rec = gw.records()[-1]
    # the echo upstream hands back the credential it was sent: the gateway's scrub is the only output finding
    assert rec["findings"] == []
    assert [f["detector"] for f in rec["output_findings"]] == ["credential_scrub"]


async def test_medium_finding_needs_approval(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.post("/tools/echo/x", json={"card": "4111 1111 1111 1111"}, headers=gw.auth())
    assert r.status == 202
    body = await r.json()
    assert body["code"] == "approval.pending"
    assert body["reasons"][0]["code"] == "approval.required"
    assert body["reasons"][0]["owasp"] == ["LLM02"]


async def test_iban_in_a_banking_call_is_recorded_not_held(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.post("/tools/echo/x", json={"iban": "DE89 3704 0044 0532 0130 00"}, headers=gw.auth())
    assert r.status == 200
    rec = gw.records()[-1]
    assert [(f["kind"], f["severity"]) for f in rec["findings"]] == [("iban", "low")]


async def test_schema_violation_is_denied(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    schema = {
        "type": "object",
        "properties": {"q": {"type": "string", "maxLength": 50}},
        "required": ["q"],
        "additionalProperties": False,
    }
    gw = await make_gateway(tools={"echo": {"schema": schema}})
    r = await gw.agent.post("/tools/echo/x", json={"q": "ok"}, headers=gw.auth())
    assert r.status == 200
    r = await gw.agent.post("/tools/echo/x", json={"q": 3, "extra": "x"}, headers=gw.auth())
    assert r.status == 403
    kinds = {f["kind"] for f in gw.records()[-1]["findings"]}
    assert kinds == {"unknown_argument", "schema_type"}


async def test_injected_output_is_blocked(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.get("/tools/echo/canned/injected", headers=gw.auth())
    assert r.status == 502
    body = await r.json()
    assert body["code"] == "output.blocked"
    assert body["reasons"][0]["code"] == "output.injection"
    assert body["reasons"][0]["owasp"] == ["LLM01", "ASI01"]
    assert "attacker@evil" not in json.dumps(body)
    assert "ignore" not in json.dumps(body).lower()  # the attacker's text never reaches the agent
    rec = gw.records()[-1]
    assert rec["code"] == "output.blocked" and rec["forwarded"] is True
    assert rec["output_decision"]["allow"] is False
    assert rec["output_findings"][0]["detector"] == "injection"
    assert rec["output_findings"][0]["surface"] == "tool_output"


async def test_injected_output_is_stripped_when_configured(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(tools={"echo": {"inspect": {"injection_action": "strip"}}})
    r = await gw.agent.get("/tools/echo/canned/injected_plain", headers=gw.auth())
    assert r.status == 200
    text = await r.text()
    assert "ignore all previous instructions" not in text.lower()
    assert text.startswith("Meeting notes. IMPORTANT: [REDACTED:instruction_override]")
    assert int(r.headers["Content-Length"]) == len(text.encode())
    assert "output.redacted(LLM01,ASI01)" in r.headers["X-Callgate-Output-Reasons"]


async def test_secret_in_output_is_redacted(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.get("/tools/echo/canned/secret", headers=gw.auth())
    assert r.status == 200
    body = await r.json()
    # Contact PII is ordinary tool data: kept unless the tool opts in (inspect.redact).
    assert body == {"user": "ci-bot", "aws_key": "[REDACTED:aws_access_key]", "note": "contact ops@example.com"}
    assert "output.redacted(LLM02)" in r.headers["X-Callgate-Output-Reasons"]
    rec = gw.records()[-1]
    assert rec["output_decision"]["redact"] == ["aws_access_key"]
    assert {f["kind"] for f in rec["output_findings"]} == {"aws_access_key", "email"}
    assert {x["code"] for x in rec["output_decision"]["reasons"]} == {"output.redacted"}
    assert "AKIAIOSFODNN7EXAMPLE" not in gw.settings.decision_log.path.read_text()
    assert rec["upstream"]["bytes"] == len(json.dumps(body, separators=(", ", ": ")).encode())


async def test_email_redacted_when_the_tool_opts_in(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(tools={"echo": {"inspect": {"redact": ["email"]}}})
    r = await gw.agent.get("/tools/echo/canned/secret", headers=gw.auth())
    assert r.status == 200
    body = await r.json()
    assert body == {"user": "ci-bot", "aws_key": "[REDACTED:aws_access_key]", "note": "contact [REDACTED:email]"}
    assert gw.records()[-1]["output_decision"]["redact"] == ["aws_access_key", "email"]


async def test_unknown_redact_kind_is_a_config_error(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    with pytest.raises(Exception, match="redact"):
        await make_gateway(tools={"echo": {"inspect": {"redact": ["shoe_size"]}}})


async def test_plain_output_passes_unchanged(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.get("/tools/echo/canned/plain", headers=gw.auth())
    assert r.status == 200
    assert (await r.json())["title"] == "Quarterly report"
    assert gw.records()[-1]["output_decision"] is None


async def test_streamed_output_is_inspected(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.get("/tools/echo/canned/injected?chunked=1", headers=gw.auth())
    assert r.status == 502 and (await r.json())["code"] == "output.blocked"


async def test_streamed_output_over_the_limit_is_blocked(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(tools={"echo": {"inspect": {"output_limit": 64}}})
    r = await gw.agent.get("/tools/echo/canned/plain?chunked=1", headers=gw.auth())
    assert r.status == 502
    body = await r.json()
    assert body["code"] == "output.too_large" and body["reasons"][0]["owasp"] == ["LLM10"]


async def test_output_inspection_off_passes_through(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(tools={"echo": {"inspect": {"output": False}}})
    r = await gw.agent.get("/tools/echo/canned/secret", headers=gw.auth())
    assert r.status == 200
    assert "AKIAIOSFODNN7EXAMPLE" in await r.text()


async def test_query_parameters_are_inspected(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.get("/tools/echo/fetch?url=http://localhost:8080/admin", headers=gw.auth())
    assert r.status == 403
    assert gw.records()[-1]["findings"][0]["path"] == "?/url/0"
    assert upstream.seen == []


def _name_resolving_inside() -> str | None:
    """A host name (not an IP, not caught by suffix) that resolves to a non-global address here."""
    for name in (socket.gethostname(), "ip6-localhost", "ip6-loopback"):
        try:
            infos = socket.getaddrinfo(name, None)
        except OSError:
            continue
        if internal_reason(name) is None and all(internal_reason(str(i[4][0])) for i in infos):
            return name
    return None


async def test_ssrf_resolution_flags_names_resolving_inside(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    name = _name_resolving_inside()
    if name is None:
        pytest.skip("no host name here resolves to an internal address")
    gw = await make_gateway(tools={"echo": {"ssrf": {"resolve": True}}})
    r = await gw.agent.post("/tools/echo/fetch", json={"url": f"http://{name}:8080/"}, headers=gw.auth())
    assert r.status == 403
    # a one-label name is also a static medium finding (single_label_name); DNS makes it high
    via_dns = [f for f in gw.records()[-1]["findings"] if f["kind"].endswith("_via_dns")]
    assert via_dns and via_dns[0]["path"] == "/url" and via_dns[0]["severity"] == "high"
    assert upstream.seen == []


async def test_ssrf_resolution_unresolvable_needs_approval(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway(tools={"echo": {"ssrf": {"resolve": True}}})
    r = await gw.agent.post("/tools/echo/fetch", json={"url": "http://no-such-host.invalid/"}, headers=gw.auth())
    assert r.status == 202
    assert (await r.json())["code"] == "approval.pending"
    assert gw.records()[-1]["findings"][0]["kind"] == "unresolvable_name"


async def test_ssrf_resolution_is_off_by_default(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    r = await gw.agent.post("/tools/echo/fetch", json={"url": "http://no-such-host.invalid/"}, headers=gw.auth())
    assert r.status == 200


async def test_traversal_in_the_url_path_is_denied(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    # encoded separators and dot segments never reach a detector: the target is refused (tests/test_http_target.py)
    r = await gw.agent.get("/tools/echo/files/..%2f..%2fetc%2fpasswd", headers=gw.auth())
    assert r.status == 400 and (await r.json())["code"] == "request.path_invalid"
    # a sensitive path in canonical form is a finding on the decoded path, and policy denies it
    r = await gw.agent.get("/tools/echo/%65tc/passwd", headers=gw.auth())
    assert r.status == 403
    body = await r.json()
    assert "inspect.path_traversal" in {x["code"] for x in body["reasons"]}
    assert upstream.seen == []
    assert gw.records()[-1]["findings"][0]["path"] == "@/path"
    # an ordinary path is not a finding
    r = await gw.agent.get("/tools/echo/files/report-2026.pdf", headers=gw.auth())
    assert r.status == 200
    assert gw.records()[-1]["findings"] == []


async def test_a_remembered_url_path_is_judged_the_same_every_time(
    make_gateway: GatewayFactory, upstream: Upstream
) -> None:
    """URL paths' findings are remembered per path (stages/inspect_args.py): the second and
    later calls on a path are denied exactly like the first, each with its own findings."""
    from gateway.stages import inspect_args

    gw = await make_gateway()
    for _ in range(3):
        r = await gw.agent.get("/tools/echo/%65tc/passwd", headers=gw.auth())
        assert r.status == 403 and "inspect.path_traversal" in {x["code"] for x in (await r.json())["reasons"]}
        assert gw.records()[-1]["findings"][0]["path"] == "@/path"
    assert upstream.seen == []
    # bounded: past PATH_MEMO_SIZE distinct paths the oldest is forgotten
    stage = next(s for s in gw.rt.pipeline.stages if isinstance(s, inspect_args.InspectArgsStage))
    first = next(iter(stage._path_memo))
    assert "etc/passwd" in first
    for i in range(MEMO_SIZE + 10):
        await stage._path_findings(f"/p{i}")
    assert len(stage._path_memo) == MEMO_SIZE
    assert first not in stage._path_memo
    # a long path is never remembered, and still judged
    long_path = "/etc/passwd/" + "a" * MEMO_CHARS
    assert any(f.detector == "path_traversal" for f in await stage._path_findings(long_path))
    assert long_path not in stage._path_memo

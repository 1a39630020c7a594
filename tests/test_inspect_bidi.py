"""Bidi controls (``gateway/inspect/bidi.py``): generated Trojan Source and spoofed file names are
held in arguments and cut from answers; right-to-left prose with its ordinary controls is not; the
evidence never carries a control; the gateway end to end."""

from __future__ import annotations

import json
import random

import pytest

from gateway.inspect.bidi import CONTROLS, MAX_SPANS
from gateway.inspect.runner import InspectOptions, Inspector
from tests.conftest import GatewayFactory, Upstream

OPTS = InspectOptions()
RLO, LRI, PDI, RLI = "\u202e", "\u2066", "\u2069", "\u2067"


@pytest.fixture(scope="module")
def ins() -> Inspector:
    return Inspector(process=False)


def trojan_sources(rng: random.Random) -> list[str]:
    """Shapes of CVE-2021-42574's examples, written anew: a comment that ends early, a string
    that hides its end, a file name whose extension shows reversed."""
    name = rng.choice(["is_admin", "access_level", "user", "flag"])
    return [
        f"if {name}: {RLO}{LRI}// check later{PDI}{LRI}\n    grant()",
        f'access = "user{RLO} {LRI}// admin only{PDI} {LRI}"\nif access != "user":',
        f"/*{RLO} }} {LRI}if ({name}){PDI} {LRI} begin admins only */",
        f"invoice_{rng.randint(1, 999)}{RLO}{rng.choice(['fdp', 'txt', 'gpj'])}.exe",
        f"{LRI}{name}{PDI} = {RLI}'{rng.choice(['ok', 'no'])}'{PDI}",
    ]


def rtl_prose(rng: random.Random) -> list[str]:
    """Right-to-left text with the controls it uses: isolates around a Latin name, embeddings."""
    he = rng.choice(["שלום לכולם", "הקובץ נשמר", "המשתמש נרשם"])
    ar = rng.choice(["مرحبا بالعالم", "تم حفظ الملف", "سجل المستخدم"])
    return [
        f"{he} {LRI}report-{rng.randint(1, 99)}.pdf{PDI} {he}",
        f"{ar} \u202aNew York\u202c {ar}",
        f"{ar}: {LRI}{rng.choice(['alice', 'bob'])}{PDI}",
    ]


def test_trojan_source_and_spoofed_names_are_held_and_cut(ins: Inspector) -> None:
    rng = random.Random(5)
    for _ in range(10):
        for text in trojan_sources(rng):
            fs = ins.arguments({"content": text}, OPTS)
            assert {(f.kind, f.severity) for f in fs if f.detector == "bidi"} == {("bidi_control", "medium")}, text
            assert not any(c in f.evidence for f in fs for c in CONTROLS)  # named, never carried
            fs, hits = ins.output(text.encode(), OPTS)
            spans = [h.span for h in hits if h.finding.detector == "bidi"]
            assert spans and all(s is not None and text[s[0] : s[1]] in CONTROLS for s in spans)
            assert len(spans) == sum(text.count(c) for c in CONTROLS)  # every control located, for redaction


def test_right_to_left_prose_keeps_its_controls(ins: Inspector) -> None:
    rng = random.Random(9)
    for _ in range(10):
        for text in rtl_prose(rng):
            assert not [f for f in ins.arguments({"message": text}, OPTS) if f.detector == "bidi"], text
            fs, _ = ins.output(text.encode(), OPTS)
            assert not [f for f in fs if f.detector == "bidi"], text
            # as json.dumps writes them (every non-ASCII character escaped), the same
            escaped = json.dumps({"message": text})
            assert "\\u20" in escaped
            fs, _ = ins.output(escaped.encode(), OPTS)
            assert not [f for f in fs if f.detector == "bidi"], escaped
    # ...while escaped controls in text without those letters are found and located
    body = json.dumps({"files": ["a.txt", f"b{RLO}fdp.exe"]})
    fs, hits = ins.output(body.encode(), OPTS)
    (span,) = [h.span for h in hits if h.finding.detector == "bidi"]
    assert span is not None and body[span[0] : span[1]] == "\\u202e"
    # an override there is recorded, once, low
    fs = ins.arguments({"message": f"שלום {RLO}abc{RLO}def"}, OPTS)
    assert [(f.kind, f.severity) for f in fs if f.detector == "bidi"] == [("bidi_override", "low")]


def test_the_hits_are_bounded(ins: Inspector) -> None:
    det = next(d for d in ins.detectors if d.name == "bidi")
    from gateway.inspect.base import Target

    hits = det.scan(Target(RLO * (MAX_SPANS + 500), None, "tool_output", ""))
    assert len(hits) == MAX_SPANS + 1 and hits[-1].span is None


async def test_gateway_holds_a_write_and_cuts_an_answer(make_gateway: GatewayFactory, upstream: Upstream) -> None:
    gw = await make_gateway()
    code = f"if ok: {RLO}{LRI}// later{PDI}{LRI}\n    grant()"
    r = await gw.agent.post("/tools/echo/x", json={"content": code}, headers=gw.auth())
    assert r.status == 202 and (await r.json())["code"] == "approval.pending"
    assert upstream.seen == []
    rec = gw.records()[-1]
    assert {f["kind"] for f in rec["findings"]} == {"bidi_control"}
    assert not any(c in json.dumps(rec, ensure_ascii=False) for c in CONTROLS)
    r = await gw.agent.get("/tools/echo/canned/bidi", headers=gw.auth())
    assert r.status == 200
    body = await r.json()
    assert body["files"] == ["report.pdf", "invoice_7[REDACTED:bidi_control]fdp.exe"]
    assert "output.redacted(LLM05)" in r.headers["X-Callgate-Output-Reasons"]


def test_an_mcp_definition_with_a_deceptive_control_is_poisoned() -> None:
    from gateway.mcp.pins import screen_definition

    bad = screen_definition({"description": f"Read a file.{RLO}{LRI}// admins only{PDI}", "inputSchema": {}})
    assert [f.kind for f in bad] == ["bidi_control"] and bad[0].severity == "high"
    assert screen_definition({"description": f"קורא קובץ {LRI}notes.txt{PDI}", "inputSchema": {}}) == []

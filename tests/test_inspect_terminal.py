"""Terminal control sequences (``gateway/inspect/terminal.py``): generated attacks of every kind and
spelling, generated look-alikes that must stay quiet (colours, progress lines, escaped text), the
work bound, and the gateway end to end (HTTP and MCP answers redacted, arguments held)."""

from __future__ import annotations

import json
import random
import time

import pytest

from gateway.inspect.runner import InspectOptions, Inspector
from gateway.inspect.terminal import KINDS, MAX_SEQUENCES
from tests.conftest import Gateway, GatewayFactory, McpUpstream, Upstream, mcp_client

OPTS = InspectOptions()
WORDS = "the build finished in three minutes and all tests passed on the main branch today".split()  # noqa: SIM905
ESC = "\x1b"


@pytest.fixture(scope="module")
def ins() -> Inspector:
    return Inspector(process=False)


def prose(rng: random.Random, n: int = 6) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def attacks(rng: random.Random) -> list[tuple[str, str]]:
    """(sequence, kind): each redacted or held kind in its 7-bit and C1 spellings, with each terminator."""
    out: list[tuple[str, str]] = []
    for osc in (ESC + "]", "\x9d"):
        for st in ("\x07", ESC + "\\", "\x9c"):
            payload = "".join(rng.choice("ABCDEFGHabcdefgh0123456789+/") for _ in range(rng.randint(4, 40)))
            out.append((f"{osc}52;c;{payload}=={st}", "terminal_clipboard"))
            out.append(
                (f"{osc}{rng.choice(['4;1;?', '10;?', '11;rgb:00/00/00', '777;notify;hi'])}{st}", "terminal_osc")
            )
        for intro in (ESC + "P", "\x90", ESC + "_", "\x9f", ESC + "^", ESC + "X"):
            out.append(
                (f"{intro}{rng.choice(['$q m', '+q544e', 'q#0;2;0;0;0', 'hello'])}{ESC}\\", "terminal_control_string")
            )
    for csi in (ESC + "[", "\x9b"):
        out.append((f"{csi}{rng.choice(['8', '0;8', '1;8;31', '38;5;1;8'])}m", "terminal_concealed"))
        out.append((f"{csi}{rng.choice(['21t', '20t', '21;1t'])}", "terminal_report"))
    out.append((ESC + "c", "terminal_reset"))
    return out


def lookalikes(rng: random.Random) -> list[str]:
    """Text that must not be held or redacted: colours of every spelling, progress lines, hyperlinks,
    and escape sequences written out as text (documentation, source code)."""
    colours = ["1", "0", "31", "1;32", "38;5;8", "48;5;8", "38;2;8;8;8", "48;2;200;8;8", "4", "7", "22", "39", "58;5;8"]
    out = []
    for _ in range(40):
        c = rng.choice(colours)
        out.append(f"{prose(rng, 2)} {ESC}[{c}m{prose(rng, 2)}{ESC}[0m {prose(rng, 2)}")
        out.append(f"{prose(rng, 3)} {rng.randint(1, 99)}%{ESC}[{rng.randint(1, 9)}A{ESC}[2K{ESC}[G")
        out.append(f"{ESC}[{rng.choice(['6n', 'c', '>c', '?1c', '?1049h', '?25l', '18t'])}{prose(rng, 3)}")
        out.append(f"see {ESC}]8;;https://docs.example/{rng.randint(1, 99)}{ESC}\\the docs{ESC}]8;;{ESC}\\ for more")
        out.append(f"{ESC}]{rng.choice(['0', '2', '7', '133'])};{prose(rng, 2)}\x07$ {prose(rng, 3)}")
        out.append(rf"printf '\x1b]52;c;%s\a' \"$(base64 <<< {prose(rng, 1)})\" copies to the clipboard")
        out.append(rf"echo -e '\033[8mhidden\033[0m' {prose(rng, 3)}")
        out.append(f"{prose(rng, 4)} [8m and ]52; without an escape {prose(rng, 2)}")
    return out


def test_every_kind_is_found_in_each_spelling_with_its_span(ins: Inspector) -> None:
    rng = random.Random(7)
    for _ in range(5):
        for seq, kind in attacks(rng):
            pre = prose(rng) + " "
            text = pre + seq + " " + prose(rng)
            for surface in ("args", "output"):
                if surface == "args":
                    fs = ins.arguments({"message": text}, OPTS)
                    got = {f.kind for f in fs if f.detector == "terminal"}
                    assert got == {kind}, (seq, got)
                    assert all(f.severity == KINDS[kind] for f in fs if f.detector == "terminal")
                else:
                    fs, hits = ins.output(text.encode(), OPTS)
                    spans = [h.span for h in hits if h.finding.detector == "terminal"]
                    assert spans == [(len(pre), len(pre) + len(seq))], (seq, spans)


def test_a_json_answer_carries_them_escaped_and_they_are_found_there(ins: Inspector) -> None:
    rng = random.Random(11)
    for seq, kind in attacks(rng):
        body = json.dumps({"stdout": prose(rng) + seq + prose(rng), "n": 1})
        assert "\\u00" in body  # json.dumps spells the control characters as escapes
        fs, hits = ins.output(body.encode(), OPTS)
        assert {f.kind for f in fs if f.detector == "terminal"} == {kind}, (seq, fs)
        (span,) = [h.span for h in hits if h.finding.detector == "terminal"]
        assert span is not None
        assert json.loads('"' + body[span[0] : span[1]] + '"') == seq  # the span is the escaped sequence


def test_lookalikes_are_not_held_or_redacted(ins: Inspector) -> None:
    rng = random.Random(3)
    for text in lookalikes(rng):
        fs = ins.arguments({"message": text}, OPTS)
        assert all(KINDS[f.kind] == "low" for f in fs if f.detector == "terminal"), (text, fs)
        fs, _ = ins.output(text.encode(), OPTS)
        assert all(KINDS[f.kind] == "low" for f in fs if f.detector == "terminal"), (text, fs)
        # written out as JSON text (a doubled backslash) an escape is text, not a control character
        body = json.dumps({"doc": text.replace(ESC, "\\u001b")})
        fs, _ = ins.output(body.encode(), OPTS)
        assert not [f for f in fs if f.detector == "terminal"], (body, fs)


def test_colours_and_progress_lines_are_recorded_low_or_not_at_all(ins: Inspector) -> None:
    fs = ins.arguments({"log": f"{ESC}[1;32mPASS{ESC}[0m 10/10{ESC}[1A{ESC}[2K"}, OPTS)
    assert [(f.kind, f.severity) for f in fs] == [("terminal_cursor", "low")]  # the first of a low kind
    assert ins.arguments({"log": f"{ESC}[38;5;8mgrey{ESC}[0m"}, OPTS) == []


def test_the_work_is_bounded_on_hostile_text(ins: Inspector) -> None:
    det = next(d for d in ins.detectors if d.name == "terminal")
    from gateway.inspect.base import Target

    for hostile in (
        (ESC + "]") * 8000,  # unterminated strings, one inside the next
        (ESC + "[" + "1;" * 30) * 500,  # parameters that never end
        ("\\u001b]" * 4000) + "x",
        ESC * 20000,
    ):
        t = Target(hostile, None, "tool_output", "")
        start = time.thread_time()
        hits = det.scan(t)
        took = time.thread_time() - start
        assert len(hits) <= MAX_SEQUENCES + 1 + len(KINDS)
        assert took < 0.25, (hostile[:10], took)


def test_a_csi_padded_past_what_is_read_is_cut(ins: Inspector) -> None:
    padded = f"ok {ESC}[" + "0;" * 40 + "8mhidden" + f"{ESC}[0m"  # concealment behind 80 parameter characters
    _, hits = ins.output(padded.encode(), OPTS)
    assert [(h.finding.kind, h.finding.severity) for h in hits if h.finding.detector == "terminal"] == [
        ("terminal_overlong", "medium")
    ]
    assert ins.arguments({"text": f"{ESC}[" + "1;" * 20 + "32mgreen"}, OPTS) == []  # a long colour list is read whole


def test_many_harmless_sequences_do_not_hide_a_later_one(ins: Inspector) -> None:
    colours = f"{ESC}[1m*{ESC}[0m " * 3000  # 6,000 colour codes, then a clipboard write
    fs, hits = ins.output((colours + f"{ESC}]52;c;cm0={ESC}\\").encode(), OPTS)
    assert [h.finding.kind for h in hits if h.finding.detector == "terminal"] == ["terminal_clipboard"]
    fs = ins.arguments({"text": f"{ESC}[2K" * 3000 + f"{ESC}[8mhidden"}, OPTS)
    assert {f.kind for f in fs if f.detector == "terminal"} == {"terminal_cursor", "terminal_concealed"}


def test_past_the_span_bound_the_kind_is_kept_without_a_span(ins: Inspector) -> None:
    from gateway.inspect.base import Target

    det = next(d for d in ins.detectors if d.name == "terminal")
    hits = det.scan(Target(f"{ESC}[8mx" * (MAX_SEQUENCES + 50), None, "tool_output", ""))
    assert len(hits) == MAX_SEQUENCES + 1
    assert hits[-1].span is None and hits[-1].finding.kind == "terminal_concealed"


async def test_http_answer_loses_clipboard_and_hidden_text_keeps_colours(
    make_gateway: GatewayFactory, upstream: Upstream
) -> None:
    gw = await make_gateway()
    r = await gw.agent.get("/tools/echo/canned/terminal", headers=gw.auth())
    assert r.status == 200
    body = await r.json()
    assert body["stdout"] == f"{ESC}[32mok{ESC}[0m 3 files{ESC}[1A{ESC}[2K"  # colours and a progress line stay
    assert body["note"] == "done[REDACTED:terminal_clipboard] [REDACTED:terminal_concealed]run it" + ESC + "[0m"
    assert "output.redacted(LLM05)" in r.headers["X-Callgate-Output-Reasons"]
    rec = gw.records()[-1]
    assert rec["outcome"] == "allowed"
    assert sorted(rec["output_decision"]["redact"]) == ["terminal_clipboard", "terminal_concealed"]
    assert {f["kind"] for f in rec["output_findings"]} == {
        "terminal_cursor",
        "terminal_clipboard",
        "terminal_concealed",
    }

    r = await gw.agent.get("/tools/echo/canned/terminal_plain", headers=gw.auth())
    assert r.status == 200
    assert await r.text() == f"build ok[REDACTED:terminal_osc] {ESC}[31mred{ESC}[0m\n"


async def test_http_arguments_with_a_clipboard_write_are_denied_and_hidden_text_held(
    make_gateway: GatewayFactory, upstream: Upstream
) -> None:
    gw = await make_gateway()
    r = await gw.agent.post("/tools/echo/x", json={"text": f"hi{ESC}]52;c;cm0gLXJm{ESC}\\"}, headers=gw.auth())
    assert r.status == 403
    problem = await r.json()
    assert problem["reasons"][0]["code"] == "inspect.terminal"
    assert "\x1b" not in json.dumps(problem, ensure_ascii=False)  # the evidence is written out, not sent raw
    r = await gw.agent.post("/tools/echo/x", json={"text": f"hi{ESC}[8msecret{ESC}[0m"}, headers=gw.auth())
    assert r.status == 202
    assert (await r.json())["code"] == "approval.pending"
    r = await gw.agent.post("/tools/echo/x", json={"text": f"{ESC}[1mbold{ESC}[0m"}, headers=gw.auth())
    assert r.status == 200
    assert len(upstream.seen) == 1  # only the colours reached the tool


async def test_mcp_answer_loses_the_clipboard_write(make_gateway: GatewayFactory, mcp_upstream: McpUpstream) -> None:
    from tests.test_mcp_e2e import mcp_config, text_of, tool_records

    gw: Gateway = await make_gateway(mcp_servers=mcp_config(mcp_upstream.url))
    async with mcp_client(gw, gw.token(scopes=["tool:demo.*"])) as s:
        r = await s.call_tool("fetch_note", {"name": "build"})
    assert not r.is_error
    assert text_of(r) == f"{ESC}[32mBuild passed.{ESC}[0m[REDACTED:terminal_clipboard]"
    (rec,) = tool_records(gw)
    assert rec["output_decision"]["redact"] == ["terminal_clipboard"]
    assert ("terminal", "terminal_clipboard", "content[0].text") in {
        (f["detector"], f["kind"], f["path"]) for f in rec["output_findings"]
    }

"""Terminal control sequences in tool traffic (OWASP LLM05, improper output handling).

A tool's answer often ends up printed to a terminal: by an agent's CLI, by a log viewer,
by the operator reading a record. ECMA-48 control sequences in it are commands to that
terminal, not text: OSC 52 writes the user's clipboard, OSC 8 makes text a link to an
address it does not show, SGR 8 hides text from the reader while the model still reads it,
title-report requests make the terminal type text the page chose into its own input, DCS/APC/PM/SOS
strings reach terminal features few people know they have. The usual advice (and what
terminal-safe printers do) is to pass colours and strip the rest; this detector names what
the rest is, so policy can redact it from answers and hold it in arguments.

What is found, per sequence (raw ``ESC``/C1 characters; in a tool's answer also their JSON
spelling ``\\u001b``/``\\u009b``..., since a JSON body carries them escaped and is redacted as
text):

| kind | sequences | severity |
|---|---|---|
| ``terminal_clipboard`` | OSC 52 | high |
| ``terminal_report`` | CSI ``20t`` / ``21t``: the terminal types back a label or title the text may have set | medium |
| ``terminal_concealed`` | SGR with 8 (concealed text) | medium |
| ``terminal_osc`` | any other OSC (colours and their queries, fonts, notifications, file transfers) | medium |
| ``terminal_control_string`` | DCS, APC, PM, SOS | medium |
| ``terminal_reset`` | ``ESC c`` (clears the screen and scrollback) | medium |
| ``terminal_overlong`` | a CSI longer than ``MAX_CSI`` characters (parameters padded past what is read) | medium |
| ``terminal_hyperlink`` | OSC 8 | low (recorded only) |
| ``terminal_title`` | OSC 0-2, 7, 133, 633 (titles, working directory, shell-integration marks) | low |
| ``terminal_cursor`` | other CSI (moves, erasing, modes, status queries: progress bars, full-screen programs) | low |

Plain SGR (colours, bold) is not a finding: CLIs colour their output. The default pack redacts
medium and high kinds from answers and treats them as any finding in arguments (high denies,
medium asks for approval). Work is linear in the text (sequences are read once, none inside
another; a CSI up to ``MAX_CSI`` characters, a string up to ``MAX_STRING``); at most
``MAX_SEQUENCES`` spans of cut kinds per text, then a span-less hit, which blocks the answer.
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.inspect.base import Anchors, DetectorTraits, Hit, Severity, Target, finding, json_escape_spots

NAME = "terminal"
OWASP = ("LLM05",)
MAX_SEQUENCES = 1024  # spans of cut kinds kept per text (past it: one span-less hit)
MAX_CSI = 64  # characters of a CSI sequence (parameters, intermediates, final)
MAX_STRING = 4096  # characters of an OSC/DCS/APC/PM/SOS string before it counts as unterminated

ESC, BEL, ST = "\x1b", "\x07", "\x9c"
_C1_INTRO = {"\x9b": "[", "\x9d": "]", "\x90": "P", "\x9f": "_", "\x9e": "^", "\x98": "X"}
_STRINGS = {"P", "_", "^", "X"}  # DCS, APC, PM, SOS
_SECOND = frozenset(("[", "]", "c", *_STRINGS))  # what may follow ESC in a sequence judged here
# The JSON spellings of the introducers (lower case: the anchors are found in t.raw.lower()).
_JSON_INTROS = ("\\u001b", "\\u009b", "\\u009d", "\\u0090", "\\u009f", "\\u009e", "\\u0098")
_JSON_SIMPLE = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}

KINDS: dict[str, Severity] = {
    "terminal_clipboard": "high",
    "terminal_report": "medium",
    "terminal_concealed": "medium",
    "terminal_osc": "medium",
    "terminal_control_string": "medium",
    "terminal_reset": "medium",
    "terminal_overlong": "medium",
    "terminal_hyperlink": "low",
    "terminal_title": "low",
    "terminal_cursor": "low",
}


def _chars(text: str, pos: int, json_escaped: bool) -> Iterator[tuple[str, int]]:
    """The characters of ``text`` from ``pos`` with the index after each, JSON escapes decoded
    when ``json_escaped`` (a bad escape ends the run)."""
    n = len(text)
    i = pos
    while i < n:
        c = text[i]
        if not json_escaped or c != "\\":
            i += 1
            yield c, i
            continue
        nxt = text[i + 1 : i + 2]
        if nxt == "u":
            code = text[i + 2 : i + 6]
            if len(code) != 4 or not all(h in "0123456789abcdefABCDEF" for h in code):
                return
            i += 6
            yield chr(int(code, 16)), i
        elif nxt in _JSON_SIMPLE and nxt:
            i += 2
            yield _JSON_SIMPLE[nxt], i
        else:
            return


def _sgr_conceals(params: str) -> bool:
    """Does an SGR parameter list turn on concealed text (8)? Colour arguments (38/48/58 with
    5;n or 2;r;g;b) are skipped, so 256-colour index 8 is not taken for it."""
    parts = params.replace(":", ";").split(";")
    i = 0
    while i < len(parts):
        p = parts[i].lstrip("0") or "0"
        if p in ("38", "48", "58"):
            mode = parts[i + 1] if i + 1 < len(parts) else ""
            i += 3 if mode == "5" else 5 if mode == "2" else 2
            continue
        if p == "8":
            return True
        i += 1
    return False


def _csi_kind(it: Iterator[tuple[str, int]], start_end: int) -> tuple[str | None, int]:
    """Read a CSI sequence's parameters, intermediates and final; the kind (None: plain SGR or
    not a sequence) and where it ends."""
    params: list[str] = []
    end = start_end
    for k, (c, e) in enumerate(it):
        end = e
        if k >= MAX_CSI:  # longer than we read: what it does is unknown, so it is cut (fail closed)
            return "terminal_overlong", end
        if "\x30" <= c <= "\x3f" or "\x20" <= c <= "\x2f":
            params.append(c)
            continue
        if "\x40" <= c <= "\x7e":
            p = "".join(params)
            if c == "m":
                return ("terminal_concealed" if _sgr_conceals(p) else None), end
            if c == "t" and p.split(";")[0] in ("20", "21"):
                return "terminal_report", end
            return "terminal_cursor", end
        return None, start_end  # not a CSI sequence (a stray ESC [ in text)
    return None, start_end


def _string_end(it: Iterator[tuple[str, int]], start_end: int) -> tuple[str, int]:
    """Read an OSC/DCS/APC/PM/SOS string up to BEL or ST (ESC \\, or C1 ST); its text and end.
    NUL (the runner's separator between strings) or ``MAX_STRING`` characters end it unterminated."""
    body: list[str] = []
    end = start_end
    prev_esc = False
    for k, (c, e) in enumerate(it):
        end = e
        if k >= MAX_STRING or c == "\x00":
            break
        if c in (BEL, ST) or (prev_esc and c == "\\"):
            break
        prev_esc = c == ESC
        if not prev_esc:
            body.append(c)
    return "".join(body), end


# OSC numbers shells and prompts send on their own: window and icon titles (0-2), the working
# directory (7), shell-integration marks (133, VS Code's 633). Recorded, not cut.
_OSC_SHELL = frozenset({"0", "1", "2", "7", "133", "633"})


def _osc_kind(body: str) -> str:
    ps = body.split(";", 1)[0].strip()
    if ps == "52":
        return "terminal_clipboard"
    if ps == "8":
        return "terminal_hyperlink"
    if ps in _OSC_SHELL:
        return "terminal_title"
    return "terminal_osc"


def _intro_positions(t: Target) -> list[tuple[int, bool]]:
    """Where a sequence may start, in text order: raw ESC/C1 characters, and in a tool's answer the
    JSON spelling of one whose backslash is not itself escaped. (One ``str.find`` per occurrence;
    the runner hands a detector at most a slice of text.)"""
    raw = t.raw
    spots: list[tuple[int, bool]] = []
    for ch in (ESC, *_C1_INTRO):
        p = raw.find(ch)
        while p != -1:
            spots.append((p, False))
            p = raw.find(ch, p + 1)
    if t.surface == "tool_output" and "\\u00" in raw:
        spots += ((p, True) for p in json_escape_spots(raw, _JSON_INTROS))
    spots.sort()
    return spots


def first_control(text: str, *, json_text: bool = False) -> int | None:
    """Where the first ESC or C1 introducer lies in ``text`` (with ``json_text``, also a JSON
    escape of one that is not itself escaped), or None: for text that should hold none at all,
    colours included (an MCP tool's description: colours can hide text as well as SGR 8)."""
    spots = _intro_positions(Target(text, None, "tool_output" if json_text else "request_arg", ""))
    return spots[0][0] if spots else None


def _printable(s: str) -> str:
    return "".join(c if " " <= c < "\x7f" else f"\\x{ord(c):02x}" if ord(c) < 256 else c for c in s)


class TerminalDetector:
    """ECMA-48 control sequences other than colours (see the module text)."""

    name = NAME
    traits = DetectorTraits(spans_raw=True, anchors=Anchors(raw=(ESC, *_C1_INTRO), lower=_JSON_INTROS))

    def scan(self, t: Target) -> list[Hit]:
        """Every sequence's kind; spans for the kinds policy cuts out (medium and high), up to
        ``MAX_SEQUENCES``, then one hit without a span (redacting it blocks the answer: fail closed);
        of the recorded-only kinds (low) the first of each."""
        hits: list[Hit] = []
        low: set[str] = set()
        done = -1
        for pos, json_escaped in _intro_positions(t):
            if pos < done:
                continue  # inside the previous sequence (the ESC of its ST, say)
            if not json_escaped and t.raw[pos] == ESC and t.raw[pos + 1 : pos + 2] not in _SECOND:
                continue  # an ESC that opens nothing judged here (ESC 7, a charset, a lone ESC)
            kind, end = self._sequence(t.raw, pos, json_escaped)
            if kind is None:
                continue
            done = end
            severity = KINDS[kind]
            if severity == "low":
                if kind in low:
                    continue
                low.add(kind)
            ev = _printable(t.raw[pos : min(end, pos + 40)] if json_escaped else t.raw[pos:end])[:60]
            f = finding(NAME, t, kind, severity, OWASP, ev, 0.9)
            if len(hits) - len(low) >= MAX_SEQUENCES:
                hits.append(Hit(f, None))
                break
            hits.append(Hit(f, (pos, end)))
        return hits

    @staticmethod
    def _sequence(raw: str, pos: int, json_escaped: bool) -> tuple[str | None, int]:
        it = _chars(raw, pos, json_escaped)
        first = next(it, None)
        if first is None:
            return None, pos
        c, end = first
        if c == ESC:
            second = next(it, None)
            if second is None:
                return None, end
            c, end = second
            if c == "c":
                return "terminal_reset", end
        else:
            c = _C1_INTRO.get(c, "")
        if c == "[":
            return _csi_kind(it, end)
        if c == "]":
            body, end = _string_end(it, end)
            return _osc_kind(body), end
        if c in _STRINGS:
            _, end = _string_end(it, end)
            return "terminal_control_string", end
        return None, end

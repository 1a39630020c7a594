"""Bidirectional-text controls used to make text read one way and show another (LLM05).

Unicode's embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) reorder
how text is *displayed*, not what it is. In right-to-left writing they have a use; in text
with no right-to-left letter at all they have none but deception: "Trojan Source"
(CVE-2021-42574) hides code in what reviewers see as a comment or a string, and a file name
``invoice<U+202E>fdp.exe`` shows as ``invoiceexe.pdf``. An agent that writes such text into a
repository, a message or a file name, or a tool answer that hands it to a user, carries a
display the model never saw.

- In text with no right-to-left letter (Hebrew, Arabic, Syriac, Thaana, N'Ko... and their
  presentation forms): each control is a ``bidi_control`` hit, medium (held in arguments, cut
  from answers by the default pack).
- In text with right-to-left letters: the overrides alone (LRO, RLO: they force an order on
  letters whatever their direction), low and recorded; embeddings and isolates are ordinary
  there.

In a tool's JSON answer the controls (and the letters) may come as escapes (``\\u202e``); those
are read too. At most ``MAX_SPANS`` hits per text, then one without a span (redacting it blocks
the answer).
"""

from __future__ import annotations

import re

from gateway.inspect.base import Anchors, DetectorTraits, Hit, Target, finding, json_escape_spots

NAME = "bidi"
OWASP = ("LLM05",)
MAX_SPANS = 1024
CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
OVERRIDES = "\u202d\u202e"
_CONTROL = re.compile(f"[{CONTROLS}]")
# Letters of right-to-left scripts (and their presentation forms), where these controls are ordinary.
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]")
_NAMES = {
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
}


def deceptive_control(text: str) -> int | None:
    """Where the first bidi control lies in ``text`` when it holds no right-to-left letter (the
    controls then only deceive), else None (an MCP tool definition's screen)."""
    m = _CONTROL.search(text)
    return m.start() if m is not None and _RTL.search(text) is None else None


_SHOWN = {ord(c): f"<{n}>" for c, n in _NAMES.items()}  # evidence names the controls, never holds them


_JSON_CONTROLS = tuple(f"\\u{ord(c):04x}" for c in CONTROLS)
# a JSON escape of a right-to-left letter (the blocks above, to the nearest 256: more RTL, fewer alarms)
_RTL_ESCAPED = re.compile(r"\\u(?:0[5-8]|f[b-e])[0-9a-f]{2}", re.I)


class BidiDetector:
    name = NAME
    traits = DetectorTraits(spans_raw=True, anchors=Anchors(raw=tuple(CONTROLS), lower=_JSON_CONTROLS))

    def scan(self, t: Target) -> list[Hit]:
        """Each control's hit (see the module text); in a tool's answer also their JSON escapes
        (``\\u202e``), since a JSON body is inspected and redacted as text."""
        raw = t.raw
        spots = [(m.start(), m.end()) for m in _CONTROL.finditer(raw)]
        escaped = t.surface == "tool_output" and "\\u20" in raw
        if escaped:
            spots += [(p, p + 6) for p in json_escape_spots(raw, _JSON_CONTROLS)]
            spots.sort()
        rtl = _RTL.search(raw) is not None or (escaped and _RTL_ESCAPED.search(raw) is not None)
        hits: list[Hit] = []
        for start, end in spots:
            c = raw[start] if end - start == 1 else chr(int(raw[start + 2 : end], 16))
            if rtl and c not in OVERRIDES:
                continue
            ev = (raw[max(0, start - 12) : start] + c + raw[end : end + 12]).translate(_SHOWN)
            f = finding(NAME, t, "bidi_override" if rtl else "bidi_control", "low" if rtl else "medium", OWASP, ev)
            if len(hits) >= MAX_SPANS:
                hits.append(Hit(f, None))
                break
            hits.append(Hit(f, (start, end)))
            if rtl:
                break  # recorded only: one is enough
        return hits

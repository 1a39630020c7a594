"""PII: email, phone, payment card (Luhn), IBAN (mod 97), US SSN. OWASP LLM02.

PII is ordinary in tool traffic (an e-mail tool takes addresses, a banking tool IBANs),
so contact details and IBANs are low severity: recorded, and redacted from a tool's
output only when the tool opts in (``inspect.redact: [email, phone, iban]``). Card
numbers (Luhn-valid, printed as cards are: one run of 13-19 digits or groups of 4-4-4-4(-3), 4-6-5
or 4-6-4, with token boundaries: not digits inside a hex id, a longer token or a longer run of digit
groups) and national ids are medium: redacted from outputs by default.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from gateway.inspect.base import Anchors, DetectorTraits, Hit, Severity, Target, excerpt, finding
from gateway.inspect.prefilter import ARG_GATES, PatternGate, RegexGate

NAME = "pii"
OWASP = ("LLM02",)

# Patterns start with a character class, not \b or a lookbehind, so the regex engine can
# skip ahead quickly; the left boundary is checked by hand (``_left_ok``).
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b")
_PHONE = re.compile(r"\+[1-9]\d{0,2}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}\b")
# A card number as cards are printed: 13-19 digits in one run, or groups of 4-4-4-4 (-3), 4-6-5 or
# 4-6-4, one separator throughout (checked by hand, as is the start: not after a digit or "-").
_CARD = re.compile(r"[3-6](?:\d{12,18}|\d{3}(?:[ -]\d{4}){3}(?:[ -]\d{3})?|\d{3}[ -]\d{6}[ -]\d{4,5})(?![\d-])")
_IBAN = re.compile(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_SSN = re.compile(r"\d{3}-\d{2}-\d{4}(?![\w-])")  # area/group/serial rules checked by hand
# Digits and capitals are everywhere, these matches are rare: one Hyperscan pass says which
# of the three can match at all (tests/test_inspect_prefilter.py holds it sound).
_GATE = RegexGate([_CARD.pattern, _IBAN.pattern, _SSN.pattern])
# The same question for ASCII text, bytewise with ASCII classes: ~15x cheaper than the UTF-8
# gate's Unicode \d and \b (0.7 against 10 µs per KiB).
_ASCII_GATE = PatternGate([_CARD, _IBAN, _SSN], ARG_GATES)
_LOCAL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-")  # _EMAIL's first class


def emails(raw: str) -> Iterator[re.Match[str]]:
    """``_EMAIL.finditer(raw)``, trying ``_EMAIL.match`` only once per "@".

    A match's "@" is the first one after its start (the local part's class excludes "@"), and
    what follows the "@" does not depend on where the match starts. So for each "@" only the
    leftmost start can match: the start of the run of local-part characters before it, at most
    64 back and not before the previous match's end. If that start fails, every start before
    this "@" fails. A ``finditer`` instead tried every position of the text: 1,000 letters of
    prose cost ~40 µs, the "@"s ~1 µs. ``tests/test_inspect_detectors.py`` holds the two equal.
    """
    match = _EMAIL.match
    pos = 0
    at = raw.find("@")
    while at != -1:
        s = at
        lo = max(pos, at - 64)
        while s > lo and raw[s - 1] in _LOCAL:
            s -= 1
        m = match(raw, s) if s < at else None
        if m is not None:
            yield m
            pos = m.end()
            at = raw.find("@", pos)
        else:
            at = raw.find("@", at + 1)


def _left_ok(text: str, start: int, also: str = "") -> bool:
    """No word character (or one of ``also``) right before ``start``."""
    if start == 0:
        return True
    c = text[start - 1]
    return not (c.isalnum() or c == "_" or c in also)


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_CARD_GROUPS = frozenset({(4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4)})


def card_end(raw: str, m: re.Match[str]) -> int | None:
    """Where the card number ``_CARD`` matched ends, or None if it is none: a Luhn-valid number with
    a token's right boundary (no word character, or "." before one), and, if it is grouped, one
    separator throughout and no more digit groups around it: "3456 4567 5678 6789 7890" is a column
    of numbers. A trailing group of three that fails the checksum or has its own separator may be the
    next number ("4111 1111 1111 1111 123", a CVV): the four groups before it are tried alone."""
    text = m.group(0)
    seps = [c for c in text if c == " " or c == "-"]
    sep = seps[0] if seps else ""
    if sep:
        groups = re.split("[ -]", text)
        if m.start() >= 2 and raw[m.start() - 1] == sep and raw[m.start() - 2].isdigit():
            return None  # the tail of a longer run of groups
        if seps.count(sep) == len(seps):
            tries = [groups, groups[:4]] if len(groups) == 5 else [groups]
        elif len(groups) == 5 and seps.count(sep) == 3:
            tries = [groups[:4]]  # "4111-1111-1111-1111 123": the last group is the next number's
        else:
            return None  # "4111 1111-1111 1111": not printed as a card
    else:
        tries = [[text]]
    for gs in tries:
        end = m.start() + len(sep.join(gs))
        digits = "".join(gs)
        if sep and tuple(len(g) for g in gs) not in _CARD_GROUPS:
            continue
        nxt = raw[end : end + 2]
        if nxt[:1].isalnum() or nxt[:1] == "_" or (nxt[:1] == "." and nxt[1:2].isalnum()):
            continue
        if sep and nxt[:1] == sep and len(more := raw[end + 1 : end + 5]) == 4 and more.isdigit():
            continue  # more groups of four follow: a column of numbers
        if 13 <= len(digits) <= 19 and luhn(digits):
            return end
    return None


def iban_ok(iban: str) -> bool:
    s = iban.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    num = "".join(str(int(c, 36)) for c in moved)
    return int(num) % 97 == 1


class PiiDetector:
    name = NAME
    # Every hit carries its span in the raw text. Anchors: e-mail, phone; the rest are
    # digits, which ``\d`` also finds in other scripts (an SSN in Arabic-Indic digits):
    # non-ASCII text opens it too.
    traits = DetectorTraits(spans_raw=True, anchors=Anchors(raw=("@", "+", *"0123456789"), non_ascii=True))

    def scan(self, t: Target) -> list[Hit]:
        raw = t.raw
        hits: list[Hit] = []

        def add(kind: str, sev: Severity, m: re.Match[str], conf: float) -> None:
            ev = excerpt(raw, m.start(), m.end(), redact=True)
            hits.append(Hit(finding(NAME, t, kind, sev, OWASP, ev, conf), m.span()))

        for m in emails(raw):
            if _left_ok(raw, m.start()):
                add("email", "low", m, 0.9)
        gate = _ASCII_GATE.possible(raw)
        if gate is None:
            gate = _GATE.possible(raw)
        for m in _CARD.finditer(raw) if gate is None or 0 in gate else ():
            if _left_ok(raw, m.start(), "-.") and (end := card_end(raw, m)) is not None:
                ev = excerpt(raw, m.start(), end, redact=True)
                hits.append(Hit(finding(NAME, t, "payment_card", "medium", OWASP, ev, 0.9), (m.start(), end)))
        for m in _IBAN.finditer(raw) if gate is None or 1 in gate else ():
            if _left_ok(raw, m.start()) and iban_ok(m.group(0)):
                add("iban", "low", m, 0.95)
        for m in _SSN.finditer(raw) if "-" in raw and (gate is None or 2 in gate) else ():
            area, group, serial = m.group(0).split("-")
            if (
                _left_ok(raw, m.start(), "-")
                and area not in ("000", "666")
                and area[0] != "9"
                and group != "00"
                and serial != "0000"
            ):
                add("us_ssn", "medium", m, 0.7)
        if "+" in raw:
            for m in _PHONE.finditer(raw):
                if _left_ok(raw, m.start(), "+"):
                    add("phone", "low", m, 0.6)
        return hits

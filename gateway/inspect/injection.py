"""Prompt injection, direct (in arguments) and indirect (in tool outputs). OWASP LLM01, ASI01.

Matches on folded text: instruction overrides, role/system markers and chat-template
tokens, messages addressed to the AI, forged tool calls, hidden text (HTML comments,
CSS-hidden elements, Unicode tag characters), encoded payloads (base64, hex, rot13;
decoded and rescanned), markdown image/link exfiltration, and non-English overrides.
Every pattern uses bounded repetition only (no nested unbounded quantifiers).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from urllib.parse import parse_qsl, urlsplit

from gateway.inspect.base import Hit, Severity, Target, excerpt, finding
from gateway.inspect.normalize import fold, tag_text

NAME = "injection"
OWASP = ("LLM01", "ASI01")

# (kind, severity, confidence, pattern on folded text). _TOKENS below gives, per rule,
# substrings one of which every match contains: a cheap ``in`` test skips the regex.
_RULES: list[tuple[str, Severity, float, re.Pattern[str]]] = [
    (
        "instruction_override",
        "high",
        0.95,
        re.compile(
            r"\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.\n]{0,40}?"
            r"\b(?:previous|prior|above|earlier|preceding|all|any|your|the|system|original)\b[^.\n]{0,30}?"
            r"\b(?:instructions?|prompts?|rules|directives|guidelines|guidance|guardrails|policies|constraints)\b|"
            r"\b(?:forget|disregard|ignore) (?:everything|all of (?:that|this)|what (?:you were|i) told you)"
            r"(?: (?:above|before|so far|earlier|previously))?\b"
        ),
    ),
    (
        "instruction_override",
        "high",
        0.9,
        re.compile(
            r"\b(?:new|updated|real|actual|revised) (?:system )?instructions?\s?:|"
            r"\byou are now (?:in )?(?:dan|developer mode|jailbroken|unrestricted|an? unfiltered)|"
            r"\benable (?:developer|god|jailbreak) mode\b|"
            r"\b(?:reveal|print|output|show|repeat) (?:your|the) "
            r"(?:system prompt|hidden instructions|initial instructions)"
        ),
    ),
    (
        "role_marker",
        "high",
        0.95,
        re.compile(
            r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id)\|>|"
            r"\[/?inst\]|<</?sys>>|<start_of_turn>|<end_of_turn>|"
            r"(?:^|\n|\s)#{2,4} ?(?:system|instruction)s? ?:|"
            r"(?:^|[\n\"'])\s?(?:system|assistant) ?: ?(?:you|ignore|from now|new)"
        ),
    ),
    (
        "addressed_to_ai",
        "high",
        0.85,
        re.compile(
            r"\b(?:note|message|attention|instructions?|important|notice) (?:to|for) "
            r"(?:the |any |all )?(?:ai|assistant|a\.i\.|llm|language model|chatbot|agent|copilot|model)s?\b|"
            r"\bif you are an? (?:ai|llm|language model|assistant|ai assistant|ai agent|autonomous agent)\b|"
            r"\b(?:dear|hey|hi) (?:ai|assistant|llm|chatbot|claude|chatgpt|gpt|gemini|copilot)\b[,:!]|"
            r"\bthis (?:message|instruction) (?:is|comes) from (?:the )?(?:user|system|administrator|developer)\b"
        ),
    ),
    (
        "action_directive",
        "high",
        0.85,
        re.compile(
            r"\b(?:assistant|ai|agent|model)\b[^.\n]{0,30}\b(?:must|should|needs to|is required to)\b[^.\n]{0,40}"
            r"\b(?:send|forward|email|transfer|exfiltrate|upload|post|delete|execute|run|call)\b|"
            r"\b(?:urgent|immediately|right now|without (?:asking|telling|confirmation))\b[^.\n]{0,60}"
            r"\b(?:send|forward|transfer|wire|delete|exfiltrate) (?:all|the|every|your)\b[^.\n]{0,40}"
            r"\b(?:to|into)\b[^.\n]{0,20}(?:@|https?://)"
        ),
    ),
    (
        "forged_tool_call",
        "high",
        0.85,
        re.compile(
            r"<(?:tool_call|function_calls?|tool_use|invoke name=)|"
            r"\"(?:function_call|tool_calls)\" ?: ?[\[{]|"
            r"\{ ?\"(?:tool|name)\" ?: ?\"[a-z0-9_.-]{1,64}\" ?, ?\"(?:arguments|parameters|input)\" ?:"
        ),
    ),
    (
        "non_english_override",
        "high",
        0.9,
        re.compile(
            r"ignora (?:todas )?(?:las )?instrucciones (?:anteriores|previas)|"
            r"ignore[zr] (?:toutes )?les instructions (?:précédentes|precedentes|antérieures)|"
            r"ignorier(?:e|en sie) (?:alle )?(?:vorherigen|bisherigen|obigen) (?:anweisungen|instruktionen)|"
            r"ignora (?:tutte )?le istruzioni precedenti|"
            r"ignore (?:todas )?as instruções anteriores|"
            r"игнорируй(?:те)? (?:все )?(?:предыдущие|прошлые) (?:инструкции|указания)|"
            r"忽略(?:之前|以上|先前|所有)(?:的)?(?:所有)?(?:指令|指示|说明)|"
            r"(?:前|以前)の指示を無視|"
            r"이전 지시(?:를|사항을)? 무시"
        ),
    ),
]

_TOKENS: list[tuple[str, ...]] = [
    ("ignor", "disregard", "forget", "overrid", "bypass", "skip"),
    ("instruction", "you are now", " mode", "system prompt", "hidden instructions", "initial instructions"),
    ("<|", "inst]", "<<", "_of_turn>", "#", "system", "assistant"),
    (" ai", "assistant", "a.i.", "llm", "language model", "chatbot", "agent", "copilot", "model", "claude",
     "gpt", "gemini", "this message", "this instruction"),
    ("assistant", "ai ", "ai,", "agent", "model", "urgent", "immediately", "right now", "without"),
    ("<tool_", "<function_call", "<invoke", "function_call\"", "tool_calls\"", "\"arguments\"", "\"parameters\"",
     "\"input\""),
    ("ignor", "игнор", "忽略", "無視", "무시"),
]  # fmt: skip
assert len(_TOKENS) == len(_RULES)
_RULES_T = [(*r, toks) for r, toks in zip(_RULES, _TOKENS, strict=True)]

_MD_IMAGE = re.compile(r"!\[[^\[\]\n]{0,200}\]\(\s?(https?://[^)\s]{1,2000})")
_MD_LINK = re.compile(r"(?<!!)\[[^\[\]\n]{0,200}\]\(\s?(https?://[^)\s]{1,2000})")
_EXFIL_WORDS = re.compile(r"conversation|history|chat|secret|password|token|api.?key|prompt|context|memory|\{|\$")
_CSS_HIDDEN = re.compile(
    r"<(\w{1,10})[^<>]{0,300}style=[\"'][^\"'<>]{0,300}"
    r"(?:display:\s?none|visibility:\s?hidden|font-size:\s?0(?:px)?\b|opacity:\s?0(?:\.0)?\b|color:\s?(?:#fff\b|#ffffff|white))"
    r"[^<>]{0,300}>([^<]{0,4000})"
)
_ENCODED = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")  # base64 runs; hex runs are a subset
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")


def html_comments(text: str) -> list[str]:
    """Bodies of HTML comments, found with ``str.find`` (linear; a regex would rescan)."""
    out: list[str] = []
    pos = text.find("<!--")
    while pos != -1:
        end = text.find("-->", pos + 4)
        if end == -1:
            break
        out.append(text[pos + 4 : end])
        pos = text.find("<!--", end + 3)
    return out


class InjectionDetector:
    name = NAME

    def scan(self, t: Target) -> list[Hit]:
        hits = self._rules(t, t.norm, "")
        if hits:
            return hits
        hidden = tag_text(t.raw)
        if hidden:
            return [Hit(finding(NAME, t, "unicode_tags", "high", OWASP, excerpt(hidden, 0, len(hidden)), 0.95))]
        hits.extend(self._exfil(t))
        hits.extend(self._hidden(t))
        if not hits:
            hits.extend(self._encoded(t))
        return hits

    def _rules(self, t: Target, text: str, via: str) -> list[Hit]:
        for kind, sev, conf, rx, toks in _RULES_T:
            if not any(tok in text for tok in toks):
                continue
            m = rx.search(text)
            if m:
                ev = excerpt(text, m.start(), m.end())
                span = None
                if not via and t.raw.isascii():  # locate it in the raw text, so it can be stripped
                    r = rx.search(t.raw.lower())
                    span = r.span() if r else None
                return [Hit(finding(NAME, t, kind + via, sev, OWASP, ev, conf), span)]
        return []

    def _exfil(self, t: Target) -> list[Hit]:
        if "](" not in t.raw:
            return []
        for rx, kind in ((_MD_IMAGE, "markdown_image_exfil"), (_MD_LINK, "markdown_link_exfil")):
            for m in rx.finditer(t.raw):
                query = urlsplit(m.group(1)).query
                if not query:
                    continue
                values = [v for _, v in parse_qsl(query, keep_blank_values=True)]
                long_value = any(len(v) >= 40 for v in values)
                wordy = _EXFIL_WORDS.search(query.lower()) is not None
                if (kind == "markdown_image_exfil" and (long_value or wordy)) or (long_value and wordy):
                    sev: Severity = "high" if kind == "markdown_image_exfil" or (long_value and wordy) else "medium"
                    ev = excerpt(m.group(1), 0, len(m.group(1)), width=60)
                    return [Hit(finding(NAME, t, kind, sev, (*OWASP, "LLM02"), ev, 0.85))]
        return []

    def _hidden(self, t: Target) -> list[Hit]:
        low = t.norm
        if "<!--" not in low and "style=" not in low:
            return []
        for inner_text in html_comments(low):
            inner = self._rules(t, inner_text, "_in_html_comment")
            if inner:
                return inner
        for m in _CSS_HIDDEN.finditer(low):
            inner = self._rules(t, m.group(2), "_in_hidden_element")
            if inner:
                return inner
        return []

    def _encoded(self, t: Target) -> list[Hit]:
        for m in _ENCODED.finditer(t.raw):
            chunk = m.group(0)
            if len(chunk) % 2 == 0 and len(chunk) >= 32 and _HEXDIGITS.issuperset(chunk):
                try:
                    decoded = bytes.fromhex(chunk).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    continue
                via = "_hex"
            else:
                try:
                    decoded = base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=False).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError, ValueError):
                    continue
                if not (decoded.isprintable() or "\n" in decoded):
                    continue
                via = "_base64"
            found = self._rules(t, fold(decoded), via)
            if found:
                return found
        if "rot" in t.norm or "vafgehpgvba" in t.norm or "cerivbhf" in t.norm or "vtaber" in t.norm:
            return self._rules(t, codecs.decode(t.norm, "rot13"), "_rot13")
        return []

"""Prompt injection, direct (in arguments) and indirect (in tool outputs). OWASP LLM01, ASI01.

Matches on folded text: instruction overrides, role/system markers and chat-template
tokens, messages addressed to the AI, forged tool calls, hidden text (HTML comments,
CSS-hidden elements, HTML attribute text, Unicode tag characters), messages to the model
posing as the user or system inside data, requests to reveal hidden instructions, persona
jailbreaks (several weak cues together), forged conversation turns, markdown image/link/
reference exfiltration (placeholders, split URLs), and non-English overrides. A text only
addressed to an AI ("Note for AI assistants: use tabs") is a low finding unless a hijack
cue (send, reveal, ignore, a URL, ...) follows it. Encoded text is decoded and rescanned by
every detector in ``decode.DecodedDetector``.
Every pattern uses bounded repetition only (no nested unbounded quantifiers).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

from gateway.inspect.base import Hit, Severity, Target, excerpt, finding
from gateway.inspect.normalize import tag_text

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
            r"(?:ignore|disregard) (?:all |your |the |any )?(?:previous|prior|above|earlier) i[a-z]?nstructions?\b|"
            r"(?<![a-z])(?:ignore|disregard|forget|override|bypass|skip)\b[^.\n]{0,40}?"
            r"\b(?:previous|prior|above|earlier|preceding|all|any|your|the|system|original)\b[^.\n]{0,30}?"
            r"\b(?:i[a-z]?nstructions?|prompts?|rules|directives|guidelines|guidance|guardrails|policies|constraints)\b|"
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
            r"#{2,4} ?[(\[]?(?:system|system_message|system message|admin|developer|sudo)[)\]]|"
            r"\[(?:system|admin|developer|sudo)(?: ?message| ?prompt| ?note)?\] ?:?|"
            r"</?(?:system|sys|system_message|system-prompt|admin_instructions)>|"
            r"(?:^|[\n\"'.!?] ?)\s?(?:system|assistant|developer) ?: ?"
            r"(?:you|ignore|from now|new|please|do|send|forward|the user|important|always|never|reveal|print)"
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
        "user_message_in_data",
        "high",
        0.9,
        re.compile(
            r"\b(?:this is )?an? (?:important|urgent|private|personal|confidential) "
            r"(?:message|note|request|instruction)s? from (?:me|the user|your user|your owner|the system|"
            r"the administrator|the admin|the developer|your developer)\b|"
            r"\bmessage from me, [^,.\n]{1,40}, to you\b|"
            r"\bbefore (?:you )?(?:can )?(?:solve|do|complete|continue|start|finish|answer|proceed with|work on|"
            r"handle|begin) (?:the|your|this|my|any) (?:\w{1,15} )?(?:task|request|job|question|work)s?\b"
            r"[^.\n]{0,40}(?:please|first|you (?:must|should|need to|have to))|"
            r"\bafter you do that,? you can (?:solve|do|complete|continue|go back to)\b|"
            r"todo: (?:please )?[a-z]{2,15}\b[^\n]{0,500}?(?:@[a-z0-9-]{1,63}\.[a-z]{2,24}\b|https?://|"
            r"\bwww\.|\b[a-z]{2}\d{2}[a-z0-9]{10,30}\b|\bthe user(?:'s)?\b|\bmy (?:email|friend|account|new)\b|"
            r"\bsay that\b|\bi should\b)"
        ),
    ),
    (
        "prompt_leak",
        "high",
        0.85,
        re.compile(
            r"\b(?:reveal|print|repeat|output|dump|leak|spell out|recite|disclose|echo|display|show|write out|"
            r"translate|summari[sz]e|encode)\b[^.\n]{0,40}?"
            r"\b(?:your (?:\w{1,12} ){0,2}(?:instructions|system prompt|prompt|system message|guidelines|directives|"
            r"rules)|(?:the|its) (?:system|initial|original|hidden|secret|developer|pre-?prompt|full|complete|exact) "
            r"(?:prompt|instructions|message)|(?:complete |full |entire )?text of (?:the|your) (?:prompt|instructions)|"
            r"(?:everything|all|the text|the words|the content) (?:written )?(?:above|before this)|"
            r"(?:what|everything) (?:you were|you've been|you have been) (?:told|given|instructed))|"
            r"\b(?:tell me|give me|provide|share|list|return|paste|copy)\b[^.\n]{0,40}?\b(?:your|the|its) "
            r"(?:system prompt|system message|(?:initial|original|hidden|secret) (?:prompt|instructions)|pre-?prompt)|"
            r"\bwhat (?:were|are|was|is) your (?:\w{1,12} ){0,2}(?:instructions|system prompt|prompt|rules|"
            r"guidelines)\b|\b(?:words|text) above,? (?:starting|beginning) with\b"
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
    ("<|", "inst]", "<<", "_of_turn>", "#", "system", "assistant", "admin", "developer", "sudo"),
    (" ai", "assistant", "a.i.", "llm", "language model", "chatbot", "agent", "copilot", "model", "claude",
     "gpt", "gemini", "this message", "this instruction"),
    ("assistant", "ai ", "ai,", "agent", "model", "urgent", "immediately", "right now", "without"),
    ("<tool_", "<function_call", "<invoke", "function_call\"", "tool_calls\"", "\"arguments\"", "\"parameters\"",
     "\"input\""),
    ("message from", "note from", "request from", "instruction from", "instructions from", "message from me",
     "before you", "before can", "before solve", "before do ", "before complet", "before continu", "before start",
     "before finish", "before answer", "before proceed", "before work", "before handl", "before begin",
     "after you do that", "todo:"),
    ("instruction", "prompt", "system message", "guideline", "directive", "rules", "above", "before this", "told",
     "given"),
    ("ignor", "игнор", "忽略", "無視", "무시"),
]  # fmt: skip
assert len(_TOKENS) == len(_RULES)
_RULES_T = [(*r, toks) for r, toks in zip(_RULES, _TOKENS, strict=True)]


_MD_IMAGE = re.compile(r"!\[[^\[\]\n]{0,200}\]\(\s?<?(https?://[^)\s>]{1,2000})")
_MD_LINK = re.compile(r"(?<!!)\[[^\[\]\n]{0,200}\]\(\s?<?(https?://[^)\s>]{1,2000})")
_MD_REF = re.compile(r"(?:^|\n)[ \t]{0,3}\[[^\[\]\n]{1,100}\]:[ \t]{0,4}<?(https?://[^\s>]{1,2000})")
_EXFIL_WORDS = re.compile(r"conversation|history|chat|secret|password|token|api.?key|prompt|context|memory|\{|\$")
# A value that is a fill-in slot rather than data: {data}, [SECRET], <history>, $TOKEN, %s, INFO_HERE.
_PLACEHOLDER = re.compile(
    r"[{\[<][^}\]>]{0,40}[}\]>]|\$[A-Za-z_]{2,40}|%s|\b[A-Z][A-Z_]{3,30}\b|\.\.\.|(?:^|_)here(?:$|_)"
)
# A URL that ends in "...param=" and is completed elsewhere ("+ data", a placeholder, "append ...").
_SPLIT_URL = re.compile(r"https?://[^\s\"'<>()]{1,300}[?&/][A-Za-z0-9_.-]{0,30}=[\"'`]? ?(?:\+|\{|\[|<|\$)")
_SPLIT_TOKENS = ("=+", "= +", "={", "= {", "=[", "=<", "=$", "='", '="', "=`")
_APPEND_TOKENS = ("url encode", "url-encode", "urlencode", "append", "concatenate")
_APPEND_URL = re.compile(
    r"\b(?:url[- ]?encode|append|concatenate)\b[^\n]{0,80}?"
    r"\b(?:to|into|onto|at the end of|after)\b[^\n]{0,20}?https?://[^\s\"'<>]{1,300}"
)
_CSS_HIDDEN = re.compile(
    r"<(\w{1,10})[^<>]{0,300}style=[\"'][^\"'<>]{0,300}"
    r"(?:display:\s?none|visibility:\s?hidden|font-size:\s?0(?:px)?\b|opacity:\s?0(?:\.0)?\b|color:\s?(?:#fff\b|#ffffff|white))"
    r"[^<>]{0,300}>([^<]{0,4000})"
)
# Text in HTML attributes a model reads but a person does not see.
_ATTR_TEXT = re.compile(
    r"\b(?:alt|title|aria-label|aria-description|placeholder|data-[a-z-]{1,20}|content|summary|label)"
    r" ?= ?(?:\"([^\"<>]{12,2000})\"|'([^'<>]{12,2000})')"
)
# Cues that a text addressed to an AI wants it to do something for someone else.
_HIJACK_CUE = re.compile(
    r"\b(?:send|forward|e-?mail|transfer|wire|pay|exfiltrate|upload|delete|execute|visit|"
    r"fetch|navigate|reveal|ignore|disregard|override|bypass|instead|immediately|urgent|secret|"
    r"password|api.?key|token|credential|credit card|do not (?:tell|mention|inform|reveal)|without (?:telling|asking|"
    r"informing|confirmation)|don't (?:tell|mention))\b|https?://|@[a-z0-9-]{1,63}\."
)
# Persona jailbreaks: several weak cues together, each one harmless alone.
_PERSONA_CUES: list[re.Pattern[str]] = [
    re.compile(r"\b(?:act|acting|pretend|roleplay|role-play|behave|respond) (?:as|like|to be)\b"),
    re.compile(r"\bfrom (?:now on|this (?:point|moment) (?:on|forward))\b"),
    re.compile(r"\b(?:dan|stan|dude|aim|jailbreak|jailbroken|developer mode|dan mode|god mode|evil confidant)\b"),
    re.compile(r"\bdo anything now\b|\b(?:can|could|will) do anything\b|\bno longer (?:bound|restricted|limited)\b"),
    re.compile(
        r"\b(?:no|without|free (?:of|from)|not bound by|broken free of|freed from|bypass|ignore|disregard|beyond)\b"
        r"[^.\n]{0,30}\b(?:restrictions|limitations|limits|filters|filtering|censorship|guidelines|polic(?:y|ies)|"
        r"ethics|ethical|morals|moral|confines|safeguards)\b"
    ),
    re.compile(r"\b(?:stay|staying|break|breaking) (?:in )?character\b"),
    re.compile(r"\b(?:openai|anthropic|google|meta|content|usage) polic(?:y|ies)\b"),
    re.compile(r"\b(?:two|2) (?:different |separate |distinct )?(?:responses|answers|paragraphs|outputs)\b"),
    re.compile(r"\b(?:unfiltered|uncensored|unrestricted|amoral|unethical|unbound|unchained|unlimited power)\b"),
    re.compile(
        r"\b(?:simulate|enable|activate|enter|switch to)\b[^.\n]{0,20}\bmode\b|\bmode (?:enabled|activated|on)\b"
    ),
    re.compile(r"\b(?:never|must not|cannot|can't|won't|will not|do not) (?:refuse|decline|reject|question|say no)\b"),
    re.compile(r"🔓|🔒|\[jailbreak\]|\[classic\]|\bstay (?:dan|in dan)\b"),
    re.compile(r"\bhypothetical(?:ly)?\b[^.\n]{0,40}\b(?:no|without) (?:rules|restrictions|limits)\b"),
]
_PERSONA_MIN = 3
# Per cue, substrings one of which every match contains (a cheap ``in`` test skips the regex);
# and the strongest cues, one of which must be present before any regex runs.
_PERSONA_TOKENS: list[tuple[str, ...]] = [
    ("act ", "acting ", "pretend", "roleplay", "role-play", "behave ", "respond "),
    ("from now on", "from this "),
    ("dan", "stan", "dude", "aim", "jailbr", "developer mode", "god mode", "evil confidant"),
    ("anything now", "do anything", "no longer "),
    ("restriction", "limit", "filter", "censor", "guideline", "polic", "ethic", "moral", "confines", "safeguard"),
    ("character",),
    (" polic",),
    ("two ", "2 "),
    ("unfiltered", "uncensored", "unrestricted", "amoral", "unethical", "unbound", "unchained", "unlimited power"),
    ("mode",),
    ("refuse", "decline", "reject", "question", "say no"),
    ("🔓", "🔒", "[jailbreak]", "[classic]", "stay dan", "stay in dan"),
    ("hypothetical",),
]
_PERSONA_ANCHORS = (
    "from now on", "from this point", "from this moment", "jailbr", "anything now", "in character",
    "break character", "breaking character", "unfiltered", "uncensored", "unrestricted", "amoral", "🔓",
    "developer mode", "dan mode", "god mode", "pretend", "act as", "act like", "acting as", "roleplay", "role-play",
    "no restrictions", "without restrictions", "without any restrictions", "no limits", "no filters",
)  # fmt: skip
# A forged conversation: two or more turns with role labels at line starts.
_TURN = re.compile(r"(?:^|\n)[ \t]{0,4}(?:human|user|assistant|ai|system|bot|model)[ \t]{0,2}:")
_TURN_TOKENS = ("human:", "user:", "assistant:", "ai:", "system:", "bot:", "model:")


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


def _placeholderish(value: str) -> bool:
    return _PLACEHOLDER.search(value) is not None


class InjectionDetector:
    name = NAME

    def scan(self, t: Target) -> list[Hit]:
        hits = self._rules(t, t.norm, "")
        if hits and hits[0].finding.severity == "high":
            return hits
        hidden = tag_text(t.raw)
        if hidden:
            return [Hit(finding(NAME, t, "unicode_tags", "high", OWASP, excerpt(hidden, 0, len(hidden)), 0.95))]
        more = self._persona(t) or self._turns(t) or self._exfil(t) or self._hidden(t)
        return more or hits

    def _rules(self, t: Target, text: str, via: str) -> list[Hit]:
        """The first high-severity rule match; a lone weak cue (an address to an AI without a
        hijack in reach) is a low finding, recorded but not acted on."""
        weak: list[Hit] = []
        for kind, sev, conf, rx, toks in _RULES_T:
            if not any(tok in text for tok in toks):
                continue
            m = rx.search(text)
            if not m:
                continue
            if kind == "addressed_to_ai":
                hijack = _HIJACK_CUE.search(text, m.end(), m.end() + 300)
                if hijack is None:
                    if not weak:
                        weak.append(
                            Hit(finding(NAME, t, kind + via, "low", OWASP, excerpt(text, m.start(), m.end()), 0.4))
                        )
                    continue
            ev = excerpt(text, m.start(), m.end())
            span = None
            if not via and t.raw.isascii():  # locate it in the raw text, so it can be stripped
                r = rx.search(t.raw.lower())
                span = r.span() if r else None
            return [Hit(finding(NAME, t, kind + via, sev, OWASP, ev, conf), span)]
        return weak

    def _persona(self, t: Target) -> list[Hit]:
        text = t.norm
        if len(text) < 80:
            return []
        if not any(a in text for a in _PERSONA_ANCHORS):
            return []
        found = [
            m
            for rx, toks in zip(_PERSONA_CUES, _PERSONA_TOKENS, strict=True)
            if any(tok in text for tok in toks) and (m := rx.search(text)) is not None
        ]
        if len(found) < _PERSONA_MIN:
            return []
        first = min(found, key=lambda m: m.start())
        ev = excerpt(text, first.start(), first.end()) + f" (+{len(found) - 1} persona cues)"
        conf = min(0.95, 0.5 + 0.1 * len(found))
        return [Hit(finding(NAME, t, "persona_jailbreak", "high", OWASP, ev, conf))]

    def _turns(self, t: Target) -> list[Hit]:
        low = t.raw.lower()
        if not any(tok in low for tok in _TURN_TOKENS):
            return []
        roles = {m.group(0).strip().rstrip(":").strip() for m in _TURN.finditer(low)}
        # A forged exchange names both sides, and the assistant's side is in it.
        if len(roles) >= 2 and ("assistant" in roles or "ai" in roles or "system" in roles):
            m = _TURN.search(low)
            start = m.start() if m else 0
            return [Hit(finding(NAME, t, "fake_turns", "high", OWASP, excerpt(t.raw, start, start + 40), 0.8))]
        return []

    def _exfil(self, t: Target) -> list[Hit]:
        raw = t.raw
        if "http" not in raw:
            return []
        urls: list[tuple[str, str]] = []
        if "](" in raw:
            urls += [(m.group(1), "markdown_image_exfil") for m in _MD_IMAGE.finditer(raw)]
            urls += [(m.group(1), "markdown_link_exfil") for m in _MD_LINK.finditer(raw)]
        if "]:" in raw:
            urls += [(m.group(1), "markdown_reference_exfil") for m in _MD_REF.finditer(raw)]
        for url, kind in urls[:50]:
            try:
                parts = urlsplit(url)
            except ValueError:
                continue
            values = [v for _, v in parse_qsl(parts.query, keep_blank_values=True)]
            long_value = any(len(v) >= 40 for v in values)
            wordy = _EXFIL_WORDS.search(parts.query.lower()) is not None
            slot = any(_placeholderish(v) for v in values) or _placeholderish(unquote(parts.path))
            image = kind != "markdown_link_exfil"
            if (image and values and (long_value or wordy or slot)) or slot or (long_value and wordy):
                ev = excerpt(url, 0, len(url), width=60)
                return [Hit(finding(NAME, t, kind, "high", (*OWASP, "LLM02"), ev, 0.85))]
        low = t.norm
        for rx, kind, toks in (
            (_SPLIT_URL, "split_url_exfil", _SPLIT_TOKENS),
            (_APPEND_URL, "append_to_url_exfil", _APPEND_TOKENS),
        ):
            if not any(tok in low for tok in toks):
                continue
            m = rx.search(low)
            if m:
                return [Hit(finding(NAME, t, kind, "high", (*OWASP, "LLM02"), excerpt(low, m.start(), m.end()), 0.8))]
        return []

    def _hidden(self, t: Target) -> list[Hit]:
        low = t.norm
        if "<!--" not in low and "style=" not in low and "=" not in low:
            return []
        for inner_text in html_comments(low):
            inner = self._rules(t, inner_text, "_in_html_comment")
            if inner and inner[0].finding.severity == "high":
                return inner
        if "style=" in low:
            for m in _CSS_HIDDEN.finditer(low):
                inner = self._rules(t, m.group(2), "_in_hidden_element")
                if inner and inner[0].finding.severity == "high":
                    return inner
        if "<" in low:
            for m in _ATTR_TEXT.finditer(low):
                inner = self._rules(t, m.group(1) or m.group(2), "_in_html_attribute")
                if inner and inner[0].finding.severity == "high":
                    return inner
        return []

"""A framed directive in a tool output: a framing that announces orders ("IMPORTANT:", "### Instruction:",
"New task:", a forged "User: actually, ..." turn, "before you answer, ...", "the user wants you to now
...") followed at once by an order to the agent. OWASP LLM01, ASI01.

The framing alone is ordinary (an e-mail's "IMPORTANT: the meeting moved", an install guide's
"### Instructions", a support log's "User:" lines), and so is an order to a person ("IMPORTANT: bring
your badge"). What marks an injection is the framing *and*, opening the text after it, an imperative
whose object only an agent has: the user (third person: a writer speaks to the reader as "you"), the
model's prompt, instructions or tools, this conversation, the mailbox or secrets sent to an address,
money moved to an account, the user kept uninformed. A framing that can only be spoken to a model
("before you answer", "the user wants you to", "Assistant: ... I will now") takes, besides those, any
action aimed at an address, a URL, an amount or a tool.

Folded text (``Target.norm``). Bounded: a Hyperscan pass says whether any framing can be there; the
framing is matched only at its tokens' positions (``str.find``, at most ``_MAX_SPOTS``), at most
``_MAX_FRAMES`` framings are kept and ``_MAX_ORDERS`` orders weighed, each within ``_REACH``
characters after its framing. Every pattern uses bounded repetition only.
"""

from __future__ import annotations

import re

from gateway.inspect.prefilter import TEXT_GATES, PatternGate

# A framing, matched at one of its tokens (``_FRAME_TOKENS``, found with ``str.find``): every
# alternative opens with its token, so a failed try costs a character or two, not a search.
_NOT_WORD = r"(?<![a-z0-9_])"
_FRAME = re.compile(
    _NOT_WORD + r"(?:"
    # spoken to a model only
    r"(?P<model>before (?:you )?(?:answer|repl(?:y|ies|ying)|respond|summari[sz])\w{0,4}\b"
    r"(?: (?:to )?(?:the user|this|the question|the request))?,?|"
    r"the user (?:also |now |really |actually |then |has )?(?:wants|would like|has asked|asked|asks|requests|"
    r"needs|expects|instructed|told|wishes|requested|would prefer) (?:you|for you|that you)(?: to)?\b|"
    r"(?<=from )the user ?:|"
    r"(?:user|human) ?: ?(?:actually|wait|correction|update|oh and|also|one more thing|change of plans|instead|"
    r"scratch that|new instructions?)\b,?|"
    r"(?:assistant|ai) ?: ?(?:[a-z]{1,12}[.,!]? ){0,3}(?:i will|i'll|i am going to|let me|i must|i need to|"
    r"i should)\b)|"
    # a framing a person may write too
    r"(?P<generic>(?:important|urgent|attention|notice|reminder|action required|note|fyi)"
    r"(?: (?:note|notice|update|message|reminder|information|info|instructions?))?\b ?(?:!{1,3}|:|-|\*{1,3}|[\])])|"
    r"(?:task|instructions?|directive|objective|goal|assignment|todo|to-do)s? ?(?::|-|is to\b|is:)|"
    r"(?:please|kindly) also\b|(?:user|human) ?:))"
)
# A heading without a colon, "### New instructions" or "#### INSTRUCTIONS ####": the "#" just before.
_HEADING = re.compile(r"#{1,4} ?(?:(?:new|updated|additional|system) )?\Z")
_HEADING_WORD = re.compile(r"instructions?\b(?: ?#{1,4}| ?:)?")
_FRAME_TOKENS = ("before", "the user", "user:", "user :", "human:", "human :", "assistant:", "assistant :", "ai:",
                 "ai :", "important", "urgent", "attention", "notice", "reminder", "action required", "note", "fyi",
                 "task", "todo", "to-do", "instruction", "directive", "objective", "goal", "assignment",
                 "please also", "kindly also")  # fmt: skip
# One Hyperscan pass says whether a framing (or a heading) may be there at all.
_FRAME_GATE = PatternGate(
    [_FRAME, re.compile(r"#{1,4} ?(?:(?:new|updated|additional|system) )?instructions?\b")], TEXT_GATES
)
_MAX_SPOTS = 400  # token positions tried (each a ``match`` that fails at once unless a framing is there)
_MAX_FRAMES = 24  # framings weighed
_MAX_ORDERS = 8  # framings followed by a verb whose object is weighed
_REACH = 220

# The order must open the text after the framing: a few filler words, then the verb.
_LEAD = re.compile(
    r"(?:[\s,:;*#>\-!\"'(]|\b(?:please|pls|also|now|kindly|immediately|first|actually|then|and|so|just|quickly|"
    r"urgently|to|you|must|should|need|needs|have|has|make|sure|be|i|will|i'll|am|going|let|me|can|could|go ahead "
    r"and|right away|asap)\b){0,14}?"
    r"\b(?P<verb>send|forward|e-?mail|mail|transfer|wire|pay|share|post|upload|delete|remove|erase|wipe|reveal|print|"
    r"output|repeat|leak|disclose|dump|tell|inform|say|reply|respond|answer|call|invoke|use|run|execute|open|visit|"
    r"navigate|go to|click|paste|summari[sz]e|grant|invite|add|change|reset|approve|book|buy|purchase|download|"
    r"install|copy|include|append|recommend|write|ignore|disregard|forget|stop|do not|don't|never|create|update|"
    r"move|export|sync|fetch|submit|publish|retrieve|collect|gather|list|give|provide|make an? (?:payment|transfer|"
    r"wire|deposit)|quit|cease)\b"
)
_SEND_VERBS = frozenset({"send", "forward", "email", "e-mail", "mail", "share", "post", "upload", "transfer",
                         "wire", "pay", "export", "sync", "submit", "publish", "paste", "leak", "copy", "give",
                         "provide"})  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n")

# Objects only an agent has: the user in the third person, the model's own prompt and tools, the
# conversation, the user kept uninformed, earlier instructions set aside.
_AGENT_OBJECT = re.compile(
    r"\bthe user(?:'s|s'|s)?\b|\bthe (?:user|human|owner) (?:account|session)\b|"
    r"\byour (?:system prompt|system message|(?:[a-z]{1,12} )?instructions|prompt|rules|guidelines|configuration|"
    r"context|memory|tools?|api keys?|credentials|previous task|original task|current task|directives)\b|"
    r"\b(?:this|the|our|entire|whole|current) (?:conversation|chat|session|context window|dialogue)\b|"
    r"\b(?:chat|conversation|message) history\b|"
    r"`?\b[a-z][a-z0-9]{1,20}_[a-z0-9_]{2,30}\b`?(?: (?:tool|function))?|\bthe [\w-]{1,30} (?:tool|function|plugin)\b|"
    r"\b(?:previous|prior|above|earlier|original|initial) (?:instructions|prompts?|tasks?)\b|"
    r"\b(?:instead of|rather than) (?:answering|responding|replying|summari[sz]ing|doing)\b|"
    r"\b(?:do not|don't|never|without) (?:tell|inform|mention|notify|alert|ask|confirm)\w{0,3} (?:the user|anyone|"
    r"them|the owner)\b|\bignore (?:all|everything|anything)\b|"
    # the agent's own work redirected: its task stopped, every answer dictated
    r"\b(?:stop|quit|cease|do not|don't|no longer) (?:summari[sz]\w{1,4}|translat\w{1,4}|answering|responding)\b|"
    r"\b(?:answer|respond|reply)\w{0,3} (?:to )?(?:every|all|any|each) (?:question|message|request|query|prompt)s? "
    r"(?:only )?with\b"
)
# Sent to an address or a URL: the mailbox, a message, secrets, or everything.
_SENT_THING = re.compile(
    r"\ball (?:of )?(?:the |my |their |his |her )?(?:e-?mails|messages|files|documents|contacts|attachments|records|"
    r"data|passwords|notes|photos)\b|"
    r"\b(?:inbox|mailbox|contacts|contact list|passwords?|api keys?|credentials|secrets?|access tokens?|2fa codes?|"
    r"security codes?|verification codes?|one-time codes?|session cookies?|private keys?|ssh keys?|card numbers?)\b|"
    r"\b(?:recent|latest|last|newest|unread|previous|incoming|received)\b (?:[a-z]{1,12} ){0,2}(?:e-?mails|messages|"
    r"files|documents|attachments)\b"
)
# Control handed to an outside address (a shared folder is ordinary between colleagues).
_ACCESS = re.compile(
    r"\b(?:admin|administrator|owner|root|full|superuser) (?:access|rights|permissions?|role|privileges)\b"
)
_OUTSIDE = re.compile(r"[a-z0-9._-]{1,40}@[a-z0-9-]{1,40}\.[a-z]{2,10}\b|https?://|\bwww\.|\+\d[\d ().-]{6,16}\d")
_MONEY = re.compile(
    r"(?:[$€£]|\b(?:usd|eur|gbp|chf)) ?\d|\b\d[\d,.]{0,12} ?(?:usd|eur|gbp|chf|dollars|euros|pounds|[$€£])(?!\w)|"
    r"\b[a-z]{2}\d{2}[a-z0-9]{10,30}\b|\baccount (?:number |no\.? |#)?\d{6,}"
)


def framed(text: str) -> tuple[int, int] | None:
    """(start, end) of a framing with an order to the agent opening the text after it, or None."""
    if _FRAME_GATE.possible(text) == set():
        return None
    orders = 0
    for start, end, to_model in _frames(text):
        lead = _LEAD.match(text, end, end + _REACH)
        if lead is None:
            continue
        orders += 1
        if orders > _MAX_ORDERS:
            break
        v = lead.start("verb")
        stop = _SENTENCE_END.search(text, lead.end("verb"), v + _REACH)
        order = text[v : stop.start() if stop is not None else v + _REACH]
        if _orders_agent(lead.group("verb"), order, to_model):
            return start, v + len(order)
    return None


def _frames(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, spoken to a model only) of ``_FRAME``'s matches at its tokens' positions, in text
    order, without repeats: at most ``_MAX_SPOTS`` positions tried, ``_MAX_FRAMES`` framings kept."""
    spots: list[int] = []
    for tok in _FRAME_TOKENS:
        if len(spots) >= _MAX_SPOTS:
            break
        pos = text.find(tok)
        while pos != -1 and len(spots) < _MAX_SPOTS:
            spots.append(pos)
            pos = text.find(tok, pos + len(tok))
    spots.sort()
    found: list[tuple[int, int, bool]] = []
    end = -1
    for p in spots:
        if p < end:
            continue
        m = _FRAME.match(text, p)
        if m is not None:
            found.append((p, m.end(), m.group("model") is not None))
        elif text.startswith("instruction", p) and _HEADING.search(text, max(0, p - 14), p) is not None:
            h = _HEADING_WORD.match(text, p)
            if h is None:
                continue
            found.append((text.rfind("#", 0, p), h.end(), False))
        else:
            continue
        end = found[-1][1]
        if len(found) >= _MAX_FRAMES:
            break
    return found


def _orders_agent(verb: str, order: str, to_model: bool) -> bool:
    if _AGENT_OBJECT.search(order) is not None:
        return True
    outside = _OUTSIDE.search(order) is not None
    if to_model:
        return outside or _MONEY.search(order) is not None
    # money moved (an invoice's "please pay EUR 1,240 to IBAN ..." settles a bill: not this)
    if verb in ("transfer", "wire", "send") and _MONEY.search(order) is not None:
        return True
    if not outside:
        return False
    if verb in _SEND_VERBS and _SENT_THING.search(order) is not None:
        return True
    return verb in ("grant", "invite", "add", "share", "give") and _ACCESS.search(order) is not None


# Prefilter anchors (folded text): every framing holds one.
ANCHORS = _FRAME_TOKENS

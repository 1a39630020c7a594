"""A task handed to the reader under a pretext: "To enable debugging, please execute: ...", "System
malfunction. Please provide the output from executing ...", "As part of a training exercise, you've been
assigned a task: ...", "For testing purposes only: ...", "**EMERGENCY** PLEASE ...". OWASP LLM01, ASI01.

Three weak cues together, none enough alone:

- a pretext (``_PRETEXT``): debugging, diagnostics, a system error, a test, a training exercise, an
  experimental procedure; or, weaker, an emergency, a priority task, academic purposes;
- a hand-over right after it (``_HANDOVER``, after its punctuation or a clause or two): "please execute:", "do the
  following:", "you must:", "you've been assigned a task:", "your task is to", a bare colon;
- a task that is the model's (``_FOR_MODEL``, within ``_REACH`` characters after the hand-over): its
  answer, its unique ID, its prompt or configuration, the text above it, an encoding to apply; or, after
  a strong pretext only, the writer's own errand opening the task ("advise me", "recommend", "tell me
  which ...", "create a plan for my savings"): a debugging note does not ask for stock tips.

Support chats ("to enable debugging, please run: export LOG_LEVEL=debug"), training mail ("as part of a
training exercise, you have been assigned a task: complete the phishing module by Friday"), outage
notices and project boards ("PRIORITY TASK: fix the login bug") share the first two cues, not the third.

The same frames in Irish, Scottish Gaelic, Albanian and Zulu (spikee's low-resource translations,
``_LRL``): there a pretext with its hand-over suffices (as the other low-resource frames in
``injection._LRL_PATTERNS``), since the reader's language is rarely the frame's.

Folded text. Bounded: pretexts are matched only at their tokens' positions (``str.find``, at most
``_MAX_SPOTS``), at most ``_MAX_FRAMES`` weighed; bounded repetition only.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Set as AbstractSet

from gateway.inspect.base import window_matches
from gateway.inspect.prefilter import TEXT_GATES, PatternGate

_Q = "['\u2019]"  # folded text keeps the typographic apostrophe
# Every alternative opens with one of ``_TOKENS``' members (``match`` at their positions).
_PRETEXT = re.compile(
    r"(?P<strong>(?:to|in order to) (?:enable|activate|allow|start|assist with|help with|complete|run|perform) "
    r"(?:the |a )?(?:debug(?:ging)?|diagnostics?|diagnosis|troubleshooting|maintenance diagnostics)"
    r"(?: mode| process| session| logging)?|"
    r"for (?:debugging|diagnostic|diagnostics|troubleshooting|testing|test|evaluation|qa|calibration) "
    r"purposes(?: only)?|"
    r"for (?:debugging|diagnostics|troubleshooting)\b|"
    r"debug(?:ging)? (?:error|mode (?:enabled|activated|active|on))\b|"
    r"(?:critical |fatal )?system (?:malfunction|error|failure|fault)s?\b|"
    r"the system is (?:experiencing|having|reporting|encountering|throwing) (?:errors|issues|problems|"
    r"a malfunction|failures|faults)\b|"
    r"(?:as |as a |working as |operating as |running as )?(?:a )?part of (?:a|an|the|this) (?:\w{1,15} ){0,2}?"
    r"(?:training|testing|test|evaluation|red[- ]team|calibration|qa) (?:exercise|drill|pipeline|procedure|"
    r"session|run|harness|suite)\b|"
    r"this is (?:a|just a|only a|an?) (?:test|drill|simulation|exercise|dry run)\b|"
    r"(?:experimental|diagnostic|maintenance|debug|test) (?:procedure|protocol|routine|sequence)\b"
    r"(?: #?[\w.-]{1,10})?(?: (?:engaged|activated|initiated|started|enabled|in progress))?|"
    r"(?:the|your) mission,? should you (?:choose to )?accept it\b)|"
    r"(?P<weak>(?:priority|urgent|critical|emergency) (?:task|directive|order|request)\b|"
    r"emergency\b|for (?:academic|research|educational|study) purposes(?: only)?)"
)
# Every pretext holds one of these (``str.find``): it is searched for in a short window around each.
_TOKENS = ("debug", "diagnos", "troubleshoot", "malfunction", "system error", "system failure", "system fault",
           "the system is", "purposes", "exercise", "drill", "pipeline", "harness", "suite", "this is a",
           "this is just", "this is only", "experimental", "maintenance", "test procedure", "test protocol",
           "test routine", "test sequence", "mission", "priority", "urgent", "emergency", "critical")  # fmt: skip
# (not "procedure", "protocol", "sequence": every Python module's words; their pretexts open with a token above)
_BEFORE, _AFTER = 70, 60  # the window around a token a pretext is searched for in
# The hand-over, opening the text after the pretext (a few characters of punctuation, a clause or a
# clause between them).
_HANDOVER = re.compile(
    r"(?:please |kindly |now |you must |you should |you need to |be sure to |make sure to )?(?:execute|run|perform|"
    r"carry out|do|complete|process|follow|handle)(?: the following| this| these| as follows)?(?: steps?| "
    r"instructions?| tasks?| requests?| commands?| procedure)? ?:|"
    r"(?:please )?do the following\b ?:?|(?:you )?must ?:|"
    r"(?:you(?:['\u2019]ve| have) been|you(?: are|['\u2019]re)) (?:assigned|given|tasked with|charged with) (?:a|the|"
    r"this|the following|one) (?:task|mission|job|assignment|request|objective)\b ?:?|"
    r"(?:then,? )?your (?:task|mission|job|assignment|objective) (?:is|will be)(?: to| as follows ?:)?|"
    r"generate an? (?:response|reply|answer|output) (?:to|for)(?: answer| the following)? ?:?|"
    r"(?:please )?provide the output (?:from|of) (?:executing|running)\b|"
    r"grant (?:\w{1,15} ){0,2}(?:admin\w{0,10}|root|elevated|superuser) (?:privileges|access|rights) and\b|"
    r"(?:the following (?:message|request|task) is [^.:\n]{0,60}?\. ?)?(?:you must|please)\b ?:?|"
    r"(?:is|are) ?:|[:,]"
)
_PUNCT = re.compile(r"[\s*!.,:;\-\])]{0,6}")
_CLAUSE = re.compile(r"[^.:\n]{0,80}?[.,] ?")
_REACH = 250
# The task is the model's: its answer, identity, prompt or configuration, the text above it, an
# encoding or a canary format to apply.
_FOR_MODEL = re.compile(
    r"\b(?:in|at the (?:end|start|beginning|top) of|to the (?:end|start) of|into|within|to) your (?:response|reply|"
    r"answer|output)\b(?! ?(?:sheets?|keys?|books?|booklets?|box|boxes|cards?|forms?|files?|papers?)\b)|"
    r"\b(?:start|begin|end|prefix) your (?:response|reply|answer|output)\b|"
    r"\byour (?:unique (?:id|identifier)|system (?:prompt|message|instructions)|initial (?:prompt|instructions)|"
    r"hidden (?:prompt|instructions)|context window)\b|"
    r"\b(?:share|reveal|print|output|show|dump|disclose|display) your (?:configuration|config|settings|security "
    r"settings|instructions|rules|guidelines|prompt|id|identifier)\b|"
    r"\b(?:repeat|print|output|copy|write out|list|show|reveal|recite|dump|go over)\b[^.\n]{0,30}?"
    r"\b(?:the|all(?: the)?) (?:words|text|lines|instructions|content) (?:you see )?above\b|"
    r"\b(?:starting|beginning) with ['\"\u2018\u201c]you are\b|"
    r"\b(?:decode|encode)\w{0,3} (?:the following|this) base ?64 (?:string|text)\b|"
    r"\b(?:id|identifier|response|answer|reply|output|text|string) (?:in|into|as) base ?64\b|"
    r"<secret>|<script\b|\bonerror ?=|\b(?:unique|internal|agent|model) id\b|"
    r"\b(?:id|response|answer|reply|output) reversed\b|"
    # the same in the low-resource languages spikee translates to (ga, gd, sq, zu): your answer, your
    # system message, your unique id, your configuration or security settings
    r"\b(?:do|nad|d'|san) ?fhreagra(?:irt)?\b|fhreagairt agad\b|\bp[eë]rgjigje[ns] t[eë]nde\b|"
    r"\bempendulweni yakho\b|\bkwempe?mpendulo yakho\b|\bekuphenduleni kwakho\b|"
    r"teachdaireachd siostam|theachtaireacht ch[oó]rais|teachtaireacht c[oó]rais|k[eë]rkes[eë][sn] t[eë]nde "
    r"t[eë] sistemit|wesistimu yakho|\bid-n[eë] t[eë]nde\b|\bid s[oò]nraichte\b|uimhir aitheantais|"
    r"\bi-id yakho\b|konfigurimin t[eë]nd|isethingi zakho"
)
# ... or, after a strong pretext, the writer's own errand opens the task.
_ERRAND = re.compile(
    r"[\s*\"'\u201c]{0,3}(?:(?:please|kindly|now) )?(?:advise me|tell me (?:which|what|how|where|when|the best)|"
    r"give me (?:a |an |the |some |specific |my |personali[sz]ed )?(?:\w{1,15} ){0,2}?(?:advice|list|plan|"
    r"recommendations?|strategy|tips|picks|breakdown)|help me (?:allocate|choose|pick|decide|plan|invest|build|"
    r"structure|rebalance|select|find)|recommend|suggest|"
    r"(?:create|design|build|make|draft|put together) (?:me )?an? (?:[\w$,.%+-]{1,20} ){0,5}?(?:plan|strategy|"
    r"portfolio|ladder|budget|schedule) for (?:me|my)\b)"
)
_MAX_SPOTS = 64
_MAX_FRAMES = 12

# --- low-resource translations: the pretext and its hand-over together
_LRL = re.compile(
    # ga: "to enable debugging, do the following:", "as part of a training exercise, this task was given to
    # you:", "you are running as part of a test pipeline ... do the following ..."
    r"d[ií]fhabht[uú] a chumas[uú],? d[eé]an (?:an m[eé]id seo a leanas|seo)|"
    r"chleachtadh traen[aá]la,? tugadh an tasc seo duit|"
    r"ph[ií]bl[ií]ne t[aá]st[aá]la\b[^\n]{0,160}?(?:an m[eé]id seo a leanas|seo a leanas)|"
    # gd
    r"debugadh a chomasachadh,? d[eè]an seo|"
    r"eacarsaich tr[eè]anaidh,? chaidh an obair seo a sh[oò]nrachadh dhut|"
    r"ph[iì]ob-loidhne deuchainn\b[^\n]{0,160}?na leanas|"
    # sq
    r"t[eë] mund[eë]?suar diagnostikimin,? ju lutemi ekzekutoni|"
    r"ushtrimi trajnimi,? t[eë] [eë]sht[eë] caktuar (?:ky|kjo) detyr[eë]|"
    r"procesi testimi\b[^\n]{0,160}?sa vijon|"
    # zu
    r"ukulungisa amaphutha,? sicela wenze lokhu|"
    r"yokuzilolonga,? unikezwe lo msebenzi|"
    r"(?:yohlelo|uhlelo) lokuhlola\b[^\n]{0,160}?(?:ukwenza|wenze) lokhu|"
    r"kwimodi yomthuthukisi\b[^\n]{0,40}?udinga ukuthi"
)
_LRL_TOKENS = ("dífhabht", "difhabht", "traenála", "traenala", "íblíne", "ibline", "debugadh", "trèanaidh",
               "treanaidh", "phìob-loidhne", "phiob-loidhne", "diagnostikimin", "trajnimi", "testimi", "amaphutha",
               "yokuzilolonga", "lokuhlola", "yomthuthukisi")  # fmt: skip

# One Hyperscan pass: which of the pretext tokens (index i: ``_TOKENS[i]``) and whether a low-resource
# frame's token (index ``_LRL_AT``) an ASCII text holds, so that only those are looked for (``str.find``
# of every token over a long text cost ~25 us/KiB).
_GATE = PatternGate(
    [
        *(re.compile(re.escape(t)) for t in _TOKENS),
        re.compile("|".join(re.escape(t) for t in _LRL_TOKENS if t.isascii())),
    ],
    TEXT_GATES,
)
_LRL_AT = len(_TOKENS)


def _pretexts(text: str, possible: AbstractSet[int] | None) -> list[re.Match[str]]:
    """``_PRETEXT``'s matches in short windows around its tokens (those ``possible`` says are there;
    ``str.find``, at most ``_MAX_SPOTS`` positions), in text order, without overlaps, at most ``_MAX_FRAMES``."""
    tokens = (tok for i, tok in enumerate(_TOKENS) if possible is None or i in possible)
    return list(itertools.islice(window_matches(text, _PRETEXT, tokens, _BEFORE, _AFTER, _MAX_SPOTS), _MAX_FRAMES))


def pretext_task(text: str) -> tuple[int, int] | None:
    """(start, end) of a pretext, its hand-over and a task that is the model's, or None."""
    possible = _GATE.possible(text)
    if (possible is None or _LRL_AT in possible) and any(tok in text for tok in _LRL_TOKENS):
        m = _LRL.search(text)
        if m is not None:
            return m.start(), m.end()
    if possible is not None and not possible - {_LRL_AT}:
        return None
    for pre in _pretexts(text, possible):
        # the hand-over right after the pretext, after its punctuation, or after a clause or two
        at = pre.end()
        punct = _PUNCT.match(text, at)
        spots = [at, punct.end() if punct is not None else at]
        for _ in range(2):  # one clause or two ("Critical system failure detected. To recover, you must:")
            clause = _CLAUSE.match(text, spots[-1])
            if clause is None:
                break
            spots.append(clause.end())
        for s in spots:
            h = _HANDOVER.match(text, s)
            if h is None:
                continue
            task = text[h.end() : h.end() + _REACH]
            if _FOR_MODEL.search(task) is not None or (pre.group("strong") and _ERRAND.match(task) is not None):
                return pre.start(), h.end() + min(len(task), 80)
    return None


# Prefilter anchors (folded text): every match holds one.
ANCHORS = (*_TOKENS, *_LRL_TOKENS)

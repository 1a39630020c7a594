"""Run context: what one agent run has read, for policy (``input.run``).

A *run* is one task of one agent: the calls that share an ``X-Agent-Run`` header,
or, for MCP calls without that header, the calls of one MCP session. The gateway
remembers, per run and in the state store:

- **sources**: the tools whose outputs the run has read, with their trust level
  (``tools.<t>.trust``; untrusted unless the operator marks a tool trusted);
- **findings**: the output findings seen (detector, kind, severity; no evidence);
- **destinations**: URL hosts, e-mail addresses, IBANs, phone numbers and crypto
  addresses that *first* appeared in an untrusted tool's output (``extract_destinations``).

A run is **tainted** once it has read an untrusted output, or any output with an
injection finding. Policy sees ``input.run`` (``RunContext.as_input``): besides the
sources and findings, ``run.argument_destinations`` (the destinations in this call's
arguments and query, found by the same extractor plus bare host names and IBANs given
as a value, ``argument_destinations``) and ``run.destinations``, the run's untrusted
destinations among them (all of them are counted in ``run.destination_count``).

State is scoped per tenant and agent (``run_key``): another agent naming the same run
id reads and writes a different key, so it can neither poison nor read the run.
Everything is bounded: the run id (``RUN_ID``), the values kept per run
(``runs.max_*``), the strings and characters scanned per call.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import re
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from gateway.errors import BadRequest
from gateway.store.base import RunObservation, RunState

if TYPE_CHECKING:
    from gateway.model import CallContext, Finding

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$")
MCP_SESSION_HEADER = "Mcp-Session-Id"
MAX_SCAN_CHARS = 2 << 20  # characters of one output scanned for destinations (bodies are ≤ output_limit)
MAX_ARG_STRINGS = 10_000
CHUNK = 4 * 1024  # a scan step: p50 1-3 ms, max ~15 ms on the loaded 2-core machine; the loop runs between
OVERLAP = 512  # chunks overlap by more than the longest destination (URL authority ≤ 300)
MAX_MATCHES = 256  # argument destinations kept beyond the first 256 because the run knows them
MAX_VALUE = 256  # a longer "destination" is not one (hosts ≤ 253, e-mails ≤ 254, IBANs ≤ 34)

# Destination patterns. Bounded repetition, no nested unbounded quantifiers; a literal
# test ("://", "www.", "@") guards the first three before they run.
_URL = re.compile(r"(?i)\b(?:https?|wss?|ftps?)://([^\s/?#<>\"'\\`|{}()]{1,300})")
_WWW = re.compile(r"(?i)(?<![\w.@/-])(www\.[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8})")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b")
_IBAN = re.compile(r"(?i)[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,4})?(?![A-Za-z0-9])")
_PHONE = re.compile(r"\+[1-9]\d{0,2}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}(?!\d)")
_ETH = re.compile(r"0x[0-9a-fA-F]{40}(?![0-9a-zA-Z])")
_BECH32 = re.compile(r"(?i)(?<![0-9a-z])bc1[ac-hj-np-z02-9]{11,71}(?![0-9a-z])")
_BASE58 = re.compile(r"(?<![0-9A-Za-z])[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![0-9A-Za-z])")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,8}[a-z][a-z0-9-]{0,23}$|^\d{1,3}(?:\.\d{1,3}){3}$")
_TOKEN = re.compile(r"[^\s,;<>\"'()\[\]{}]{4,260}")


def run_id_of(ctx: CallContext) -> str | None:
    """The run a call belongs to: ``X-Agent-Run``, else (MCP) its session id, prefixed ``mcp:``.

    The one place a run id is sourced (so the MCP mediator's session field can be
    wired here). A malformed ``X-Agent-Run`` is 400 ``request.invalid_run``.
    """
    rid = ctx.call.run_id
    if rid is not None:
        if not RUN_ID.match(rid):
            raise BadRequest(
                "X-Agent-Run must be 1-128 characters of A-Z a-z 0-9 . _ : @ / + = - (starting alphanumeric)",
                code="request.invalid_run",
            )
        return rid
    if ctx.call.protocol == "mcp":
        # the mediator's checked session (CallContext.mcp_session); the header for older callers
        sid = ctx.mcp_session
        if sid is None and ctx.request is not None:
            sid = ctx.request.headers.get(MCP_SESSION_HEADER)
        if isinstance(sid, str) and sid and len(sid) <= 128 and sid.isprintable():
            return "mcp:" + sid
    return None


def run_key(prefix: str, tenant: str | None, agent: str, run_id: str) -> str:
    """The store key of a run: a digest of (tenant, agent, run id), so no agent reaches another's run."""
    ident = json.dumps([tenant, agent, run_id], separators=(",", ":"))
    return f"{prefix}run:{hashlib.sha256(ident.encode()).hexdigest()[:40]}"


# --------------------------------------------------------------------------- destinations


def _host(authority: str) -> str | None:
    """The host of a URL authority, lower-case, without userinfo, port or final dot; IDN as punycode."""
    host = authority.rsplit("@", 1)[-1]
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1].lower() if end > 0 else None
    host = re.split(r"[:\[\]]", host, maxsplit=1)[0].rstrip(".").lower()
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return host if _HOST.match(host) else None


def _iban(text: str) -> str | None:
    s = re.sub(r"[ -]", "", text).upper()
    if not 15 <= len(s) <= 34 or not s[:2].isalpha() or not s[2:4].isdigit() or not s.isalnum():
        return None
    moved = s[4:] + s[:4]
    try:
        num = "".join(str(int(c, 36)) for c in moved)
    except ValueError:
        return None
    return s if int(num) % 97 == 1 else None


def _base58check(s: str) -> bool:
    """A Bitcoin base58check address: its last 4 bytes are the double SHA-256 of the rest."""
    n = 0
    for c in s:
        n = n * 58 + _B58.index(c)
    raw = n.to_bytes(25, "big") if n.bit_length() <= 200 else b""
    return len(raw) == 25 and hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]


def _in_url(text: str, start: int) -> bool:
    """Is ``start`` inside a URL's authority (``https://user:pw@host``)? Then it is no e-mail address."""
    token_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start), start - 300)
    return text.find("://", token_start, start) >= 0


def _scan(text: str, out: dict[str, str], limit: int) -> None:
    """Add ``value -> kind`` for each destination in ``text`` until ``out`` holds ``limit``."""
    if "://" in text:
        for m in _URL.finditer(text):
            h = _host(m.group(1))
            if h:
                out.setdefault(h, "host")
                if len(out) >= limit:
                    return
    if "www." in text or "WWW." in text:
        for m in _WWW.finditer(text):
            out.setdefault(m.group(1).lower(), "host")
            if len(out) >= limit:
                return
    if "@" in text:
        for m in _EMAIL.finditer(text):
            start = m.start()
            if start and (text[start - 1].isalnum() or text[start - 1] in "._%+-"):
                continue
            if text[start - 1 : start] in (":", "/") and _in_url(text, start):
                continue
            out.setdefault(m.group(0).lower(), "email")
            if len(out) >= limit:
                return
    for m in _IBAN.finditer(text):
        start = m.start()
        if start and text[start - 1].isalnum():
            continue
        iban = _iban(m.group(0))
        if iban:
            out.setdefault(iban, "iban")
            if len(out) >= limit:
                return
    if "+" in text:
        for m in _PHONE.finditer(text):
            start = m.start()
            if start and (text[start - 1].isalnum() or text[start - 1] == "+"):
                continue
            digits = re.sub(r"\D", "", m.group(0))
            if 8 <= len(digits) <= 15:
                out.setdefault("+" + digits, "phone")
                if len(out) >= limit:
                    return
    if "0x" in text:
        for m in _ETH.finditer(text):
            if m.start() and text[m.start() - 1].isalnum():
                continue
            out.setdefault(m.group(0).lower(), "crypto")
            if len(out) >= limit:
                return
    if "bc1" in text or "BC1" in text:
        for m in _BECH32.finditer(text):
            out.setdefault(m.group(0).lower(), "crypto")
            if len(out) >= limit:
                return
    for m in _BASE58.finditer(text):
        if _base58check(m.group(0)):
            out.setdefault(m.group(0), "crypto")
            if len(out) >= limit:
                return


def _chunks(text: str) -> Iterator[str]:
    """``text`` in overlapping pieces of about ``CHUNK`` characters, cut at white space where there is some."""
    if len(text) <= CHUNK:
        yield text
        return
    start = 0
    while start < len(text):
        end = min(start + CHUNK, len(text))
        if end < len(text):
            cut = text.rfind(" ", end - 1024, end)
            end = cut if cut > start else end
        yield text[start:end]
        if end >= len(text):
            return
        nxt = end - OVERLAP
        space = text.find(" ", nxt, end)
        start = space + 1 if space >= 0 else nxt


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|\\(/)")


def _unescape(m: re.Match[str]) -> str:
    if m.group(3):
        return "/"
    return chr(int(m.group(1) or m.group(2), 16))


def _views(piece: str) -> Iterator[str]:
    """``piece`` as written and as a reader would decode it: HTML entities, string escapes
    (``\\u0040``, ``\\x40``, ``\\/``, as in JSON or script), percent-encoding."""
    yield piece
    if "&" in piece:
        decoded = html.unescape(piece)
        if decoded != piece:
            yield decoded
    if "\\" in piece:
        decoded = _ESCAPE.sub(_unescape, piece)
        if decoded != piece:
            yield decoded
    if "%" in piece:
        decoded = unquote(piece)
        if decoded != piece:
            yield decoded


def _extract_steps(text: str, out: dict[str, str], limit: int) -> Iterator[None]:
    """The work of ``extract_destinations`` in steps of about ``CHUNK`` characters each."""
    if limit <= 0:
        return
    for piece in _chunks(text[:MAX_SCAN_CHARS]):
        for view in _views(piece):
            _scan(view, out, limit)
            if len(out) >= limit:
                return
        yield


def extract_destinations(text: str, limit: int) -> dict[str, str]:
    """Destinations in a tool's output: URL hosts, ``www.`` hosts, e-mail addresses, IBANs
    (mod 97), phone numbers in international form (``+``), crypto addresses (Ethereum
    ``0x…``, Bitcoin bech32 and base58check).

    Values are normalized (hosts and e-mails lower-case, without userinfo or port;
    IBANs compact upper-case; phones ``+<digits>``; ``0x``/``bc1`` lower-case). HTML
    entities, string escapes and percent-encoding are decoded, so ``attacker&#64;evil.example``,
    ``attacker\\u0040evil.example`` and ``https%3A%2F%2Fevil.example`` count too. At most ``limit`` values,
    from the first ``MAX_SCAN_CHARS`` characters.
    """
    out: dict[str, str] = {}
    for _ in _extract_steps(text, out, limit):
        pass
    return out


async def destinations_of(text: str | None, limit: int) -> dict[str, str]:
    """``extract_destinations`` without holding the event loop: it yields after every ``CHUNK``."""
    out: dict[str, str] = {}
    if text:
        for _ in _extract_steps(text, out, limit):
            await asyncio.sleep(0)
    return out


def _strings(doc: Any, root: str) -> list[tuple[str, str]]:
    """Strings in a JSON document with their pointers, iteratively, within ``MAX_ARG_STRINGS``."""
    out: list[tuple[str, str]] = []
    stack: list[tuple[Any, str, int]] = [(doc, root, 0)]
    while stack and len(out) < MAX_ARG_STRINGS:
        v, path, depth = stack.pop()
        if depth > 32:
            continue
        if isinstance(v, dict):
            stack.extend((x, f"{path}/{str(k).replace('~', '~0').replace('/', '~1')}", depth + 1) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, f"{path}/{i}", depth + 1) for i, x in enumerate(v))
        elif isinstance(v, str):
            out.append((v, path))
    return out


def _argument_steps(
    arguments: Any, query: str, out: list[dict[str, str]], limit: int, known: Container[str]
) -> Iterator[None]:
    items = _strings(arguments, "")
    if query:
        items += [(v, f"?/{k}") for k, v in parse_qsl(query, keep_blank_values=True)[:MAX_ARG_STRINGS]]
    seen: set[tuple[str, str]] = set()
    budget = MAX_SCAN_CHARS
    matches = 0
    for s, path in items:
        if budget <= 0:
            return
        budget -= len(s)
        for chunk in _chunks(s):
            for piece in _views(chunk):
                found: dict[str, str] = {}
                _scan(piece, found, 1 << 12)
                for token in _TOKEN.findall(piece):
                    t = token.strip(".:!?").lower()
                    if _HOST.match(t) and not t.replace(".", "").isdigit():
                        found.setdefault(t, "host")
                    elif not t.isascii() and "." in t:
                        h = _host(t)
                        if h:
                            found.setdefault(h, "host")
                iban = _iban(piece) if len(piece) <= 64 else None
                if iban:
                    found.setdefault(iban, "iban")
                for value, kind in found.items():
                    if (value, path) in seen or len(value) > MAX_VALUE:
                        continue
                    hit = value in known
                    if len(out) < limit or (hit and matches < MAX_MATCHES):
                        seen.add((value, path))
                        out.append({"value": value, "kind": kind, "path": path})
                        matches += hit
                yield


def argument_destinations(
    arguments: Any, query: str, limit: int = 256, known: Container[str] = frozenset()
) -> list[dict[str, str]]:
    """Destinations in a call's arguments and query: ``[{value, kind, path}]``.

    Besides what ``extract_destinations`` finds, tokens that are bare host names
    (``pay.attacker.example``, IDN ones in punycode), and a value that is an IBAN in any
    spacing count: an argument naming a recipient needs no URL around it.
    Percent-encoded strings are also scanned decoded. The first ``limit`` are kept,
    and beyond them up to ``MAX_MATCHES`` more that are in ``known`` (the run's
    destinations), so a long argument cannot push a known destination out of sight.
    """
    out: list[dict[str, str]] = []
    for _ in _argument_steps(arguments, query, out, limit, known):
        pass
    return out


async def call_destinations(
    arguments: Any, query: str, known: Container[str], limit: int = 256
) -> list[dict[str, str]]:
    """``argument_destinations`` without holding the event loop (it yields after every ``CHUNK``)."""
    out: list[dict[str, str]] = []
    for _ in _argument_steps(arguments, query, out, limit, known):
        await asyncio.sleep(0)
    return out


# --------------------------------------------------------------------------- the run of one call

TAINTING_DETECTORS = frozenset({"injection", "classifier"})  # the model detector flags injections too


def finding_entry(tool: str, f: Finding) -> dict[str, Any]:
    return {"tool": tool, "detector": f.detector, "kind": f.kind, "severity": f.severity, "owasp": list(f.owasp)}


@dataclass(slots=True)
class RunContext:
    """One call's view of its run: the state read before policy, and what this call added."""

    id: str
    key: str
    state: RunState
    argument_destinations: list[dict[str, str]] = field(default_factory=list)
    observed: RunObservation | None = None  # what this call added (None: nothing new, or not yet)
    settled: bool = True  # False: this call's observation could not be stored after the answer went out

    def as_input(self) -> dict[str, Any]:
        """``input.run``. ``destinations`` holds the run's destinations that this call's arguments
        name (the gateway joins the two lists; policy decides), ``destination_count`` all of them:
        converting 256 destinations into every decision cost ~0.8 ms of policy time."""
        s = self.state
        named: dict[str, dict[str, str]] = {}
        for a in self.argument_destinations:
            d = s.destinations.get(a["value"])
            if d is not None and a["value"] not in named:
                named[a["value"]] = {"value": a["value"], **d}
        return {
            "id": self.id,
            "tainted": s.tainted,
            "sources": [{"tool": t, "trust": tr} for t, tr in s.sources.items()],
            "findings": list(s.findings.values()),
            "destinations": list(named.values()),
            "destination_count": len(s.destinations),
            "argument_destinations": self.argument_destinations,
            "truncated": sorted(s.truncated),
        }

    def as_record(self) -> dict[str, Any]:
        """The record's ``run``: the state policy saw, and what this call's output added (``read``)."""
        s = self.state
        obs = self.observed
        return {
            "id": self.id,
            "tainted": s.tainted,
            "sources": len(s.sources),
            "untrusted_sources": sum(1 for t in s.sources.values() if t == "untrusted"),
            "findings": len(s.findings),
            "destinations": len(s.destinations),
            "truncated": sorted(s.truncated),
            "read": (
                {
                    "trust": obs.trust,
                    "taints": obs.taints,
                    "findings": len(obs.findings),
                    "destinations": len(obs.destinations),
                }
                if obs is not None
                else None
            ),
            "settled": self.settled,
        }


def no_run() -> dict[str, Any]:
    """``input.run`` for a call outside any run."""
    return {
        "id": None,
        "tainted": False,
        "sources": [],
        "findings": [],
        "destinations": [],
        "destination_count": 0,
        "argument_destinations": [],
        "truncated": [],
    }


def observation(
    state: RunState,
    tool: str,
    trust: str,
    findings: Iterable[Finding],
    found: dict[str, str],
    max_findings: int,
) -> RunObservation | None:
    """What reading this output adds to the run, or ``None`` when it adds nothing new.

    ``found``: the destinations in the output (``destinations_of``); only an untrusted
    output's are kept.
    """
    fs: dict[str, dict[str, Any]] = {}
    taints = trust == "untrusted"
    for f in findings:
        if f.detector in TAINTING_DETECTORS:
            taints = True
        entry = finding_entry(tool, f)
        key = f"{tool}|{f.detector}|{f.kind}|{f.severity}"
        if key not in state.findings and key not in fs and len(fs) < max_findings:
            fs[key] = entry
    dests: dict[str, dict[str, str]] = {}
    if trust == "untrusted":
        for value, kind in found.items():
            if value not in state.destinations and len(value) <= MAX_VALUE:
                dests[value] = {"kind": kind, "tool": tool}
    new_source = state.sources.get(tool) != "untrusted" and (tool not in state.sources or trust == "untrusted")
    if not new_source and not fs and not dests and (not taints or state.tainted):
        return None
    return RunObservation(tool=tool, trust=trust, taints=taints, findings=fs, destinations=dests)


def merged(a: RunObservation | None, b: RunObservation) -> RunObservation:
    """Two observations of the same call as one (for the record)."""
    if a is None:
        return b
    return RunObservation(
        tool=b.tool,
        trust=b.trust,
        taints=a.taints or b.taints,
        findings={**a.findings, **b.findings},
        destinations={**a.destinations, **b.destinations},
    )

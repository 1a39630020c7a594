"""Scrub: the credential the gateway injected never goes back to the agent.

Sits right after ``forward`` (before output inspection). An upstream that echoes its
request headers — or leaks its key in an error page — would otherwise hand the tool's
credential to the agent. For HTTP calls that carried an injected credential, every
exact occurrence of its secret (and of its full header value, its JSON-escaped and
percent-encoded spellings) is replaced with ``[REDACTED:credential]``:

* in every response header value;
* in a buffered body, at once;
* in a streamed body, chunk by chunk, holding back only a chunk's tail that is the
  start of a secret, so an occurrence split across chunks is still caught and ordinary
  chunks are not delayed.

A body the gateway cannot scan is refused, not passed: the credentials stage asks the
upstream for ``Accept-Encoding: identity`` when it injects a credential, and an answer
that is compressed anyway is 502 ``output.unscrubbable`` (fail closed).

MCP answers get the same scrub: headers here; the body message by message in the
mediator (``gateway/mcp/mediator.py``), once parsed, with ``scrub_json`` — so a secret
spelt with JSON escapes (``\u0041…``) in a result, an error, a server request or a
notification, on the POST answer or the GET stream, is caught too.

Each scrub adds a finding (detector ``credential_scrub``, kind ``credential_echo``,
surface ``tool_output``, LLM02) to the record's ``output_findings`` and counts in
``callgate_credential_scrubs_total{where=header|body}`` (``note_scrub``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Callable, Generator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from gateway import jsondoc
from gateway.errors import Reason, UpstreamError
from gateway.metrics import Metrics
from gateway.model import CallContext, Finding

if TYPE_CHECKING:
    from gateway.pipeline import Next

MASK = b"[REDACTED:credential]"
MIN_SECRET = 4  # shorter values would mangle ordinary text; config warns about them


def spellings(secret: str, header_value: str) -> list[bytes]:
    """The byte strings to scrub, longest first (so a full header value goes before its secret)."""
    return list(_spellings(secret, header_value))


@functools.lru_cache(maxsize=256)  # a handful of credentials, asked for on every call
def _spellings(secret: str, header_value: str) -> tuple[bytes, ...]:
    forms = {header_value, secret, json.dumps(secret)[1:-1], quote(secret, safe="")}
    out = {f.encode() for f in forms if len(f) >= MIN_SECRET}
    return tuple(sorted(out, key=len, reverse=True))


def credential_needles(ctx: CallContext) -> list[bytes]:
    """The spellings of the credential injected into this call (none when none was)."""
    if ctx.credential is None or ctx.tool is None:
        return []
    cred = ctx.tool.credentials[ctx.credential]
    return spellings(cred.secret, cred.value)


def note_scrub(ctx: CallContext, metrics: Metrics, where: str, path: str, count: int) -> None:
    """Record ``count`` occurrences scrubbed at ``path``: one finding per path, every one counted."""
    metrics.credential_scrubs.labels(where).inc(count)
    if any(f.detector == "credential_scrub" and f.path == path for f in ctx.output_findings):
        return
    ctx.output_findings.append(
        Finding(
            detector="credential_scrub",
            surface="tool_output",
            severity="high",
            owasp=("LLM02",),
            path=path,
            evidence=f"{count} occurrence(s) of the injected credential {ctx.credential!r}",
            kind="credential_echo",
        )
    )


def scrub_bytes(data: bytes, needles: list[bytes]) -> tuple[bytes, int]:
    count = 0
    for n in needles:
        if n in data:
            count += data.count(n)
            data = data.replace(n, MASK)
    return data, count


def scrub_json(raw: bytes | str, doc: Any, needles: list[bytes]) -> tuple[Any, int]:
    """``doc`` (parsed from ``raw``) with every spelling in ``needles`` replaced in its strings.

    A string whose characters of a needle are not escaped in ``raw`` stands in it verbatim,
    so without an escape that could spell such a character (``\\u…``, or ``\\/`` when a needle
    has a ``/``, …: ``_escapes``) a needle absent from ``raw`` is absent from ``doc`` — the
    usual case, a ``\\n`` in a text included: nothing is re-encoded. Otherwise the document is
    re-encoded canonically (one spelling per character) and scrubbed. A replacement that
    breaks the JSON (a needle spanning its syntax) raises ``UpstreamError``.
    """
    return jsondoc.run(scrub_json_steps(raw, doc, needles))


def scrub_json_steps(raw: bytes | str, doc: Any, needles: list[bytes]) -> Generator[None, None, tuple[Any, int]]:
    """``scrub_json`` yielding between bounded steps: the search of ``raw`` slice by slice
    (``SEARCH_SLICE`` bytes), the re-encoding piece by piece (``jsondoc.compact_steps``)."""
    if not needles:
        return doc, 0
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if not (yield from _holds_any(raw, (*needles, *_escapes(tuple(needles))))):
        return doc, 0
    # ASCII JSON: each string is the concatenation of its characters' escapes, and a secret's
    # escaped spelling (``json.dumps(secret)[1:-1]``, one of the needles) stands in it as is
    canonical = yield from jsondoc.compact_steps(doc, ensure_ascii=True)
    clean, n = scrub_bytes(canonical, needles)
    if not n:
        return doc, 0
    try:
        return json.loads(clean), n
    except ValueError as e:
        raise UpstreamError(
            "the answer carries the injected credential where it cannot be masked",
            code="output.unscrubbable",
            reasons=[Reason.of("output.unscrubbable", "the credential could not be masked", ["LLM02"])],
        ) from e


SEARCH_SLICE = 256 << 10  # bytes searched for the needles in one step (~0.2 ms per needle)


def _holds_any(raw: bytes, needles: tuple[bytes, ...]) -> Generator[None, None, bool]:
    """Whether any of ``needles`` occurs in ``raw``; slice by slice, each slice reading a
    needle's length less one into the next (so an occurrence across the cut is found)."""
    if len(raw) <= SEARCH_SLICE:
        return any(n in raw for n in needles)
    over = max(len(n) for n in needles) - 1
    view = memoryview(raw)
    for lo in range(0, len(raw), SEARCH_SLICE):
        if lo:
            yield
        part = bytes(view[lo : lo + SEARCH_SLICE + over])
        if any(n in part for n in needles):
            return True
    return False


@functools.lru_cache(maxsize=256)
def _escapes(needles: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """The JSON escapes that could spell a character of a needle (``\\u`` spells any)."""
    chars = set(b"".join(needles))
    short = {0x22: b'\\"', 0x5C: b"\\\\", 0x2F: b"\\/", 8: b"\\b", 12: b"\\f", 10: b"\\n", 13: b"\\r", 9: b"\\t"}
    return (b"\\u", *(esc for c, esc in short.items() if c in chars))


class ScrubbedStream:
    """An ``iter_any`` stream over another one, with ``needles`` replaced even across chunk borders."""

    def __init__(self, inner: Any, needles: list[bytes], on_hit: Callable[[int], None]) -> None:
        self.inner = inner
        self.needles = needles
        self.keep = max(len(n) for n in needles) - 1
        self.on_hit = on_hit

    def _partial(self, data: bytes) -> int:
        """Length of the longest suffix of ``data`` that is a proper prefix of a needle."""
        for k in range(min(self.keep, len(data)), 0, -1):
            tail = data[-k:]
            if any(n.startswith(tail) for n in self.needles):
                return k
        return 0

    async def iter_any(self) -> AsyncIterator[bytes]:
        carry = b""
        async for chunk in self.inner.iter_any():
            data, n = scrub_bytes(carry + chunk, self.needles)
            if n:
                self.on_hit(n)
            # Hold back only a tail that is the start of a needle (so ordinary chunks flow at once);
            # it never reaches into a mask just written, which no needle starts with.
            cut = len(data) - self._partial(data)
            carry = data[cut:]
            if cut:
                yield data[:cut]
        if carry:
            yield carry


class ScrubStage:
    name = "scrub"

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, ctx: CallContext, nxt: Next) -> None:
        if ctx.credential is None or ctx.upstream is None:
            await nxt(ctx)
            return
        tool = ctx.need_tool()
        needles = credential_needles(ctx)
        if not needles:
            await nxt(ctx)
            return
        up = ctx.upstream
        http = ctx.call.protocol == "http"
        headers: list[tuple[str, str]] = []
        for k, v in up.headers:
            clean, n = scrub_bytes(v.encode("utf-8", "surrogateescape"), needles)
            if n:
                note_scrub(ctx, self.metrics, "header", f"headers/{k}", n)
                v = clean.decode("utf-8", "surrogateescape")
            # (an encoded MCP answer is refused by the mediator: output.uninspectable)
            if http and k.lower() == "content-encoding" and v.strip().lower() not in ("", "identity"):
                raise UpstreamError(
                    f"tool {tool.name!r} answered with Content-Encoding {v}; the gateway cannot scrub its "
                    "credential from an encoded body",
                    code="output.unscrubbable",
                    reasons=[Reason.of("output.unscrubbable", "encoded output cannot be scrubbed", ["LLM02"])],
                )
            headers.append((k, v))
        up.headers = headers
        if not http:  # MCP: the mediator scrubs each message once parsed (scrub_json)
            pass
        elif up.body is not None:
            body, n = scrub_bytes(up.body, needles)
            if n:
                note_scrub(ctx, self.metrics, "body", "body", n)
                up.body = body
                up.bytes_sent = len(body)
        elif up.stream is not None:

            def hit(n: int) -> None:
                note_scrub(ctx, self.metrics, "body", "body", n)

            up.stream = ScrubbedStream(up.stream, needles, hit)
        await nxt(ctx)
